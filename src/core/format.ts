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
  if (v !== v) return 'NaN';
  const a = v < 0 ? -v : v;
  if (a === Infinity) return v > 0 ? 'Infinity' : '-Infinity';
  if (a < 1e15 && Math.floor(v) === v) return String(v);
  if (a < 1e-3 || a >= 1e6) {
    return v.toExponential(SIGNIFICANT_DIGITS - 1).replace(/\.?0+e/, 'e');
  }
  return fixed5(v, a);
}

/** Up to four zeros, by count. */
const ZEROS = ['', '0', '00', '000', '0000'];
/** 10^k for k = 0..8, each exact. */
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];

/** a scaled by 10^(4 - e): exact powers of ten, one correctly rounded operation. */
function scaled(a: number, e: number): number {
  return e > 4 ? a / POW10[e - 4] : a * POW10[4 - e];
}

/**
 * String(Number(v.toPrecision(5))) for 1e-3 <= |v| < 1e6, without a decimal conversion of a double
 * (a table of 100,000 runs formats half a million numbers). v is scaled to five integer digits by
 * an exact power of ten and rounded to the integer n; the text is n's digits with the decimal point
 * put in and trailing zeros dropped. That is what String writes for the double nearest n x 10^(e-4):
 * a decimal of at most 15 significant digits is the shortest text that reads back as its nearest
 * double. Near a tie, where the scaling's own rounding could decide, toPrecision answers.
 */
function fixed5(v: number, a: number): string {
  // the decimal exponent: 10^e <= a < 10^(e+1), checked (and mended) through the scaled value
  let e =
    a < 1
      ? a < 0.01
        ? -3
        : a < 0.1
          ? -2
          : -1
      : a < 100
        ? a < 10
          ? 0
          : 1
        : a < 1e4
          ? a < 1e3
            ? 2
            : 3
          : a < 1e5
            ? 4
            : 5;
  let x = scaled(a, e);
  if (x >= 1e5) x = scaled(a, ++e);
  else if (x < 1e4) x = scaled(a, --e);
  const frac = x - Math.floor(x);
  if (frac - 0.5 < 1e-6 && 0.5 - frac < 1e-6) return String(Number(v.toPrecision(SIGNIFICANT_DIGITS)));
  if (x < 1e4 || x >= 1e5) return String(Number(v.toPrecision(SIGNIFICANT_DIGITS)));
  let n = Math.round(x);
  if (n === 100_000) {
    n = 10_000;
    e++;
  }
  const sign = v < 0 ? '-' : '';
  if (e >= 4) return sign + String(n) + ZEROS[e - 4];
  let m = n; // n without its trailing zeros
  while (m % 10 === 0) m /= 10;
  const digits = String(m);
  if (e < 0) return sign + '0.' + ZEROS[-e - 1] + digits;
  // e + 1 digits before the point, the rest after it
  if (digits.length <= e + 1) return sign + digits + ZEROS[e + 1 - digits.length];
  return sign + digits.slice(0, e + 1) + '.' + digits.slice(e + 1);
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
  /**
   * Optional reads of whole columns, for many runs (the same values as the per-run reads): every
   * param key and every metric key of the runs, one param's tokens as dictionary codes (-1 where a
   * run has no such param), one metric's last values (`present[k]` 0 where run k has no such metric).
   */
  allParamKeys?(): Iterable<string>;
  allMetricKeys?(): Iterable<string>;
  paramCodes?(key: string): Int32Array;
  metricLasts?(key: string): { values: Float64Array; present: Uint8Array };
}

export function runsTable(entries: RunEntry[], now = Date.now()): string {
  return [...runsTableChunks(entryRows(entries), now)].join('\n');
}

/** A column of repeated cells: each run's cell is one of a few, made once. */
interface SharedColumn {
  shared: true;
  codes: Int32Array;
  cells: string[];
}
/** A column with a cell per run (ids, names, metric values). */
interface RowColumn {
  shared: false;
  cells: string[];
}
type Column = SharedColumn | RowColumn;

