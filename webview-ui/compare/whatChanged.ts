// The "What Changed" section: params, code, input data, environment and metric deltas between the
// reference run A and run B, as the host computed them (the same diff as `runlens diff`).
import type {
  CompareSnapshot,
  WhatChangedDiff,
  WhatChangedFile,
  WhatChangedView,
} from '../../src/protocol/compare';
import { el, formatNumber } from '../shared/dom';
import { host, save, state } from './state';

export const whatChangedSection = el('section', {
  class: 'what-changed',
  'aria-labelledby': 'what-changed-heading',
  hidden: true,
});

const short = (c: string | null) => (c ? c.slice(0, 12) : 'no git');
const hash = (h: string | undefined) => (h ? h.slice(0, 12) : '');
const signed = (v: number) => (v > 0 ? '+' : '') + formatNumber(v);

function block(title: string, count: string, ...body: (Node | string)[]): HTMLElement {
  return el(
    'div',
    { class: 'wc-block', 'data-block': title.toLowerCase().replace(/\W+/g, '-') },
    el('h3', {}, title, el('span', { class: 'wc-count', text: count })),
    ...body,
  );
}

const same = (text: string) => el('p', { class: 'wc-same', text });

function twoColumns(
  head: [string, string, string],
  rows: { key: string; a: string; b: string; cls?: string }[],
): HTMLTableElement {
  return el(
    'table',
    { class: 'wc-table' },
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col', text: h })))),
    el(
      'tbody',
      {},
      ...rows.map((r) =>
        el(
          'tr',
          { 'data-key': r.key },
          el('th', { scope: 'row', text: r.key }),
          el('td', { class: r.cls ?? '', text: r.a }),
          el('td', { class: r.cls ?? '', text: r.b }),
        ),
      ),
    ),
  );
}

function paramsBlock(d: WhatChangedDiff, a: string, b: string): HTMLElement {
  if (!d.params.length) return block('Params', 'same', same('Every param is the same.'));
  return block(
    'Params',
    `${d.params.length} changed`,
    twoColumns(
      ['Param', a, b],
      d.params.map((p) => ({ key: p.key, a: p.a ?? '(unset)', b: p.b ?? '(unset)' })),
    ),
  );
}

function fileList(kind: string, label: string, files: WhatChangedFile[]): HTMLElement {
  return el(
    'div',
    { class: 'wc-files', 'data-files': kind },
    el('div', { class: 'wc-sub', text: `${label}: ${files.length ? `${files.length} file(s)` : 'none'}` }),
    files.length
      ? el(
          'ul',
          {},
          ...files.map((f) =>
            el(
              'li',
              {},
              el('code', { text: f.file }),
              f.added === null
                ? el('span', { class: 'wc-lines', text: 'binary' })
                : el(
                    'span',
                    { class: 'wc-lines' },
                    el('span', { class: 'wc-add', text: `+${f.added}` }),
                    ' ',
                    el('span', { class: 'wc-del', text: `−${f.removed}` }),
                  ),
            ),
          ),
        )
      : null,
  );
}

function codeBlock(d: WhatChangedDiff, a: string, b: string, open: () => void): HTMLElement {
  const c = d.code;
  if (c.same)
    return block(
      'Code',
      'same',
      same(`Same commit ${short(c.a.commit)}${c.workingA.length ? ', same uncommitted diff' : ''}.`),
    );
  const body: (Node | string)[] = [];
  if (c.reason)
    body.push(
      el('p', { class: 'wc-note', text: `Commits ${short(c.a.commit)} → ${short(c.b.commit)}: ${c.reason}` }),
    );
  else if (c.commits && c.a.commit === c.b.commit)
    body.push(el('div', { class: 'wc-sub', text: `Same commit ${short(c.a.commit)}` }));
  else if (c.commits)
    body.push(fileList('commits', `Commits ${short(c.a.commit)} → ${short(c.b.commit)}`, c.commits));
  body.push(
    fileList('uncommitted-a', `Uncommitted in ${a}`, c.workingA),
    fileList('uncommitted-b', `Uncommitted in ${b}`, c.workingB),
  );
  const files = new Set([...(c.commits ?? []), ...c.workingA, ...c.workingB].map((f) => f.file)).size;
  const button = el('button', { type: 'button', class: 'wc-open', text: 'Open Code Diff' });
  button.title = 'The code each run ran (its commit with its recorded uncommitted diff), in the diff editor';
  button.disabled = c.a.commit === null || c.b.commit === null;
  button.addEventListener('click', open);
  body.push(button);
  return block('Code', `${files} file(s)`, ...body);
}

