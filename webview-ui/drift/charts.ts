import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { DriftSnapshot } from '../../src/protocol/drift';
import { el, formatNumber } from '../shared/dom';
import { backgroundPlugin } from '../shared/theme';
import { TEST_NAMES, percent } from './format';
import {
  accuracyCanvas,
  heat,
  histCanvas,
  histNote,
  histTitle,
  online,
  timeline,
  timelineCanvas,
} from './page';
import { state, view } from './state';
import { ordered } from './table';

Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  LinearScale,
  CategoryScale,
  Tooltip,
  Legend,
);

let histChart: Chart | undefined;
let timelineChart: Chart | undefined;
let accuracyChart: Chart | undefined;

const background = backgroundPlugin(() => view.theme);

function isDark(): boolean {
  return (
    document.body.classList.contains('vscode-dark') ||
    document.body.classList.contains('vscode-high-contrast')
  );
}

/** Reference and current: blue and orange, readable on light and dark backgrounds. */
function seriesColors(): { reference: string; current: string; line: string; bad: string } {
  const css = getComputedStyle(document.body);
  const v = (n: string, f: string) => css.getPropertyValue(n).trim() || f;
  const dark = isDark();
  return {
    reference: v('--vscode-charts-blue', dark ? '#4fa3f7' : '#1a73c8'),
    current: v('--vscode-charts-orange', dark ? '#f0a24a' : '#d0680c'),
    line: v('--vscode-charts-purple', dark ? '#c08ef0' : '#7a3fb8'),
    bad: v('--vscode-charts-red', dark ? '#f14c4c' : '#e51400'),
  };
}

function alpha(color: string, a: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) return color;
  const n = parseInt(m[1], 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

function chartBase() {
  const axis = {
    grid: { color: view.theme.grid },
    border: { color: view.theme.grid },
    ticks: { color: view.theme.muted },
  };
  return {
    /** The top-level options every drift chart shares (spread into its options). */
    options: {
      animation: false as const,
      responsive: true,
      maintainAspectRatio: false,
      font: { family: view.theme.fontFamily, size: view.theme.fontSize - 1 },
      color: view.theme.foreground,
    },
    axis,
  };
}

export function renderHistogram(s: DriftSnapshot): number {
  const c = s.columns.find((x) => x.column === state.selected) ?? s.columns[0];
  histChart?.destroy();
  histChart = undefined;
  if (!c) {
    histTitle.textContent = 'Distribution';
    histNote.textContent = 'No columns were compared.';
    return 0;
  }
  const h = c.histogram;
  const categorical = h.categories !== undefined;
  const labels = categorical
    ? h.categories!
    : (h.edges ?? []).slice(0, -1).map((lo, i) => `${formatNumber(lo)}–${formatNumber(h.edges![i + 1])}`);
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0) || 1;
  const rt = total(h.reference);
  const ct = total(h.current);
  const colors = seriesColors();
  histTitle.textContent = `Distribution of ${c.column}`;
  histNote.textContent = `${c.type}, ${TEST_NAMES[c.method] ?? c.method}: ${
    c.statistic === null ? 'not tested' : formatNumber(c.statistic)
  }${c.pValue !== null ? `, p = ${c.pValue < 1e-4 ? c.pValue.toExponential(2) : formatNumber(c.pValue)}` : ''} (threshold ${formatNumber(c.threshold)}) · ${c.drifted ? 'drifted' : 'no drift'}${categorical && h.categories!.length >= 30 ? ' · the 30 most frequent categories' : ''}`;
  histCanvas.setAttribute(
    'aria-label',
    `Histogram of ${c.column}: share of rows per ${categorical ? 'category' : 'bin'}, reference and current`,
  );
  const base = chartBase();
  histChart = new Chart(histCanvas, {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          label: `Reference (${s.referenceLabel})`,
          data: h.reference.map((n) => n / rt),
          backgroundColor: alpha(colors.reference, categorical ? 0.85 : 0.55),
          borderColor: colors.reference,
          borderWidth: 1,
          grouped: categorical,
          barPercentage: categorical ? 0.8 : 1,
          categoryPercentage: categorical ? 0.8 : 1,
        },
        {
          label: `Current (${s.currentLabel})`,
          data: h.current.map((n) => n / ct),
          backgroundColor: alpha(colors.current, categorical ? 0.85 : 0.55),
          borderColor: colors.current,
          borderWidth: 1,
          grouped: categorical,
          barPercentage: categorical ? 0.8 : 1,
          categoryPercentage: categorical ? 0.8 : 1,
        },
      ],
    },
    plugins: [background],
    options: {
      ...base.options,
      plugins: {
        legend: { labels: { color: view.theme.foreground, boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (item) => {
              const counts = item.datasetIndex === 0 ? h.reference : h.current;
              return `${item.dataset.label}: ${percent(Number(item.raw))} (${counts[item.dataIndex]} rows)`;
            },
          },
        },
      },
      scales: {
        x: {
          ...base.axis,
          stacked: false,
          ticks: { color: view.theme.muted, maxRotation: 50, autoSkip: true },
          title: { display: true, text: c.column, color: view.theme.foreground },
        },
        y: {
          ...base.axis,
          beginAtZero: true,
          ticks: { color: view.theme.muted, callback: (v: string | number) => percent(Number(v)) },
          title: { display: true, text: 'share of rows', color: view.theme.foreground },
        },
      },
    },
  });
  return labels.length;
}

