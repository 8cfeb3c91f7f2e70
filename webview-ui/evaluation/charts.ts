/** Chart.js pieces shared by the evaluation and gate webviews: curve charts on the theme's colours. */
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
  ScatterController,
  Tooltip,
} from 'chart.js';
import type { ChartDataset } from 'chart.js';
import type { CurveData } from '../../src/protocol/evaluation';
import { formatNumber } from '../shared/dom';
import type { ThemeColors } from '../shared/theme';
import { backgroundPlugin, themedColor } from '../shared/theme';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  ScatterController,
  Tooltip,
);

/** Hues that stay apart for up to ten classes; lightness follows the theme (themedColor). */
const HUES = [210, 25, 130, 340, 45, 270, 175, 0, 90, 300];

export function classColor(i: number, theme: ThemeColors): string {
  if (theme.highContrast)
    return i === 0 ? theme.foreground : themedColor(`hsl(${HUES[i % 10]}, 90%, 50%)`, theme);
  return themedColor(`hsl(${HUES[i % HUES.length]}, 70%, 50%)`, theme);
}

/** An hsl() colour at an opacity (for dense scatter plots). */
export function withAlpha(color: string, alpha: number): string {
  const m = /^hsl\((.*)\)$/.exec(color);
  return m ? `hsla(${m[1]}, ${alpha})` : color;
}

export interface CurveSet {
  /** Legend prefix ("" for the one run shown, else the run's name). */
  prefix: string;
  curves: CurveData[];
  dashed: boolean;
}

export function curveDatasets(
  sets: CurveSet[],
  theme: ThemeColors,
  areaName: string,
): ChartDataset<'scatter', { x: number; y: number }[]>[] {
  const labels = [...new Set(sets.flatMap((s) => s.curves.map((c) => c.label)))];
  // Each run's curves get their own colours (the baseline's are also dashed).
  return sets.flatMap((s, k) =>
    s.curves.map((c) => {
      const color = classColor(k * labels.length + labels.indexOf(c.label), theme);
      const area = c.area === null ? '' : ` (${areaName} ${formatNumber(c.area)})`;
      const name = labels.length > 1 || !s.prefix ? c.label : '';
      return {
        label: `${[s.prefix, name].filter(Boolean).join(' · ')}${area}`,
        data: c.x.map((x, i) => ({ x, y: c.y[i] })),
        showLine: true,
        borderColor: color,
        backgroundColor: color,
        borderWidth: s.dashed ? 1.5 : 2,
        borderDash: s.dashed ? [6, 4] : undefined,
        pointRadius: 0,
        pointHoverRadius: 3,
      };
    }),
  );
}

/** A dotted reference line (chance diagonal, perfect calibration). */
export function referenceLine(
  from: [number, number],
  to: [number, number],
  label: string,
  theme: ThemeColors,
): ChartDataset<'scatter', { x: number; y: number }[]> {
  return {
    label,
    data: [
      { x: from[0], y: from[1] },
      { x: to[0], y: to[1] },
    ],
    showLine: true,
    borderColor: theme.muted,
    backgroundColor: theme.muted,
    borderWidth: 1,
    borderDash: [2, 3],
    pointRadius: 0,
    pointHoverRadius: 0,
  };
}

/** A scatter/line chart with linear axes on the theme; unit: both axes over [0, 1]. */
export function xyChart(
  canvas: HTMLCanvasElement,
  datasets: ChartDataset<'scatter', { x: number; y: number }[]>[],
  o: { x: string; y: string; unit?: boolean; legend?: boolean },
  theme: ThemeColors,
): Chart {
  const axis = (title: string) => ({
    type: 'linear' as const,
    min: o.unit ? 0 : undefined,
    max: o.unit ? 1 : undefined,
    grid: { color: theme.grid },
    border: { color: theme.grid },
    ticks: { color: theme.muted, callback: (v: number | string) => formatNumber(Number(v)) },
    title: { display: true, text: title, color: theme.foreground },
  });
  return new Chart<'scatter', { x: number; y: number }[]>(canvas, {
    type: 'scatter',
    data: { datasets },
    plugins: [backgroundPlugin(() => theme)],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      font: { family: theme.fontFamily, size: theme.fontSize - 1 },
      color: theme.foreground,
      plugins: {
        legend: {
          display: o.legend ?? true,
          position: 'bottom',
          labels: { color: theme.foreground, boxWidth: 14, boxHeight: 2 },
        },
        tooltip: {
          callbacks: {
            label: (item) => {
              const p = item.raw as { x: number; y: number };
              return `${item.dataset.label ?? ''}: ${o.x} ${formatNumber(p.x)}, ${o.y} ${formatNumber(p.y)}`;
            },
          },
        },
      },
      scales: { x: axis(o.x), y: axis(o.y) },
    },
  });
}

export function pointsOf(chart: Chart): number {
  return chart.data.datasets.reduce((n, d) => n + d.data.length, 0);
}
