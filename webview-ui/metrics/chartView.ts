import {
  Chart,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  Title,
} from 'chart.js';
import type { ChartOptions, Plugin } from 'chart.js';
import zoomPlugin from 'chartjs-plugin-zoom';
import type { ChartData } from '../../src/protocol/metrics';
import { el, formatTick } from '../shared/dom';
import { backgroundPlugin, themedColor } from '../shared/theme';
import { X_LABELS, formatX } from './format';
import { refreshDatasets } from './lines';
import { host, saveState, state, view } from './state';
import type { ChartView, Point } from './state';
import { renderTable } from './table';
import { hover, unhover } from './tooltip';
import { keyboard, resetZoom, scheduleZoomFetch } from './zoom';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Title, zoomPlugin);

/**
 * The raw lines under the smoothed ones, faint and one device pixel wide, stroked straight onto
 * the canvas: as chart.js datasets they would double the per-point work of every update.
 */
function rawLines(v: () => ChartView | undefined): Plugin<'line'> {
  return {
    id: 'runlensRawLines',
    beforeDatasetsDraw(chart) {
      const cv = v();
      if (!cv || state.smoothing === 0) return;
      const { ctx, chartArea: area } = chart;
      const xs = chart.scales.x;
      const ys = chart.scales.y;
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      ctx.lineWidth = 1 / (window.devicePixelRatio || 1);
      for (const line of cv.lines) {
        if (state.hidden.includes(line.run.ref)) continue;
        ctx.strokeStyle = fade(themedColor(line.run.color, view.theme));
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

const background = backgroundPlugin<'line'>(() => view.theme);

/** A vertical line at the hovered x. */
function crosshair(v: () => ChartView | undefined): Plugin<'line'> {
  return {
    id: 'runlensCrosshair',
    afterDatasetsDraw(chart) {
      const cv = v();
      if (!cv || cv.hoverX === undefined) return;
      const px = chart.scales.x.getPixelForValue(cv.hoverX);
      const { top, bottom } = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = view.theme.muted;
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px, bottom);
      ctx.stroke();
      ctx.restore();
    },
  };
}

let tableIds = 0;

/** A chart card for a metric, put in `parent` (a section's grid) before the chart is made. */
export function createView(data: ChartData, parent: HTMLElement): ChartView {
  const canvas = el('canvas', { tabindex: 0, role: 'img' });
  const logButton = el('button', {
    type: 'button',
    text: 'Log',
    title: 'Logarithmic y axis',
    'aria-pressed': 'false',
  });
  const tableBox = el('div', {
    id: `table-${++tableIds}`,
    class: 'table-box',
    role: 'region',
    tabindex: -1,
    hidden: true,
    'aria-label': `${data.key} as a table`,
  });
  const tableButton = el('button', {
    type: 'button',
    text: 'Table',
    title: 'Show as table: the values of each run at each step, as the tooltip shows them',
    'aria-pressed': 'false',
    'aria-controls': tableBox.id,
  });
  const buttons = [
    logButton,
    el('button', { type: 'button', text: 'Reset zoom', title: 'Show the whole series (0)' }),
    el('button', { type: 'button', text: 'PNG', title: `Save ${data.key} as a PNG image` }),
    el('button', { type: 'button', text: 'CSV', title: `Save every point of ${data.key} as CSV` }),
    tableButton,
  ];
  for (const b of buttons) b.tabIndex = -1;
  const footer = el('footer', { class: 'muted' });
  const plot = el('div', { class: 'plot' }, canvas);
  const card = el(
    'section',
    { class: 'card', 'aria-label': data.key },
    el('header', {}, el('h3', { text: data.key, title: data.key }), ...buttons),
    plot,
    tableBox,
    footer,
  );
  // In the document before the chart is made: a detached canvas has no size and would be drawn twice.
  parent.append(card);
  // The chart's callbacks need the view, which needs the chart: they meet through this holder.
  const holder: { view?: ChartView } = {};
  const chart = new Chart<'line', Point[]>(canvas, {
    type: 'line',
    data: { datasets: [] },
    plugins: [background, rawLines(() => holder.view), crosshair(() => holder.view)],
    options: lineOptions(data.key, () => holder.view),
  });
  const v: ChartView = {
    key: data.key,
    card,
    canvas,
    chart,
    footer,
    logButton,
    tableButton,
    plot,
    tableBox,
    buttons,
    data,
    zoomed: undefined,
    lines: [],
    pendingZoom: 0,
    zoomTimer: undefined,
    hoverX: undefined,
  };
  holder.view = v;
  applyTheme(v);
  wire(v);
  showTable(v, state.tables.includes(v.key));
  return v;
}

/** Show the card's table in place of its plot, or the plot again. */
function showTable(v: ChartView, on: boolean): void {
  const focusedBody = document.activeElement === v.canvas || document.activeElement === v.tableBox;
  const wasStop = v.canvas.tabIndex === 0 || v.tableBox.tabIndex === 0;
  v.tableButton.setAttribute('aria-pressed', String(on));
  v.plot.hidden = on;
  v.tableBox.hidden = !on;
  if (on) renderTable(v);
  else v.tableBox.replaceChildren();
  // The shown body takes the keyboard stop the hidden one had.
  v.canvas.tabIndex = !on && wasStop ? 0 : -1;
  v.tableBox.tabIndex = on && wasStop ? 0 : -1;
  if (focusedBody) body(v).focus();
}

/** The card's plot or table, whichever is shown. */
function body(v: ChartView): HTMLElement {
  return v.tableBox.hidden ? v.canvas : v.tableBox;
}

/**
 * One Tab stop per card, the one last used in it (the plot at first): left and right arrows move
 * along the header's buttons, down goes to the plot or table, up from the plot (or from the top
 * of the table) back to the buttons. On the plot, left and right pan and + - 0 zoom.
 */
function roving(v: ChartView): void {
  const stops = () => [...v.buttons, v.canvas, v.tableBox];
  // Up from the plot or table goes back to the button last used.
  let last = v.buttons[0];
  v.card.addEventListener('focusin', (e) => {
    const t = e.target as HTMLElement;
    if (!stops().includes(t)) return;
    for (const s of stops()) s.tabIndex = s === t ? 0 : -1;
    if (t instanceof HTMLButtonElement) last = t;
  });
  const lastButton = () => last;
  for (const [i, b] of v.buttons.entries()) {
    b.addEventListener('keydown', (e) => {
      const n = v.buttons.length;
      const to: Record<string, () => HTMLElement> = {
        ArrowLeft: () => v.buttons[Math.max(0, i - 1)],
        ArrowRight: () => v.buttons[Math.min(n - 1, i + 1)],
        Home: () => v.buttons[0],
        End: () => v.buttons[n - 1],
        ArrowDown: () => body(v),
      };
      const target = to[e.key];
      if (!target) return;
      e.preventDefault();
      target().focus();
    });
  }
  v.canvas.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowUp') {
      e.preventDefault();
      lastButton().focus();
    } else keyboard(v, e);
  });
  v.tableBox.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowUp' && v.tableBox.scrollTop === 0) {
      e.preventDefault();
      lastButton().focus();
    }
  });
}

