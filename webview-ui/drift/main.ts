import './style.css';
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
import { assertNever, messageType } from '../../src/protocol/common';
import type {
  DriftColumnView,
  DriftFromWebview,
  DriftSnapshot,
  DriftSortKey,
  DriftToWebview,
  DriftViewState,
} from '../../src/protocol/drift';
import { el, formatNumber } from '../shared/dom';
import { backgroundPlugin, onThemeChange, readTheme } from '../shared/theme';
import type { ThemeColors } from '../shared/theme';
import { vscodeApi } from '../shared/vscodeApi';

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

const vscode = vscodeApi<DriftViewState, DriftFromWebview>();
const post = (m: DriftFromWebview) => vscode.postMessage(m);

const TEST_NAMES: Record<string, string> = {
  ks: 'Kolmogorov–Smirnov (p-value)',
  chisquare: 'chi-square (p-value)',
  z: 'two-proportion z-test (p-value)',
  wasserstein: 'Wasserstein distance (normed)',
  jensenshannon: 'Jensen–Shannon distance',
  psi: 'population stability index',
};

const saved = vscode.getState();
const state: DriftViewState = {
  source: saved?.source ?? null,
  selected: saved?.selected ?? null,
  sort: saved?.sort ?? { key: 'drifted', descending: true },
};
let snapshot: DriftSnapshot | undefined;
let theme: ThemeColors = readTheme();

