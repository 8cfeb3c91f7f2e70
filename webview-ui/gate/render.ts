import type { Chart } from 'chart.js';
import type { GateMetricRow, GateSnapshot } from '../../src/protocol/gate';
import { el, formatNumber } from '../shared/dom';
import { curveDatasets, referenceLine, xyChart } from '../evaluation/charts';
import { page } from './page';
import { host, view } from './state';

const charts: Chart[] = [];

const VERDICT_TEXT: Record<GateMetricRow['verdict'], string> = {
  pass: '✓ pass',
  fail: '✗ fail',
  missing: '⚠ missing',
};

function num(v: number | null): string {
  return v === null ? '–' : formatNumber(v);
}

function signed(v: number | null, text: (v: number) => string): string {
  return v === null ? '–' : `${v > 0 ? '+' : ''}${text(v)}`;
}

/** Draw the last snapshot and report what was drawn. */
export function render(): void {
  const s = view.snapshot;
  if (!s) return;
  renderVerdict(s);
  renderTable(s);
  const drawn = renderCurves(s);
  host.post({ type: 'rendered', verdict: s.verdict, rows: s.metrics.length, charts: drawn.length });
}

function renderVerdict(s: GateSnapshot): void {
  const { verdict } = page;
  verdict.className = `verdict ${s.verdict}`;
  const incomplete = s.verdict === 'incomplete';
  page.evaluateButton.hidden = !incomplete;
  verdict.replaceChildren(
    el(
      'div',
      { class: 'big' },
      el('div', { text: { pass: '✓ PASS', fail: '✗ FAIL', incomplete: '… INCOMPLETE' }[s.verdict] }),
      ...(incomplete
        ? [el('div', { class: 'reason', text: s.reason ?? 'evaluate the candidate first' })]
        : []),
    ),
    whoEl(s),
  );
  const fails = s.metrics.filter((m) => m.verdict === 'fail').length;
  verdict.setAttribute(
    'aria-label',
    incomplete
      ? `Gate incomplete: ${s.reason ?? 'evaluate the candidate first'}`
      : `Gate ${s.verdict}: ${fails} of ${s.metrics.length} metric${s.metrics.length === 1 ? '' : 's'} fail`,
  );
}

/** The two runs and the policy that judged them. */
function whoEl(s: GateSnapshot): HTMLElement {
  return el(
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
  );
}

function renderTable(s: GateSnapshot): void {
  page.table.replaceChildren(
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
        ? s.metrics.map(metricRow)
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
}

function metricRow(m: GateMetricRow): HTMLElement {
  return el(
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
    el('td', { class: 'num', text: signed(m.delta, formatNumber) }),
    el('td', { class: 'num', text: signed(m.relative, (r) => `${(r * 100).toFixed(2)}%`) }),
    el('td', { text: m.rule }),
    el('td', {}, el('span', { class: `badge ${m.verdict}`, text: VERDICT_TEXT[m.verdict] })),
  );
}

/** ROC and precision-recall curves of both runs, when both have an evaluation; the ids drawn. */
function renderCurves(s: GateSnapshot): string[] {
  for (const c of charts.splice(0)) c.destroy();
  if (!s.curves) {
    page.charts.replaceChildren(
      el('p', {
        class: 'muted',
        text: 'ROC and precision–recall curves appear here when both runs have an evaluation (Runlens: Evaluate Model…).',
      }),
    );
    return [];
  }
  const cv = s.curves;
  const roc = el('canvas', {
    role: 'img',
    'aria-label': 'ROC curves of the candidate (solid) and the baseline (dashed)',
  });
  const pr = el('canvas', {
    role: 'img',
    'aria-label': 'Precision-recall curves of the candidate (solid) and the baseline (dashed)',
  });
  page.charts.replaceChildren(
    curvePanel('ROC curves', 'ROC curves', roc),
    curvePanel('Precision-recall curves', 'Precision–recall curves', pr),
  );
  const sets = (k: 'roc' | 'pr') => [
    { prefix: s.candidate.name, curves: cv[k].candidate, dashed: false },
    { prefix: `${s.baseline.name} (baseline)`, curves: cv[k].baseline, dashed: true },
  ];
  const theme = view.theme;
  charts.push(
    xyChart(
      roc,
      [...curveDatasets(sets('roc'), theme, 'AUC'), referenceLine([0, 0], [1, 1], 'chance', theme)],
      { x: 'False positive rate', y: 'True positive rate', unit: true },
      theme,
    ),
    xyChart(pr, curveDatasets(sets('pr'), theme, 'AP'), { x: 'Recall', y: 'Precision', unit: true }, theme),
  );
  return ['roc', 'pr'];
}

function curvePanel(label: string, title: string, canvas: HTMLCanvasElement): HTMLElement {
  return el(
    'section',
    { class: 'panel', 'aria-label': label },
    el('h2', { text: title }),
    el('div', { class: 'plot' }, canvas),
  );
}
