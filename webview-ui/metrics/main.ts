import './style.css';
import {
  Chart,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  Title,
} from 'chart.js';
import type { ChartDataset, Plugin } from 'chart.js';
import zoomPlugin from 'chartjs-plugin-zoom';
import { smooth } from '../../src/core/charts/downsample';
import { assertNever, messageType } from '../../src/protocol/common';
import type { NonFiniteCode, RunInfo } from '../../src/protocol/common';
import type {
  ChartData,
  MetricsFromWebview,
  MetricsSnapshot,
  MetricsToWebview,
  MetricsViewState,
  RenderedChart,
  SeriesData,
  XAxis,
  ZoomRange,
} from '../../src/protocol/metrics';
import { el, formatDuration, formatNumber, formatTick, plural } from '../shared/dom';
import { backgroundPlugin, onThemeChange, readTheme, themedColor } from '../shared/theme';
import type { ThemeColors } from '../shared/theme';
import { vscodeApi } from '../shared/vscodeApi';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Title, zoomPlugin);

const vscode = vscodeApi<MetricsViewState, MetricsFromWebview>();
const post = (m: MetricsFromWebview) => vscode.postMessage(m);

const X_LABELS: Record<XAxis, string> = { step: 'step', wall: 'wall time', relative: 'relative time' };

interface Point {
  x: number;
  y: number | null;
}

/** One line: its points on the current axis and the codes of its non-finite values. */
interface Line {
  run: RunInfo;
  points: Point[];
  raw: (number | null)[];
  flags: Map<number, NonFiniteCode>;
}

interface ChartView {
  key: string;
  card: HTMLElement;
  canvas: HTMLCanvasElement;
  chart: Chart<'line', Point[]>;
  footer: HTMLElement;
  logButton: HTMLButtonElement;
  data: ChartData;
  /** Series fetched for the zoomed range; undefined when not zoomed. */
  zoomed: { range: ZoomRange; series: SeriesData[] } | undefined;
  lines: Line[];
  pendingZoom: number;
  zoomTimer: number | undefined;
  hoverX: number | undefined;
}

const saved = vscode.getState();
const state: MetricsViewState = {
  refs: saved?.refs ?? [],
  xAxis: saved?.xAxis ?? 'step',
  smoothing: saved?.smoothing ?? 0.6,
  logKeys: saved?.logKeys ?? [],
  hidden: saved?.hidden ?? [],
};
let snapshot: MetricsSnapshot | undefined;
let theme: ThemeColors = readTheme();
let requestSeq = 0;
let lastWidth = 0;
const views = new Map<string, ChartView>();

// ---- layout ---------------------------------------------------------------------------------

const runsButton = el(
  'button',
  { type: 'button', 'aria-haspopup': 'true', 'aria-expanded': 'false' },
  'Runs…',
);
const pickerPanel = el('div', { class: 'panel', hidden: true, role: 'dialog', 'aria-label': 'Choose runs' });
const xSelect = el(
  'select',
  { id: 'x-axis' },
  ...(['step', 'wall', 'relative'] as XAxis[]).map((a) => el('option', { value: a, text: X_LABELS[a] })),
);
const smoothingInput = el('input', {
  id: 'smoothing',
  type: 'range',
  min: 0,
  max: 0.99,
  step: 0.01,
  'aria-describedby': 'smoothing-value',
});
const smoothingValue = el('output', { id: 'smoothing-value', for: 'smoothing' });
const legendFilter = el('input', {
  type: 'search',
  placeholder: 'Filter runs',
  'aria-label': 'Filter the legend',
});
const showAll = el('button', { type: 'button', text: 'Show all' });
const hideAll = el('button', { type: 'button', text: 'Hide all' });
const legend = el('ul', { class: 'legend', 'aria-label': 'Runs shown (press to hide or show a run)' });
const notices = el('div', { class: 'notices', role: 'status' });
const grid = el('div', { class: 'charts' });
const empty = el('p', { class: 'empty muted', hidden: true });
const tooltip = el('div', { class: 'tooltip', hidden: true, role: 'tooltip' });