/** Collects a shared column: the cell of each distinct key is made once. */
class SharedBuilder {
  readonly codes: Int32Array;
  readonly cells: string[] = [];
  private readonly byKey = new Map<string | number, number>();
  constructor(n: number) {
    this.codes = new Int32Array(n);
  }
  /** Run k's cell is the one of `key`, made by `make` the first time. */
  put(k: number, key: string | number, make: () => string): void {
    let code = this.byKey.get(key);
    if (code === undefined) {
      code = this.cells.length;
      this.cells.push(cell(make()));
      this.byKey.set(key, code);
    }
    this.codes[k] = code;
  }
  /** Run k's cell is `text`. */
  putText(k: number, text: string): void {
    this.put(k, text, () => text);
  }
  column(): SharedColumn {
    return { shared: true, codes: this.codes, cells: this.cells };
  }
}

const NUM_RE = /^-?[\d.e+-]+$|^NaN$|^-?Infinity$/;

/** A cell that trimEnd would remove whole (an empty cell, or spaces). */
function blank(c: string): boolean {
  if (c.length === 0) return true;
  const first = c.charCodeAt(0);
  return (first === 32 || first >= 0xa0) && c.trimEnd() === '';
}

/**
 * The runs table in pieces (see tableChunks), for listings too long for one string. The same text
 * as `table` of the same cells, made column by column so that a table of 100,000 runs holds few
 * strings at once: repeated cells (experiments, statuses, ages, param values) are made and padded
 * once and shared, ids, names and metric values are padded as their line is written, and each line
 * is trimmed only where its end can be blank.
 */
export function* runsTableChunks(
  runs: RunsTableRows,
  now = Date.now(),
  linesPerChunk = 2000,
): Generator<string> {
  const n = runs.count;
  const paramKeys = varyingRowKeys(runs).slice(0, 6);
  const metricKeys = [...(runs.allMetricKeys ? runs.allMetricKeys() : rowMetricKeys(runs))]
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
  const columns = [...textColumns(runs, paramKeys, now), ...metricKeys.map((key) => metricColumn(runs, key))];
  const widths = header.map((h) => h.length);
  const numeric = header.map((_, i) => n > 0 && i >= textCols);
  for (let i = 0; i < columns.length; i++) {
    const col = columns[i];
    let w = widths[i];
    let num = numeric[i] || (n > 0 && i < textCols);
    const check = i < textCols;
    for (const c of col.cells) {
      if (c.length > w) w = c.length;
      if (check && num && c !== '' && !NUM_RE.test(c)) num = false;
    }
    widths[i] = w;
    numeric[i] = num;
  }
  const pad = (c: string, i: number) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]));
  const headerLine = header.map(pad).join('  ').trimEnd();
  // Shared cells padded once, with the separator before them (but for the first column).
  const padded = columns.map((col, i) =>
    col.shared ? col.cells.map((c) => (i > 0 ? '  ' : '') + pad(c, i)) : [],
  );
  const blanks = columns.map((col) => (col.shared ? col.cells.map(blank) : []));
  const widest = Math.max(0, ...widths);
  /** '  ' and then k spaces, by k. */
  const gaps = Array.from({ length: widest + 1 }, (_, k) => '  ' + ' '.repeat(k));
  const spaces = Array.from({ length: widest + 1 }, (_, k) => ' '.repeat(k));
  const last = columns.length - 1;
  /** Cell i of run k, padded, with the separator before it (none for the first). */
  const piece = (i: number, k: number): string => {
    const col = columns[i];
    if (col.shared) return padded[i][col.codes[k]];
    const c = col.cells[k];
    const fill = widths[i] - c.length;
    if (numeric[i]) return i > 0 ? gaps[fill] + c : spaces[fill] + c;
    return i > 0 ? '  ' + c + spaces[fill] : c + spaces[fill];
  };
  const isBlank = (i: number, k: number): boolean => {
    const col = columns[i];
    return col.shared ? blanks[i][col.codes[k]] : blank(col.cells[k]);
  };
  let lines: string[] = [headerLine];
  for (let k = 0; k < n; k++) {
    if (lines.length >= linesPerChunk) {
      yield lines.join('\n');
      lines = [];
    }
    // the line ends at its last cell that is not blank: trimEnd of the whole line, cell by cell
    let end = last;
    while (end >= 0 && isBlank(end, k)) end--;
    let out = '';
    if (end === last && numeric[last]) {
      for (let i = 0; i <= last; i++) out += piece(i, k);
    } else if (end >= 0) {
      for (let i = 0; i < end; i++) out += piece(i, k);
      out += piece(end, k).trimEnd();
    }
    lines.push(out);
  }
  yield lines.join('\n');
  for (const col of columns) col.cells.length = 0; // printed: its strings can go
}

