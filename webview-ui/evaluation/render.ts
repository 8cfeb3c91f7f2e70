import { Chart } from 'chart.js';
import type { EvaluationSnapshot, MetricCard, RenderedEvalChart } from '../../src/protocol/evaluation';
import { el, formatNumber } from '../shared/dom';
import { backgroundPlugin } from '../shared/theme';
import { classColor, curveDatasets, pointsOf, referenceLine, withAlpha, xyChart } from './charts';
import { page } from './page';
import { host, save, state, view } from './state';
import { confusionSection, section, slicesSection } from './tables';

const charts: Chart[] = [];

function destroyCharts(): void {
  for (const c of charts.splice(0)) c.destroy();
}

/** Sections of the grid and the function that draws their charts once they are in the page. */
interface Figure {
  sections: HTMLElement[];
  draw(rendered: RenderedEvalChart[]): void;
}

/** Draw the last snapshot and report what was drawn. */
export function render(): void {
  const s = view.snapshot;
  if (!s) return;
  destroyCharts();
  const rendered: RenderedEvalChart[] = [];
  renderHeader(s);
  page.notices.replaceChildren(...s.warnings.map((w) => el('div', { text: `⚠ ${w}` })));
  page.cards.replaceChildren(...s.cards.map(cardEl));
  const parts: HTMLElement[] = [];
  if (s.confusion) parts.push(confusionSection(s.confusion, rendered, toggleNormalized));
  const figures = [rocFigure(s), prFigure(s), calibrationFigure(s), regressionFigure(s)].filter(
    (f): f is Figure => f !== undefined,
  );
  for (const f of figures) parts.push(...f.sections);
  if (s.slices) parts.push(slicesSection(s.slices));
  page.content.replaceChildren(el('div', { class: 'grid' }, ...parts));
  for (const f of figures) f.draw(rendered);
  host.post({ type: 'rendered', cards: s.cards.length, charts: rendered, normalized: state.normalized });
}

/** The page without an evaluation: only the host's explanation. */
export function renderEmpty(text: string): void {
  view.snapshot = undefined;
  destroyCharts();
  page.header.replaceChildren();
  page.cards.replaceChildren();
  page.content.replaceChildren();
  page.notices.replaceChildren(el('div', { text }));
  host.post({ type: 'rendered', cards: 0, charts: [], normalized: state.normalized });
}

function toggleNormalized(): void {
  state.normalized = !state.normalized;
  save();
  render();
  document.querySelector<HTMLButtonElement>('button.toggle')?.focus();
}

function renderHeader(s: EvaluationSnapshot): void {
  page.header.replaceChildren(
    el('h1', { text: `Evaluation: ${s.run.name}` }),
    el(
      'p',
      { class: 'muted' },
      `${s.task} · ${s.n.toLocaleString('en-US')} rows · ${s.file}`,
      s.source ? ` · model ${s.source.model} · ${s.source.backend}` : '',
      s.baseline ? ` · baseline ${s.baseline.name} (dashed)` : '',
    ),
  );
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

function plot(label: string): { wrap: HTMLElement; canvas: HTMLCanvasElement } {
  const canvas = el('canvas', { role: 'img', 'aria-label': label });
  return { wrap: el('div', { class: 'plot' }, canvas), canvas };
}

function aucList(items: [string, number | null][], name: string): HTMLElement | null {
  if (items.length < 2) return null;
  return el(
    'p',
    { class: 'muted small' },
    items.map(([l, a]) => `${l}: ${name} ${a === null ? '–' : formatNumber(a)}`).join(' · '),
  );
}

/** Keep a drawn chart and report it. */
function keep(
  c: Chart,
  rendered: RenderedEvalChart[],
  id: string,
  datasets: number,
  points = pointsOf(c),
): void {
  charts.push(c);
  rendered.push({ id, datasets, points });
}

function rocFigure(s: EvaluationSnapshot): Figure | undefined {
  if (!s.roc.length) return undefined;
  const p = plot('ROC curve: true positive rate against false positive rate');
  const areas = aucList(
    s.roc.map((c) => [c.label, c.area]),
    'AUC',
  );
  return {
    sections: [section('ROC curve', 'roc', p.wrap, areas)],
    draw(rendered) {
      const theme = view.theme;
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
      keep(c, rendered, 'roc', ds.length);
    },
  };
}

function prFigure(s: EvaluationSnapshot): Figure | undefined {
  if (!s.pr.length) return undefined;
  const p = plot('Precision-recall curve: precision against recall');
  const areas = aucList(
    s.pr.map((c) => [c.label, c.area]),
    'AP',
  );
  return {
    sections: [section('Precision–recall curve', 'pr', p.wrap, areas)],
    draw(rendered) {
      const sets = [{ prefix: s.baseline ? s.run.name : '', curves: s.pr, dashed: false }];
      if (s.baseline?.pr.length) sets.push({ prefix: s.baseline.name, curves: s.baseline.pr, dashed: true });
      const ds = curveDatasets(sets, view.theme, 'AP');
      const c = xyChart(p.canvas, ds, { x: 'Recall', y: 'Precision', unit: true }, view.theme);
      keep(c, rendered, 'pr', ds.length);
    },
  };
}

function calibrationFigure(s: EvaluationSnapshot): Figure | undefined {
  const cal = s.calibration;
  if (!cal || !cal.probPred.length) return undefined;
  const p = plot('Calibration curve: observed frequency against mean predicted probability');
  return {
    sections: [section('Calibration', 'calibration', p.wrap)],
    draw(rendered) {
      const theme = view.theme;
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
      keep(c, rendered, 'calibration', ds.length);
    },
  };
}

type Regression = NonNullable<EvaluationSnapshot['regression']>;

function regressionFigure(s: EvaluationSnapshot): Figure | undefined {
  const reg = s.regression;
  if (!reg) return undefined;
  const sp = plot('Predicted against actual values');
  const rp = plot('Histogram of residuals (actual minus predicted)');
  return {
    sections: [
      section('Predicted vs actual', 'scatter', sp.wrap),
      section(`Residuals (mean ${formatNumber(reg.residuals.mean)})`, 'residuals', rp.wrap),
    ],
    draw(rendered) {
      const c = scatterChart(sp.canvas, reg);
      keep(c, rendered, 'scatter', c.data.datasets.length);
      keep(residualChart(rp.canvas, reg), rendered, 'residuals', 1, reg.residuals.counts.length);
    },
  };
}

/** Predicted against actual, with the line where they are equal. */
function scatterChart(canvas: HTMLCanvasElement, reg: Regression): Chart {
  const theme = view.theme;
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
  return xyChart(canvas, ds, { x: 'Actual', y: 'Predicted' }, theme);
}

/** The residuals' histogram as bars labelled by their bin's middle. */
function residualChart(canvas: HTMLCanvasElement, reg: Regression): Chart {
  const theme = view.theme;
  const edges = reg.residuals.edges;
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels: reg.residuals.counts.map((_, i) => formatNumber((edges[i] + edges[i + 1]) / 2)),
      datasets: [
        {
          label: 'rows',
          data: reg.residuals.counts,
          backgroundColor: classColor(0, theme),
          barPercentage: 1,
          categoryPercentage: 1,
        },
      ],
    },
    plugins: [backgroundPlugin(() => view.theme)],
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
}