document.body.append(
  el(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Chart options' },
    el('span', { class: 'picker' }, runsButton, pickerPanel),
    el('label', { for: 'x-axis' }, 'X axis', xSelect),
    el('label', { for: 'smoothing' }, 'Smoothing', smoothingInput, smoothingValue),
    el('span', {}, legendFilter),
    showAll,
    hideAll,
  ),
  notices,
  legend,
  empty,
  grid,
  tooltip,
);

xSelect.value = state.xAxis;
smoothingInput.value = String(state.smoothing);
smoothingValue.textContent = state.smoothing.toFixed(2);

xSelect.addEventListener('change', () => {
  state.xAxis = xSelect.value as XAxis;
  for (const v of views.values()) {
    v.zoomed = undefined;
    v.chart.resetZoom('none');
  }
  saveState();
  renderAll();
});
smoothingInput.addEventListener('input', () => {
  state.smoothing = Number(smoothingInput.value);
  smoothingValue.textContent = state.smoothing.toFixed(2);
  saveState();
  for (const v of views.values()) refreshDatasets(v);
});
legendFilter.addEventListener('input', () => renderLegend());
showAll.addEventListener('click', () => setHidden([]));
hideAll.addEventListener('click', () => setHidden(snapshot?.runs.map((r) => r.ref) ?? []));
runsButton.addEventListener('click', () => togglePicker());

function saveState(): void {
  vscode.setState(state);
}

function setHidden(refs: string[]): void {
  state.hidden = refs;
  saveState();
  renderLegend();
  for (const v of views.values()) refreshDatasets(v);
}

// ---- messages -------------------------------------------------------------------------------

window.addEventListener('message', (event: MessageEvent) => {
  const type = messageType(event.data);
  const known: MetricsToWebview['type'][] = ['snapshot', 'zoomData', 'notice'];
  if (!type || !known.includes(type as MetricsToWebview['type'])) {
    console.warn('runlens metrics: ignored a message of unknown type', type ?? event.data);
    return;
  }
  const m = event.data as MetricsToWebview;
  switch (m.type) {
    case 'snapshot':
      applySnapshot(m.snapshot);
      break;
    case 'zoomData': {
      const v = views.get(m.key);
      if (!v || m.requestId !== v.pendingZoom) return;
      v.zoomed = { range: m.range, series: m.series };
      refreshDatasets(v);
      break;
    }
    case 'notice':
      showNotices([m.text]);
      break;
    default:
      assertNever(m, 'message');
  }
});

function showNotices(texts: string[]): void {
  notices.replaceChildren(...texts.map((t) => el('div', { text: t })));
}

function applySnapshot(s: MetricsSnapshot): void {
  snapshot = s;
  state.refs = s.runs.map((r) => r.ref);
  state.hidden = state.hidden.filter((h) => state.refs.includes(h));
  saveState();
  showNotices(s.notices);
  renderPicker();
  renderLegend();
  renderAll();
}

// ---- run picker and legend ------------------------------------------------------------------

function togglePicker(open = pickerPanel.hidden): void {
  pickerPanel.hidden = !open;
  runsButton.setAttribute('aria-expanded', String(open));
  if (open) pickerPanel.querySelector('input')?.focus();
}

