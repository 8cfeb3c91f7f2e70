import './style.css';
import {
  CategoryScale,
  Chart,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  ScatterController,
  Tooltip,
} from 'chart.js';
import type { Plugin } from 'chart.js';
import { STATS } from '../../src/protocol/compare';
import type {
  CompareFromWebview,
  CompareSnapshot,
  CompareToWebview,
  CompareViewState,
  Stat,
  StatCell,
} from '../../src/protocol/compare';
import { assertNever, messageType } from '../../src/protocol/common';
import { el, formatDuration, formatNumber } from '../shared/dom';
import { backgroundPlugin, onThemeChange, readTheme, themedColor } from '../shared/theme';
import type { ThemeColors } from '../shared/theme';
import { vscodeApi } from '../shared/vscodeApi';

Chart.register(
  LineController,
  ScatterController,
  LineElement,
  PointElement,
  LinearScale,
  CategoryScale,
  Tooltip,
);

const vscode = vscodeApi<CompareViewState, CompareFromWebview>();
const post = (m: CompareFromWebview) => vscode.postMessage(m);

const STAT_LABELS: Record<Stat, string> = {
  last: 'Latest',
  best: 'Best (by goal)',
  min: 'Minimum',
  max: 'Maximum',
  atStep: 'At step',
};

const saved = vscode.getState();
const state: CompareViewState = {
  refs: saved?.refs ?? [],
  baselineRef: saved?.baselineRef ?? null,
  step: saved?.step ?? null,
  onlyDiffering: saved?.onlyDiffering ?? true,
  stat: saved?.stat ?? 'last',
  sort: saved?.sort ?? null,
  parallelMetric: saved?.parallelMetric ?? null,
  scatter: saved?.scatter ?? { param: null, metric: null },
};
let snapshot: CompareSnapshot | undefined;
let theme: ThemeColors = readTheme();

const statSelect = el(
  'select',
  { id: 'stat' },
  ...STATS.map((s) => el('option', { value: s, text: STAT_LABELS[s] })),
);
const stepInput = el('input', { id: 'step', type: 'number', min: 0, step: 1, placeholder: 'step', size: 8 });
const baselineSelect = el('select', { id: 'baseline' });
const differing = el('input', { id: 'differing', type: 'checkbox' });
const notices = el('div', { class: 'notices', role: 'status' });
const table = el('table', { class: 'compare' });
const parallelMetric = el('select', { id: 'parallel-metric' });
const scatterParam = el('select', { id: 'scatter-param' });
const scatterMetric = el('select', { id: 'scatter-metric' });
const parallelCanvas = el('canvas', {
  role: 'img',
  'aria-label': 'Parallel coordinates: params to the chosen metric',
});
const scatterCanvas = el('canvas', { role: 'img', 'aria-label': 'Scatter of a param against a metric' });

document.body.append(
  el(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Comparison options' },
    el('label', { for: 'stat' }, 'Metric value', statSelect),
    el('label', { for: 'step' }, 'Step', stepInput),
    el('label', { for: 'baseline' }, 'Baseline', baselineSelect),
    el('label', { for: 'differing' }, differing, 'Only params that differ'),
  ),
  notices,
  el('div', { class: 'table-wrap' }, table),
  el(
    'div',
    { class: 'charts' },
    el(
      'section',
      { class: 'card', 'aria-label': 'Parallel coordinates' },
      el(
        'header',
        {},
        el('h2', { text: 'Parallel coordinates' }),
        el('label', { for: 'parallel-metric' }, 'Metric', parallelMetric),
      ),
      el('div', { class: 'plot' }, parallelCanvas),
    ),
    el(
      'section',
      { class: 'card', 'aria-label': 'Scatter' },
      el(
        'header',
        {},
        el('h2', { text: 'Scatter' }),
        el('label', { for: 'scatter-param' }, 'Param', scatterParam),
        el('label', { for: 'scatter-metric' }, 'Metric', scatterMetric),
      ),
      el('div', { class: 'plot' }, scatterCanvas),
    ),
  ),
);

statSelect.value = state.stat;
differing.checked = state.onlyDiffering;
if (state.step !== null) stepInput.value = String(state.step);

