import * as fs from 'node:fs';
import YAML from 'yaml';
import type { MetricSummary, RunStatus } from '../store/types';
import type { ImportWarning, PointWriter } from './common';

/** An MLflow experiment as read from a file store or a database, before it becomes Runlens runs. */
export interface MlflowExperiment {
  id: string;
  name: string;
  lifecycleStage: string;
  artifactLocation: string;
  creationTime: number | null;
}

export interface MlflowDataset {
  name: string;
  digest: string;
}

/** Where a reader hands the points of one metric. */
export interface MetricSeriesSink {
  /** A point; the texts, when given, are the JSON texts of value, step and time. */
  point(
    value: number,
    step: number,
    time: number,
    valueText: string | undefined,
    stepText: string | undefined,
    timeText: string | undefined,
  ): void;
  /**
   * Fast path: lines of the usual shape are written straight into this writer's buffer, each line
   * starting with `prefix` (`{"key":K,"value":`), and folded into `summary`.
   */
  direct?: { writer: PointWriter; prefix: Buffer; prefixView: DataView; summary: MetricSummary };
}

export interface MlflowRun {
  runId: string;
  experimentId: string;
  /** run_name (2.x), else the 0.x `name`; the mlflow.runName tag is looked at by the importer. */
  name: string | null;
  status: string;
  startTime: number | null;
  endTime: number | null;
  userId: string;
  sourceName: string;
  lifecycleStage: string;
  artifactUri: string;
  /** Local folder of the run's artifacts when it exists (file stores keep them next to meta.yaml). */
  artifactsDir: string | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  datasets: MlflowDataset[];
  /** Stream every point of every metric: `begin(key)` then the key's points. */
  readMetrics(begin: (key: string) => MetricSeriesSink, warnings: ImportWarning[]): void;
  /** Where the run lives, for messages. */
  location: string;
}

const STATUS_BY_NUMBER: Record<number, string> = {
  1: 'RUNNING',
  2: 'SCHEDULED',
  3: 'FINISHED',
  4: 'FAILED',
  5: 'KILLED',
};

/** MLflow keeps the status as an integer in meta.yaml (RunStatus enum) and as text in the database. */
export function mlflowStatusText(raw: unknown): string {
  if (typeof raw === 'number' || typeof raw === 'bigint') return STATUS_BY_NUMBER[Number(raw)] ?? 'RUNNING';
  if (typeof raw === 'string' && raw.trim() !== '') {
    const n = Number(raw);
    if (Number.isInteger(n) && STATUS_BY_NUMBER[n]) return STATUS_BY_NUMBER[n];
    return raw.trim().toUpperCase();
  }
  return 'RUNNING'; // what MLflow assumes when meta.yaml has no status
}

export function runlensStatus(mlflowStatus: string): RunStatus {
  switch (mlflowStatus) {
    case 'FINISHED':
      return 'finished';
    case 'FAILED':
      return 'failed';
    case 'KILLED':
      return 'killed';
    case 'SCHEDULED':
      return 'queued';
    default:
      return 'running';
  }
}

export function mlflowStatusOf(status: RunStatus): { text: string; code: number } {
  switch (status) {
    case 'finished':
      return { text: 'FINISHED', code: 3 };
    case 'failed':
    case 'crashed':
      return { text: 'FAILED', code: 4 };
    case 'killed':
      return { text: 'KILLED', code: 5 };
    case 'queued':
      return { text: 'SCHEDULED', code: 2 };
    default:
      return { text: 'RUNNING', code: 1 };
  }
}

/**
 * Parse an MLflow meta.yaml as PyYAML (which wrote it) reads it: YAML 1.1, so `1e3` stays text as
 * PyYAML left it unquoted; integers as BigInt so that 18-digit experiment ids keep every digit.
 */
export function readMetaYaml(file: string): Record<string, unknown> {
  const text = fs.readFileSync(file, 'utf8');
  const flat = parseFlatMeta(text);
  if (flat !== undefined) return flat;
  const doc = YAML.parse(text, { version: '1.1', intAsBigInt: true }) as unknown;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new Error('meta.yaml is not a mapping');
  }
  return doc as Record<string, unknown>;
}