export function renderTimeline(s: DriftSnapshot): number {
  timelineChart?.destroy();
  timelineChart = undefined;
  const t = s.timeline;
  if (!t || t.windows.length === 0) {
    timeline.hidden = true;
    return 0;
  }
  timeline.hidden = false;
  timeline.replaceChildren(
    el('header', {}, el('h2', { text: `Drift by ${t.by}` })),
    el('p', {
      class: 'muted small-note',
      text: `Each ${t.by} of the current data against the whole reference: the share of drifted columns (dashed: the dataset drift threshold), then each column.`,
    }),
    el('div', { class: 'plot' }, timelineCanvas),
    heat,
  );
  timelineChart = timelineLine(s, t);
  heat.replaceChildren(heatGrid(s, t));
  return t.windows.length;
}

type Timeline = NonNullable<DriftSnapshot['timeline']>;

/** The share of drifted columns per window, against the dataset drift threshold. */
function timelineLine(s: DriftSnapshot, t: Timeline): Chart {
  const colors = seriesColors();
  const base = chartBase();
  return new Chart(timelineCanvas, {
    type: 'line',
    data: {
      labels: t.windows.map((w) => w.window),
      datasets: [
        {
          label: 'Drifted share of columns',
          data: t.windows.map((w) => w.share),
          borderColor: colors.line,
          backgroundColor: colors.line,
          pointBackgroundColor: t.windows.map((w) => (w.datasetDrift ? colors.bad : colors.line)),
          pointRadius: 4,
          borderWidth: 2,
          // points at 0% and 100% are drawn whole, not cut by the chart area
          clip: 6,
        },
        {
          label: 'Dataset drift threshold',
          data: t.windows.map(() => s.driftShare),
          borderColor: view.theme.muted,
          borderDash: [5, 4],
          borderWidth: 1,
          pointRadius: 0,
        },
      ],
    },
    plugins: [background],
    options: {
      ...base.options,
      plugins: {
        legend: { labels: { color: view.theme.foreground, boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (item) => {
              const w = t.windows[item.dataIndex];
              return item.datasetIndex === 0
                ? `${w.drifted} of ${w.tested} columns drifted (${percent(w.share)}), ${w.rows} rows`
                : `threshold ${percent(s.driftShare)}`;
            },
          },
        },
      },
      scales: {
        // A lone window sits in the middle, not on the left edge.
        x: {
          ...base.axis,
          offset: t.windows.length <= 2,
          title: { display: true, text: t.by, color: view.theme.foreground },
        },
        y: {
          ...base.axis,
          min: 0,
          max: 1,
          ticks: { color: view.theme.muted, callback: (v: string | number) => percent(Number(v)) },
          title: { display: true, text: 'drifted columns', color: view.theme.foreground },
        },
      },
    },
  });
}