statSelect.addEventListener('change', () => {
  state.stat = statSelect.value as Stat;
  if (state.stat === 'atStep' && state.step === null) stepInput.focus();
  render();
});
stepInput.addEventListener('change', () => {
  const v = stepInput.value.trim();
  const step = v === '' ? null : Number(v);
  if (step !== null && !Number.isFinite(step)) return;
  state.step = step;
  save();
  post({ type: 'setStep', step });
});
baselineSelect.addEventListener('change', () => {
  state.baselineRef = baselineSelect.value || null;
  save();
  post({ type: 'setBaseline', ref: state.baselineRef });
});
differing.addEventListener('change', () => {
  state.onlyDiffering = differing.checked;
  render();
});
parallelMetric.addEventListener('change', () => {
  state.parallelMetric = parallelMetric.value;
  render();
});
scatterParam.addEventListener('change', () => {
  state.scatter = { ...state.scatter, param: scatterParam.value };
  render();
});
scatterMetric.addEventListener('change', () => {
  state.scatter = { ...state.scatter, metric: scatterMetric.value };
  render();
});

function save(): void {
  vscode.setState(state);
}

window.addEventListener('message', (event: MessageEvent) => {
  const type = messageType(event.data);
  const known: CompareToWebview['type'][] = ['snapshot', 'notice'];
  if (!type || !known.includes(type as CompareToWebview['type'])) {
    console.warn('runlens compare: ignored a message of unknown type', type ?? event.data);
    return;
  }
  const m = event.data as CompareToWebview;
  switch (m.type) {
    case 'snapshot':
      snapshot = m.snapshot;
      state.refs = m.snapshot.runs.map((r) => r.ref);
      state.baselineRef = m.snapshot.baselineRef;
      state.step = m.snapshot.step;
      render();
      break;
    case 'notice':
      notices.replaceChildren(el('div', { text: m.text }));
      break;
    default:
      assertNever(m, 'message');
  }
});

// ---- table ------------------------------------------------------------------------------------

interface Column {
  id: string;
  label: string;
  title?: string;
  /** Sort key of row i (numbers before text; undefined last). */
  sortValue(i: number): number | string | undefined;
  cell(i: number): HTMLTableCellElement;
  numeric?: boolean;
}

function paramText(v: string | number | boolean | null): string {
  return v === null ? '–' : String(v);
}

function deltaText(cell: StatCell): string {
  const d = cell.delta;
  if (!d || d.absolute === null) return '';
  const sign = d.absolute > 0 ? '+' : '';
  const rel = d.relative === null ? '' : ` (${d.relative > 0 ? '+' : ''}${(d.relative * 100).toFixed(1)}%)`;
  return `${sign}${formatNumber(d.absolute)}${rel}`;
}

