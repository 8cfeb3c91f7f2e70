import * as fs from 'node:fs';
import type { NonFiniteCode, RunInfo } from '../../protocol/common';
import type { ChartData, MetricsSnapshot, SeriesData, ZoomRange } from '../../protocol/metrics';
import { goalOf } from '../metrics/goals';
import type { Goal } from '../metrics/goals';
import { scanMetrics } from '../store/metrics';
import type { ScanWarning, Series } from '../store/metrics';
import { readMetricsCache, writeMetricsCache } from '../store/metricsCache';
import type { RunEntry } from '../store/types';
import { ExtremaBuckets, bucketsFor, downsampleIndices } from './downsample';
import { plural } from '../format';
import { csvCell, formatCsvNumber } from '../format';

/** A run a panel shows: its index entry, where its metrics are, and the handle the webview uses. */
export interface PanelRun {
  ref: string;
  entry: RunEntry;
  metricsFile: string;
}

/** The series of one metric as columns; read-only views (they may share the cache's memory). */
export interface ColumnSeries {
  key: string;
  steps: Float64Array;
  values: Float64Array;
  times: Float64Array;
  /** Steps never decrease (known while reading): no sort needed before downsampling. */
  sorted?: boolean;
}

/** A growable column of numbers: appends double the capacity when full. */
class Column {
  constructor(
    private data: Float64Array,
    public n: number,
  ) {}

  /** A copy of `a` with room for an eighth more points: a training run's next points need no copy. */
  static withRoom(a: Float64Array): Column {
    const data = new Float64Array(a.length + Math.max(64, a.length >> 3));
    data.set(a);
    return new Column(data, a.length);
  }

  static empty(): Column {
    return new Column(new Float64Array(64), 0);
  }

