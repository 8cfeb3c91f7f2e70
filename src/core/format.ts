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

/** The decimal exponent e of 1e-3 <= a < 1e6, 10^e <= a < 10^(e+1), give or take one. */
function decade(a: number): number {
  if (a < 1) return a < 0.01 ? -3 : a < 0.1 ? -2 : -1;
  if (a < 100) return a < 10 ? 0 : 1;
  if (a < 1e4) return a < 1e3 ? 2 : 3;
  return a < 1e5 ? 4 : 5;
}

/**
 * Number(v.toPrecision(5)) for 1e-3 <= |v| = a < 1e6 as n x 10^(e-4), n of five digits, returned
 * packed as n * 16 + e + 4; -1 near a tie, where the scaling's own rounding could decide (toPrecision
 * answers then). v is scaled to five integer digits by an exact power of ten and rounded: no decimal
 * conversion of a double (a table of 100,000 runs formats half a million numbers).
 */
function fixed5Parts(a: number): number {
  let e = decade(a);
  let x = scaled(a, e);
  // the decade can be one off next to a power of ten
  if (x >= 1e5) x = scaled(a, ++e);
  else if (x < 1e4) x = scaled(a, --e);
  const frac = x - Math.floor(x);
  if ((frac - 0.5 < 1e-6 && 0.5 - frac < 1e-6) || x < 1e4 || x >= 1e5) return -1;
  let n = Math.round(x);
  if (n === 100_000) {
    n = 10_000;
    e++;
  }
  return n * 16 + e + 4;
}

/**
 * String(Number(v.toPrecision(5))) for 1e-3 <= |v| < 1e6: n's digits with the decimal point put in
 * and trailing zeros dropped. That is what String writes for the double nearest n x 10^(e-4): a
 * decimal of at most 15 significant digits is the shortest text that reads back as its nearest double.
 */