function columns(s: CompareSnapshot): Column[] {
  const cols: Column[] = [
    {
      id: 'run',
      label: 'Run',
      sortValue: (i) => s.runs[i].name,
      cell: (i) => {
        const r = s.runs[i];
        const sw = el('span', { class: 'swatch' });
        sw.style.background = themedColor(r.color, theme);
        return el(
          'th',
          { scope: 'row', title: `${r.label}\n${r.id}` },
          sw,
          ` ${r.name}`,
          r.isBaseline ? el('span', { class: 'badge', text: 'baseline' }) : null,
        );
      },
    },
    {
      id: 'status',
      label: 'Status',
      sortValue: (i) => s.runs[i].status,
      cell: (i) => el('td', { text: s.runs[i].status }),
    },
    {
      id: 'duration',
      label: 'Duration',
      numeric: true,
      sortValue: (i) => s.runs[i].durationMs ?? undefined,
      cell: (i) =>
        el('td', {
          class: 'num',
          text: s.runs[i].durationMs === null ? '–' : formatDuration(s.runs[i].durationMs!),
        }),
    },
  ];
  for (const p of s.params) {
    if (state.onlyDiffering && !p.differs) continue;
    cols.push({
      id: `param:${p.key}`,
      label: p.key,
      title: `param ${p.key}${p.differs ? ' (differs)' : ''}`,
      sortValue: (i) =>
        p.values[i] === null
          ? undefined
          : typeof p.values[i] === 'number'
            ? (p.values[i] as number)
            : String(p.values[i]),
      cell: (i) =>
        el('td', {
          class: typeof p.values[i] === 'number' ? 'num param' : 'param',
          text: paramText(p.values[i]),
        }),
    });
  }
  for (const m of s.metrics) {
    const cells = m.stats[state.stat];
    cols.push({
      id: `metric:${m.key}`,
      label: m.key,
      title: `${STAT_LABELS[state.stat]}${state.stat === 'atStep' ? ` ${s.step ?? '(choose a step)'}` : ''} of ${m.key}${m.goal ? `, ${m.goal === 'min' ? 'lower' : 'higher'} is better` : ''}`,
      numeric: true,
      sortValue: (i) => cells[i]?.value ?? undefined,
      cell: (i) => {
        const c = cells[i];
        if (!c) return el('td', { class: 'num muted', text: '–', title: `no ${m.key}` });
        const td = el(
          'td',
          { class: `num metric${c.isBest ? ' best' : ''}` },
          el('span', { class: c.text ? 'flag' : '', text: c.text ?? formatNumber(c.value!) }),
          c.isBest
            ? el('span', { class: 'star', text: ' ★', title: 'best of these runs', 'aria-label': 'best' })
            : null,
        );
        const dt = deltaText(c);
        if (dt)
          td.append(
            el('div', {
              class: `delta ${c.delta?.verdict ?? 'neutral'}`,
              text: dt,
              title: `vs baseline: ${c.delta?.verdict ?? 'no goal'}`,
            }),
          );
        return td;
      },
    });
  }
  cols.push(
    {
      id: 'git',
      label: 'Git commit',
      sortValue: (i) => s.runs[i].gitCommit ?? undefined,
      cell: (i) =>
        el('td', {
          class: 'mono',
          text: s.runs[i].gitCommit?.slice(0, 10) ?? '–',
          title: s.runs[i].gitCommit ?? '',
        }),
    },
    {
      id: 'inputs',
      label: 'Inputs',
      sortValue: (i) => s.runs[i].inputs.join(' '),
      cell: (i) => el('td', { class: 'mono small', text: s.runs[i].inputs.join('\n') || '–' }),
    },
  );
  return cols;
}

function rowOrder(s: CompareSnapshot, cols: Column[]): number[] {
  const order = s.runs.map((_, i) => i);
  const col = state.sort && cols.find((c) => c.id === state.sort!.column);
  if (col) {
    const dir = state.sort!.descending ? -1 : 1;
    order.sort((a, b) => {
      const va = col.sortValue(a);
      const vb = col.sortValue(b);
      if (va === undefined || vb === undefined) return va === vb ? 0 : va === undefined ? 1 : -1;
      if (typeof va === 'number' && typeof vb === 'number') return dir * (va - vb);
      return dir * String(va).localeCompare(String(vb), undefined, { numeric: true });
    });
  }
  // The baseline stays on top: every delta below is read against it.
  const b = s.runs.findIndex((r) => r.isBaseline);
  return b >= 0 ? [b, ...order.filter((i) => i !== b)] : order;
}

function renderTable(s: CompareSnapshot): void {
  const cols = columns(s);
  const head = el(
    'tr',
    {},
    ...cols.map((c) => {
      const sorted = state.sort?.column === c.id;
      const b = el(
        'button',
        { type: 'button', class: 'sort', title: `${c.title ?? c.label}: press to sort` },
        c.label,
        sorted ? (state.sort!.descending ? ' ▼' : ' ▲') : '',
      );
      b.addEventListener('click', () => {
        state.sort = { column: c.id, descending: sorted ? !state.sort!.descending : c.numeric === true };
        render();
        (
          table.querySelector(`th[data-col="${CSS.escape(c.id)}"] button`) as HTMLButtonElement | null
        )?.focus();
      });
      return el(
        'th',
        {
          scope: 'col',
          'data-col': c.id,
          'aria-sort': sorted ? (state.sort!.descending ? 'descending' : 'ascending') : 'none',
          class: c.numeric ? 'num' : '',
        },
        b,
      );
    }),
  );
  const rows = rowOrder(s, cols).map((i) => {
    const tr = el('tr', { class: s.runs[i].isBaseline ? 'baseline' : '' }, ...cols.map((c) => c.cell(i)));
    return tr;
  });
  table.replaceChildren(
    el('caption', {
      class: 'visually-hidden',
      text: 'Runs compared: params, metrics, duration, commit and inputs',
    }),
    el('thead', {}, head),
    el('tbody', {}, ...rows),
  );
}

