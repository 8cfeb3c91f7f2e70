import { scanMetrics } from '../store/metrics';
import type { ScanWarning } from '../store/metrics';
import { readMetricsCache } from '../store/metricsCache';
import { SeriesCache } from './panelData';
import type { ColumnSeries } from './panelData';
import { csvCell } from '../format';

/**
 * Whole series of a run's metrics file, from its binary columns (metrics.cache, viewed in place)
 * plus the JSONL after them; with no valid cache the JSONL is parsed once for all keys and the
 * cache written for next time. A key the run does not have comes back empty.
 */
export function readWholeSeries(
  file: string,
  keys: readonly string[],
): { series: ColumnSeries[]; warnings: ScanWarning[] } {
  const empty = new Float64Array(0);
  const cached = readMetricsCache(file);
  if (cached === undefined) {
    const state = new SeriesCache().load(file);
    const series = keys.map(
      (key) => state.series.get(key) ?? { key, steps: empty, values: empty, times: empty },
    );
    return { series, warnings: state.warnings };
  }
  const wanted = new Set(keys);
  const after = new Map<string, { steps: number[]; values: number[]; times: number[] }>();
  const scan = scanMetrics(
    file,
    (p) => {
      if (!wanted.has(p.key)) return;
      let a = after.get(p.key);
      if (!a) after.set(p.key, (a = { steps: [], values: [], times: [] }));
      a.steps.push(p.step);
      a.values.push(p.value);
      a.times.push(p.time);
    },
    { fromOffset: cached.offset, fromLine: cached.lines },
  );
  const joined = (head: Float64Array, tail: number[] | undefined) => {
    if (!tail?.length) return head;
    const all = new Float64Array(head.length + tail.length);
    all.set(head);
    all.set(tail, head.length);
    return all;
  };
  const series = keys.map((key) => {
    const c = cached.series.get(key);
    const a = after.get(key);
    return {
      key,
      steps: joined(c?.steps ?? empty, a?.steps),
      values: joined(c?.values ?? empty, a?.values),
      times: joined(c?.times ?? empty, a?.times),
    };
  });
  return { series, warnings: [...cached.warnings, ...scan.warnings] };
}

/** Points formatted at a time: output is written as it is made, never built whole. */
const BLOCK = 2048;

/**
 * The JSON text of each number of `col[from..to)` (non-finite ones as "NaN", "Infinity",
 * "-Infinity" in quotes). JSON.stringify of a plain array formats numbers several times faster
 * than a String() call per number.
 */
function numberTexts(col: Float64Array, from: number, to: number): string[] {
  const arr = Array.from(col.subarray(from, to));
  if (arr.length === 0) return [];
  const texts = JSON.stringify(arr).slice(1, -1).split(',');
  for (let i = 0; i < arr.length; i++) if (!Number.isFinite(arr[i])) texts[i] = quotedNonFinite(arr[i]);
  return texts;
}

function quotedNonFinite(v: number): string {
  return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

/**
 * The compact JSON of `{key: {key, steps, values, times}}` (non-finite values as "NaN", "Infinity",
 * "-Infinity"), byte for byte what JSON.stringify writes, in chunks.
 */
export function* seriesJsonChunks(series: readonly ColumnSeries[]): Generator<string> {
  // Keys in the order a JSON object keeps them (integer-like keys first), as JSON.stringify does.
  const order = Object.keys(Object.fromEntries(series.map((s) => [s.key, s])));
  const byKey = new Map(series.map((s) => [s.key, s]));
  let head = '{';
  for (const key of order) {
    const s = byKey.get(key)!;
    const k = JSON.stringify(key);
    head += `${head === '{' ? '' : ','}${k}:{"key":${k}`;
    for (const [name, col] of [
      ['steps', s.steps],
      ['values', s.values],
      ['times', s.times],
    ] as const) {
      head += `,"${name}":[`;
      for (let i = 0; i < col.length; i += BLOCK) {
        yield head + (i ? ',' : '') + numberTexts(col, i, Math.min(col.length, i + BLOCK)).join(',');
        head = '';
      }
      head += ']';
    }
    head += '}';
  }
  yield head + '}';
}

/** `key,step,value,time` rows, one point a line. */
export function* seriesCsvChunks(series: readonly ColumnSeries[]): Generator<string> {
  yield 'key,step,value,time';
  for (const s of series) {
    const key = csvCell(s.key);
    for (let i = 0; i < s.steps.length; i += BLOCK) {
      const to = Math.min(s.steps.length, i + BLOCK);
      const steps = numberTexts(s.steps, i, to);
      const values = numberTexts(s.values, i, to);
      const times = numberTexts(s.times, i, to);
      let out = '';
      for (let j = 0; j < steps.length; j++) {
        const v = values[j].charCodeAt(0) === 34 ? values[j].slice(1, -1) : values[j];
        out += `\n${key},${steps[j]},${v},${times[j]}`;
      }
      yield out;
    }
  }
}

/** One `{"key","step","value","time"}` object a line. */
export function* seriesJsonlChunks(series: readonly ColumnSeries[]): Generator<string> {
  let sep = '';
  for (const s of series) {
    const key = JSON.stringify(s.key);
    for (let i = 0; i < s.steps.length; i += BLOCK) {
      const to = Math.min(s.steps.length, i + BLOCK);
      const steps = numberTexts(s.steps, i, to);
      const values = numberTexts(s.values, i, to);
      const times = numberTexts(s.times, i, to);
      let out = '';
      for (let j = 0; j < steps.length; j++) {
        out += `${sep}{"key":${key},"step":${steps[j]},"value":${values[j]},"time":${times[j]}}`;
        sep = '\n';
      }
      yield out;
    }
  }
}
