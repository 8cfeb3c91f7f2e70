import './style.css';
import { Chart } from 'chart.js';
import { assertNever, messageType } from '../../src/protocol/common';
import type {
  EvaluationFromWebview,
  EvaluationSnapshot,
  EvaluationToWebview,
  EvaluationViewState,
  MetricCard,
  RenderedEvalChart,
} from '../../src/protocol/evaluation';
import { el, formatNumber } from '../shared/dom';
import { backgroundPlugin, onThemeChange, readTheme } from '../shared/theme';
import type { ThemeColors } from '../shared/theme';
import { vscodeApi } from '../shared/vscodeApi';
import { classColor, curveDatasets, pointsOf, referenceLine, withAlpha, xyChart } from './charts';

const vscode = vscodeApi<EvaluationViewState, EvaluationFromWebview>();
const post = (m: EvaluationFromWebview) => vscode.postMessage(m);

const saved = vscode.getState();
const state: EvaluationViewState = {
  ref: saved?.ref ?? '',
  normalized: saved?.normalized ?? false,
};
let snapshot: EvaluationSnapshot | undefined;
let theme: ThemeColors = readTheme();
const charts: Chart[] = [];

const header = el('header', { class: 'summary' });
const notices = el('div', { class: 'notices', role: 'status' });
const cards = el('section', { class: 'cards', 'aria-label': 'Metrics' });
const content = el('div', { class: 'content' });
document.body.append(header, notices, cards, content);

function save(): void {
  vscode.setState(state);
}

window.addEventListener('message', (event: MessageEvent) => {
  const type = messageType(event.data);
  const known: EvaluationToWebview['type'][] = ['snapshot', 'empty'];
  if (!type || !known.includes(type as EvaluationToWebview['type'])) {
    console.warn('runlens evaluation: ignored a message of unknown type', type ?? event.data);
    return;
  }
  const m = event.data as EvaluationToWebview;
  switch (m.type) {
    case 'snapshot':
      snapshot = m.snapshot;
      state.ref = m.snapshot.run.ref;
      save();
      render();
      break;
    case 'empty':
      snapshot = undefined;
      destroyCharts();
      header.replaceChildren();
      cards.replaceChildren();
      content.replaceChildren();
      notices.replaceChildren(el('div', { text: m.text }));
      post({ type: 'rendered', cards: 0, charts: [], normalized: state.normalized });
      break;
    default:
      assertNever(m, 'message');
  }
});

onThemeChange(() => {
  theme = readTheme();
  if (snapshot) render();
});

function destroyCharts(): void {
  for (const c of charts.splice(0)) c.destroy();
}

function isBetter(card: MetricCard): boolean | null {
  if (card.value === null || card.baseline === null || card.goal === null || card.value === card.baseline)
    return null;
  return card.goal === 'max' ? card.value > card.baseline : card.value < card.baseline;
}

function cardEl(card: MetricCard): HTMLElement {
  const better = isBetter(card);
  const delta =
    card.value !== null && card.baseline !== null
      ? el('div', {
          class: `delta ${better === null ? '' : better ? 'better' : 'worse'}`,
          text: `${card.value - card.baseline >= 0 ? '+' : ''}${Number((card.value - card.baseline).toPrecision(3))} vs baseline`,
        })
      : null;
  return el(
    'div',
    { class: 'card metric', role: 'group', 'aria-label': card.label, 'data-key': card.key },
    el('div', { class: 'label', text: card.label }),
    el('div', { class: 'value', text: card.value === null ? '–' : formatNumber(card.value) }),
    delta,
  );
}

function section(title: string, id: string, ...children: (Node | null)[]): HTMLElement {
  return el(
    'section',
    { class: 'panel', 'aria-labelledby': `${id}-title`, 'data-chart': id },
    el('h2', { id: `${id}-title`, text: title }),
    ...children,
  );
}

function plot(label: string): { wrap: HTMLElement; canvas: HTMLCanvasElement } {
  const canvas = el('canvas', { role: 'img', 'aria-label': label });
  return { wrap: el('div', { class: 'plot' }, canvas), canvas };
}