// ---- charts -----------------------------------------------------------------------------------

let parallelChart: Chart | undefined;
let scatterChart: Chart | undefined;

function options<T extends HTMLSelectElement>(
  select: T,
  values: string[],
  current: string | null,
): string | null {
  select.replaceChildren(...values.map((v) => el('option', { value: v, text: v })));
  const chosen = current && values.includes(current) ? current : (values[0] ?? null);
  if (chosen !== null) select.value = chosen;
  return chosen;
}

/** A param's values as numbers: numbers as they are, anything else by its rank among the values. */
function axisOf(values: (string | number | boolean | null)[]): {
  nums: (number | null)[];
  labels?: string[];
} {
  if (values.every((v) => v === null || typeof v === 'number')) return { nums: values as (number | null)[] };
  const labels = [...new Set(values.filter((v) => v !== null).map(String))].sort();
  return { nums: values.map((v) => (v === null ? null : labels.indexOf(String(v)))), labels };
}

const background = backgroundPlugin(() => theme);

/** Min and max of each parallel axis, written at its top and bottom. */
function axisLabels(ranges: () => { min: string; max: string }[]): Plugin {
  return {
    id: 'runlensAxisRanges',
    afterDraw(chart) {
      const x = chart.scales.x;
      const { top, bottom } = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.fillStyle = theme.muted;
      ctx.font = `${theme.fontSize - 2}px ${theme.fontFamily}`;
      ctx.textAlign = 'center';
      ranges().forEach((r, i) => {
        const px = x.getPixelForValue(i);
        ctx.strokeStyle = theme.grid;
        ctx.beginPath();
        ctx.moveTo(px, top);
        ctx.lineTo(px, bottom);
        ctx.stroke();
        ctx.fillText(r.max, px, top - 4);
        ctx.fillText(r.min, px, bottom + 12);
      });
      ctx.restore();
    },
  };
}

function chartFont() {
  return { family: theme.fontFamily, size: theme.fontSize - 1 };
}

function renderParallel(s: CompareSnapshot): void {
  const metric = options(
    parallelMetric,
    s.metrics.map((m) => m.key),
    state.parallelMetric,
  );
  state.parallelMetric = metric;
  const params = s.params.filter((p) => p.differs || !state.onlyDiffering);
  const axes: { label: string; nums: (number | null)[]; labels?: string[] }[] = params.map((p) => ({
    label: p.key,
    ...axisOf(p.values),
  }));
  const m = s.metrics.find((x) => x.key === metric);
  if (m)
    axes.push({
      label: `${m.key} (${STAT_LABELS[state.stat].toLowerCase()})`,
      nums: m.stats[state.stat].map((c) => c?.value ?? null),
    });
  const ranges = axes.map((a) => {
    const finite = a.nums.filter((v): v is number => v !== null);
    const min = finite.length ? Math.min(...finite) : 0;
    const max = finite.length ? Math.max(...finite) : 1;
    return {
      min,
      max,
      text: a.labels
        ? { min: a.labels[0] ?? '', max: a.labels[a.labels.length - 1] ?? '' }
        : { min: formatNumber(min), max: formatNumber(max) },
    };
  });
  const datasets = s.runs.map((r, i) => ({
    label: r.name,
    data: axes.map((a, k) => {
      const v = a.nums[i];
      const { min, max } = ranges[k];
      return v === null ? null : max === min ? 0.5 : (v - min) / (max - min);
    }),
    borderColor: themedColor(r.color, theme),
    backgroundColor: themedColor(r.color, theme),
    borderWidth: r.isBaseline ? 3 : 1.5,
    pointRadius: 2,
    spanGaps: false,
  }));
  parallelChart?.destroy();
  parallelChart = new Chart(parallelCanvas, {
    type: 'line',
    data: { labels: axes.map((a) => a.label), datasets },
    plugins: [background, axisLabels(() => ranges.map((r) => r.text))],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      layout: { padding: { top: 18, bottom: 4, left: 8, right: 8 } },
      font: chartFont(),
      color: theme.foreground,
      plugins: {
        tooltip: {
          callbacks: {
            label: (item) => {
              const a = axes[item.dataIndex];
              const v = a.nums[item.datasetIndex];
              return `${item.dataset.label}: ${v === null ? '–' : a.labels ? a.labels[v] : formatNumber(v)}`;
            },
          },
        },
      },
      scales: {
        x: {
          type: 'category',
          offset: false,
          grid: { display: false },
          ticks: { color: theme.foreground, padding: 14 },
          border: { color: theme.grid },
        },
        y: { type: 'linear', min: 0, max: 1, display: false },
      },
    },
  });
}