const FLAT_LINE = /^([A-Za-z_][A-Za-z0-9_]*): (.*)$/;
// PyYAML's resolvers (YAML 1.1, as MLflow's files were written): plain scalars that are not text.
const PY_BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const PY_YAML_INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const PY_FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const PY_TIMESTAMP = /^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?/;
const PY_NULL = /^(?:~|null|Null|NULL)$/;
/** A plain scalar on one line: no indicator first, no comment, no `: `. */
const PLAIN = /^[^-?:,[\]{}#&*!|>'"%@`\s](?:[^#\s]|[ \t](?!#))*$/;

/**
 * The flat `key: value` files MLflow writes (meta.yaml of experiments, runs, inputs, datasets), read
 * the way PyYAML resolves plain scalars, without the YAML library (which takes most of the time of
 * reading a run): only when every line is `key: 'quoted'`, `key: 123`, `key: null`, `key: []` or an
 * unquoted text. Anything else (a float, a boolean, a date, nesting) returns undefined, and the YAML
 * library reads the file.
 */
export function parseFlatMeta(text: string): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    const m = FLAT_LINE.exec(line);
    if (!m) return undefined;
    const v = m[2];
    if (v === '' || PY_NULL.test(v)) out[m[1]] = null;
    else if (v === '[]') out[m[1]] = [];
    else if (/^-?(0|[1-9][0-9]*)$/.test(v)) out[m[1]] = BigInt(v);
    else if (v.length >= 2 && v[0] === "'" && v[v.length - 1] === "'") {
      const inner = v.slice(1, -1);
      if (inner.replace(/''/g, '').includes("'")) return undefined;
      out[m[1]] = inner.replace(/''/g, "'");
    } else if (
      PLAIN.test(v) &&
      !v.includes(': ') &&
      !v.endsWith(':') &&
      !PY_BOOL.test(v) &&
      !PY_YAML_INT.test(v) &&
      !PY_FLOAT.test(v) &&
      !PY_TIMESTAMP.test(v) &&
      v !== '<<' &&
      v !== '='
    ) {
      out[m[1]] = v.trimEnd();
    } else return undefined;
  }
  return out;
}

export function yamlText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

export function yamlNumber(v: unknown): number | null {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d*)?\s*$/.test(v)) return Number(v);
  return null;
}

/** `file:///a/b` -> `/a/b`; a plain path stays; other schemes (s3://) give null. */
export function localPathOfUri(uri: string): string | null {
  if (uri === '') return null;
  if (uri.startsWith('file://')) {
    try {
      return decodeURIComponent(new URL(uri).pathname);
    } catch {
      return uri.slice('file://'.length);
    }
  }
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(uri)) return null;
  return uri;
}

// ---------------------------------------------------------------------------------------------
// Metric lines: `ts value` (0.x, step 0), `ts value step`, `ts value step dataset_name dataset_digest`
// (3.x), and 6 fields (3.x, with a logged model id after the dataset). Values as Python's float()
// reads them (`nan`, `inf`, `-Infinity`, `1e-05`).

const SPECIAL_VALUES: Record<string, number> = {
  nan: NaN,
  '+nan': NaN,
  '-nan': NaN,
  inf: Infinity,
  '+inf': Infinity,
  '-inf': -Infinity,
  infinity: Infinity,
  '+infinity': Infinity,
  '-infinity': -Infinity,
};

const PY_FLOAT_UNDERSCORES = /^[+-]?(\d(_?\d)*)?(\.(\d(_?\d)*)?)?([eE][+-]?\d(_?\d)*)?$/;

/** A float as Python's float() reads it, or undefined. */
export function parsePythonFloat(t: string): number | undefined {
  const c = t.charCodeAt(0);
  if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) {
    const n = Number(t);
    if (!Number.isNaN(n)) {
      // Number() also reads 0x.., 0o.., 0b.. literals, which float() refuses.
      const c1 = t.charCodeAt(1) | 32;
      if (t.length > 2 && c === 48 && (c1 === 120 || c1 === 111 || c1 === 98)) return undefined;
      return n;
    }
    if (t.includes('_') && PY_FLOAT_UNDERSCORES.test(t) && /\d/.test(t)) return Number(t.replace(/_/g, ''));
  }
  const special = SPECIAL_VALUES[t.toLowerCase()];
  return special;
}

/** Is this number text valid JSON as it is (Python's repr of a finite float always is)? */
function isJsonNumber(t: string): boolean {
  let i = 0;
  const n = t.length;
  if (t.charCodeAt(0) === 45) i = 1;
  const d0 = t.charCodeAt(i);
  if (d0 < 48 || d0 > 57) return false;
  if (d0 === 48 && i + 1 < n) {
    const d1 = t.charCodeAt(i + 1);
    if (d1 >= 48 && d1 <= 57) return false;
  }
  const last = t.charCodeAt(n - 1);
  if (last < 48 || last > 57) return false;
  const dot = t.indexOf('.');
  if (dot >= 0) {
    const after = t.charCodeAt(dot + 1);
    if (after < 48 || after > 57) return false;
  }
  return !t.includes('_') && !t.includes('x') && !t.includes('o') && !t.includes('b');
}