export function applyTheme(v: ChartView): void {
  const o = v.chart.options;
  o.font = { family: view.theme.fontFamily, size: view.theme.fontSize - 1 };
  o.color = view.theme.foreground;
  for (const axis of ['x', 'y'] as const) {
    const s = o.scales![axis]! as {
      grid: { color: string };
      border: { color: string };
      ticks: { color: string };
      title: { color: string };
    };
    s.grid.color = view.theme.grid;
    s.border.color = view.theme.grid;
    s.ticks.color = view.theme.muted;
    s.title.color = view.theme.foreground;
  }
  o.plugins!.title!.color = view.theme.foreground;
  o.plugins!.zoom!.zoom!.drag!.backgroundColor = 'rgba(128,128,128,0.2)';
}

function exportPng(v: ChartView): void {
  const title = v.chart.options.plugins!.title!;
  title.display = true;
  v.chart.update('none');
  const dataUrl = v.canvas.toDataURL('image/png');
  title.display = false;
  v.chart.update('none');
  host.post({ type: 'exportPng', key: v.key, dataUrl });
}

/** The options of a metric's line chart: no animation or parsing, zoom and pan along x. */
function lineOptions(key: string, view: () => ChartView | undefined): ChartOptions<'line'> {
  const zoomed = () => {
    const v = view();
    if (v) scheduleZoomFetch(v);
  };
  return {
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
      title: { display: false, text: key },
      zoom: {
        zoom: {
          wheel: { enabled: true },
          drag: { enabled: true, threshold: 5 },
          mode: 'x',
          onZoomComplete: zoomed,
        },
        pan: {
          enabled: true,
          mode: 'x',
          modifierKey: 'shift',
          onPanComplete: zoomed,
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
        title: { display: true, text: key },
        ticks: { callback: (v) => formatTick(Number(v)) },
      },
    },
  };
}

/** The card's buttons and the canvas's pointer and keyboard handling. */
function wire(v: ChartView): void {
  const [log, reset, png, csv, table] = v.buttons;
  log.addEventListener('click', () => {
    state.logKeys = state.logKeys.includes(v.key)
      ? state.logKeys.filter((k) => k !== v.key)
      : [...state.logKeys, v.key];
    saveState();
    refreshDatasets(v);
  });
  reset.addEventListener('click', () => resetZoom(v));
  png.addEventListener('click', () => exportPng(v));
  csv.addEventListener('click', () => host.post({ type: 'exportCsv', key: v.key }));
  table.addEventListener('click', () => {
    const on = !state.tables.includes(v.key);
    state.tables = on ? [...state.tables, v.key] : state.tables.filter((k) => k !== v.key);
    saveState();
    showTable(v, on);
  });
  v.canvas.addEventListener('mousemove', (e) => hover(v, e));
  v.canvas.addEventListener('mouseleave', () => unhover(v));
  v.canvas.addEventListener('blur', () => unhover(v));
  roving(v);
}