function renderPicker(): void {
  const s = snapshot;
  if (!s) return;
  runsButton.textContent = `Runs (${s.runs.length} of ${s.available.length})…`;
  const filter = el('input', { type: 'search', placeholder: 'Filter', 'aria-label': 'Filter runs to pick' });
  const list = el('ul', { 'aria-label': 'Runs' });
  const shown = new Set(s.runs.map((r) => r.ref));
  const boxes = s.available.map((r) => {
    const box = el('input', { type: 'checkbox', checked: shown.has(r.ref), value: r.ref });
    const sw = el('span', { class: 'swatch' });
    sw.style.background = themedColor(r.color, theme);
    const item = el(
      'li',
      {},
      el(
        'label',
        {},
        box,
        sw,
        `${r.name}`,
        el('span', { class: 'muted', text: `${r.experiment} · ${r.status}` }),
      ),
    );
    return { r, box, item };
  });
  list.append(...boxes.map((b) => b.item));
  filter.addEventListener('input', () => {
    const q = filter.value.toLowerCase();
    for (const b of boxes)
      b.item.hidden = !!q && !`${b.r.name} ${b.r.experiment} ${b.r.id}`.toLowerCase().includes(q);
  });
  const apply = el('button', { type: 'button', text: 'Show selected runs' });
  apply.addEventListener('click', () => {
    post({ type: 'selectRuns', refs: boxes.filter((b) => b.box.checked).map((b) => b.r.ref) });
    togglePicker(false);
    runsButton.focus();
  });
  const cancel = el('button', { type: 'button', text: 'Cancel' });
  cancel.addEventListener('click', () => {
    togglePicker(false);
    runsButton.focus();
  });
  pickerPanel.replaceChildren(filter, list, el('div', { class: 'toolbar' }, apply, cancel));
  pickerPanel.onkeydown = (e) => {
    if (e.key === 'Escape') cancel.click();
  };
}

function renderLegend(): void {
  const runs = snapshot?.runs ?? [];
  const q = legendFilter.value.toLowerCase();
  legend.replaceChildren(
    ...runs
      .filter((r) => !q || r.label.toLowerCase().includes(q))
      .map((r) => {
        const visible = !state.hidden.includes(r.ref);
        const sw = el('span', { class: 'swatch' });
        sw.style.background = themedColor(r.color, theme);
        const b = el(
          'button',
          {
            type: 'button',
            'aria-pressed': String(visible),
            title: `${r.label}\n${r.experiment} · ${r.status} · ${r.id}`,
          },
          sw,
          el('span', { class: 'text', text: r.label }),
        );
        b.addEventListener('click', () =>
          setHidden(visible ? [...state.hidden, r.ref] : state.hidden.filter((h) => h !== r.ref)),
        );
        return el('li', {}, b);
      }),
  );
}

// ---- charts ---------------------------------------------------------------------------------

function renderAll(): void {
  const s = snapshot;
  if (!s) return;
  const keys = new Set(s.charts.map((c) => c.key));
  for (const [key, v] of views) {
    if (keys.has(key)) continue;
    v.chart.destroy();
    v.card.remove();
    views.delete(key);
  }
  empty.hidden = s.charts.length > 0;
  const ended = s.runs.length > 0 && s.runs.every((r) => !['running', 'queued'].includes(r.status));
  empty.textContent = ended
    ? `${s.runs.length === 1 ? 'The run shown' : `The ${s.runs.length} runs shown`} logged no metric and ${s.runs.length === 1 ? 'has' : 'have'} ended (${[...new Set(s.runs.map((r) => r.status))].join(', ')}): there is nothing to chart.`
    : s.runs.length
      ? 'None of the runs shown has logged a metric yet. Charts appear as soon as points arrive.'
      : 'No runs shown. Select runs in the Runlens explorer and choose Open Metrics Chart, or press Runs… above.';
  for (const data of s.charts) {
    let v = views.get(data.key);
    if (!v) {
      v = createView(data);
      views.set(data.key, v);
    }
    grid.append(v.card);
    v.data = data;
  }
  paintProgressively([...views.values()]);
}

let paintGeneration = 0;

/**
 * Fill the charts one per frame, those in view first: the first chart shows after one chart's
 * work instead of all of them, and input is never blocked for long. A newer snapshot cancels the
 * rest of an older pass. Posts `painted` after each chart and `rendered` after the last.
 */