const PY_INT = /^[+-]?\d+(_\d+)*$/;

/** An integer as Python's int() reads it: the number and its JSON text, or undefined. */
function parsePythonInt(t: string): [number, string | undefined] | undefined {
  const n = t.length;
  let simple = n > 0 && n < 16;
  for (let i = 0; simple && i < n; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) simple = i === 0 && c === 45 && n > 1;
  }
  if (simple) {
    const v = Number(t);
    const c0 = t.charCodeAt(0) === 45 ? t.charCodeAt(1) : t.charCodeAt(0);
    // A leading zero (007) is fine for int() but not in JSON.
    return [v, c0 === 48 && t.length > (t.charCodeAt(0) === 45 ? 2 : 1) ? undefined : t];
  }
  if (!PY_INT.test(t)) return undefined;
  return [Number(t.replace(/_/g, '')), undefined];
}

export interface LineParseState {
  file: string;
  /** Line number of the first line of the text (1-based). */
  line: number;
  /** Byte offset of the first line of the text. */
  offset: number;
  warnings: ImportWarning[];
  /** Warnings already given for this file: after MAX_WARNINGS_PER_FILE the rest are counted. */
  warned: number;
  suppressed: number;
  datasets: Map<string, MlflowDataset>;
}

export const MAX_WARNINGS_PER_FILE = 20;

function lineWarning(st: LineParseState, at: number, line: number, message: string): void {
  if (st.warned >= MAX_WARNINGS_PER_FILE) {
    st.suppressed++;
    return;
  }
  st.warned++;
  st.warnings.push({ file: st.file, line, offset: st.offset + at, message });
}

/** The text is decoded as latin1 (one character a byte, so offsets are byte offsets); show it as UTF-8. */
function utf8(latin1: string): string {
  return /[\x80-\xff]/.test(latin1) ? Buffer.from(latin1, 'latin1').toString('utf8') : latin1;
}

function excerpt(s: string): string {
  const t = s.length > 60 ? s.slice(0, 60) + '…' : s;
  return JSON.stringify(utf8(t));
}

const STEP_BYTES = Buffer.from(',"step":');
const TIME_BYTES = Buffer.from(',"time":');
const STEP_0 = STEP_BYTES.readUInt32LE(0);
const STEP_1 = STEP_BYTES.readUInt32LE(4);
const TIME_0 = TIME_BYTES.readUInt32LE(0);
const TIME_1 = TIME_BYTES.readUInt32LE(4);

/** Copy bytes [s, e) of one view to another at p, 4 at a time; returns the position after them. */
function copyBytes(from: DataView, s: number, e: number, to: DataView, p: number): number {
  let k = s;
  for (; k + 4 <= e; k += 4, p += 4) to.setUint32(p, from.getUint32(k, true), true);
  for (; k < e; k++) to.setUint8(p++, from.getUint8(k));
  return p;
}

/**
 * Parse the lines of `b` up to `end`, `text` being the same bytes decoded as latin1 (one character
 * a byte, so character and byte offsets agree). Each line ends with \n, except possibly the last one, which is
 * parsed when it is complete on its own). Lines of the usual shape (`ts value [step]`, plain decimal
 * numbers) go through a fast path that copies their bytes into the writer (no string is made but
 * the value's, for its number); the others through Python's int() and float() rules. Malformed
 * lines are skipped with a warning naming the file, line and byte offset.
 */