function renderScatter(s: CompareSnapshot): void {
  const param = options(
    scatterParam,
    s.params.map((p) => p.key),
    state.scatter.param,
  );
  const metric = options(
    scatterMetric,
    s.metrics.map((m) => m.key),
    state.scatter.metric,
  );
  state.scatter = { param, metric };
  const p = s.params.find((x) => x.key === param);
  const m = s.metrics.find((x) => x.key === metric);
  const xs = p ? axisOf(p.values) : { nums: s.runs.map(() => null) };
  const ys = m ? m.stats[state.stat].map((c) => c?.value ?? null) : [];
  const datasets = s.runs.map((r, i) => ({
    label: r.name,
    data: xs.nums[i] !== null && ys[i] !== null && ys[i] !== undefined ? [{ x: xs.nums[i]!, y: ys[i]! }] : [],
    backgroundColor: themedColor(r.color, theme),
    borderColor: r.isBaseline ? theme.foreground : themedColor(r.color, theme),
    pointRadius: r.isBaseline ? 6 : 4,
    pointHoverRadius: 7,
  }));
  scatterChart?.destroy();
  const axisStyle = {
    grid: { color: theme.grid },
    border: { color: theme.grid },
    ticks: { color: theme.muted },
  };
  scatterChart = new Chart(scatterCanvas, {
    type: 'scatter',
    data: { datasets },
    plugins: [background],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      font: chartFont(),
      color: theme.foreground,
      plugins: {
        tooltip: {
          callbacks: {
            label: (item) => {
              const pt = item.raw as { x: number; y: number };
              const xText = xs.labels ? xs.labels[pt.x] : formatNumber(pt.x);
              return `${item.dataset.label}: ${param}=${xText}, ${metric}=${formatNumber(pt.y)}`;
            },
          },
        },
      },
      scales: {
        x: {
          type: 'linear',
          ...axisStyle,
          title: { display: true, text: param ?? '', color: theme.foreground },
          ticks: {
            color: theme.muted,
            ...(xs.labels
              ? { stepSize: 1, callback: (v: string | number) => xs.labels![Number(v)] ?? '' }
              : {}),
          },
          ...(xs.labels ? { min: -0.5, max: xs.labels.length - 0.5 } : {}),
        },
        y: {
          type: 'linear',
          ...axisStyle,
          title: {
            display: true,
            text: metric ? `${metric} (${STAT_LABELS[state.stat].toLowerCase()})` : '',
            color: theme.foreground,
          },
          ticks: { color: theme.muted, callback: (v: string | number) => formatNumber(Number(v)) },
        },
      },
    },
  });
}

function render(): void {
  save();
  const s = snapshot;
  if (!s) return;
  notices.replaceChildren(...s.notices.map((t) => el('div', { text: t })));
  if (s.runs.length < 2) notices.append(el('div', { text: 'Select two or more runs to compare them.' }));
  baselineSelect.replaceChildren(
    el('option', { value: '', text: 'None' }),
    ...s.runs.map((r) => el('option', { value: r.ref, text: r.name })),
  );
  baselineSelect.value = s.baselineRef ?? '';
  stepInput.value = s.step === null ? '' : String(s.step);
  renderTable(s);
  renderParallel(s);
  renderScatter(s);
  const cols = table.querySelectorAll('thead th').length;
  requestAnimationFrame(() => post({ type: 'rendered', rows: s.runs.length, columns: cols }));
}

onThemeChange(() => {
  theme = readTheme();
  render();
});

post({ type: 'ready' });
