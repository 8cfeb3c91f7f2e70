/**
 * How Runlens shows numbers and durations, in one place: the CLI, the trees, the gate, evaluation,
 * pipeline logs and the webviews (bundled for the browser: this file imports no Node module).
 */
import type { MetricSummary, ParamValue, RunEntry } from './store/types';
import { isSystemMetric } from './store/types';

/** Significant digits of a shown number: enough to tell 0.91234 from 0.91229 in a gate table. */
export const SIGNIFICANT_DIGITS = 5;

/**
 * A number as every view shows it: integers in full (below 1e15), else 5 significant digits with
 * trailing zeros dropped, in exponent form (`1.2346e-5`, `3e+7`) below 1e-3 and from 1e6 on.
 */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) {
    return v.toExponential(SIGNIFICANT_DIGITS - 1).replace(/\.?0+e/, 'e');
  }
  return String(a === 0 ? 0 : rounded5(v, a));
}

/**
 * Number(v.toPrecision(5)) for 1e-3 <= |v| < 1e6, without the decimal conversion (a table of
 * 100,000 runs formats a million numbers). v is scaled to five integer digits by an exact power of
 * ten, rounded, and scaled back by one correctly rounded division or multiplication: the double
 * nearest the decimal that toPrecision writes. Near a tie, where the scaling's own rounding could
 * decide, toPrecision answers.
 */
function rounded5(v: number, a: number): number {
  let e = Math.floor(Math.log10(a));
  let x = a * 10 ** (4 - e);
  if (e > 4) x = a / 10 ** (e - 4);
  // log10 can be one off next to a power of ten
  if (x >= 1e5) {
    e++;
    x = e > 4 ? a / 10 ** (e - 4) : a * 10 ** (4 - e);
  } else if (x < 1e4) {
    e--;
    x = e > 4 ? a / 10 ** (e - 4) : a * 10 ** (4 - e);
  }
  const frac = x - Math.floor(x);
  if (Math.abs(frac - 0.5) < 1e-6 || x < 1e4 || x >= 1e5) return Number(v.toPrecision(SIGNIFICANT_DIGITS));
  const n = Math.round(x);
  const r = e > 4 ? n * 10 ** (e - 4) : n / 10 ** (4 - e);
  return v < 0 ? -r : r;
}

/** `1 run`, `3 runs`, `1,200 points`: a count and its noun, singular for one. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;
}

/** formatNumber, with a dash for a value that is absent. */
export function formatMaybe(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : formatNumber(v);
}

export function formatParam(v: ParamValue | undefined): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  return typeof v === 'number' ? formatNumber(v) : String(v);
}

/** `42s`, `1m05s`, `2h03m`: compact enough for a table column or a tree item's description. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}m`;
}

export function formatAge(time: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - time) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  if (s < 7 * 86400) return `${Math.floor(s / 86400)}d ago`;
  // Past a week a date says more than "1480d ago": the day, and the year when it is not this one's.
  const d = new Date(time);
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const sameYear = d.getUTCFullYear() === new Date(now).getUTCFullYear();
  return `${month} ${d.getUTCDate()}${sameYear ? '' : `, ${d.getUTCFullYear()}`}`;
}

export function formatTime(ms: number | null): string {
  return ms === null
    ? ''
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}

/** Control characters (C0 but newline, DEL, C1), shown escaped so text never drives the terminal. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_RE = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/g;

/**
 * Text safe to print to a terminal: control characters in names, params or tags (an escape
 * sequence could retitle the window, clear the screen or hide text) are shown as `\xNN`.
 */