function fixed5(v: number, a: number): string {
  const parts = fixed5Parts(a);
  if (parts < 0) return String(Number(v.toPrecision(SIGNIFICANT_DIGITS)));
  const n = Math.floor(parts / 16);
  const e = (parts % 16) - 4;
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

/** A cell of at most MAX_CELL characters and no control character (CONTROL_RE's, or a newline). */
function plainCell(s: string): boolean {
  if (s.length > MAX_CELL) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}

function cell(s: string | undefined): string {
  if (s === undefined) return '';
  if (plainCell(s)) return s; // most cells: nothing to escape or cut
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
  kind: 'shared';
  codes: Int32Array;
  cells: string[];
}
/** A column with a text cell per run (ids, names). */
interface RowColumn {
  kind: 'row';
  cells: string[];
}
/** A metric's values (see NumberCells). */
interface NumberColumn {
  kind: 'number';
  cells: NumberCells;
}
type Column = SharedColumn | RowColumn | NumberColumn;

/** Collects a shared column: the cell of each distinct key is made once. */
class SharedBuilder {
  readonly codes: Int32Array;
  readonly cells: string[] = [];
  private readonly byKey = new Map<string | number, number>();
  constructor(n: number) {
    this.codes = new Int32Array(n);
  }
  /** Run k's cell is the one of `key`: false when it has not been made yet (then `add` it). */
  has(k: number, key: string | number): boolean {
    const code = this.byKey.get(key);
    if (code === undefined) return false;
    this.codes[k] = code;
    return true;
  }
  /** Run k's cell is `text`, the cell of `key`. */
  add(k: number, key: string | number, text: string): void {
    const code = this.cells.length;
    this.cells.push(cell(text));
    this.byKey.set(key, code);
    this.codes[k] = code;
  }
  /** Run k's cell is `text`. */
  putText(k: number, text: string): void {
    if (!this.has(k, text)) this.add(k, text, text);
  }
  column(): SharedColumn {
    return { kind: 'shared', codes: this.codes, cells: this.cells };
  }
}

const SPACE = 0x20;
const DOT = 0x2e;
const ZERO = 0x30;
const MINUS = 0x2d;
const NEWLINE = 0x0a;

/**
 * formatNumber's text of many values, kept as digits rather than strings: on formatNumber's fast
 * path (1e-3 <= |v| < 1e6, not an integer) a cell is its five digits and exponent (fixed5Parts) and
 * is written digit by digit; the other values keep their string.
 */
class NumberCells {
  /** Length of each cell's text (0: absent). */
  readonly lengths: Uint8Array;
  /** 1 + fixed5Parts of a value on the fast path, 0 for a text cell. */
  private readonly parts: Int32Array;
  private readonly negative: Uint8Array;
  private readonly texts = new Map<number, string>();
  width = 0;

  constructor(values: Float64Array, present: Uint8Array) {
    const n = values.length;
    this.lengths = new Uint8Array(n);
    this.parts = new Int32Array(n);
    this.negative = new Uint8Array(n);
    let width = 0;
    for (let k = 0; k < n; k++) {
      if (!present[k]) continue;
      const v = values[k];
      const a = v < 0 ? -v : v;
      let len: number;
      const p = a >= 1e-3 && a < 1e6 && Math.floor(v) !== v ? fixed5Parts(a) : -1;
      if (p >= 0) {
        this.parts[k] = p + 1;
        this.negative[k] = v < 0 ? 1 : 0;
        len = fixedLength(p) + (v < 0 ? 1 : 0);
      } else {
        const text = formatNumber(v);
        this.texts.set(k, text);
        len = text.length;
      }
      this.lengths[k] = len;
      if (len > width) width = len;
    }
    this.width = width;
  }

  /** Write cell k's text at `at`; returns the position after it. */
  write(k: number, out: Uint8Array, at: number): number {
    const p = this.parts[k] - 1;
    if (p < 0) return writeAscii(this.texts.get(k) ?? '', out, at);
    if (this.negative[k]) out[at++] = MINUS;
    const n = Math.floor(p / 16);
    const e = (p % 16) - 4;
    if (e >= 4) {
      at = writeDigits(n, 5, out, at);
      for (let z = 4; z < e; z++) out[at++] = ZERO;
      return at;
    }
    let m = n;
    let digits = 5;
    while (m % 10 === 0) {
      m /= 10;
      digits--;
    }
    if (e < 0) {
      out[at++] = ZERO;
      out[at++] = DOT;
      for (let z = -1; z > e; z--) out[at++] = ZERO;
      return writeDigits(m, digits, out, at);
    }
    if (digits <= e + 1) {
      at = writeDigits(m, digits, out, at);
      for (let z = digits; z <= e; z++) out[at++] = ZERO;
      return at;
    }
    // e + 1 digits, the point, the rest
    const tail = digits - e - 1;
    const div = POW10[tail];
    at = writeDigits(Math.floor(m / div), e + 1, out, at);
    out[at++] = DOT;
    return writeDigits(m % div, tail, out, at);
  }
}

/** The length of fixed5's text of packed parts p, without the sign. */
function fixedLength(p: number): number {
  const n = Math.floor(p / 16);
  const e = (p % 16) - 4;
  if (e >= 4) return e + 1;
  let digits = 5;
  for (let m = n; m % 10 === 0; m /= 10) digits--;
  if (e < 0) return 1 - e + digits; // "0." then -e-1 zeros, then the digits
  return digits <= e + 1 ? e + 1 : digits + 1;
}

/** The `count` decimal digits of m (leading zeros kept), at `at`. */
function writeDigits(m: number, count: number, out: Uint8Array, at: number): number {
  for (let i = count - 1; i >= 0; i--) {
    out[at + i] = ZERO + (m % 10);
    m = Math.floor(m / 10);
  }
  return at + count;
}

const encoder = new TextEncoder();

/** Text as UTF-8 at `at` (ASCII byte by byte); returns the position after it. */
function writeText(s: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return at + encoder.encodeInto(s.slice(i), out.subarray(at)).written;
    out[at++] = c;
  }
  return at;
}

/** ASCII text (formatNumber's) at `at`. */
function writeAscii(s: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < s.length; i++) out[at++] = s.charCodeAt(i);
  return at;
}

function writeSpaces(count: number, out: Uint8Array, at: number): number {
  for (let i = 0; i < count; i++) out[at++] = SPACE;
  return at;
}

/** UTF-8 bytes of text, at most 3 per UTF-16 unit. */
const MAX_UTF8_PER_UNIT = 3;

const NUM_RE = /^-?[\d.e+-]+$|^NaN$|^-?Infinity$/;

/** A cell that trimEnd would remove whole (an empty cell, or spaces). */
function blank(c: string): boolean {
  if (c.length === 0) return true;
  const first = c.charCodeAt(0);
  return (first === 32 || first >= 0xa0) && c.trimEnd() === '';
}

