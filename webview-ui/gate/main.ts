import './style.css';
import type { Chart } from 'chart.js';
import { assertNever, messageType } from '../../src/protocol/common';
import type {
  GateFromWebview,
  GateMetricRow,
  GateSnapshot,
  GateToWebview,
  GateViewState,
} from '../../src/protocol/gate';
import { el, formatNumber } from '../shared/dom';
import { onThemeChange, readTheme } from '../shared/theme';
import type { ThemeColors } from '../shared/theme';
import { vscodeApi } from '../shared/vscodeApi';
import { curveDatasets, referenceLine, xyChart } from '../evaluation/charts';

const vscode = vscodeApi<GateViewState, GateFromWebview>();
const post = (m: GateFromWebview) => vscode.postMessage(m);

const saved = vscode.getState();
const state: GateViewState = {
  candidateRef: saved?.candidateRef ?? '',
  baselineRef: saved?.baselineRef ?? null,
};
let snapshot: GateSnapshot | undefined;
let theme: ThemeColors = readTheme();
const charts: Chart[] = [];

const verdict = el('section', { class: 'verdict', role: 'status', 'aria-live': 'polite' });
const copyButton = el('button', { type: 'button', id: 'copy', text: 'Copy Markdown' });
const baselineButton = el('button', { type: 'button', id: 'baseline', text: 'Change Baseline…' });
const evaluateButton = el('button', { type: 'button', id: 'evaluate', text: 'Evaluate Candidate…' });
evaluateButton.hidden = true;
const notices = el('div', { class: 'notices', role: 'status' });
const table = el('table', { class: 'gate' });
const chartsEl = el('div', { class: 'charts' });
document.body.append(
  verdict,
  el(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Gate actions' },
    evaluateButton,
    copyButton,
    baselineButton,
  ),
  notices,
  el('div', { class: 'table-wrap' }, table),
  chartsEl,
);

copyButton.addEventListener('click', () => post({ type: 'copyMarkdown' }));
baselineButton.addEventListener('click', () => post({ type: 'pickBaseline' }));
evaluateButton.addEventListener('click', () => post({ type: 'evaluateCandidate' }));

window.addEventListener('message', (event: MessageEvent) => {
  const type = messageType(event.data);
  const known: GateToWebview['type'][] = ['snapshot', 'notice'];
  if (!type || !known.includes(type as GateToWebview['type'])) {
    console.warn('runlens gate: ignored a message of unknown type', type ?? event.data);
    return;
  }
  const m = event.data as GateToWebview;
  switch (m.type) {
    case 'snapshot':
      snapshot = m.snapshot;
      state.candidateRef = m.snapshot.candidate.ref;
      state.baselineRef = m.snapshot.baseline.ref;
      vscode.setState(state);
      render();
      break;
    case 'notice':
      notices.replaceChildren(el('div', { text: m.text }));
      break;
    default:
      assertNever(m, 'message');
  }
});

onThemeChange(() => {
  theme = readTheme();
  if (snapshot) render();
});

const VERDICT_TEXT: Record<GateMetricRow['verdict'], string> = {
  pass: '✓ pass',
  fail: '✗ fail',
  missing: '⚠ missing',
};

function num(v: number | null): string {
  return v === null ? '–' : formatNumber(v);
}