export function termSafe(s: string): string {
  return s.replace(CONTROL_RE, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}

/** Table cells longer than this are cut (one huge param must not pad every row). */
export const MAX_CELL = 60;

// eslint-disable-next-line no-control-regex -- as CONTROL_RE, and the newline
const PLAIN_CELL_RE = /^[^\x00-\x1f\x7f-\x9f]{0,60}$/;

function cell(s: string | undefined): string {
  if (s === undefined) return '';
  if (PLAIN_CELL_RE.test(s)) return s; // most cells: nothing to escape or cut
  const t = termSafe(s.replace(/\n/g, '\\n'));
  return t.length > MAX_CELL ? t.slice(0, MAX_CELL - 1) + '…' : t;
}

/** A plain text table: columns padded to their widest cell, numbers right-aligned. */
export function table(headerIn: string[], rowsIn: string[][]): string {
  return [...tableChunks(headerIn, rowsIn)].join('\n');
}

/** `table` in pieces of up to `linesPerChunk` lines (joined by newlines they are the table). */
export function tableChunks(headerIn: string[], rowsIn: string[][], linesPerChunk = 2000): Generator<string> {
  return ownedTableChunks(
    headerIn,
    rowsIn.map((r) => [...r]),
    linesPerChunk,
  );
}

/** tableChunks over rows it may change in place (a table of 100,000 runs is made once). */
function* ownedTableChunks(headerIn: string[], rows: string[][], linesPerChunk = 2000): Generator<string> {
  const header = headerIn.map(cell);
  const numRe = /^-?[\d.e+-]+$|^NaN$|^-?Infinity$/;
  const widths = header.map((h) => h.length);
  const numeric = header.map(() => rows.length > 0);
  for (const r of rows) {
    for (let i = 0; i < r.length; i++) r[i] = cell(r[i]);
    for (let i = 0; i < header.length; i++) {
      const c = r[i];
      if ((c ?? '').length > widths[i]) widths[i] = (c ?? '').length;
      if (numeric[i] && c !== '' && !numRe.test(c ?? '')) numeric[i] = false;
    }
  }
  const line = (cells: string[]) => {
    let out = '';
    for (let i = 0; i < cells.length; i++) {
      const c = cells[i] ?? '';
      if (i > 0) out += '  ';
      out += numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]);
    }
    return out.trimEnd();
  };
  let chunk = [line(header)];
  for (let k = 0; k < rows.length; k++) {
    if (chunk.length >= linesPerChunk) {
      yield chunk.join('\n');
      chunk = [];
    }
    chunk.push(line(rows[k]));
    rows[k] = EMPTY; // printed: its strings can go
  }
  yield chunk.join('\n');
}

const EMPTY: string[] = [];

/** What the runs table reads of each run: index entries, or the listing index's columns. */
export interface RunsTableRows {
  count: number;
  id(k: number): string;
  name(k: number): string;
  starred(k: number): boolean;
  experiment(k: number): string;
  status(k: number): string;
  error(k: number): string | undefined;
  startTime(k: number): number;
  endTime(k: number): number | null;
  paramKeys(k: number): string[];
  param(k: number, key: string): ParamValue | undefined;
  /** Equal for equal param values (the JSON text, or a dictionary code). */
  paramToken(k: number, key: string): string | number;
  metricKeys(k: number): string[];
  metricLast(k: number, key: string): number | undefined;
}

export function runsTable(entries: RunEntry[], now = Date.now()): string {
  return [...runsTableChunks(entryRows(entries), now)].join('\n');
}

/**
 * The runs table in pieces (see tableChunks), for listings too long for one string. The same text
 * as `table` of the same cells, made column by column so that a table of 100,000 runs holds few
 * strings at once: repeated cells (experiments, statuses, ages, param values) are made once and
 * shared, and metric values are kept as numbers and formatted when their line is written.
 */
export function* runsTableChunks(
  runs: RunsTableRows,
  now = Date.now(),
  linesPerChunk = 2000,
): Generator<string> {
  const n = runs.count;
  const paramKeys = varyingRowKeys(runs).slice(0, 6);
  // the program's own metrics first; the machine's system/ samples fill what columns are left
  const metricSet = new Set<string>();
  for (let k = 0; k < n; k++) for (const m of runs.metricKeys(k)) metricSet.add(m);
  const metricKeys = [...metricSet]
    .sort((a, b) => Number(isSystemMetric(a)) - Number(isSystemMetric(b)) || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, 6);
  const header = [
    'ID',
    'NAME',
    'EXPERIMENT',
    'STATUS',
    'STARTED',
    'DURATION',
    ...paramKeys,
    ...metricKeys,
  ].map(cell);
  const textCols = 6 + paramKeys.length;
  const text: string[][] = Array.from({ length: textCols }, () => new Array<string>(n));
  const shared = Array.from({ length: textCols }, () => new Map<string | number, string>());
  /** A cell made once per distinct key of its column. */
  const once = (col: number, key: string | number, make: () => string): string => {
    let c = shared[col].get(key);
    if (c === undefined) shared[col].set(key, (c = cell(make())));
    return c;
  };
  for (let k = 0; k < n; k++) {
    const start = runs.startTime(k);
    const status = runs.status(k);
    text[0][k] = cell(runs.id(k));
    text[1][k] = cell(runs.starred(k) ? `★ ${runs.name(k)}` : runs.name(k));
    text[2][k] = once(2, runs.experiment(k), () => runs.experiment(k));
    text[3][k] =
      status === 'unreadable' ? cell(`unreadable: ${runs.error(k) ?? ''}`) : once(3, status, () => status);
    const age = start ? formatAge(start, now) : '';
    text[4][k] = once(4, age, () => age);
    const duration = start ? formatDuration((runs.endTime(k) ?? now) - start) : '';
    text[5][k] = once(5, duration, () => duration);
    for (let j = 0; j < paramKeys.length; j++)
      text[6 + j][k] = once(6 + j, runs.paramToken(k, paramKeys[j]), () =>
        formatParam(runs.param(k, paramKeys[j])),
      );
  }
  const widths = header.map((h) => h.length);
  const metricText = metricKeys.map(() => new Array<string>(n));
  for (let j = 0; j < metricKeys.length; j++) {
    const col = metricText[j];
    let w = widths[textCols + j];
    for (let k = 0; k < n; k++) {
      const v = runs.metricLast(k, metricKeys[j]);
      const c = v === undefined ? '' : formatNumber(v);
      col[k] = c;
      if (c.length > w) w = c.length;
    }
    widths[textCols + j] = w;
  }
  const numRe = /^-?[\d.e+-]+$|^NaN$|^-?Infinity$/;
  // formatted numbers are numeric cells; a text column is when all its cells are (or are empty)
  const numeric = header.map((_, i) => n > 0 && i >= textCols);
  for (let i = 0; i < textCols; i++) {
    const col = text[i];
    let num = n > 0;
    let w = widths[i];
    for (let k = 0; k < n; k++) {
      const c = col[k];
      if (c.length > w) w = c.length;
      if (num && c !== '' && !numRe.test(c)) num = false;
    }
    widths[i] = w;
    numeric[i] = num;
  }
  const pad = (c: string, i: number) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]));
  let chunk = header.map(pad).join('  ').trimEnd();
  let lines = 1;
  for (let k = 0; k < n; k++) {
    if (lines >= linesPerChunk) {
      yield chunk;
      chunk = '';
      lines = 0;
    }
    let out = pad(text[0][k], 0);
    for (let i = 1; i < textCols; i++) out += '  ' + pad(text[i][k], i);
    for (let j = 0; j < metricKeys.length; j++) out += '  ' + pad(metricText[j][k], textCols + j);
    chunk += (lines > 0 ? '\n' : '') + out.trimEnd();
    lines++;
  }
  yield chunk;
}