function paintProgressively(pending: ChartView[]): void {
  const generation = ++paintGeneration;
  const height = window.innerHeight;
  const inView = (v: ChartView) => {
    const r = v.card.getBoundingClientRect();
    return r.bottom > 0 && r.top < height;
  };
  const order = [...pending.filter(inView), ...pending.filter((v) => !inView(v))];
  const total = order.length;
  const next = () => {
    if (generation !== paintGeneration) return;
    const v = order.shift();
    if (!v) {
      const shown = [...views.values()];
      post({
        type: 'rendered',
        charts: shown.map(describe),
        series: shown.reduce((n, w) => n + w.data.series.length, 0),
        points: shown.reduce((n, w) => n + w.data.series.reduce((m, d) => m + d.steps.length, 0), 0),
      });
      checkWidth();
      return;
    }
    refreshDatasets(v);
    // After the frame that shows it: the next chart's work starts once this one is on screen.
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (generation !== paintGeneration) return;
        post({ type: 'painted', key: v.key, index: total - order.length - 1, of: total });
        next();
      }, 0),
    );
  };
  if (total === 0) requestAnimationFrame(next);
  else next();
}

function describe(v: ChartView): RenderedChart {
  const scales = v.chart.options.scales as Record<'x' | 'y', { title: { text: string } }>;
  return {
    key: v.key,
    xTitle: scales.x.title.text,
    yTitle: scales.y.title.text,
    xTicks: v.chart.scales.x.ticks.map((t) => String(t.label)),
    lines: v.lines.length,
    zoomed: v.zoomed !== undefined,
  };
}

function xOf(d: SeriesData, i: number): number {
  switch (state.xAxis) {
    case 'step':
      return d.steps[i];
    case 'wall':
      return d.times[i];
    case 'relative':
      return (d.times[i] - d.t0) / 1000;
    default:
      return assertNever(state.xAxis, 'x axis');
  }
}

function buildLines(v: ChartView): Line[] {
  const runs = new Map((snapshot?.runs ?? []).map((r) => [r.ref, r]));
  const source = v.zoomed?.series ?? v.data.series;
  const lines: Line[] = [];
  for (const d of source) {
    const run = runs.get(d.ref);
    if (!run) continue;
    const points: Point[] = new Array(d.steps.length);
    for (let i = 0; i < d.steps.length; i++) points[i] = { x: xOf(d, i), y: d.values[i] };
    lines.push({ run, points, raw: d.values, flags: new Map(d.nonFinite) });
  }
  return lines;
}

