import type { DriftSnapshot } from '../../src/protocol/drift';
import { el } from '../shared/dom';
import { renderHistogram, renderOnline, renderTimeline } from './charts';
import { TEST_NAMES, percent } from './format';
import { heading, heat, notices, summary, table } from './page';
import { host, save, state, view } from './state';
import { ordered, renderTable } from './table';

let accuracyWindows = 0;
let windows = 0;

/** Draw the snapshot; after a change of selection only the table, histogram and grid highlight. */
export function render(selectionOnly = false): void {
  const s = view.snapshot;
  if (!s) return save();
  if (!state.selected || !s.columns.some((c) => c.column === state.selected))
    state.selected = s.columns[0]?.column ?? null;
  save();
  renderTable(s, { select: (column) => select(column, true), rerender: () => render() });
  const bins = renderHistogram(s);
  if (selectionOnly) {
    for (const tr of heat.querySelectorAll<HTMLElement>('tbody tr'))
      tr.classList.toggle('selected', tr.dataset.column === state.selected);
  } else {
    renderSummary(s);
    accuracyWindows = renderOnline(s);
    windows = renderTimeline(s);
  }
  const order = ordered(s).map((c) => c.column);
  requestAnimationFrame(() =>
    host.post({
      type: 'rendered',
      rendered: {
        columns: s.columns.length,
        order,
        selected: state.selected,
        histogramBins: bins,
        timelineWindows: windows,
        accuracyWindows,
        datasetDrift: s.datasetDrift,
      },
    }),
  );
}

function renderSummary(s: DriftSnapshot): void {
  heading.textContent = s.title;
  const verdict = s.nothingCompared
    ? el(
        'div',
        { class: 'verdict none' },
        el('div', { text: 'Nothing compared' }),
        el('div', { class: 'reason', text: s.nothingCompared }),
      )
    : s.datasetDrift
      ? el('div', { class: 'verdict bad', text: 'Dataset drift detected' })
      : s.drifted > 0
        ? // Below the dataset drift share, but not a clean bill: the headline says what drifted.
          el(
            'div',
            { class: 'verdict warn' },
            el('div', { text: `${s.drifted} of ${s.tested} columns drifted` }),
            el('div', {
              class: 'reason',
              text: `No dataset drift: fewer than ${percent(s.driftShare)} of the columns drifted`,
            }),
          )
        : el('div', { class: 'verdict good', text: 'No dataset drift' });
  const rows = (label: string, n: number) => `${label} · ${n.toLocaleString('en-US')} rows`;
  summary.replaceChildren(
    verdict,
    el(
      'dl',
      {},
      el('dt', { text: 'Drifted columns' }),
      el('dd', {
        text: `${s.drifted} of ${s.tested} (${percent(s.share)}); dataset drift at ${percent(s.driftShare)} or more`,
      }),
      el('dt', { text: 'Reference' }),
      el('dd', { text: rows(s.referenceLabel, s.referenceRows) }),
      el('dt', { text: 'Current' }),
      el('dd', { text: rows(s.currentLabel, s.currentRows) }),
      el('dt', { text: 'Tests' }),
      el('dd', {
        text:
          s.tests
            .map(
              (t) =>
                `${TEST_NAMES[t.method] ?? t.method} on ${t.columns} column${t.columns === 1 ? '' : 's'}`,
            )
            .join('; ') || 'none (no column had values in both)',
      }),
    ),
  );
  notices.replaceChildren(...s.notices.map((t) => el('div', { text: t })));
}

/** Select a column (the host hears of a new one), draw the selection, optionally focus its row. */
export function select(column: string, focus: boolean): void {
  if (state.selected !== column) {
    state.selected = column;
    host.post({ type: 'selectColumn', column });
  }
  render(true);
  if (focus) (table.querySelector(`tr[data-column="${CSS.escape(column)}"]`) as HTMLElement | null)?.focus();
}