export function parseMetricLines(
  b: Buffer,
  text: string,
  end: number,
  sink: MetricSeriesSink,
  st: LineParseState,
): void {
  let start = 0;
  const direct = sink.direct;
  const bv = new DataView(b.buffer, b.byteOffset, b.length);
  while (start < end) {
    const line = st.line++;
    const lineStart = start;

    // Fast path: -?digits SP json-number [SP -?digits] (\r)?\n, nothing else.
    if (direct !== undefined) {
      fast: {
        let i = lineStart;
        const t0 = i;
        if (b[i] === 45) i++;
        const td = i;
        let ts = 0;
        while (i < end && b[i] >= 48 && b[i] <= 57) ts = ts * 10 + (b[i++] - 48);
        if (i === td || i - td > 15 || (b[td] === 48 && i - td > 1) || i >= end || b[i] !== 32) break fast;
        if (td > t0) ts = -ts;
        const t1 = i++;
        // The value, checked against JSON's number grammar as it is scanned (so it can be copied as is).
        const v0 = i;
        if (b[i] === 45) i++;
        if (b[i] === 48) i++;
        else if (b[i] >= 49 && b[i] <= 57) while (++i < end && b[i] >= 48 && b[i] <= 57);
        else break fast;
        if (i < end && b[i] === 46) {
          const f = ++i;
          while (i < end && b[i] >= 48 && b[i] <= 57) i++;
          if (i === f) break fast;
        }
        if (i < end && (b[i] | 32) === 101) {
          i++;
          if (b[i] === 43 || b[i] === 45) i++;
          const f = i;
          while (i < end && b[i] >= 48 && b[i] <= 57) i++;
          if (i === f) break fast;
        }
        const v1 = i;
        let step = 0;
        let s0 = 0;
        let s1 = 0;
        if (i < end && b[i] === 32) {
          s0 = ++i;
          if (b[i] === 45) i++;
          const sd = i;
          while (i < end && b[i] >= 48 && b[i] <= 57) step = step * 10 + (b[i++] - 48);
          if (i === sd || i - sd > 15 || (b[sd] === 48 && i - sd > 1)) break fast;
          if (sd > s0) step = -step;
          s1 = i;
        }
        if (i < end && b[i] === 13) i++;
        if (i < end && b[i] !== 10) break fast;
        const value = Number(text.slice(v0, v1));
        if (!Number.isFinite(value)) break fast;
        start = i + 1;
        // {"key":K,"value":V,"step":S,"time":T}\n, copied 4 bytes at a time.
        const w = direct.writer;
        const pl = direct.prefix.length;
        if (w.pos + pl + (i - lineStart) + 24 > w.buf.length) w.reserve(pl + (i - lineStart) + 24);
        const ov = w.view;
        let p = copyBytes(direct.prefixView, 0, pl, ov, w.pos);
        p = copyBytes(bv, v0, v1, ov, p);
        ov.setUint32(p, STEP_0, true);
        ov.setUint32(p + 4, STEP_1, true);
        p += 8;
        if (s0 === s1) ov.setUint8(p++, 48);
        else p = copyBytes(bv, s0, s1, ov, p);
        ov.setUint32(p, TIME_0, true);
        ov.setUint32(p + 4, TIME_1, true);
        p = copyBytes(bv, t0, t1, ov, p + 8);
        ov.setUint16(p, 0x0a7d, true); // }\n
        p += 2;
        w.pos = p;
        w.fold(direct.summary, value, step, ts);
        continue;
      }
    }

    let nl = text.indexOf('\n', lineStart);
    if (nl < 0 || nl > end) nl = end;
    start = nl + 1;
    slowLine(text.slice(lineStart, nl), lineStart, line, sink, st);
  }
}

/** A line as MLflow's FileStore reads it: strip(), split(" "), int(), float(). */
function slowLine(
  text: string,
  lineStart: number,
  line: number,
  sink: MetricSeriesSink,
  st: LineParseState,
): void {
  let a = 0;
  let b2 = text.length;
  // Python's strip(): spaces, tabs, \r and the like at both ends.
  while (a < b2 && text.charCodeAt(a) <= 32) a++;
  while (b2 > a && text.charCodeAt(b2 - 1) <= 32) b2--;
  if (a === b2) {
    lineWarning(st, lineStart, line, 'empty line');
    return;
  }
  const s1 = text.indexOf(' ', a);
  if (s1 < 0 || s1 >= b2) {
    lineWarning(st, lineStart, line, `1 field, expected 2, 3, 5 or 6: ${excerpt(text.slice(a, b2))}`);
    return;
  }
  let s2 = text.indexOf(' ', s1 + 1);
  if (s2 < 0 || s2 > b2) s2 = b2;
  const tsText = text.slice(a, s1);
  const valueText = text.slice(s1 + 1, s2);
  let stepText: string | undefined;
  let fields = 2;
  let dsName: string | undefined;
  let dsDigest: string | undefined;
  if (s2 < b2) {
    let s3 = text.indexOf(' ', s2 + 1);
    if (s3 < 0 || s3 > b2) s3 = b2;
    stepText = text.slice(s2 + 1, s3);
    fields = 3;
    if (s3 < b2) {
      const rest = text.slice(s3 + 1, b2).split(' ');
      fields += rest.length;
      // 5 fields: dataset name and digest. 6 (MLflow 3 logged models): the logged model id
      // (`m-<hex>`, or None) and the dataset, in whichever order the line has them.
      const ds = rest.length === 3 && /^(m-[0-9a-f]+|None)$/.test(rest[0]) ? rest.slice(1) : rest;
      if (rest.length === 2 || rest.length === 3) {
        dsName = utf8(ds[0]);
        dsDigest = utf8(ds[1]);
      }
    }
  }
  if (fields !== 2 && fields !== 3 && fields !== 5 && fields !== 6) {
    lineWarning(
      st,
      lineStart,
      line,
      `${fields} fields, expected 2, 3, 5 or 6: ${excerpt(text.slice(a, b2))}`,
    );
    return;
  }
  const ts = parsePythonInt(tsText);
  if (ts === undefined) {
    lineWarning(st, lineStart, line, `timestamp is not an integer: ${excerpt(tsText)}`);
    return;
  }
  const value = parsePythonFloat(valueText);
  if (value === undefined) {
    lineWarning(st, lineStart, line, `value is not a number: ${excerpt(valueText)}`);
    return;
  }
  let step: [number, string | undefined] = [0, '0'];
  if (stepText !== undefined) {
    const parsed = parsePythonInt(stepText);
    if (parsed === undefined) {
      lineWarning(st, lineStart, line, `step is not an integer: ${excerpt(stepText)}`);
      return;
    }
    step = parsed;
  }
  if (dsName !== undefined && dsDigest !== undefined && dsName !== '' && dsName !== 'None') {
    const k = dsName + '\0' + dsDigest;
    if (!st.datasets.has(k)) st.datasets.set(k, { name: dsName, digest: dsDigest });
  }
  sink.point(
    value,
    step[0],
    ts[0],
    Number.isFinite(value) && isJsonNumber(valueText) ? valueText : undefined,
    step[1],
    ts[1],
  );
}