/** Update the chart's datasets in place (no new Chart): live points, smoothing, zoom data. */
function refreshDatasets(v: ChartView): void {
  v.lines = buildLines(v);
  const weight = state.smoothing;
  // One device pixel wide lines are drawn by the rasteriser's hairline path, 20-30x faster than
  // wider strokes: with many runs overlaid they are also the more legible choice.
  const hairline = 1 / (window.devicePixelRatio || 1);
  const mainWidth = v.lines.length > MANY_LINES ? hairline : 1.5;
  const datasets = v.chart.data.datasets;
  const wanted: ChartDataset<'line', Point[]>[] = [];
  const byLabel = new Map(datasets.map((d) => [d.label, d]));
  let rawMin = Infinity;
  let rawMax = -Infinity;
  const log = state.logKeys.includes(v.key);
  for (const line of v.lines) {
    const hidden = state.hidden.includes(line.run.ref);
    const color = themedColor(line.run.color, theme);
    const main = byLabel.get(line.run.ref) ?? newDataset(line.run.ref, color);
    main.borderColor = color;
    main.borderWidth = mainWidth;
    // Short series: every point drawn, and not smoothed (a 0.6 average hides ten real values).
    let n = 0;
    for (const y of line.raw) if (y !== null) n++;
    main.pointRadius = n <= 1 ? 4 : n <= SHORT_SERIES ? 2.5 : 0;
    if (weight > 0 && n > SHORT_SERIES) {
      const ys = smooth(
        line.raw.map((y) => (y === null ? NaN : y)),
        weight,
      );
      main.data = line.points.map((p, i) => ({ x: p.x, y: Number.isFinite(ys[i]) ? ys[i] : null }));
      // The faint raw lines are drawn by the rawLines plugin: the y axis must still reach them.
      if (!hidden)
        for (const y of line.raw)
          if (y !== null && (!log || y > 0)) {
            if (y < rawMin) rawMin = y;
            if (y > rawMax) rawMax = y;
          }
    } else {
      main.data = line.points;
    }
    main.hidden = hidden;
    // Without gaps the line needs no segmenting: chart.js then draws one stroke per pixel column.
    main.spanGaps = line.flags.size === 0;
    wanted.push(main);
  }
  v.chart.data.datasets = wanted;
  v.logButton.setAttribute('aria-pressed', String(log));
  const y = v.chart.options.scales!.y!;
  y.type = log ? 'logarithmic' : 'linear';
  y.suggestedMin = Number.isFinite(rawMin) ? rawMin : undefined;
  y.suggestedMax = Number.isFinite(rawMax) ? rawMax : undefined;
  const x = v.chart.options.scales!.x!;
  (x as { title: { text: string } }).title.text = X_LABELS[state.xAxis];
  v.chart.update('none');
  const missing = v.data.missing
    .map((ref) => snapshot?.runs.find((r) => r.ref === ref)?.name ?? ref)
    .slice(0, 8);
  const reduced = v.data.series.filter((s) => s.total > s.steps.length).length;
  v.footer.textContent = [
    missing.length
      ? `No "${v.key}" in: ${missing.join(', ')}${v.data.missing.length > 8 ? ` and ${v.data.missing.length - 8} more` : ''}.`
      : '',
    reduced && !v.zoomed
      ? `${reduced} long series reduced to about ${snapshot?.points ?? ''} points (zoom in for full resolution).`
      : '',
    v.zoomed ? 'Zoomed: full resolution in this range.' : '',
  ]
    .filter(Boolean)
    .join(' ');
  v.canvas.setAttribute(
    'aria-label',
    `${v.key} against ${X_LABELS[state.xAxis]}, ${plural(v.lines.length, 'run')}${log ? ', log scale' : ''}. Arrow keys pan, + and - zoom, 0 resets.`,
  );
}

/** Series of at most this many points are drawn with their points and without smoothing. */
const SHORT_SERIES = 30;

/** Above this many runs in a chart its lines are drawn one device pixel wide. */
const MANY_LINES = 20;

function newDataset(label: string, color: string): ChartDataset<'line', Point[]> {
  return {
    label,
    data: [],
    borderColor: color,
    backgroundColor: color,
    borderWidth: 1.5,
    pointRadius: 0,
    pointHoverRadius: 0,
    spanGaps: false,
    tension: 0,
    parsing: false,
    normalized: true,
  } as ChartDataset<'line', Point[]>;
}

/**
 * The raw lines under the smoothed ones, faint and one device pixel wide, stroked straight onto
 * the canvas: as chart.js datasets they would double the per-point work of every update.
 */
function rawLines(v: () => ChartView | undefined): Plugin<'line'> {
  return {
    id: 'runlensRawLines',
    beforeDatasetsDraw(chart) {
      const view = v();
      if (!view || state.smoothing === 0) return;
      const { ctx, chartArea: area } = chart;
      const xs = chart.scales.x;
      const ys = chart.scales.y;
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      ctx.lineWidth = 1 / (window.devicePixelRatio || 1);
      for (const line of view.lines) {
        if (state.hidden.includes(line.run.ref)) continue;
        ctx.strokeStyle = fade(themedColor(line.run.color, theme));
        ctx.beginPath();
        let pen = false;
        for (const p of line.points) {
          if (p.y === null || (ys.type === 'logarithmic' && p.y <= 0)) {
            pen = false;
            continue;
          }
          const px = xs.getPixelForValue(p.x);
          const py = ys.getPixelForValue(p.y);
          if (pen) ctx.lineTo(px, py);
          else ctx.moveTo(px, py);
          pen = true;
        }
        ctx.stroke();
      }
      ctx.restore();
    },
  };
}