function inputBlock(d: WhatChangedDiff): HTMLElement {
  if (!d.inputs.length)
    return block('Input data', 'none recorded', same('Neither run recorded input files.'));
  const changed = d.inputs.filter((i) => i.status !== 'same').length;
  return block(
    'Input data',
    changed ? `${changed} changed` : 'same',
    el(
      'ul',
      { class: 'wc-inputs' },
      ...d.inputs.map((i) => {
        const li = el(
          'li',
          { 'data-input': i.path, 'data-status': i.status },
          el('code', { text: i.path }),
          el('span', { class: `wc-status ${i.status}`, text: i.status }),
        );
        const detail = (text: string, cls = 'wc-detail') => li.append(el('div', { class: cls, text }));
        if (i.status === 'same') detail(`sha256 ${hash(i.a?.sha256)}`);
        else if (i.status === 'added') detail(`only in B: sha256 ${hash(i.b?.sha256)}`);
        else if (i.status === 'removed') detail(`only in A: sha256 ${hash(i.a?.sha256)}`);
        else
          detail(
            `sha256 ${hash(i.a?.sha256)} → ${hash(i.b?.sha256)}, ${formatNumber(i.a!.size)} → ${formatNumber(i.b!.size)} bytes`,
          );
        const t = i.table;
        if (t) {
          detail(
            `rows ${formatNumber(t.a.rows)} → ${formatNumber(t.b.rows)} (${signed(t.b.rows - t.a.rows)})`,
          );
          const cols = [
            ...t.addedColumns.map((x) => `+${x}`),
            ...t.removedColumns.map((x) => `−${x}`),
            ...t.typeChanges.map((x) => `${x.column}: ${x.a} → ${x.b}`),
          ];
          detail(cols.length ? `columns ${cols.join(', ')}` : `columns same (${t.a.columns})`);
          if (t.drift) {
            const v = el('div', { class: 'wc-detail' });
            v.append(
              el('span', {
                class: `wc-drift ${t.drift.datasetDrift ? 'drift' : 'no-drift'}`,
                text: t.drift.datasetDrift ? 'Dataset drift' : 'No dataset drift',
              }),
              ` ${t.drift.drifted.length} of ${t.drift.tested} columns drifted` +
                (t.drift.drifted.length ? ` (${t.drift.drifted.slice(0, 8).join(', ')})` : ''),
            );
            li.append(v);
          }
        }
        if (i.note) detail(i.note, 'wc-note');
        return li;
      }),
    ),
  );
}

function environmentBlock(d: WhatChangedDiff, a: string, b: string): HTMLElement {
  if (!d.environment.length) return block('Environment', 'same', same('Same environment, as recorded.'));
  return block(
    'Environment',
    `${d.environment.length} changed`,
    twoColumns(
      ['', a, b],
      d.environment.map((e) => ({ key: e.what, a: e.a ?? '(none)', b: e.b ?? '(none)' })),
    ),
  );
}

function metricsBlock(d: WhatChangedDiff, a: string, b: string): HTMLElement {
  if (!d.metrics.length) return block('Metrics', 'none', same('Neither run logged metrics.'));
  const changed = d.metrics.filter((m) => m.delta !== 0).length;
  const cell = (v: number | null) => el('td', { class: 'num', text: v === null ? '' : formatNumber(v) });
  return block(
    'Metrics',
    changed ? `${changed} changed` : 'same',
    el(
      'table',
      { class: 'wc-table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...['Metric', a, b, 'Δ', 'Δ %'].map((h, i) =>
            el('th', { scope: 'col', class: i ? 'num' : '', text: h }),
          ),
        ),
      ),
      el(
        'tbody',
        {},
        ...d.metrics.map((m) =>
          el(
            'tr',
            { 'data-key': m.key },
            el('th', { scope: 'row', text: m.key }),
            cell(m.a),
            cell(m.b),
            el('td', {
              class: `num delta ${m.verdict ?? 'neutral'}`,
              text: m.delta === null ? '' : m.delta === 0 ? '0' : signed(m.delta),
            }),
            el('td', {
              class: `num delta ${m.verdict ?? 'neutral'}`,
              text:
                m.relative === null ? '' : `${m.relative > 0 ? '+' : ''}${(m.relative * 100).toFixed(2)}%`,
            }),
          ),
        ),
      ),
    ),
  );
}

function header(view: Exclude<WhatChangedView, { state: 'none' }>, s: CompareSnapshot): HTMLElement {
  const h = el('header', {}, el('h2', { id: 'what-changed-heading', text: 'What changed' }));
  const title = el(
    'span',
    { class: 'wc-pair' },
    el('span', { class: 'wc-run', text: view.a.name }),
    ' (reference) → ',
  );
  if (s.runs.length > 2) {
    const select = el(
      'select',
      { id: 'what-changed-run' },
      ...s.runs.filter((r) => r.ref !== view.a.ref).map((r) => el('option', { value: r.ref, text: r.name })),
    );
    select.value = view.b.ref;
    select.setAttribute('aria-label', 'Run compared with the reference');
    select.addEventListener('change', () => {
      state.whatChangedRef = select.value;
      save();
      host.post({ type: 'setWhatChanged', ref: select.value });
    });
    title.append(select);
  } else title.append(el('span', { class: 'wc-run', text: view.b.name }));
  h.append(title);
  return h;
}

/** Draw the section for the host's last view (hidden when there is no pair to show). */
export function renderWhatChanged(view: WhatChangedView | undefined, s: CompareSnapshot | undefined): void {
  const sec = whatChangedSection;
  // Fewer than two runs: the notices above the table already ask for more.
  if (!view || !s || s.runs.length < 2) {
    sec.hidden = true;
    return;
  }
  sec.hidden = false;
  sec.dataset.state = view.state;
  if (view.state === 'none') {
    sec.replaceChildren(
      el('header', {}, el('h2', { id: 'what-changed-heading', text: 'What changed' })),
      el('p', { class: 'wc-same', text: view.message }),
    );
    return;
  }
  const body: HTMLElement[] = [];
  if (view.state === 'computing')
    body.push(el('p', { class: 'wc-same', role: 'status', text: 'Comparing the two runs…' }));
  else if (view.state === 'error')
    body.push(el('p', { class: 'wc-note', role: 'alert', text: view.message }));
  else {
    const d = view.diff;
    const [a, b] = [view.a.name, view.b.name];
    const open = () => host.post({ type: 'openCodeDiff', a: view.a.ref, b: view.b.ref });
    body.push(
      el(
        'div',
        { class: 'wc-grid' },
        metricsBlock(d, a, b),
        paramsBlock(d, a, b),
        codeBlock(d, a, b, open),
        inputBlock(d),
        environmentBlock(d, a, b),
      ),
    );
  }
  sec.replaceChildren(header(view, s), ...body);
}
