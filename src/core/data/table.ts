import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { parse } from 'csv-parse';
import { RunlensError, errorMessage, isErrno } from '../errors';

/** One data row: cells in header order ('' for a missing cell), and its 1-based line in the file. */
export interface TableRow {
  cells: string[];
  line: number;
}

export interface TableStream {
  file: string;
  header: string[];
  rows: AsyncIterable<TableRow>;
}

const MISSING = new Set(['', 'na', 'nan', 'null', 'none', 'n/a']);

/** Cells that count as missing values (empty, NA, NaN, null, None). */
export function isMissing(cell: string): boolean {
  return cell.length <= 4 && MISSING.has(cell.toLowerCase());
}

/** Parse a numeric cell; NaN when it is not a number (the caller decides if that is an anomaly). */
export function parseNumber(cell: string): number {
  if (cell.length === 0) return NaN;
  const v = Number(cell);
  if (!Number.isNaN(v)) return v;
  const t = cell.trim().toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return NaN;
}

function isJsonl(file: string): boolean {
  return /\.(jsonl|ndjson)$/i.test(file);
}

/**
 * Open a CSV (header row first) or JSON Lines file as a stream of rows, so files of any size are
 * read in bounded memory. The header of a JSONL file is the keys of its first object (keys first
 * seen later are an error naming the line).
 */
export async function openTable(file: string): Promise<TableStream> {
  try {
    const st = fs.statSync(file);
    if (st.isDirectory())
      throw new RunlensError(`${file} is a folder, not a CSV or JSONL file`, undefined, 'usage');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) throw new RunlensError(`${file}: no such file`, undefined, 'notFound');
    throw e;
  }
  return isJsonl(file) ? openJsonl(file) : openCsv(file);
}

async function openCsv(file: string): Promise<TableStream> {
  const parser = fs
    .createReadStream(file)
    .pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true }));
  const it = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; info: { lines: number } }>;
  let first: IteratorResult<{ record: string[]; info: { lines: number } }>;
  try {
    first = await it.next();
  } catch (e) {
    throw new RunlensError(`${file}: not a readable CSV file: ${errorMessage(e)}`);
  }
  if (first.done) throw new RunlensError(`${file} is empty: expected a header row and data rows`);
  const header = first.value.record.map((h) => h.trim());
  const width = header.length;
  async function* rows(): AsyncIterable<TableRow> {
    for (;;) {
      let r: IteratorResult<{ record: string[]; info: { lines: number } }>;
      try {
        r = await it.next();
      } catch (e) {
        throw new RunlensError(`${file}: CSV error: ${errorMessage(e)}`);
      }
      if (r.done) return;
      const cells = r.value.record;
      if (cells.length !== width) {
        if (cells.length < width) while (cells.length < width) cells.push('');
        else cells.length = width;
      }
      yield { cells, line: r.value.info.lines };
    }
  }
  return { file, header, rows: rows() };
}

function cellOf(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

async function openJsonl(file: string): Promise<TableStream> {
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  const it = rl[Symbol.asyncIterator]();
  let lineNo = 0;
  let firstObj: Record<string, unknown> | undefined;
  const parseLine = (text: string, n: number): Record<string, unknown> => {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new RunlensError(`${file}:${n}: not valid JSON: ${errorMessage(e)}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new RunlensError(`${file}:${n}: expected one JSON object a line`);
    }
    return v as Record<string, unknown>;
  };
  let firstLine = 0;
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    lineNo++;
    if (r.value.trim() === '') continue;
    firstObj = parseLine(r.value, lineNo);
    firstLine = lineNo;
    break;
  }
  if (!firstObj) throw new RunlensError(`${file} is empty: expected one JSON object a line`);
  const header = Object.keys(firstObj);
  const index = new Map(header.map((h, i) => [h, i]));
  const toCells = (o: Record<string, unknown>, n: number): string[] => {
    const cells = new Array<string>(header.length).fill('');
    for (const [k, v] of Object.entries(o)) {
      const i = index.get(k);
      if (i === undefined) {
        throw new RunlensError(
          `${file}:${n}: key "${k}" is not in the first line's keys (${header.join(', ')})`,
        );
      }
      cells[i] = cellOf(v);
    }
    return cells;
  };
  const first = { cells: toCells(firstObj, firstLine), line: firstLine };
  async function* rows(): AsyncIterable<TableRow> {
    yield first;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      lineNo++;
      if (r.value.trim() === '') continue;
      yield { cells: toCells(parseLine(r.value, lineNo), lineNo), line: lineNo };
    }
  }
  return { file, header, rows: rows() };
}

/** A growable Float64Array, so a column of a million values costs 8 MB and no boxed numbers. */
export class FloatColumn {
  private buf: Float64Array;
  length = 0;
  constructor(capacity = 1024) {
    this.buf = new Float64Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  values(): Float64Array {
    return this.buf.subarray(0, this.length);
  }
}

const CHUNK = 1 << 16;

/**
 * A column kept in fixed 64K-value chunks: growing never copies, and no more than one chunk is
 * allocated beyond the values, so a large file's columns cost 8 (or 4) bytes a value.
 */
export class ChunkedColumn {
  private chunks: (Float64Array | Int32Array)[] = [];
  private last: Float64Array | Int32Array | undefined;
  private fill = CHUNK;
  length = 0;
  constructor(private readonly kind: 'f64' | 'i32') {}
  push(v: number): void {
    if (this.fill === CHUNK) {
      this.last = this.kind === 'f64' ? new Float64Array(CHUNK) : new Int32Array(CHUNK);
      this.chunks.push(this.last);
      this.fill = 0;
    }
    this.last![this.fill++] = v;
    this.length++;
  }
  at(i: number): number {
    return this.chunks[i >>> 16][i & (CHUNK - 1)];
  }
  /** The non-NaN values (of `rows` when given), sorted ascending, in one new array. */
  sortedFinite(rows?: Uint32Array): Float64Array {
    const out = new Float64Array(rows ? rows.length : this.length);
    let n = 0;
    if (rows) {
      for (const r of rows) {
        const v = this.at(r);
        if (!Number.isNaN(v)) out[n++] = v;
      }
    } else {
      let left = this.length;
      for (const c of this.chunks) {
        const m = Math.min(left, CHUNK);
        for (let i = 0; i < m; i++) if (!Number.isNaN(c[i])) out[n++] = c[i];
        left -= m;
      }
    }
    return (n === out.length ? out : out.slice(0, n)).sort();
  }
}