function fade(color: string): string {
  return color.startsWith('hsl(') ? color.replace('hsl(', 'hsla(').replace(')', ', 0.25)') : color;
}

function formatX(value: number): string {
  switch (state.xAxis) {
    case 'step':
      return formatNumber(value);
    case 'wall': {
      const d = new Date(value);
      return `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })}`;
    }
    case 'relative':
      return formatDuration(value * 1000);
    default:
      return assertNever(state.xAxis, 'x axis');
  }
}

const background = backgroundPlugin<'line'>(() => theme);

/** A vertical line at the hovered x. */
function crosshair(v: () => ChartView | undefined): Plugin<'line'> {
  return {
    id: 'runlensCrosshair',
    afterDatasetsDraw(chart) {
      const view = v();
      if (!view || view.hoverX === undefined) return;
      const px = chart.scales.x.getPixelForValue(view.hoverX);
      const { top, bottom } = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = theme.muted;
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px, bottom);
      ctx.stroke();
      ctx.restore();
    },
  };
}

function createView(data: ChartData): ChartView {
  const canvas = el('canvas', { tabindex: 0, role: 'img' });
  const logButton = el('button', {
    type: 'button',
    text: 'Log',
    title: 'Logarithmic y axis',
    'aria-pressed': 'false',
  });
  const buttons = [
    logButton,
    el('button', { type: 'button', text: 'Reset zoom', title: 'Show the whole series (0)' }),
    el('button', { type: 'button', text: 'PNG', title: `Save ${data.key} as a PNG image` }),
    el('button', { type: 'button', text: 'CSV', title: `Save every point of ${data.key} as CSV` }),
  ];
  const footer = el('footer', { class: 'muted' });
  const card = el(
    'section',
    { class: 'card', 'aria-label': data.key },
    el('header', {}, el('h2', { text: data.key, title: data.key }), ...buttons),
    el('div', { class: 'plot' }, canvas),
    footer,
  );
  // In the document before the chart is made: a detached canvas has no size and would be drawn twice.
  grid.append(card);
  // The chart's callbacks need the view, which needs the chart: they meet through this holder.
  const holder: { view?: ChartView } = {};
  const chart = new Chart<'line', Point[]>(canvas, {
    type: 'line',
    data: { datasets: [] },
    plugins: [background, rawLines(() => holder.view), crosshair(() => holder.view)],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      events: ['mousemove', 'mouseout', 'click', 'touchstart', 'touchmove'],
      interaction: { mode: 'nearest', intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: { enabled: false },
        title: { display: false, text: data.key },
        zoom: {
          zoom: {
            wheel: { enabled: true },
            drag: { enabled: true, threshold: 5 },
            mode: 'x',
            onZoomComplete: () => holder.view && scheduleZoomFetch(holder.view),
          },
          pan: {
            enabled: true,
            mode: 'x',
            modifierKey: 'shift',
            onPanComplete: () => holder.view && scheduleZoomFetch(holder.view),
          },
        },
      },
      scales: {
        x: {
          type: 'linear',
          title: { display: true, text: X_LABELS[state.xAxis] },
          ticks: { maxRotation: 0, autoSkipPadding: 16, callback: (v) => formatX(Number(v)) },
        },
        y: {
          type: 'linear',
          title: { display: true, text: data.key },
          ticks: { callback: (v) => formatTick(Number(v)) },
        },
      },
    },
  });
  const v: ChartView = {
    key: data.key,
    card,
    canvas,
    chart,
    footer,
    logButton,
    data,
    zoomed: undefined,
    lines: [],
    pendingZoom: 0,
    zoomTimer: undefined,
    hoverX: undefined,
  };
  holder.view = v;
  applyTheme(v);
  logButton.addEventListener('click', () => {
    state.logKeys = state.logKeys.includes(v.key)
      ? state.logKeys.filter((k) => k !== v.key)
      : [...state.logKeys, v.key];
    saveState();
    refreshDatasets(v);
  });
  buttons[1].addEventListener('click', () => resetZoom(v));
  buttons[2].addEventListener('click', () => exportPng(v));
  buttons[3].addEventListener('click', () => post({ type: 'exportCsv', key: v.key }));
  canvas.addEventListener('mousemove', (e) => hover(v, e));
  canvas.addEventListener('mouseleave', () => unhover(v));
  canvas.addEventListener('blur', () => unhover(v));
  canvas.addEventListener('keydown', (e) => keyboard(v, e));
  return v;
}

