import * as fs from 'node:fs';
import { RunlensError } from '../errors';
import { getOwn, setOwn } from './records';
import type { MetricPoint, MetricSummary } from './types';

export const METRICS_SCHEMA_VERSION = 1;
export const METRICS_HEADER = JSON.stringify({
  schema: 'runlens.metrics',
  schemaVersion: METRICS_SCHEMA_VERSION,
});

export type MetricValueInput = number | string | boolean | bigint | null | undefined;

/**
 * Validate a value a script logged. Numbers (NaN and infinities included) are kept; anything
 * else is refused with the key named, so a typo never turns into a silent zero.
 */
export function checkMetricValue(key: string, value: unknown): number {
  if (typeof key !== 'string' || key.length === 0) {
    throw new RunlensError(
      `metric key must be a non-empty string, got ${JSON.stringify(key)}`,
      undefined,
      'usage',
    );
  }
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new RunlensError(
    `metric "${key}" must be a number, got ${describe(value)}`,
    'log numbers only (NaN and Infinity are allowed); put text in params or tags',
    'usage',
  );
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return typeof v;
}

/** JSON cannot hold NaN or infinities: they are written as the strings "NaN", "Infinity", "-Infinity". */
export function encodeValue(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

export function decodeValue(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return undefined;
}

/** Decode the numbers of metric summaries read back from JSON (see nonFiniteReplacer). */
export function decodeSummaries(summary: Record<string, MetricSummary> | null | undefined): void {
  if (!summary) return;
  for (const s of Object.values(summary)) {
    for (const f of ['last', 'min', 'max'] as const) {
      const v = decodeValue(s[f]);
      // null is how a plain JSON.stringify wrote NaN before.
      s[f] = v === undefined ? NaN : v;
    }
  }
}

export function formatPoint(p: MetricPoint): string {
  const o: Record<string, unknown> = { key: p.key, value: encodeValue(p.value), step: p.step, time: p.time };
  if (p.source) o.source = p.source;
  return JSON.stringify(o);
}

export interface ScanWarning {
  file: string;
  line: number;
  offset: number;
  message: string;
}

export interface ScanResult {
  /** Offset just after the last complete line read; resume here to read only what was appended. */
  endOffset: number;
  /** Number of complete lines seen from the start offset. */
  lines: number;
  warnings: ScanWarning[];
  /** A last line without its newline: being written now, or torn by a crash. */
  partialTail: boolean;
}

const CHUNK = 1 << 22;
let sharedChunk: Buffer | undefined;
let chunkInUse = false;

/**
 * Stream metrics.jsonl from `fromOffset`, calling `onPoint` for each valid point. Memory stays
 * bounded by the chunk size. Malformed lines are skipped with a warning naming file and line;
 * an unterminated last line is not consumed (see `partialTail`).
 */
export function scanMetrics(
  file: string,
  onPoint: (p: MetricPoint) => void,
  options: { fromOffset?: number; fromLine?: number; key?: string } = {},
): ScanResult {
  const warnings: ScanWarning[] = [];
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return { endOffset: options.fromOffset ?? 0, lines: 0, warnings, partialTail: false };
    }
    throw e;
  }
  // A cheap pre-filter: a line that does not contain the quoted key cannot be a point of that key.
  const keyNeedle =
    options.key !== undefined && /^[\x20-\x7e]*$/.test(options.key) && !/["\\]/.test(options.key)
      ? JSON.stringify(options.key)
      : undefined;
  let offset = options.fromOffset ?? 0;
  let lineNo = options.fromLine ?? 0;
  let lines = 0;
  let pending: Buffer = Buffer.alloc(0);
  // Small files get a buffer of their size; large ones share one 4 MB chunk buffer, so scanning
  // thousands of run folders does not allocate 4 MB each.
  const size = fs.fstatSync(fd).size - (options.fromOffset ?? 0);
  const usingShared = size >= CHUNK && !chunkInUse;
  if (usingShared) {
    sharedChunk ??= Buffer.allocUnsafe(CHUNK);
    chunkInUse = true;
  }
  const buf = usingShared ? sharedChunk! : Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 256)));
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, offset + pending.length);
      if (n === 0) break;
      const bytes = pending.length > 0 ? Buffer.concat([pending, buf.subarray(0, n)]) : buf.subarray(0, n);
      // Cut at the last newline in bytes, so a multi-byte character is never split.
      const lastNl = bytes.lastIndexOf(10);
      if (lastNl < 0) {
        pending = Buffer.from(bytes);
        continue;
      }
      const text = bytes.toString('utf8', 0, lastNl + 1);
      const chunkBase = offset;
      let start = 0;
      while (start < text.length) {
        const nl = text.indexOf('\n', start);
        const line = text.slice(start, nl);
        const lineStart = start;
        start = nl + 1;
        lineNo++;
        lines++;
        if (line.length === 0) continue;
        if (keyNeedle !== undefined && !line.includes(keyNeedle)) continue;
        const point = parsePointLine(line);
        if (point === null) continue;
        if (typeof point === 'string') {
          const at = chunkBase + Buffer.byteLength(text.slice(0, lineStart));
          warnings.push({ file, line: lineNo, offset: at, message: point });
          continue;
        }
        onPoint(point);
      }
      offset += lastNl + 1;
      pending = Buffer.from(bytes.subarray(lastNl + 1));
    }
  } finally {
    if (usingShared) chunkInUse = false;
    fs.closeSync(fd);
  }
  return { endOffset: offset, lines, warnings, partialTail: pending.length > 0 };
}

