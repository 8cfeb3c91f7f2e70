import type { ChartDataset } from 'chart.js';
import { smooth } from '../../src/core/charts/downsample';
import { assertNever } from '../../src/protocol/common';
import type { SeriesData } from '../../src/protocol/metrics';
import { plural } from '../shared/dom';
import { themedColor } from '../shared/theme';
import { X_LABELS } from './format';
import { renderTable } from './table';
import { state, view } from './state';
import type { ChartView, Line, Point } from './state';

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
  const runs = new Map((view.snapshot?.runs ?? []).map((r) => [r.ref, r]));
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
export function refreshDatasets(v: ChartView): void {
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
    const color = themedColor(line.run.color, view.theme);
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
  // Steps are whole numbers: no tick at step 0.2 around a single point.
  (x as { ticks: { precision?: number } }).ticks.precision = state.xAxis === 'step' ? 0 : undefined;
  v.chart.update('none');
  const missing = v.data.missing
    .map((ref) => view.snapshot?.runs.find((r) => r.ref === ref)?.name ?? ref)
    .slice(0, 8);
  const reduced = v.data.series.filter((s) => s.total > s.steps.length).length;
  v.footer.textContent = [
    missing.length
      ? `No "${v.key}" in: ${missing.join(', ')}${v.data.missing.length > 8 ? ` and ${v.data.missing.length - 8} more` : ''}.`
      : '',
    reduced && !v.zoomed
      ? `${reduced} long series reduced to about ${plural(view.snapshot?.points ?? 0, 'point')} (zoom in for full resolution).`
      : '',
    v.zoomed ? 'Zoomed: full resolution in this range.' : '',
  ]
    .filter(Boolean)
    .join(' ');
  v.canvas.setAttribute(
    'aria-label',
    `${v.key} against ${X_LABELS[state.xAxis]}, ${plural(v.lines.length, 'run')}${log ? ', log scale' : ''}. Arrow keys pan, + and - zoom, 0 resets, up arrow goes to the chart's buttons.`,
  );
  renderTable(v);
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