function applyTheme(v: ChartView): void {
  const o = v.chart.options;
  o.font = { family: theme.fontFamily, size: theme.fontSize - 1 };
  o.color = theme.foreground;
  for (const axis of ['x', 'y'] as const) {
    const s = o.scales![axis]! as {
      grid: { color: string };
      border: { color: string };
      ticks: { color: string };
      title: { color: string };
    };
    s.grid.color = theme.grid;
    s.border.color = theme.grid;
    s.ticks.color = theme.muted;
    s.title.color = theme.foreground;
  }
  o.plugins!.title!.color = theme.foreground;
  o.plugins!.zoom!.zoom!.drag!.backgroundColor = 'rgba(128,128,128,0.2)';
}

onThemeChange(() => {
  theme = readTheme();
  for (const v of views.values()) {
    applyTheme(v);
    refreshDatasets(v);
  }
  renderLegend();
  renderPicker();
});

// ---- zoom -------------------------------------------------------------------------------------

function scheduleZoomFetch(v: ChartView): void {
  window.clearTimeout(v.zoomTimer);
  v.zoomTimer = window.setTimeout(() => {
    const x = v.chart.scales.x;
    if (!v.chart.isZoomedOrPanned()) return resetZoom(v);
    const factor = state.xAxis === 'relative' ? 1000 : 1;
    v.pendingZoom = ++requestSeq;
    post({
      type: 'zoom',
      requestId: v.pendingZoom,
      key: v.key,
      range: { axis: state.xAxis, min: x.min * factor, max: x.max * factor },
    });
  }, 120);
}

function resetZoom(v: ChartView): void {
  v.pendingZoom = ++requestSeq;
  v.zoomed = undefined;
  v.chart.resetZoom('none');
  refreshDatasets(v);
}

function keyboard(v: ChartView, e: KeyboardEvent): void {
  const actions: Record<string, () => void> = {
    ArrowLeft: () => v.chart.pan({ x: v.canvas.clientWidth / 10 }, undefined, 'none'),
    ArrowRight: () => v.chart.pan({ x: -v.canvas.clientWidth / 10 }, undefined, 'none'),
    '+': () => v.chart.zoom(1.25, 'none'),
    '=': () => v.chart.zoom(1.25, 'none'),
    '-': () => v.chart.zoom(0.8, 'none'),
    '0': () => resetZoom(v),
  };
  const act = actions[e.key];
  if (!act) return;
  e.preventDefault();
  act();
  if (e.key !== '0') scheduleZoomFetch(v);
}

// ---- tooltip ----------------------------------------------------------------------------------

function nearestIndex(points: Point[], x: number): number {
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid].x < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(points[lo - 1].x - x) <= Math.abs(points[lo].x - x)) return lo - 1;
  return lo;
}