/** Index entries as table rows. */
export function entryRows(entries: RunEntry[]): RunsTableRows {
  return {
    count: entries.length,
    id: (k) => entries[k].id,
    name: (k) => entries[k].name,
    starred: (k) => entries[k].starred,
    experiment: (k) => entries[k].experiment,
    status: (k) => entries[k].status,
    error: (k) => entries[k].error,
    startTime: (k) => entries[k].startTime,
    endTime: (k) => entries[k].endTime,
    paramKeys: (k) => Object.keys(entries[k].params),
    param: (k, key) => (Object.hasOwn(entries[k].params, key) ? entries[k].params[key] : undefined),
    paramToken: (k, key) => {
      const v = Object.hasOwn(entries[k].params, key) ? entries[k].params[key] : undefined;
      return `${typeof v}:${String(v)}`; // NaN and null apart (JSON writes both as null)
    },
    metricKeys: (k) => Object.keys(entries[k].metrics),
    metricLast: (k, key) =>
      Object.hasOwn(entries[k].metrics, key) ? entries[k].metrics[key].last : undefined,
  };
}

/** Params that take more than one value among the runs (all params when there is one run). */
function varyingRowKeys(runs: RunsTableRows): string[] {
  const values = new Map<string, { tokens: Set<string | number>; runs: number }>();
  for (let k = 0; k < runs.count; k++) {
    for (const key of runs.paramKeys(k)) {
      let v = values.get(key);
      if (!v) values.set(key, (v = { tokens: new Set(), runs: 0 }));
      v.tokens.add(runs.paramToken(k, key));
      v.runs++;
    }
  }
  const keys = [...values.keys()].sort();
  if (runs.count <= 1) return keys;
  return keys.filter((k) => values.get(k)!.tokens.size > 1 || values.get(k)!.runs < runs.count);
}

export function summaryRows(metrics: Record<string, MetricSummary>): string[][] {
  return Object.entries(metrics)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, s]) => [
      k + (s.source === 'stdout' ? ' (stdout)' : ''),
      formatNumber(s.last),
      String(s.lastStep),
      formatNumber(s.min),
      formatNumber(s.max),
      String(s.count),
    ]);
}

/** JSON with NaN and infinities kept as the strings the store uses; compact unless `pretty`. */
export function toJson(opts: { pretty?: boolean }, value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      typeof v === 'number' && !Number.isFinite(v)
        ? Number.isNaN(v)
          ? 'NaN'
          : v > 0
            ? 'Infinity'
            : '-Infinity'
        : v,
    opts.pretty ? 2 : undefined,
  );
}

/** A CSV cell (RFC 4180): quoted when it holds a quote, comma or line break; null and undefined are empty. */
export function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A number in a CSV file: full precision, and NaN, Infinity, -Infinity by name. */
export function formatCsvNumber(v: number): string {
  return String(v);
}