const KEY_PREFIX = '{"key":"';

/**
 * The layout every Runlens writer uses, `{"key":"k","value":v,"step":s,"time":t}` with an optional
 * `"source":"stdout"`, read without JSON.parse (several times faster on long series). Anything
 * else, or a key with escapes, returns undefined and goes through JSON.parse.
 */
function parseCanonical(line: string): MetricPoint | undefined {
  if (!line.startsWith(KEY_PREFIX)) return undefined;
  const keyEnd = line.indexOf('"', KEY_PREFIX.length);
  if (keyEnd < 0) return undefined;
  const key = line.slice(KEY_PREFIX.length, keyEnd);
  if (key.includes('\\')) return undefined;
  if (!line.startsWith(',"value":', keyEnd + 1)) return undefined;
  const valueStart = keyEnd + 10;
  const stepAt = line.indexOf(',"step":', valueStart);
  if (stepAt < 0) return undefined;
  const timeAt = line.indexOf(',"time":', stepAt + 8);
  if (timeAt < 0) return undefined;
  let end = line.length - 1;
  if (line.charCodeAt(end) !== 125) return undefined;
  let source: 'stdout' | undefined;
  if (line.endsWith(',"source":"stdout"}')) {
    source = 'stdout';
    end = line.length - 19;
  }
  const rawValue = line.slice(valueStart, stepAt);
  const value = rawValue.charCodeAt(0) === 34 ? decodeValue(rawValue.slice(1, -1)) : Number(rawValue);
  const step = Number(line.slice(stepAt + 8, timeAt));
  const time = Number(line.slice(timeAt + 8, end));
  if (
    value === undefined ||
    (Number.isNaN(value) && rawValue !== '"NaN"') ||
    Number.isNaN(step) ||
    Number.isNaN(time)
  ) {
    return undefined;
  }
  return source ? { key, value, step, time, source } : { key, value, step, time };
}

/** A point, null for the header line, or a string saying why the line is not a point. */
export function parsePointLine(line: string): MetricPoint | null | string {
  const fast = parseCanonical(line);
  if (fast !== undefined) return fast;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line);
  } catch {
    return `not valid JSON: ${line.length > 60 ? line.slice(0, 60) + '…' : line}`;
  }
  if (o === null || typeof o !== 'object') return 'not a JSON object';
  if (o.schema === 'runlens.metrics') {
    if (typeof o.schemaVersion === 'number' && o.schemaVersion > METRICS_SCHEMA_VERSION) {
      throw new RunlensError(
        `metrics file has schema version ${o.schemaVersion}, newer than this Runlens understands (${METRICS_SCHEMA_VERSION})`,
        'upgrade Runlens',
      );
    }
    return null;
  }
  const value = decodeValue(o.value);
  if (typeof o.key !== 'string' || value === undefined || typeof o.step !== 'number') {
    return 'missing or mistyped key/value/step';
  }
  const p: MetricPoint = { key: o.key, value, step: o.step, time: typeof o.time === 'number' ? o.time : 0 };
  if (o.source === 'stdout') p.source = 'stdout';
  return p;
}

export function foldSummary(summary: Record<string, MetricSummary>, p: MetricPoint): void {
  foldPoint(summary, p.key, p.value, p.step, p.time, p.source);
}

/** foldSummary of one point given as its fields. */
export function foldPoint(
  summary: Record<string, MetricSummary>,
  key: string,
  value: number,
  step: number,
  time: number,
  source?: 'stdout',
): void {
  let s = getOwn(summary, key);
  if (s === undefined) {
    s = {
      last: value,
      lastStep: step,
      min: value,
      max: value,
      minStep: step,
      maxStep: step,
      count: 0,
      lastTime: time,
      ...(source ? { source } : {}),
    };
    setOwn(summary, key, s);
  }
  foldInto(s, value, step, time);
}

/**
 * One point into a key's summary; a summary of no points (count 0: made beforehand, as importers
 * do) takes the point as its first.
 */
export function foldInto(s: MetricSummary, value: number, step: number, time: number): void {
  if (s.count === 0) {
    s.last = value;
    s.lastStep = step;
    s.min = value;
    s.max = value;
    s.minStep = step;
    s.maxStep = step;
    s.lastTime = time;
    s.count = 1;
    return;
  }
  s.count++;
  if (step >= s.lastStep) {
    s.last = value;
    s.lastStep = step;
    s.lastTime = time;
  }
  // NaN never becomes min or max: comparisons with NaN are false.
  if (value < s.min || Number.isNaN(s.min)) {
    s.min = value;
    s.minStep = step;
  }
  if (value > s.max || Number.isNaN(s.max)) {
    s.max = value;
    s.maxStep = step;
  }
}

/** Series of one key, as parallel arrays (cheap to downsample and to send to a chart). */
export interface Series {
  key: string;
  steps: number[];
  values: number[];
  times: number[];
}

export function readSeries(file: string, key: string): { series: Series; warnings: ScanWarning[] } {
  const series: Series = { key, steps: [], values: [], times: [] };
  const { warnings } = scanMetrics(
    file,
    (p) => {
      if (p.key !== key) return;
      series.steps.push(p.step);
      series.values.push(p.value);
      series.times.push(p.time);
    },
    { key },
  );
  return { series, warnings };
}