function hover(v: ChartView, e: MouseEvent): void {
  const area = v.chart.chartArea;
  if (e.offsetX < area.left || e.offsetX > area.right) return unhover(v);
  const x = v.chart.scales.x.getValueForPixel(e.offsetX);
  if (x === undefined) return unhover(v);
  const smoothed = new Map(v.chart.data.datasets.map((d) => [d.label, d.data]));
  const rows: { run: RunInfo; value: number | null; raw: number | null; flag?: NonFiniteCode; at: number }[] =
    [];
  for (const line of v.lines) {
    if (state.hidden.includes(line.run.ref) || !line.points.length) continue;
    const i = nearestIndex(line.points, x);
    rows.push({
      run: line.run,
      value: smoothed.get(line.run.ref)?.[i]?.y ?? null,
      raw: line.points[i].y,
      flag: line.flags.get(i),
      at: line.points[i].x,
    });
  }
  if (!rows.length) return unhover(v);
  const nearest = rows.reduce((a, b) => (Math.abs(b.at - x) < Math.abs(a.at - x) ? b : a)).at;
  const dir = v.data.goal === 'min' ? 1 : -1;
  rows.sort((a, b) => (a.value === null ? 1 : b.value === null ? -1 : dir * (a.value - b.value)));
  v.hoverX = nearest;
  v.chart.draw();
  const showRaw = state.smoothing > 0;
  const list = el('div', { class: 'rows' });
  // Many runs: several columns of at most 30 rows, so every run's value stays on screen.
  const columns = Math.ceil(rows.length / 30);
  list.style.gridTemplateColumns = `repeat(${columns}, minmax(0, auto))`;
  list.style.gridTemplateRows = `repeat(${Math.ceil(rows.length / columns)}, auto)`;
  tooltip.replaceChildren(
    el('div', {}, el('strong', { text: `${X_LABELS[state.xAxis]} ${formatX(nearest)}` })),
    list,
  );
  list.append(
    ...rows.map((r) => {
      const sw = el('span', { class: 'swatch' });
      sw.style.background = themedColor(r.run.color, theme);
      const value = r.flag
        ? el('span', { class: 'flag', text: `${r.flag} ⚠`, title: `the run logged ${r.flag} here` })
        : el('span', {
            text:
              r.value === null
                ? '–'
                : `${formatNumber(r.value)}${showRaw && r.raw !== null ? ` (${formatNumber(r.raw)})` : ''}`,
          });
      return el('div', { class: 'row' }, sw, el('span', { class: 'name', text: r.run.label }), value);
    }),
  );
  if (showRaw) tooltip.append(el('div', { class: 'muted', text: 'smoothed (raw)' }));
  tooltip.hidden = false;
  const box = tooltip.getBoundingClientRect();
  const left = e.clientX + 16 + box.width > window.innerWidth ? e.clientX - 16 - box.width : e.clientX + 16;
  tooltip.style.left = `${Math.max(0, left)}px`;
  tooltip.style.top = `${Math.max(0, Math.min(e.clientY + 12, window.innerHeight - box.height - 4))}px`;
}

function unhover(v: ChartView): void {
  tooltip.hidden = true;
  if (v.hoverX !== undefined) {
    v.hoverX = undefined;
    v.chart.draw();
  }
}

// ---- export and size --------------------------------------------------------------------------

function exportPng(v: ChartView): void {
  const title = v.chart.options.plugins!.title!;
  title.display = true;
  v.chart.update('none');
  const dataUrl = v.canvas.toDataURL('image/png');
  title.display = false;
  v.chart.update('none');
  post({ type: 'exportPng', key: v.key, dataUrl });
}

function chartWidth(): number {
  const first = views.values().next().value as ChartView | undefined;
  if (first?.canvas.clientWidth) return Math.round(first.canvas.clientWidth);
  // Before the first chart exists: the width the grid's columns (420px minimum, 16px gaps) will get.
  const inner = Math.max(320, (grid.clientWidth || window.innerWidth - 32) + 16);
  const columns = Math.max(1, Math.floor(inner / (420 + 16)));
  return Math.round(inner / columns - 16 - 18);
}

/** Ask for data at a new point budget when charts became much wider (or narrower). */
function checkWidth(): void {
  const w = chartWidth();
  if (lastWidth && Math.abs(w - lastWidth) / lastWidth < 0.25) return;
  const first = lastWidth === 0;
  lastWidth = w;
  if (!first) post({ type: 'resize', width: w });
}

new ResizeObserver(() => checkWidth()).observe(grid);

lastWidth = chartWidth();
post({ type: 'ready', width: lastWidth });