function render(): void {
  const s = snapshot;
  if (!s) return;
  destroyCharts();
  const rendered: RenderedEvalChart[] = [];
  header.replaceChildren(
    el('h1', { text: `Evaluation: ${s.run.name}` }),
    el(
      'p',
      { class: 'muted' },
      `${s.task} · ${s.n.toLocaleString('en-US')} rows · ${s.file}`,
      s.source ? ` · model ${s.source.model} · ${s.source.backend}` : '',
      s.baseline ? ` · baseline ${s.baseline.name} (dashed)` : '',
    ),
  );
  notices.replaceChildren(...s.warnings.map((w) => el('div', { text: `⚠ ${w}` })));
  cards.replaceChildren(...s.cards.map(cardEl));
  const parts: HTMLElement[] = [];

  if (s.confusion) parts.push(confusionSection(s.confusion, rendered));

  const curveCharts: (() => void)[] = [];
  if (s.roc.length) {
    const p = plot('ROC curve: true positive rate against false positive rate');
    parts.push(
      section(
        'ROC curve',
        'roc',
        p.wrap,
        aucList(
          s.roc.map((c) => [c.label, c.area]),
          'AUC',
        ),
      ),
    );
    curveCharts.push(() => {
      const sets = [{ prefix: s.baseline ? s.run.name : '', curves: s.roc, dashed: false }];
      if (s.baseline?.roc.length)
        sets.push({ prefix: s.baseline.name, curves: s.baseline.roc, dashed: true });
      const ds = [...curveDatasets(sets, theme, 'AUC'), referenceLine([0, 0], [1, 1], 'chance', theme)];
      const c = xyChart(
        p.canvas,
        ds,
        { x: 'False positive rate', y: 'True positive rate', unit: true },
        theme,
      );
      charts.push(c);
      rendered.push({ id: 'roc', datasets: ds.length, points: pointsOf(c) });
    });
  }
  if (s.pr.length) {
    const p = plot('Precision-recall curve: precision against recall');
    parts.push(
      section(
        'Precision–recall curve',
        'pr',
        p.wrap,
        aucList(
          s.pr.map((c) => [c.label, c.area]),
          'AP',
        ),
      ),
    );
    curveCharts.push(() => {
      const sets = [{ prefix: s.baseline ? s.run.name : '', curves: s.pr, dashed: false }];
      if (s.baseline?.pr.length) sets.push({ prefix: s.baseline.name, curves: s.baseline.pr, dashed: true });
      const ds = curveDatasets(sets, theme, 'AP');
      const c = xyChart(p.canvas, ds, { x: 'Recall', y: 'Precision', unit: true }, theme);
      charts.push(c);
      rendered.push({ id: 'pr', datasets: ds.length, points: pointsOf(c) });
    });
  }
  if (s.calibration && s.calibration.probPred.length) {
    const cal = s.calibration;
    const p = plot('Calibration curve: observed frequency against mean predicted probability');
    parts.push(section('Calibration', 'calibration', p.wrap));
    curveCharts.push(() => {
      const color = classColor(0, theme);
      const ds = [
        {
          label: 'model',
          data: cal.probPred.map((x, i) => ({ x, y: cal.probTrue[i] })),
          showLine: true,
          borderColor: color,
          backgroundColor: color,
          borderWidth: 2,
          pointRadius: 3,
        },
        referenceLine([0, 0], [1, 1], 'perfectly calibrated', theme),
      ];
      const c = xyChart(
        p.canvas,
        ds,
        { x: 'Mean predicted probability', y: 'Fraction of positives', unit: true },
        theme,
      );
      charts.push(c);
      rendered.push({ id: 'calibration', datasets: ds.length, points: pointsOf(c) });
    });
  }
  if (s.regression) {
    const reg = s.regression;
    const sp = plot('Predicted against actual values');
    const rp = plot('Histogram of residuals (actual minus predicted)');
    parts.push(section('Predicted vs actual', 'scatter', sp.wrap));
    parts.push(section(`Residuals (mean ${formatNumber(reg.residuals.mean)})`, 'residuals', rp.wrap));
    curveCharts.push(() => {
      const xs = reg.scatter.actual;
      const lo = Math.min(...xs, ...reg.scatter.predicted);
      const hi = Math.max(...xs, ...reg.scatter.predicted);
      const color = classColor(0, theme);
      const ds = [
        {
          label: 'rows',
          data: xs.map((x, i) => ({ x, y: reg.scatter.predicted[i] })),
          borderColor: withAlpha(color, 0.55),
          backgroundColor: withAlpha(color, 0.35),
          pointRadius: 2,
        },
        referenceLine([lo, lo], [hi, hi], 'predicted = actual', theme),
      ];
      const c = xyChart(sp.canvas, ds, { x: 'Actual', y: 'Predicted' }, theme);
      charts.push(c);
      rendered.push({ id: 'scatter', datasets: ds.length, points: pointsOf(c) });
      const edges = reg.residuals.edges;
      const h = new Chart(rp.canvas, {
        type: 'bar',
        data: {
          labels: reg.residuals.counts.map((_, i) => formatNumber((edges[i] + edges[i + 1]) / 2)),
          datasets: [
            {
              label: 'rows',
              data: reg.residuals.counts,
              backgroundColor: color,
              barPercentage: 1,
              categoryPercentage: 1,
            },
          ],
        },
        plugins: [backgroundPlugin(() => theme)],
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          font: { family: theme.fontFamily, size: theme.fontSize - 1 },
          color: theme.foreground,
          plugins: { legend: { display: false } },
          scales: {
            x: {
              grid: { display: false },
              border: { color: theme.grid },
              ticks: { color: theme.muted, maxRotation: 0, autoSkipPadding: 12 },
              title: { display: true, text: 'Residual', color: theme.foreground },
            },
            y: {
              grid: { color: theme.grid },
              border: { color: theme.grid },
              ticks: { color: theme.muted },
              title: { display: true, text: 'Rows', color: theme.foreground },
            },
          },
        },
      });
      charts.push(h);
      rendered.push({ id: 'residuals', datasets: 1, points: reg.residuals.counts.length });
    });
  }
  if (s.slices) parts.push(slicesSection(s.slices));
  content.replaceChildren(el('div', { class: 'grid' }, ...parts));
  for (const draw of curveCharts) draw();
  post({ type: 'rendered', cards: s.cards.length, charts: rendered, normalized: state.normalized });
}