/**
 * The runs table in pieces (see tableChunks), for listings too long for one string: runsTableBytes
 * as text, each piece without its last newline.
 */
export function* runsTableChunks(
  runs: RunsTableRows,
  now = Date.now(),
  linesPerChunk = 2000,
): Generator<string> {
  const decoder = new TextDecoder();
  for (const bytes of runsTableBytes(runs, now, linesPerChunk))
    yield decoder.decode(bytes.subarray(0, bytes.length - 1));
}

/**
 * The runs table as UTF-8, in pieces of `linesPerChunk` lines, each line ending in a newline; a
 * piece's bytes are its until the next piece is asked for (one buffer is filled again). The
 * same text as `table` of the same cells, made column by column and written byte by byte so that a
 * table of 100,000 runs makes few strings: repeated cells (experiments, statuses, ages, param
 * values) are made, padded and encoded once, metric values are kept as digits (NumberCells), and
 * each line is trimmed only where its end can be blank.
 */
export function* runsTableBytes(
  runs: RunsTableRows,
  now = Date.now(),
  linesPerChunk = 2000,
): Generator<Uint8Array> {
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
  const columns: Column[] = [
    ...textColumns(runs, paramKeys, now),
    ...metricKeys.map((key): NumberColumn => ({ kind: 'number', cells: metricCells(runs, key) })),
  ];
  const widths = header.map((h) => h.length);
  // formatted numbers are numeric cells; a text column is when all its cells are (or are empty)
  const numeric = columns.map(() => n > 0);
  columns.forEach((col, i) => {
    if (col.kind === 'number') {
      widths[i] = Math.max(widths[i], col.cells.width);
      return;
    }
    const cells = col.cells;
    let w = widths[i];
    let num = numeric[i];
    for (let k = 0; k < cells.length; k++) {
      const c = cells[k];
      if (c.length > w) w = c.length;
      if (num && c !== '' && !NUM_RE.test(c)) num = false;
    }
    widths[i] = w;
    numeric[i] = num;
  });
  const pad = (c: string, i: number) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]));
  const headerLine = encoder.encode(header.map(pad).join('  ').trimEnd() + '\n');
  // Shared cells padded and encoded once, with the separator before them (but in the first column);
  // and as the end of a line: trimmed.
  const sep = (i: number) => (i > 0 ? '  ' : '');
  const sharedBytes = columns.map((col, i) =>
    col.kind === 'shared' ? col.cells.map((c) => encoder.encode(sep(i) + pad(c, i))) : [],
  );
  const sharedEnds = columns.map((col, i) =>
    col.kind === 'shared' ? col.cells.map((c) => encoder.encode((sep(i) + pad(c, i)).trimEnd())) : [],
  );
  const blanks = columns.map((col) => (col.kind === 'shared' ? col.cells.map(blank) : []));
  const last = columns.length - 1;
  const lineMax = widths.reduce((sum, w) => sum + 2 + w * MAX_UTF8_PER_UNIT, 1);

  /** Cell i of run k, padded (trimmed at the end of a line), with the separator before it. */
  const writeCell = (i: number, k: number, out: Uint8Array, at: number, end: boolean): number => {
    const col = columns[i];
    if (col.kind === 'shared') {
      const bytes = (end ? sharedEnds : sharedBytes)[i][col.codes[k]];
      out.set(bytes, at);
      return at + bytes.length;
    }
    if (i > 0) {
      out[at++] = SPACE;
      out[at++] = SPACE;
    }
    if (col.kind === 'number') {
      at = writeSpaces(widths[i] - col.cells.lengths[k], out, at);
      return col.cells.write(k, out, at);
    }
    const c = col.cells[k];
    if (numeric[i]) return writeText(c, out, writeSpaces(widths[i] - c.length, out, at));
    if (end) return writeText(c.trimEnd(), out, at);
    return writeSpaces(widths[i] - c.length, out, writeText(c, out, at));
  };
  const isBlank = (i: number, k: number): boolean => {
    const col = columns[i];
    if (col.kind === 'shared') return blanks[i][col.codes[k]];
    if (col.kind === 'number') return col.cells.lengths[k] === 0;
    return blank(col.cells[k]);
  };

  // room for lines of ASCII text (the usual), and one more line of any: a chunk grows if it must
  const lineAscii = widths.reduce((sum, w) => sum + 2 + w, 1);
  const room = (lines: number) => lineAscii * lines + lineMax;
  let out = new Uint8Array(headerLine.length + room(Math.min(linesPerChunk, n)));
  out.set(headerLine);
  let at = headerLine.length;
  let lines = 1;
  for (let k = 0; k < n; k++) {
    if (lines >= linesPerChunk) {
      yield out.subarray(0, at); // taken before the next is asked for: the buffer is used again
      at = 0;
      lines = 0;
    }
    if (at + lineMax > out.length) {
      const bigger = new Uint8Array(out.length * 2 + lineMax);
      bigger.set(out.subarray(0, at));
      out = bigger;
    }
    // the line ends at its last cell that is not blank: trimEnd of the whole line, cell by cell
    let end = last;
    while (end >= 0 && isBlank(end, k)) end--;
    for (let i = 0; i <= end; i++) at = writeCell(i, k, out, at, i === end);
    out[at++] = NEWLINE;
    lines++;
  }
  yield out.subarray(0, at);
}