const WEEK_S = 7 * 86400;
const DAY_MS = 86_400_000;

/** The six text columns and the param columns. */
function textColumns(runs: RunsTableRows, paramKeys: string[], now: number): Column[] {
  const n = runs.count;
  const ids = new Array<string>(n);
  const names = new Array<string>(n);
  const experiment = new SharedBuilder(n);
  const status = new SharedBuilder(n);
  const age = new SharedBuilder(n);
  const duration = new SharedBuilder(n);
  const ages = new Map<number, string>();
  const oldAges = new Map<number, string>();
  for (let k = 0; k < n; k++) {
    const start = runs.startTime(k);
    const s = runs.status(k);
    ids[k] = cell(runs.id(k));
    names[k] = cell(runs.starred(k) ? `★ ${runs.name(k)}` : runs.name(k));
    experiment.putText(k, runs.experiment(k));
    if (s === 'unreadable')
      status.put(k, `\0${runs.error(k) ?? ''}`, () => `unreadable: ${runs.error(k) ?? ''}`);
    else status.putText(k, s);
    if (start) {
      // formatAge's text is one per second of age within a week, then one per day (UTC)
      const second = Math.max(0, Math.round((now - start) / 1000));
      const byDay = second >= WEEK_S;
      const key = byDay ? Math.floor(start / DAY_MS) : second;
      const cache = byDay ? oldAges : ages;
      let a = cache.get(key);
      if (a === undefined) cache.set(key, (a = formatAge(start, now)));
      age.putText(k, a);
      const ms = (runs.endTime(k) ?? now) - start;
      duration.put(k, Math.round(ms / 1000), () => formatDuration(ms));
    } else {
      age.putText(k, '');
      duration.putText(k, '');
    }
  }
  const params = paramKeys.map((key) => {
    const b = new SharedBuilder(n);
    const codes = runs.paramCodes?.(key);
    for (let k = 0; k < n; k++)
      b.put(k, codes ? codes[k] : runs.paramToken(k, key), () => formatParam(runs.param(k, key)));
    return b.column();
  });
  return [
    { shared: false, cells: ids },
    { shared: false, cells: names },
    experiment.column(),
    status.column(),
    age.column(),
    duration.column(),
    ...params,
  ];
}

/** A metric's last values as text ('' where a run has no such metric). */
function metricColumn(runs: RunsTableRows, key: string): RowColumn {
  const n = runs.count;
  const cells = new Array<string>(n);
  if (runs.metricLasts) {
    const { values, present } = runs.metricLasts(key);
    for (let k = 0; k < n; k++) cells[k] = present[k] ? formatNumber(values[k]) : '';
  } else {
    for (let k = 0; k < n; k++) {
      const v = runs.metricLast(k, key);
      cells[k] = v === undefined ? '' : formatNumber(v);
    }
  }
  return { shared: false, cells };
}

function rowMetricKeys(runs: RunsTableRows): Set<string> {
  const keys = new Set<string>();
  for (let k = 0; k < runs.count; k++) for (const m of runs.metricKeys(k)) keys.add(m);
  return keys;
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
  if (runs.allParamKeys && runs.paramCodes) {
    const keys = [...runs.allParamKeys()].sort();
    if (runs.count <= 1) return keys;
    return keys.filter((key) => varies(runs.paramCodes!(key)));
  }
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

/** Codes (-1: absent) of a param that some run lacks or that has two values. */
function varies(codes: Int32Array): boolean {
  const first = codes[0];
  if (first === -1) return true;
  for (let k = 1; k < codes.length; k++) if (codes[k] !== first) return true;
  return false;
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