const heading = el('h1', { text: 'Data drift' });
const status = el('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
const notices = el('div', { class: 'notices' });
const refreshButton = el('button', { type: 'button', text: 'Refresh', title: 'Compute the report again' });
const saveButton = el('button', { type: 'button', text: 'Save Report…', title: 'Save the report as JSON' });
const summary = el('section', { class: 'summary', 'aria-label': 'Summary' });
const online = el('section', { class: 'card online', 'aria-label': 'Online accuracy' });
const table = el('table', { class: 'drift', 'aria-label': 'Columns by drift severity' });
const histTitle = el('h2', { text: 'Distribution' });
const histNote = el('p', { class: 'muted small-note' });
const histCanvas = el('canvas', { role: 'img', 'aria-label': 'Histogram of reference and current data' });
const timeline = el('section', { class: 'card timeline', 'aria-label': 'Drift timeline' });
const timelineCanvas = el('canvas', { role: 'img', 'aria-label': 'Share of drifted columns per window' });
const heat = el('div', { class: 'heat-wrap' });
const accuracyCanvas = el('canvas', { role: 'img', 'aria-label': 'Online accuracy per window' });

document.body.append(
  el(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Drift report' },
    heading,
    refreshButton,
    saveButton,
  ),
  status,
  notices,
  summary,
  online,
  el(
    'div',
    { class: 'main' },
    el('div', { class: 'table-wrap' }, table),
    el(
      'section',
      { class: 'card histogram', 'aria-label': 'Histogram of the selected column' },
      el('header', {}, histTitle),
      histNote,
      el('div', { class: 'plot' }, histCanvas),
    ),
  ),
  timeline,
);

refreshButton.addEventListener('click', () => post({ type: 'refresh' }));
saveButton.addEventListener('click', () => post({ type: 'saveReport' }));

function save(): void {
  vscode.setState(state);
}

window.addEventListener('message', (event: MessageEvent) => {
  const type = messageType(event.data);
  const known: DriftToWebview['type'][] = ['snapshot', 'progress', 'error', 'notice'];
  if (!type || !known.includes(type as DriftToWebview['type'])) {
    console.warn('runlens drift: ignored a message of unknown type', type ?? event.data);
    return;
  }
  const m = event.data as DriftToWebview;
  switch (m.type) {
    case 'snapshot':
      snapshot = m.snapshot;
      state.source = m.snapshot.source;
      status.replaceChildren();
      render();
      break;
    case 'progress':
      status.replaceChildren(el('span', { class: 'spinner', 'aria-hidden': 'true' }), ` ${m.text}`);
      break;
    case 'error':
      status.replaceChildren(el('span', { class: 'error', text: m.text }));
      break;
    case 'notice':
      status.replaceChildren(el('span', { text: m.text }));
      break;
    default:
      assertNever(m, 'message');
  }
});

// ---- summary ----------------------------------------------------------------------------------

function percent(v: number): string {
  return `${(v * 100).toFixed(v > 0 && v < 0.1 ? 1 : 0)}%`;
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
    : el('div', {
        class: `verdict ${s.datasetDrift ? 'bad' : 'good'}`,
        text: s.datasetDrift ? 'Dataset drift detected' : 'No dataset drift',
      });
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

// ---- table ------------------------------------------------------------------------------------

interface Col {
  key: DriftSortKey;
  label: string;
  numeric?: boolean;
  value(c: DriftColumnView): number | string | null;
  text(c: DriftColumnView): string;
}

const COLUMNS: Col[] = [
  { key: 'column', label: 'Column', value: (c) => c.column, text: (c) => c.column },
  { key: 'type', label: 'Type', value: (c) => c.type, text: (c) => c.type },
  { key: 'method', label: 'Test', value: (c) => c.method, text: (c) => c.method },
  {
    key: 'statistic',
    label: 'Statistic',
    numeric: true,
    value: (c) => c.statistic,
    text: (c) => (c.statistic === null ? '–' : formatNumber(c.statistic)),
  },
  {
    key: 'threshold',
    label: 'Threshold',
    numeric: true,
    value: (c) => c.threshold,
    text: (c) => formatNumber(c.threshold),
  },
  {
    key: 'pValue',
    label: 'p-value',
    numeric: true,
    value: (c) => c.pValue,
    text: (c) =>
      c.pValue === null ? '–' : c.pValue < 1e-4 ? c.pValue.toExponential(2) : formatNumber(c.pValue),
  },
  {
    key: 'drifted',
    label: 'Drifted',
    numeric: true,
    value: (c) => (c.skipped ? null : c.severity),
    text: (c) => (c.skipped ? 'not tested' : c.drifted ? 'drifted' : 'no'),
  },
  {
    key: 'missingRateShift',
    label: 'Missing shift',
    numeric: true,
    value: (c) => c.missingRateShift,
    text: (c) => `${c.missingRateShift > 0 ? '+' : ''}${(c.missingRateShift * 100).toFixed(1)} pp`,
  },
];

function ordered(s: DriftSnapshot): DriftColumnView[] {
  const col = COLUMNS.find((c) => c.key === state.sort.key) ?? COLUMNS[6];
  const dir = state.sort.descending ? -1 : 1;
  return [...s.columns].sort((a, b) => {
    const va = col.value(a);
    const vb = col.value(b);
    if (va === null || vb === null) return va === vb ? 0 : va === null ? 1 : -1;
    if (typeof va === 'number' && typeof vb === 'number') return dir * (va - vb) || b.severity - a.severity;
    return dir * String(va).localeCompare(String(vb), undefined, { numeric: true });
  });
}

function renderTable(s: DriftSnapshot): void {
  const head = el(
    'tr',
    {},
    ...COLUMNS.map((c) => {
      const sorted = state.sort.key === c.key;
      const b = el(
        'button',
        {
          type: 'button',
          class: 'sort',
          title: c.key === 'drifted' ? 'Sort by severity (how far past the threshold)' : `Sort by ${c.label}`,
        },
        c.label,
        sorted ? (state.sort.descending ? ' ▼' : ' ▲') : '',
      );
      b.addEventListener('click', () => {
        state.sort = { key: c.key, descending: sorted ? !state.sort.descending : c.numeric === true };
        render();
        (table.querySelector(`th[data-key="${c.key}"] button`) as HTMLButtonElement | null)?.focus();
      });
      return el(
        'th',
        {
          scope: 'col',
          'data-key': c.key,
          class: c.numeric ? 'num' : '',
          'aria-sort': sorted ? (state.sort.descending ? 'descending' : 'ascending') : 'none',
        },
        b,
      );
    }),
  );
  const rows = ordered(s).map((c) => {
    const selected = c.column === state.selected;
    const tr = el(
      'tr',
      {
        class: `${c.drifted ? 'drifted' : ''}${selected ? ' selected' : ''}`,
        'data-column': c.column,
        'aria-selected': selected ? 'true' : 'false',
        tabindex: selected ? 0 : -1,
        title: c.skipped ?? '',
      },
      ...COLUMNS.map((col) =>
        col.key === 'column'
          ? el('th', { scope: 'row', text: c.column })
          : el('td', {
              class: `${col.numeric ? 'num' : ''}${col.key === 'drifted' && c.drifted ? ' flag' : ''}`,
              text: col.text(c),
            }),
      ),
    );
    tr.addEventListener('click', () => select(c.column, true));
    return tr;
  });
  table.replaceChildren(
    el('caption', {
      class: 'visually-hidden',
      text: 'Columns; arrow keys move the selection, the histogram shows the selected column',
    }),
    el('thead', {}, head),
    el('tbody', {}, ...rows),
  );
}

table.addEventListener('keydown', (e: KeyboardEvent) => {
  const row = (e.target as HTMLElement).closest('tbody tr') as HTMLTableRowElement | null;
  if (!row) return;
  const rows = [...table.querySelectorAll<HTMLTableRowElement>('tbody tr')];
  const i = rows.indexOf(row);
  const to =
    e.key === 'ArrowDown'
      ? rows[i + 1]
      : e.key === 'ArrowUp'
        ? rows[i - 1]
        : e.key === 'Home'
          ? rows[0]
          : e.key === 'End'
            ? rows[rows.length - 1]
            : undefined;
  if (to) {
    e.preventDefault();
    select(to.dataset.column!, true);
  } else if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    select(row.dataset.column!, true);
  }
});

function select(column: string, focus: boolean): void {
  if (state.selected !== column) {
    state.selected = column;
    post({ type: 'selectColumn', column });
  }
  render(true);
  if (focus) (table.querySelector(`tr[data-column="${CSS.escape(column)}"]`) as HTMLElement | null)?.focus();
}

// ---- charts -----------------------------------------------------------------------------------

let histChart: Chart | undefined;
let timelineChart: Chart | undefined;
let accuracyChart: Chart | undefined;

const background = backgroundPlugin(() => theme);

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
  const axis = { grid: { color: theme.grid }, border: { color: theme.grid }, ticks: { color: theme.muted } };
  return {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    font: { family: theme.fontFamily, size: theme.fontSize - 1 },
    color: theme.foreground,
    axis,
  };
}