const WEEK_S = 7 * 86400;
const DAY_MS = 86_400_000;

/** Ages with the same text get the same key (formatAge's steps within a week). */
function ageKey(s: number): number {
  if (s < 60) return s;
  if (s < 3600) return 100 + Math.floor(s / 60);
  if (s < 86400) return 200 + Math.floor(s / 3600);
  return 300 + Math.floor(s / 86400);
}

/** The six text columns and the param columns. */
function textColumns(runs: RunsTableRows, paramKeys: string[], now: number): Column[] {
  const n = runs.count;
  const ids = new Array<string>(n);
  const names = new Array<string>(n);
  const experiment = new SharedBuilder(n);
  const status = new SharedBuilder(n);
  const age = new SharedBuilder(n);
  const oldAge = new Map<number, string>(); // past a week the text is the day (UTC)
  const duration = new SharedBuilder(n);
  for (let k = 0; k < n; k++) {
    const start = runs.startTime(k);
    const s = runs.status(k);
    ids[k] = cell(runs.id(k));
    names[k] = cell(runs.starred(k) ? `★ ${runs.name(k)}` : runs.name(k));
    experiment.putText(k, runs.experiment(k));
    if (s !== 'unreadable') status.putText(k, s);
    else if (!status.has(k, `\0${runs.error(k) ?? ''}`))
      status.add(k, `\0${runs.error(k) ?? ''}`, `unreadable: ${runs.error(k) ?? ''}`);
    if (start) {
      const second = Math.max(0, Math.round((now - start) / 1000));
      if (second < WEEK_S) {
        const key = ageKey(second);
        if (!age.has(k, key)) age.add(k, key, formatAge(start, now));
      } else {
        const day = Math.floor(start / DAY_MS);
        let text = oldAge.get(day);
        if (text === undefined) oldAge.set(day, (text = formatAge(start, now)));
        age.putText(k, text);
      }
      const ms = (runs.endTime(k) ?? now) - start;
      const key = Math.round(ms / 1000); // formatDuration's text is one per second
      if (!duration.has(k, key)) duration.add(k, key, formatDuration(ms));
    } else {
      age.putText(k, '');
      duration.putText(k, '');
    }
  }
  const params = paramKeys.map((key) => {
    const b = new SharedBuilder(n);
    const codes = runs.paramCodes?.(key);
    for (let k = 0; k < n; k++) {
      const token = codes ? codes[k] : runs.paramToken(k, key);
      if (!b.has(k, token)) b.add(k, token, formatParam(runs.param(k, key)));
    }
    return b.column();
  });
  return [
    { kind: 'row', cells: ids },
    { kind: 'row', cells: names },
    experiment.column(),
    status.column(),
    age.column(),
    duration.column(),
    ...params,
  ];
}

/** A metric's last values. */
function metricCells(runs: RunsTableRows, key: string): NumberCells {
  if (runs.metricLasts) {
    const { values, present } = runs.metricLasts(key);
    return new NumberCells(values, present);
  }
  const n = runs.count;
  const values = new Float64Array(n);
  const present = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const v = runs.metricLast(k, key);
    if (v === undefined) continue;
    values[k] = v;
    present[k] = 1;
  }
  return new NumberCells(values, present);
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