  push(v: number): void {
    if (this.n === this.data.length) {
      const grown = new Float64Array(Math.max(64, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.n++] = v;
  }

  last(): number {
    return this.data[this.n - 1];
  }

  view(): Float64Array {
    return this.data.subarray(0, this.n);
  }
}

interface Growing {
  key: string;
  steps: Column;
  values: Column;
  times: Column;
  sorted: boolean;
}

interface FileState {
  /** Inode of the file read: a new one means it was replaced, not appended to. */
  ino: number;
  offset: number;
  line: number;
  columns: Map<string, Growing>;
  series: Map<string, ColumnSeries>;
  t0: number;
  warnings: ScanWarning[];
  /** Bytes the metrics cache file on disk covers. */
  cachedOffset: number;
  /** The last reduction of each key for the panel (unchanged series are not reduced again). */
  reduced: Map<
    string,
    { length: number; points: number; t0: number; data: SeriesData; buckets?: ExtremaBuckets }
  >;
}

/** Parsed JSONL bytes that make writing the cache worth it: at least this, and half of what it holds. */
const CACHE_WRITE_BYTES = 256 * 1024;

/**
 * Full-resolution series of the runs a panel shows, per metrics file. A file that grew is read
 * from where the last read stopped (metric files are append-only), so a training run's new points
 * cost only their own bytes; a file that shrank was replaced and is read again. A file never read
 * in this process starts from its binary cache (store/metricsCache.ts) when there is a valid one,
 * and the cache is rewritten when enough new JSONL was parsed.
 */
export class SeriesCache {
  private readonly files = new Map<string, FileState>();

  constructor(private readonly options: { writeCache?: boolean } = {}) {}

  load(file: string): FileState {
    let state = this.files.get(file);
    const stat = statOf(file);
    if (state && (stat.ino !== state.ino || stat.size < state.offset)) state = undefined;
    if (!state) {
      state = fromCache(file, stat.ino);
      this.files.set(file, state);
    }
    const s = state;
    let result: ReturnType<typeof scanMetrics>;
    try {
      result = scanMetrics(
        file,
        (p) => {
          let g = s.columns.get(p.key);
          if (!g)
            s.columns.set(
              p.key,
              (g = {
                key: p.key,
                steps: Column.empty(),
                values: Column.empty(),
                times: Column.empty(),
                sorted: true,
              }),
            );
          if (g.sorted && g.steps.n > 0 && p.step < g.steps.last()) g.sorted = false;
          g.steps.push(p.step);
          g.values.push(p.value);
          g.times.push(p.time);
          if (p.time < s.t0) s.t0 = p.time;
        },
        { fromOffset: s.offset, fromLine: s.line },
      );
    } catch (e) {
      this.files.delete(file);
      throw e;
    }
    const grew = result.endOffset !== s.offset;
    s.offset = result.endOffset;
    s.line += result.lines;
    s.warnings.push(...result.warnings);
    if (grew || s.series.size !== s.columns.size) {
      for (const g of s.columns.values())
        s.series.set(g.key, {
          key: g.key,
          steps: g.steps.view(),
          values: g.values.view(),
          times: g.times.view(),
          sorted: g.sorted,
        });
    }
    const parsed = s.offset - s.cachedOffset;
    if (this.options.writeCache !== false && parsed >= Math.max(CACHE_WRITE_BYTES, s.cachedOffset / 2)) {
      const written = writeMetricsCache(file, {
        offset: s.offset,
        lines: s.line,
        t0: s.t0,
        warnings: s.warnings,
        series: s.series,
      });
      if (written) s.cachedOffset = s.offset;
    }
    return s;
  }

  /** Drop files no longer shown. */
  retain(files: Iterable<string>): void {
    const keep = new Set(files);
    for (const f of this.files.keys()) if (!keep.has(f)) this.files.delete(f);
  }
}

function fromCache(file: string, ino: number): FileState {
  const cached = readMetricsCache(file);
  const state: FileState = {
    ino,
    offset: 0,
    line: 0,
    columns: new Map(),
    series: new Map(),
    t0: Infinity,
    warnings: [],
    cachedOffset: 0,
    reduced: new Map(),
  };
  if (!cached) return state;
  state.offset = state.cachedOffset = cached.offset;
  state.line = cached.lines;
  state.t0 = cached.t0;
  state.warnings = cached.warnings;
  for (const [key, c] of cached.series) {
    const n = c.steps.length;
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) sorted = c.steps[i] >= c.steps[i - 1];
    state.columns.set(key, {
      key,
      steps: Column.withRoom(c.steps),
      values: Column.withRoom(c.values),
      times: Column.withRoom(c.times),
      sorted,
    });
  }
  return state;
}

function statOf(file: string): { ino: number; size: number } {
  try {
    const st = fs.statSync(file);
    return { ino: st.ino, size: st.size };
  } catch (e) {
    // A run without metrics yet has no file: an empty series set, read again when it appears.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ino: -1, size: 0 };
    throw e;
  }
}

/**
 * The colours of the first runs of a panel, in order: hues and lightness chosen to stay apart in the
 * light, dark and high-contrast themes after webview-ui's themedColor moves their lightness (a unit
 * test checks the colour distance of every pair). Hashing ids to hues gave 3 of 6 runs one yellow.
 */
export const RUN_PALETTE = [
  'hsl(212, 80%, 52%)', // blue
  'hsl(28, 92%, 52%)', // orange
  'hsl(140, 62%, 40%)', // green
  'hsl(354, 78%, 56%)', // red
  'hsl(272, 55%, 60%)', // purple
  'hsl(184, 85%, 36%)', // teal
  'hsl(318, 70%, 64%)', // pink
  'hsl(50, 95%, 44%)', // yellow
  'hsl(22, 50%, 36%)', // brown
  'hsl(88, 60%, 50%)', // lime
  'hsl(200, 90%, 76%)', // sky
  'hsl(0, 0%, 52%)', // grey
];

/** A run's colour in a panel: by its position among the panel's runs, then a hue from its id. */
export function runColorAt(index: number, id: string): string {
  return index < RUN_PALETTE.length ? RUN_PALETTE[index] : runColor(id);
}

/** A colour per run id, the same in every panel and session: a hue from a hash of the id. */
export function runColor(id: string): string {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  const hue = (h >>> 0) % 360;
  // Two lightness bands double the number of tellable colours when a hundred runs are shown.
  const light = (h >>> 9) & 1 ? 42 : 56;
  return `hsl(${hue}, 70%, ${light}%)`;
}

/**
 * Legend text per run: its name, and up to `maxParams` params whose values are not the same in all
 * `entries`. Of those, params whose values are paths or long text (a checkpoint folder per run) and
 * Hydra's own bookkeeping (`hydra/job/num`) come last, and a param that groups the runs exactly as
 * one already shown does without telling each run apart (a parameter count derived from a layer
 * size) is left out. Two runs whose labels would still read the same get their
 * id's end, so every legend entry names one run.
 */
export function legendLabels(entries: RunEntry[], maxParams = 4): Map<string, string> {
  const keys = [...new Set(entries.flatMap((e) => Object.keys(e.params)))].sort();
  const valueOf = (e: RunEntry, k: string) => JSON.stringify(e.params[k] ?? null);
  const differing = keys.filter((k) => new Set(entries.map((e) => valueOf(e, k))).size > 1);
  const textual = (k: string) =>
    /^hydra[./]/.test(k) ||
    entries.some((e) => {
      const v = e.params[k];
      return typeof v === 'string' && (/[\\/]/.test(v) || v.length > 32);
    });
  // The partition of the runs a param makes: runs numbered by its value, in order of first sight.
  const partition = (k: string) => {
    const seen = new Map<string, number>();
    return entries
      .map((e) => {
        const v = valueOf(e, k);
        if (!seen.has(v)) seen.set(v, seen.size);
        return seen.get(v)!;
      })
      .join(',');
  };
  const shown: string[] = [];
  const partitions = new Set<string>();
  for (const k of [...differing.filter((k) => !textual(k)), ...differing.filter(textual)]) {
    const p = partition(k);
    const eachApart = new Set(p.split(',')).size === entries.length;
    if (!eachApart && partitions.has(p)) continue;
    partitions.add(p);
    shown.push(k);
  }
  const labels = new Map<string, string>();
  for (const e of entries) {
    const parts = shown
      .filter((k) => k in e.params)
      .slice(0, maxParams)
      .map((k) => `${k}=${e.params[k]}`);
    if (shown.length > maxParams) parts.push('…');
    labels.set(e.id, parts.length ? `${e.name} (${parts.join(', ')})` : e.name);
  }
  // The same text for two runs: only the id tells them apart.
  const count = new Map<string, number>();
  for (const l of labels.values()) count.set(l, (count.get(l) ?? 0) + 1);
  for (const e of entries) {
    const l = labels.get(e.id)!;
    if (count.get(l)! > 1)
      labels.set(
        e.id,
        l.endsWith(')') ? `${l.slice(0, -1)}, ${e.id.slice(-6)})` : `${l} (${e.id.slice(-6)})`,
      );
  }
  return labels;
}

export function runInfos(runs: PanelRun[]): RunInfo[] {
  const labels = legendLabels(runs.map((r) => r.entry));
  return runs.map((r, i) => ({
    ref: r.ref,
    id: r.entry.id,
    name: r.entry.name,
    experiment: r.entry.experiment,
    status: r.entry.status,
    label: labels.get(r.entry.id) ?? r.entry.name,
    color: runColorAt(i, r.entry.id),
  }));
}

/** Points per series for a chart `width` CSS pixels wide: about two per pixel column. */
export function pointBudget(width: number): number {
  return Math.max(64, Math.min(8192, Math.round(2 * (Number.isFinite(width) ? width : 600))));
}

/** A series as parallel columns: plain arrays (read from JSONL) or typed arrays (the cache's). */
type AnySeries = Series | ColumnSeries;

function sortedByStep(s: AnySeries): AnySeries {
  if ('sorted' in s && s.sorted) return s;
  for (let i = 1; i < s.steps.length; i++) {
    if (s.steps[i] < s.steps[i - 1]) {
      const order = Array.from({ length: s.steps.length }, (_, j) => j).sort(
        (a, b) => s.steps[a] - s.steps[b] || a - b,
      );
      return {
        key: s.key,
        steps: order.map((j) => s.steps[j]),
        values: order.map((j) => s.values[j]),
        times: order.map((j) => s.times[j]),
      };
    }
  }
  return s;
}

function axisValues(s: AnySeries, axis: ZoomRange['axis']): ArrayLike<number> {
  return axis === 'step' ? s.steps : s.times;
}

/**
 * Indices of the points of `s` (sorted by step) that downsampling over `axis` keeps: the kept
 * points are found again in the input by a single forward walk.
 */
function keptIndices(
  s: AnySeries,
  points: number,
  axis: ZoomRange['axis'],
  range?: { min: number; max: number },
): number[] {
  return downsampleIndices({ x: axisValues(s, axis), y: s.values }, points, range);
}

/** A series reduced to about `points` points (first, last, each bucket's min and max), same shape. */
export function downsampleSeries(input: AnySeries, points: number): Series {
  const s = sortedByStep(input);
  const idx = keptIndices(s, points, 'step');
  return {
    key: s.key,
    steps: idx.map((i) => s.steps[i]),
    values: idx.map((i) => s.values[i]),
    times: idx.map((i) => s.times[i]),
  };
}

/** Downsample one series over `axis` (optionally within a range) into what the webview draws. */
export function reduceSeries(
  ref: string,
  input: AnySeries,
  t0: number,
  points: number,
  axis: ZoomRange['axis'] = 'step',
  range?: { min: number; max: number },
): SeriesData {
  const s = sortedByStep(input);
  return fromIndices(ref, s, keptIndices(s, points, axis, range), t0);
}

/** The webview's form of the points of `s` at `idx`: non-finite values as null plus a flag. */
function fromIndices(ref: string, s: AnySeries, idx: number[], t0: number): SeriesData {
  const values: (number | null)[] = [];
  const nonFinite: [number, NonFiniteCode][] = [];
  idx.forEach((i, k) => {
    const v = s.values[i];
    if (Number.isFinite(v)) values.push(v);
    else {
      values.push(null);
      nonFinite.push([k, Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity']);
    }
  });
  return {
    ref,
    steps: idx.map((i) => s.steps[i]),
    times: idx.map((i) => s.times[i]),
    values,
    nonFinite,
    total: s.steps.length,
    t0: Number.isFinite(t0) ? t0 : 0,
  };
}

/**
 * The metrics panel's state for `runs`: one chart per metric key (sorted), one downsampled
 * series per run that has the key, runs without it listed as missing.
 */
export function buildMetricsSnapshot(
  runs: PanelRun[],
  options: {
    cache: SeriesCache;
    points: number;
    available?: PanelRun[];
    goals?: Record<string, Goal>;
    notices?: string[];
  },
): MetricsSnapshot {
  const notices = [...(options.notices ?? [])];
  const loaded = runs.map((r) => {
    try {
      return options.cache.load(r.metricsFile);
    } catch (e) {
      notices.push(`${r.entry.name}: ${(e as Error).message}`);
      return undefined;
    }
  });
  for (const f of loaded) {
    const w = f?.warnings[0];
    if (w)
      notices.push(
        `${w.file}:${w.line}: ${w.message}${f.warnings.length > 1 ? ` (and ${plural(f.warnings.length - 1, 'more line')})` : ''}`,
      );
  }
  options.cache.retain(runs.map((r) => r.metricsFile));
  const keys = [...new Set(loaded.flatMap((f) => (f ? [...f.series.keys()] : [])))].sort();
  const charts: ChartData[] = keys.map((key) => {
    const series: SeriesData[] = [];
    const missing: string[] = [];
    runs.forEach((r, i) => {
      const s = loaded[i]?.series.get(key);
      if (!s) missing.push(r.ref);
      else series.push(reducedOnce(loaded[i]!, r.ref, s, options.points));
    });
    return { key, goal: goalOf(key, options.goals) ?? null, series, missing };
  });
  return {
    runs: runInfos(runs),
    available: runInfos(options.available ?? runs),
    charts,
    points: options.points,
    notices,
  };
}

/**
 * reduceSeries, memoised per file and key: a run that logged nothing new costs nothing, and a
 * series that grew (in step order) feeds only its new points to its buckets (ExtremaBuckets gives
 * what a reduction from scratch would).
 */
function reducedOnce(f: FileState, ref: string, s: ColumnSeries, points: number): SeriesData {
  const last = f.reduced.get(s.key);
  const n = s.steps.length;
  if (last && last.length === n && last.points === points && last.t0 === f.t0)
    return last.data.ref === ref ? last.data : { ...last.data, ref };
  if (!s.sorted) {
    const data = reduceSeries(ref, s, f.t0, points);
    f.reduced.set(s.key, { length: n, points, t0: f.t0, data });
    return data;
  }
  let buckets = last?.points === points ? last.buckets : undefined;
  if (!buckets || buckets.length > n) buckets = new ExtremaBuckets(bucketsFor(points));
  buckets.append(s.steps, s.values, n);
  const idx = n <= Math.max(points, 2) ? Array.from({ length: n }, (_, k) => k) : buckets.indices();
  const data = fromIndices(ref, s, idx, f.t0);
  f.reduced.set(s.key, { length: n, points, t0: f.t0, data, buckets });
  return data;
}

/** One chart's series over a zoomed x range, at full resolution up to the same point budget. */
export function zoomSeries(
  runs: PanelRun[],
  key: string,
  range: ZoomRange,
  options: { cache: SeriesCache; points: number },
): SeriesData[] {
  const out: SeriesData[] = [];
  for (const r of runs) {
    const f = options.cache.load(r.metricsFile);
    const s = f.series.get(key);
    if (!s) continue;
    const t0 = Number.isFinite(f.t0) ? f.t0 : 0;
    const shift = range.axis === 'relative' ? t0 : 0;
    out.push(
      reduceSeries(r.ref, s, f.t0, options.points, range.axis === 'step' ? 'step' : 'wall', {
        min: range.min + shift,
        max: range.max + shift,
      }),
    );
  }
  return out;
}

/** Every point of one metric of the runs, full resolution, as CSV (run, run_id, step, time, value). */
export function seriesCsv(runs: PanelRun[], key: string, cache: SeriesCache): string {
  const rows = ['run,run_id,step,time,value'];
  for (const r of runs) {
    const s = cache.load(r.metricsFile).series.get(key);
    if (!s) continue;
    const name = csvCell(r.entry.name);
    for (let i = 0; i < s.steps.length; i++)
      rows.push(`${name},${r.entry.id},${s.steps[i]},${s.times[i]},${formatCsvNumber(s.values[i])}`);
  }
  return rows.join('\n') + '\n';
}