function render(): void {
  const s = snapshot;
  if (!s) return;
  verdict.className = `verdict ${s.verdict}`;
  const incomplete = s.verdict === 'incomplete';
  evaluateButton.hidden = !incomplete;
  verdict.replaceChildren(
    el(
      'div',
      { class: 'big' },
      el('div', { text: { pass: '✓ PASS', fail: '✗ FAIL', incomplete: '… INCOMPLETE' }[s.verdict] }),
      ...(incomplete
        ? [el('div', { class: 'reason', text: s.reason ?? 'evaluate the candidate first' })]
        : []),
    ),
    el(
      'div',
      { class: 'who' },
      el(
        'div',
        {},
        'Candidate ',
        el('strong', { text: s.candidate.name }),
        el('span', { class: 'muted', text: ` (${s.candidate.experiment})` }),
      ),
      el(
        'div',
        {},
        'Baseline ',
        el('strong', { text: s.baseline.name }),
        el('span', { class: 'muted', text: ` (${s.baseline.label})` }),
      ),
      el('div', {
        class: 'muted',
        text: `Policy: ${s.policy ?? 'default: no metric with a known goal may get worse'}`,
      }),
    ),
  );
  const fails = s.metrics.filter((m) => m.verdict === 'fail').length;
  verdict.setAttribute(
    'aria-label',
    incomplete
      ? `Gate incomplete: ${s.reason ?? 'evaluate the candidate first'}`
      : `Gate ${s.verdict}: ${fails} of ${s.metrics.length} metric${s.metrics.length === 1 ? '' : 's'} fail`,
  );
  table.replaceChildren(
    el('caption', { class: 'visually-hidden', text: 'Each metric of the candidate against the baseline' }),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...['Metric', 'Goal', 'Candidate', 'Baseline', 'Δ', 'Δ %', 'Rule', 'Verdict'].map((h, i) =>
          el('th', { scope: 'col', class: i >= 2 && i <= 5 ? 'num' : '', text: h }),
        ),
      ),
    ),
    el(
      'tbody',
      {},
      ...(s.metrics.length
        ? s.metrics.map((m) =>
            el(
              'tr',
              { class: m.verdict, 'data-metric': m.metric },
              el('th', {
                scope: 'row',
                text: m.metric + (m.required ? ' *' : ''),
                title: m.required ? 'required' : '',
              }),
              el('td', { text: m.goal ?? '–' }),
              el('td', { class: 'num', text: num(m.candidate) }),
              el('td', { class: 'num', text: num(m.baseline) }),
              el('td', {
                class: 'num',
                text: m.delta === null ? '–' : `${m.delta > 0 ? '+' : ''}${formatNumber(m.delta)}`,
              }),
              el('td', {
                class: 'num',
                text:
                  m.relative === null ? '–' : `${m.relative > 0 ? '+' : ''}${(m.relative * 100).toFixed(2)}%`,
              }),
              el('td', { text: m.rule }),
              el('td', {}, el('span', { class: `badge ${m.verdict}`, text: VERDICT_TEXT[m.verdict] })),
            ),
          )
        : [
            el(
              'tr',
              {},
              el('td', {
                colSpan: 8,
                class: 'muted',
                text: 'No metric to compare: the runs share no metric with a known goal.',
              }),
            ),
          ]),
    ),
  );
  for (const c of charts.splice(0)) c.destroy();
  const drawn: string[] = [];
  if (s.curves) {
    const cv = s.curves;
    const roc = el('canvas', {
      role: 'img',
      'aria-label': 'ROC curves of the candidate (solid) and the baseline (dashed)',
    });
    const pr = el('canvas', {
      role: 'img',
      'aria-label': 'Precision-recall curves of the candidate (solid) and the baseline (dashed)',
    });
    chartsEl.replaceChildren(
      el(
        'section',
        { class: 'panel', 'aria-label': 'ROC curves' },
        el('h2', { text: 'ROC curves' }),
        el('div', { class: 'plot' }, roc),
      ),
      el(
        'section',
        { class: 'panel', 'aria-label': 'Precision-recall curves' },
        el('h2', { text: 'Precision–recall curves' }),
        el('div', { class: 'plot' }, pr),
      ),
    );
    const sets = (c: GateSnapshot['curves'] & object, k: 'roc' | 'pr') => [
      { prefix: s.candidate.name, curves: c[k].candidate, dashed: false },
      { prefix: `${s.baseline.name} (baseline)`, curves: c[k].baseline, dashed: true },
    ];
    charts.push(
      xyChart(
        roc,
        [...curveDatasets(sets(cv, 'roc'), theme, 'AUC'), referenceLine([0, 0], [1, 1], 'chance', theme)],
        { x: 'False positive rate', y: 'True positive rate', unit: true },
        theme,
      ),
      xyChart(
        pr,
        curveDatasets(sets(cv, 'pr'), theme, 'AP'),
        { x: 'Recall', y: 'Precision', unit: true },
        theme,
      ),
    );
    drawn.push('roc', 'pr');
  } else {
    chartsEl.replaceChildren(
      el('p', {
        class: 'muted',
        text: 'ROC and precision–recall curves appear here when both runs have an evaluation (Runlens: Evaluate Model…).',
      }),
    );
  }
  post({ type: 'rendered', verdict: s.verdict, rows: s.metrics.length, charts: drawn.length });
}

post({ type: 'ready' });