/** Per-column drift: a heat grid, one row per column (table order), one cell per window. */
function heatGrid(s: DriftSnapshot, t: Timeline): HTMLElement {
  const order = ordered(s).map((c) => c.column);
  return el(
    'table',
    { class: 'heat', 'aria-label': `Drift of each column by ${t.by}` },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col', text: 'Column' }),
        ...t.windows.map((w) => el('th', { scope: 'col', text: w.window, title: `${w.rows} rows` })),
      ),
    ),
    el(
      'tbody',
      {},
      ...order.map((name) => {
        const i = s.columns.findIndex((c) => c.column === name);
        return el(
          'tr',
          { class: name === state.selected ? 'selected' : '', 'data-column': name },
          el('th', { scope: 'row', text: name }),
          ...t.windows.map((w) => {
            const c = w.columns[i];
            const stat = c.statistic === null ? 'not tested' : formatNumber(c.statistic);
            return el('td', {
              class: c.drifted ? 'hot' : 'cold',
              text: c.drifted ? '●' : '',
              title: `${name}, ${w.window}: ${c.drifted ? 'drifted' : 'no drift'} (statistic ${stat}${c.pValue !== null ? `, p = ${formatNumber(c.pValue)}` : ''})`,
              'aria-label': c.drifted ? 'drifted' : 'no drift',
            });
          }),
        );
      }),
    ),
  );
}

export function renderOnline(s: DriftSnapshot): number {
  accuracyChart?.destroy();
  accuracyChart = undefined;
  const o = s.online;
  if (!o) {
    online.hidden = true;
    return 0;
  }
  online.hidden = false;
  const name = o.metric === 'accuracy' ? 'Online accuracy' : 'Online mean absolute error';
  const fmt = (v: number) => (o.metric === 'accuracy' ? percent(v) : formatNumber(v));
  online.replaceChildren(
    el('header', {}, el('h2', { text: name })),
    el('p', {
      text: `${o.value === null ? 'no prediction has feedback yet' : fmt(o.value)} over ${o.joined} predictions with feedback · ${o.feedbackRows} feedback rows, ${o.unmatchedFeedback} unmatched · ${o.unlabeledPredictions} predictions without feedback`,
    }),
    el('div', { class: 'plot small' }, accuracyCanvas),
  );
  const colors = seriesColors();
  const base = chartBase();
  accuracyChart = new Chart(accuracyCanvas, {
    type: 'line',
    data: {
      labels: o.windows.map((w) => w.window),
      datasets: [
        {
          label: name,
          data: o.windows.map((w) => w.value),
          borderColor: colors.reference,
          backgroundColor: colors.reference,
          pointRadius: 4,
          borderWidth: 2,
          clip: 6,
        },
      ],
    },
    plugins: [background],
    options: {
      ...base.options,
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (item) => `${fmt(Number(item.raw))} over ${o.windows[item.dataIndex].joined} predictions`,
          },
        },
      },
      scales: {
        x: {
          ...base.axis,
          offset: o.windows.length <= 2,
          title: { display: true, text: 'window', color: view.theme.foreground },
        },
        y: {
          ...base.axis,
          ...(o.metric === 'accuracy' ? { min: 0, max: 1 } : { beginAtZero: true }),
          ticks: { color: view.theme.muted, callback: (v: string | number) => fmt(Number(v)) },
          title: { display: true, text: o.metric, color: view.theme.foreground },
        },
      },
    },
  });
  return o.windows.length;
}
