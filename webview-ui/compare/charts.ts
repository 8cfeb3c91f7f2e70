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
import type { CompareSnapshot } from '../../src/protocol/compare';
import { middleEllipsis, numericValues } from '../../src/core/charts/paramView';
import { el, formatNumber } from '../shared/dom';
import { backgroundPlugin, themedColor } from '../shared/theme';
import { axes as chosenAxes, chosenMetric, shownParams } from './params';
import {
  STAT_LABELS,
  axisAdd,
  axisList,
  axisReset,
  importanceMetric,
  parallelCanvas,
  parallelMetric,
  scatterCanvas,
  scatterMetric,
  scatterParam,
} from './page';
import { state, view } from './state';

Chart.register(
  LineController,
  ScatterController,
  LineElement,
  PointElement,
  LinearScale,
  CategoryScale,
  Tooltip,
);

let parallelChart: Chart | undefined;
let scatterChart: Chart | undefined;

function options<T extends HTMLSelectElement>(
  select: T,
  values: string[],
  current: string | null,
  fallback: string | null = null,
): string | null {
  select.replaceChildren(
    ...values.map((v) => el('option', { value: v, text: middleEllipsis(v, 48), title: v })),
  );
  const chosen =
    current && values.includes(current)
      ? current
      : fallback && values.includes(fallback)
        ? fallback
        : (values[0] ?? null);
  if (chosen !== null) select.value = chosen;
  return chosen;
}

/** A param's values as numbers: numbers (and numeric text) as they are, anything else by its rank among the values. */
function axisOf(values: (string | number | boolean | null)[]): {
  nums: (number | null)[];
  labels?: string[];
} {
  const nums = numericValues(values);
  if (nums) return { nums };
  const labels = [...new Set(values.filter((v) => v !== null).map(String))].sort();
  return { nums: values.map((v) => (v === null ? null : labels.indexOf(String(v)))), labels };
}

const background = backgroundPlugin(() => view.theme);

/** Min and max of each parallel axis, written at its top and bottom. */
function axisLabels(ranges: () => { min: string; max: string }[]): Plugin {
  return {
    id: 'runlensAxisRanges',
    afterDraw(chart) {
      const x = chart.scales.x;
      const { top, bottom } = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.fillStyle = view.theme.muted;
      ctx.font = `${view.theme.fontSize - 2}px ${view.theme.fontFamily}`;
      ctx.textAlign = 'center';
      ranges().forEach((r, i) => {
        const px = x.getPixelForValue(i);
        ctx.strokeStyle = view.theme.grid;
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
  return { family: view.theme.fontFamily, size: view.theme.fontSize - 1 };
}

/** The axis list (each with a remove button), the add-axis choice and the reset button. */
function renderAxisControls(s: CompareSnapshot, shown: string[], rerender: () => void): void {
  axisList.replaceChildren(
    ...shown.map((key) => {
      const remove = el('button', {
        type: 'button',
        class: 'remove',
        text: '×',
        'aria-label': `Remove axis ${key}`,
        title: `Remove axis ${key}`,
      });
      remove.addEventListener('click', () => {
        const next = shown.filter((k) => k !== key);
        state.axes = next;
        rerender();
        // Keep the keyboard where it was: on the next axis's button, else on the add choice.
        const buttons = axisList.querySelectorAll<HTMLButtonElement>('button.remove');
        (buttons[Math.min(shown.indexOf(key), buttons.length - 1)] ?? axisAdd).focus();
      });
      return el('li', { class: 'chip', title: key }, el('span', { text: middleEllipsis(key, 28) }), remove);
    }),
  );
  const addable = s.params.filter((p) => p.differs && !shown.includes(p.key)).map((p) => p.key);
  axisAdd.replaceChildren(
    el('option', { value: '', text: addable.length ? 'choose a param…' : 'no other param differs' }),
    ...addable.map((k) => el('option', { value: k, text: middleEllipsis(k, 48), title: k })),
  );
  axisAdd.value = '';
  axisAdd.disabled = addable.length === 0;
  axisReset.disabled = state.axes === null || state.axes === undefined;
}

export function renderParallel(s: CompareSnapshot, rerender: () => void): void {
  const m = chosenMetric(s);
  const metricKeys = s.metrics.map((x) => x.key);
  state.parallelMetric = options(parallelMetric, metricKeys, m?.key ?? null);
  options(importanceMetric, metricKeys, m?.key ?? null);
  const shown = chosenAxes(s);
  renderAxisControls(s, shown, rerender);
  const byKey = new Map(s.params.map((p) => [p.key, p]));
  const axes: { label: string; nums: (number | null)[]; labels?: string[] }[] = shown.map((key) => ({
    label: key,
    ...axisOf(byKey.get(key)!.values),
  }));
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
        ? {
            min: middleEllipsis(a.labels[0] ?? '', 18),
            max: middleEllipsis(a.labels[a.labels.length - 1] ?? '', 18),
          }
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
    borderColor: themedColor(r.color, view.theme),
    backgroundColor: themedColor(r.color, view.theme),
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
      layout: { padding: { top: 18, bottom: 4, left: 24, right: 28 } },
      font: chartFont(),
      color: view.theme.foreground,
      plugins: {
        tooltip: {
          callbacks: {
            title: (items) => axes[items[0]?.dataIndex ?? 0]?.label ?? '',
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
          ticks: {
            color: view.theme.foreground,
            padding: 14,
            autoSkip: false,
            maxRotation: 30,
            callback: (_v: string | number, i: number) => middleEllipsis(axes[i]?.label ?? '', 26),
          },
          border: { color: view.theme.grid },
        },
        y: { type: 'linear', min: 0, max: 1, display: false },
      },
    },
  });
}

export function renderScatter(s: CompareSnapshot): void {
  // By default the param most related to the metric (the first default axis), not the first by name.
  const keys = shownParams(s).map((p) => p.key);
  const param = options(scatterParam, keys, state.scatter.param, chosenAxes(s)[0] ?? null);
  const metric = options(
    scatterMetric,
    s.metrics.map((m) => m.key),
    state.scatter.metric,
    chosenMetric(s)?.key ?? null,
  );
  state.scatter = { param, metric };
  const p = s.params.find((x) => x.key === param);
  const m = s.metrics.find((x) => x.key === metric);
  const xs = p ? axisOf(p.values) : { nums: s.runs.map(() => null) };
  const ys = m ? m.stats[state.stat].map((c) => c?.value ?? null) : [];
  const datasets = s.runs.map((r, i) => ({
    label: r.name,
    data: xs.nums[i] !== null && ys[i] !== null && ys[i] !== undefined ? [{ x: xs.nums[i]!, y: ys[i]! }] : [],
    backgroundColor: themedColor(r.color, view.theme),
    borderColor: r.isBaseline ? view.theme.foreground : themedColor(r.color, view.theme),
    pointRadius: r.isBaseline ? 6 : 4,
    pointHoverRadius: 7,
  }));
  scatterChart?.destroy();
  const axisStyle = {
    grid: { color: view.theme.grid },
    border: { color: view.theme.grid },
    ticks: { color: view.theme.muted },
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
      color: view.theme.foreground,
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
          title: { display: true, text: param ?? '', color: view.theme.foreground },
          ticks: {
            color: view.theme.muted,
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
            color: view.theme.foreground,
          },
          ticks: { color: view.theme.muted, callback: (v: string | number) => formatNumber(Number(v)) },
        },
      },
    },
  });
}