const CHUNK = 1 << 22;
/** Read buffer shared by every metric file read (one at a time, synchronously). */
let readBuffer = Buffer.allocUnsafe(64 * 1024);
/** A line longer than this is not a metric line: it is skipped up to the next newline. */
const MAX_LINE = 1 << 20;

/**
 * Read an MLflow metric file in chunks (memory stays bounded whatever its size) and hand its points
 * to `sink`. Returns the number of lines read.
 */
export function readMetricFile(
  file: string,
  sink: MetricSeriesSink,
  warnings: ImportWarning[],
  datasets: Map<string, MlflowDataset>,
): number {
  const st: LineParseState = {
    file,
    line: 1,
    offset: 0,
    warnings,
    warned: 0,
    suppressed: 0,
    datasets,
  };
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    warnings.push({ file, message: `cannot read: ${(e as Error).message}` });
    return 0;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (readBuffer.length < Math.min(size, CHUNK)) readBuffer = Buffer.allocUnsafe(Math.min(size, CHUNK));
    const buf = readBuffer.subarray(0, Math.max(1, Math.min(size, CHUNK)));
    let pos = 0;
    let carry: Buffer | undefined;
    let skippingLongLine = false;
    while (pos < size) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
      if (n <= 0) break;
      pos += n;
      let bytes = carry ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      carry = undefined;
      if (skippingLongLine) {
        const nl = bytes.indexOf(10);
        if (nl < 0) {
          st.offset += bytes.length;
          continue;
        }
        st.offset += nl + 1;
        st.line++;
        bytes = bytes.subarray(nl + 1);
        skippingLongLine = false;
      }
      const lastNl = pos >= size ? bytes.length - 1 : bytes.lastIndexOf(10);
      if (lastNl < 0) {
        if (bytes.length > MAX_LINE) {
          lineWarning(st, 0, st.line, `line longer than ${MAX_LINE} bytes skipped`);
          st.offset += bytes.length;
          skippingLongLine = true;
        } else {
          carry = Buffer.from(bytes);
        }
        continue;
      }
      parseMetricLines(bytes, bytes.toString('latin1', 0, lastNl + 1), lastNl + 1, sink, st);
      st.offset += lastNl + 1;
      const rest = bytes.length - (lastNl + 1);
      if (rest > MAX_LINE) {
        lineWarning(st, 0, st.line, `line longer than ${MAX_LINE} bytes skipped`);
        st.offset += rest;
        skippingLongLine = true;
      } else if (rest > 0) {
        carry = Buffer.from(bytes.subarray(lastNl + 1));
      }
    }
    if (carry && carry.length > 0) parseMetricLines(carry, carry.toString('latin1'), carry.length, sink, st);
  } finally {
    fs.closeSync(fd);
  }
  if (st.suppressed > 0) {
    warnings.push({ file, message: `${st.suppressed} more malformed lines skipped` });
  }
  return st.line - 1;
}