function renderHistogram(s: DriftSnapshot): number {
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
      animation: base.animation,
      responsive: base.responsive,
      maintainAspectRatio: base.maintainAspectRatio,
      font: base.font,
      color: base.color,
      plugins: {
        legend: { labels: { color: theme.foreground, boxWidth: 12 } },
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
          ticks: { color: theme.muted, maxRotation: 50, autoSkip: true },
          title: { display: true, text: c.column, color: theme.foreground },
        },
        y: {
          ...base.axis,
          beginAtZero: true,
          ticks: { color: theme.muted, callback: (v: string | number) => percent(Number(v)) },
          title: { display: true, text: 'share of rows', color: theme.foreground },
        },
      },
    },
  });
  return labels.length;
}

function renderTimeline(s: DriftSnapshot): number {
  timelineChart?.destroy();
  timelineChart = undefined;
  const t = s.timeline;
  if (!t || t.windows.length === 0) {
    timeline.hidden = true;
    return 0;
  }
  timeline.hidden = false;
  const colors = seriesColors();
  const base = chartBase();
  timeline.replaceChildren(
    el('header', {}, el('h2', { text: `Drift by ${t.by}` })),
    el('p', {
      class: 'muted small-note',
      text: `Each ${t.by} of the current data against the whole reference: the share of drifted columns (dashed: the dataset drift threshold), then each column.`,
    }),
    el('div', { class: 'plot' }, timelineCanvas),
    heat,
  );
  timelineChart = new Chart(timelineCanvas, {
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
          borderColor: theme.muted,
          borderDash: [5, 4],
          borderWidth: 1,
          pointRadius: 0,
        },
      ],
    },
    plugins: [background],
    options: {
      animation: base.animation,
      responsive: base.responsive,
      maintainAspectRatio: base.maintainAspectRatio,
      font: base.font,
      color: base.color,
      plugins: {
        legend: { labels: { color: theme.foreground, boxWidth: 12 } },
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
          title: { display: true, text: t.by, color: theme.foreground },
        },
        y: {
          ...base.axis,
          min: 0,
          max: 1,
          ticks: { color: theme.muted, callback: (v: string | number) => percent(Number(v)) },
          title: { display: true, text: 'drifted columns', color: theme.foreground },
        },
      },
    },
  });
  // Per-column drift: a heat grid, one row per column (table order), one cell per window.
  const order = ordered(s).map((c) => c.column);
  const grid = el(
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
  heat.replaceChildren(grid);
  return t.windows.length;
}

function renderOnline(s: DriftSnapshot): number {
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
      animation: base.animation,
      responsive: base.responsive,
      maintainAspectRatio: base.maintainAspectRatio,
      font: base.font,
      color: base.color,
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
          title: { display: true, text: 'window', color: theme.foreground },
        },
        y: {
          ...base.axis,
          ...(o.metric === 'accuracy' ? { min: 0, max: 1 } : { beginAtZero: true }),
          ticks: { color: theme.muted, callback: (v: string | number) => fmt(Number(v)) },
          title: { display: true, text: o.metric, color: theme.foreground },
        },
      },
    },
  });
  return o.windows.length;
}

let accuracyWindows = 0;
let windows = 0;

/** Draw the snapshot; after a change of selection only the table, histogram and grid highlight. */
function render(selectionOnly = false): void {
  const s = snapshot;
  if (!s) return save();
  if (!state.selected || !s.columns.some((c) => c.column === state.selected))
    state.selected = s.columns[0]?.column ?? null;
  save();
  renderTable(s);
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
    post({
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

online.hidden = true;
timeline.hidden = true;
onThemeChange(() => {
  theme = readTheme();
  render();
});

post({ type: 'ready' });