function aucList(items: [string, number | null][], name: string): HTMLElement | null {
  if (items.length < 2) return null;
  return el(
    'p',
    { class: 'muted small' },
    items.map(([l, a]) => `${l}: ${name} ${a === null ? '–' : formatNumber(a)}`).join(' · '),
  );
}

function confusionSection(
  cm: NonNullable<EvaluationSnapshot['confusion']>,
  rendered: RenderedEvalChart[],
): HTMLElement {
  const toggle = el('button', {
    type: 'button',
    class: 'toggle',
    'aria-pressed': String(state.normalized),
    text: state.normalized ? 'Normalised by true label' : 'Counts',
    title: 'Show counts or each row as a share of its true label (Enter or Space toggles)',
  });
  toggle.addEventListener('click', () => {
    state.normalized = !state.normalized;
    save();
    render();
    document.querySelector<HTMLButtonElement>('button.toggle')?.focus();
  });
  const rowSums = cm.matrix.map((r) => r.reduce((a, b) => a + b, 0));
  const shown = cm.matrix.map((r, i) =>
    r.map((v) => (state.normalized ? (rowSums[i] ? v / rowSums[i] : 0) : v)),
  );
  const max = Math.max(1e-12, ...shown.flat());
  const table = el(
    'table',
    { class: 'confusion', 'aria-label': 'Confusion matrix: rows are true labels, columns predicted labels' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col', class: 'corner', text: 'true ↓ / predicted →' }),
        ...cm.labels.map((l) => el('th', { scope: 'col', text: l })),
      ),
    ),
    el(
      'tbody',
      {},
      ...shown.map((r, i) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row', text: cm.labels[i] }),
          ...r.map((v, j) => {
            const share = v / max;
            const td = el('td', {
              class: `cell${i === j ? ' diagonal' : ''}${share > 0.55 ? ' strong' : ''}`,
              text: state.normalized ? `${(v * 100).toFixed(1)}%` : String(v),
              title: `true ${cm.labels[i]}, predicted ${cm.labels[j]}: ${cm.matrix[i][j]} rows`,
            });
            td.style.backgroundColor = heat(share);
            return td;
          }),
        ),
      ),
    ),
  );
  rendered.push({ id: 'confusion', datasets: 1, points: cm.labels.length ** 2 });
  return section(
    'Confusion matrix',
    'confusion',
    el('div', { class: 'toolbar' }, el('span', { class: 'muted', text: 'Show:' }), toggle),
    el('div', { class: 'table-wrap' }, table),
  );
}

/** The heat of a cell: the theme's accent at an opacity by its share of the largest cell. */
function heat(share: number): string {
  if (share <= 0) return 'transparent';
  const dark = theme.background.startsWith('#') && parseInt(theme.background.slice(1, 3), 16) < 0x80;
  const [r, g, b] = dark ? [55, 148, 255] : [0, 95, 184];
  return `rgba(${r}, ${g}, ${b}, ${(0.08 + 0.87 * share).toFixed(3)})`;
}

/** The slice table's columns after the slice metric, when the slices have them. */
const SLICE_COLUMNS = [
  'eval/balanced_accuracy',
  'eval/f1_macro',
  'eval/roc_auc',
  'eval/average_precision',
  'eval/log_loss',
  'eval/mae',
  'eval/r2',
  'eval/mape',
];

function slicesSection(sl: NonNullable<EvaluationSnapshot['slices']>): HTMLElement {
  const present = Object.keys(sl.rows[0]?.metrics ?? {});
  const keys = [sl.metric, ...SLICE_COLUMNS.filter((k) => k !== sl.metric && present.includes(k))];
  const table = el(
    'table',
    {
      class: 'slices',
      'aria-label': `Slices by ${sl.column}, worst ${sl.metric.replace(/^eval\//, '')} first`,
    },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col', text: sl.column }),
        el('th', { scope: 'col', class: 'num', text: 'rows' }),
        ...keys.map((k) => el('th', { scope: 'col', class: 'num', text: k.replace(/^eval\//, '') })),
      ),
    ),
    el(
      'tbody',
      {},
      ...sl.rows.map((r, i) =>
        el(
          'tr',
          { class: i === 0 ? 'worst' : '' },
          el('th', { scope: 'row', text: r.value }),
          el('td', { class: 'num', text: r.n.toLocaleString('en-US') }),
          ...keys.map((k) => {
            const v = r.metrics[k];
            return el('td', { class: 'num', text: v === null || v === undefined ? '–' : formatNumber(v) });
          }),
        ),
      ),
    ),
  );
  return section(
    `Slices by ${sl.column} (worst ${sl.metric.replace(/^eval\//, '')} first)`,
    'slices',
    el('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Slice table' }, table),
  );
}

post({ type: 'ready' });
