import * as fs from 'node:fs';
import * as os from 'node:os';
import * as zlib from 'node:zlib';
import { RunlensError } from '../errors';
import type { Field, FieldValue } from './query';
import { setOwn } from './records';
import type { JobRecord, ListedStatus, MetricSummary, ParamValue, RunEntry } from './types';

/**
 * The listing index: every index entry as compact binary columns, so that listing, filtering and
 * sorting 100,000 runs reads one ~40 MB file with no JSON to parse but its dictionaries, instead of
 * the 120 MB of index.json. Rows are in id order, newest first (as `runlens ls` lists).
 *
 * File layout (`index.listing`, version 2): the 8 bytes `RLLIST1\n`, a uint32 CRC-32 of the header
 * and its length, a uint32 header length, the header (UTF-8 JSON: dictionaries, rare fields, section
 * offsets and CRC-32s, the stamps of the files it was derived from), then the sections, each 8-byte
 * aligned, little-endian:
 *
 *   ids, names:     idText, nameText (every run's id, name, one after the other, latin1 or UTF-16LE
 *                   as the header's `texts` says), idEnds, nameEnds (int32: where each ends, in
 *                   UTF-16 units)
 *   per run:        experiment, status, script, gitCommit (int32 into `strs`, -1 for null),
 *                   starred (uint8), startTime, endTime (NaN: null), updatedAt, metricsBytes,
 *                   runFileMtime (NaN: absent) (float64), paramShape, tagShape, metricShape (int32
 *                   into `shapes`: the run's keys in their order, as indices into `strs`)
 *   per param:      paramCodes (int32 into `pvals`)        per tag: tagCodes (int32 into `strs`)
 *   per metric:     last, lastStep, min, max, minStep, maxStep (NaN: absent), count, lastTime
 *                   (float64), source (uint8: 1 for stdout)
 *
 * A run's params, tags and metric summaries follow each other in row order: their offsets are the
 * running sums of the shape lengths. The file is derived and deletable (see listingIndex.ts).
 */
export const LISTING_FILE = 'index.listing';
const MAGIC = Buffer.from('RLLIST1\n', 'latin1');
const PREFIX = MAGIC.length + 8;

const I32 = [
  'experiment',
  'status',
  'script',
  'gitCommit',
  'paramShape',
  'tagShape',
  'metricShape',
  'paramCodes',
  'tagCodes',
] as const;
const F64 = [
  'startTime',
  'endTime',
  'updatedAt',
  'metricsBytes',
  'runFileMtime',
  'mLast',
  'mLastStep',
  'mMin',
  'mMax',
  'mMinStep',
  'mMaxStep',
  'mCount',
  'mLastTime',
] as const;
const U8 = ['starred', 'mSource'] as const;
type I32Name = (typeof I32)[number];
type F64Name = (typeof F64)[number];
type U8Name = (typeof U8)[number];

type Columns = Record<I32Name, Int32Array> & Record<F64Name, Float64Array> & Record<U8Name, Uint8Array>;

/** What a listing was derived from: a reader compares these with the files before trusting it. */
export interface ListingStamps {
  /** index.json when the listing was made (null: there was none). */
  index: { ino: number; size: number; mtimeMs: number } | null;
  /** The runs/ folder, when its mtime was old enough to trust (null: list the folder). */
  runsDir: { ino: number; mtimeMs: number } | null;
  /** How much of the change notes (index.changes) the rows include (null: none of it). */
  changes: { ino: number; size: number } | null;
  /** How much of the notes before the last rotation (index.changes.old) the rows include. */
  changesOld?: { ino: number; size: number } | null;
}

interface Header {
  version: number;
  rows: number;
  stamps: ListingStamps;
  /** How the `ids` and `names` sections are encoded (latin1 when every character fits a byte). */
  texts: { ids: TextEncoding; names: TextEncoding };
  strs: string[];
  /** Param values; a non-finite number as {"n": "NaN" | "Infinity" | "-Infinity"}. */
  pvals: unknown[];
  shapes: number[][];
  errors: [number, string][];
  jobs: [number, JobRecord][];
  sections: Record<string, [number, number]>;
  /** CRC-32 of each section. */
  crcs: Record<string, number>;
}

/** The columns `runlens ls` reads to print a table; the others are read (and checked) when used. */
export const TABLE_SECTIONS: readonly string[] = [
  'experiment',
  'status',
  'script',
  'gitCommit',
  'paramShape',
  'tagShape',
  'metricShape',
  'paramCodes',
  'tagCodes',
  'starred',
  'startTime',
  'endTime',
  'updatedAt',
  'metricsBytes',
  'mLast',
];

const VERSION = 2;

type TextEncoding = 'latin1' | 'utf16le';

/**
 * Strings as one section of text and one of where each ends (UTF-16 units): decoded with one call and
 * cut into strings that share it, instead of parsing 200,000 JSON strings. latin1 when every
 * character fits a byte, else UTF-16 (either gives back every string exactly, unpaired surrogates too).
 */
function encodeTexts(list: readonly string[]): { text: Buffer; ends: Int32Array; encoding: TextEncoding } {
  const joined = list.join('');
  const ends = new Int32Array(list.length);
  let at = 0;
  for (let i = 0; i < list.length; i++) ends[i] = at += list[i].length;
  // eslint-disable-next-line no-control-regex -- any character past one byte
  const encoding: TextEncoding = /[^\x00-\xff]/.test(joined) ? 'utf16le' : 'latin1';
  return { text: Buffer.from(joined, encoding), ends, encoding };
}

function decodeTexts(text: Buffer, ends: Int32Array, encoding: TextEncoding): string[] {
  const joined = text.toString(encoding);
  const out = new Array<string>(ends.length);
  let from = 0;
  for (let i = 0; i < ends.length; i++) {
    out[i] = joined.substring(from, ends[i]);
    from = ends[i];
  }
  return out;
}

/** The sections of the ids and names (see encodeTexts), read with the header. */
const TEXT_SECTIONS = { idText: 1, idEnds: 4, nameText: 1, nameEnds: 4 } as const;
const NULL = -1;

/** The index entries as columns; see the file comment. */
export class Listing {
  readonly size: number;
  readonly stamps: ListingStamps;
  private readonly paramOff: Int32Array;
  private readonly tagOff: Int32Array;
  private readonly metricOff: Int32Array;
  private strIndex: Map<string, number> | undefined;
  /** Per shape: key (index into strs) -> position in the shape. */
  private readonly shapePos: Map<number, number>[];
  private readonly errors: Map<number, string>;
  private readonly jobs: Map<number, JobRecord>;
  private rowById: Map<string, number> | undefined;

  /** Use Listing.of, with or decode. */
  constructor(
    readonly ids: string[],
    private readonly names: string[],
    private readonly strs: string[],
    private readonly pvals: ParamValue[],
    private readonly shapes: number[][],
    errors: [number, string][],
    jobs: [number, JobRecord][],
    private readonly c: Columns,
    stamps: ListingStamps,
  ) {
    this.size = ids.length;
    this.stamps = stamps;
    this.errors = new Map(errors);
    this.jobs = new Map(jobs);
    this.shapePos = shapes.map((s) => new Map(s.map((k, i) => [k, i])));
    const offsets = (shape: Int32Array): Int32Array => {
      const off = new Int32Array(this.size + 1);
      for (let i = 0; i < this.size; i++) off[i + 1] = off[i] + shapes[shape[i]].length;
      return off;
    };
    this.paramOff = offsets(c.paramShape);
    this.tagOff = offsets(c.tagShape);
    this.metricOff = offsets(c.metricShape);
  }

  // ------------------------------------------------------------------------------------------
  // Reading rows

  id(i: number): string {
    return this.ids[i];
  }
  name(i: number): string {
    return this.names[i];
  }
  experiment(i: number): string {
    return this.strs[this.c.experiment[i]];
  }
  status(i: number): ListedStatus {
    return this.strs[this.c.status[i]] as ListedStatus;
  }
  script(i: number): string | null {
    return this.str(this.c.script[i]);
  }
  gitCommit(i: number): string | null {
    return this.str(this.c.gitCommit[i]);
  }
  starred(i: number): boolean {
    return this.c.starred[i] === 1;
  }
  startTime(i: number): number {
    return this.c.startTime[i];
  }
  endTime(i: number): number | null {
    const t = this.c.endTime[i];
    return Number.isNaN(t) ? null : t;
  }
  updatedAt(i: number): number {
    return this.c.updatedAt[i];
  }
  metricsBytes(i: number): number {
    return this.c.metricsBytes[i];
  }
  error(i: number): string | undefined {
    return this.errors.get(i);
  }
  job(i: number): JobRecord | undefined {
    return this.jobs.get(i);
  }

  /** The row of run `id`, or undefined. */
  rowOf(id: string): number | undefined {
    this.rowById ??= new Map(this.ids.map((x, i) => [x, i]));
    return this.rowById.get(id);
  }

  paramKeys(i: number): string[] {
    return this.shapes[this.c.paramShape[i]].map((k) => this.strs[k]);
  }
  tagKeys(i: number): string[] {
    return this.shapes[this.c.tagShape[i]].map((k) => this.strs[k]);
  }
  metricKeys(i: number): string[] {
    return this.shapes[this.c.metricShape[i]].map((k) => this.strs[k]);
  }

  param(i: number, key: string): ParamValue | undefined {
    const at = this.slot(this.c.paramShape[i], key);
    return at === undefined ? undefined : this.pvals[this.c.paramCodes[this.paramOff[i] + at]];
  }
  /** The dictionary code of a param's value: equal codes, equal values (-1: no such param). */
  paramCode(i: number, key: string): number {
    const at = this.slot(this.c.paramShape[i], key);
    return at === undefined ? -1 : this.c.paramCodes[this.paramOff[i] + at];
  }
  tag(i: number, key: string): string | undefined {
    const at = this.slot(this.c.tagShape[i], key);
    return at === undefined ? undefined : this.strs[this.c.tagCodes[this.tagOff[i] + at]];
  }
  /** A metric's last, min or max value, or undefined when the run has no such metric. */
  metric(i: number, key: string, stat: 'last' | 'min' | 'max'): number | undefined {
    const at = this.slot(this.c.metricShape[i], key);
    if (at === undefined) return undefined;
    const col = stat === 'last' ? this.c.mLast : stat === 'min' ? this.c.mMin : this.c.mMax;
    return col[this.metricOff[i] + at];
  }

  // ------------------------------------------------------------------------------------------
  // Reading columns of many rows (the same values as the reads above, a lookup per shape not per row)

  /** The param, metric or tag keys that the given rows have. */
  keysOf(rows: ArrayLike<number>, kind: 'param' | 'metric' | 'tag'): Set<string> {
    const shapeOf = this.shapeColumn(kind);
    const seen = new Uint8Array(this.shapes.length);
    const keys = new Set<string>();
    for (let r = 0; r < rows.length; r++) {
      const s = shapeOf[rows[r]];
      if (seen[s]) continue;
      seen[s] = 1;
      for (const k of this.shapes[s]) keys.add(this.strs[k]);
    }
    return keys;
  }

  /** paramCode of each of the given rows. */
  paramCodes(rows: ArrayLike<number>, key: string): Int32Array {
    const slots = this.slots(key);
    const { paramShape, paramCodes } = this.c;
    const off = this.paramOff;
    const out = new Int32Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r];
      const at = slots[paramShape[i]];
      out[r] = at < 0 ? -1 : paramCodes[off[i] + at];
    }
    return out;
  }

  /** A metric's last, min or max value for each of the given rows; `present[r]` 0 where it has none. */
  metricColumn(
    rows: ArrayLike<number>,
    key: string,
    stat: 'last' | 'min' | 'max',
  ): { values: Float64Array; present: Uint8Array } {
    const slots = this.slots(key);
    const shape = this.c.metricShape;
    const col = stat === 'last' ? this.c.mLast : stat === 'min' ? this.c.mMin : this.c.mMax;
    const off = this.metricOff;
    const values = new Float64Array(rows.length);
    const present = new Uint8Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r];
      const at = slots[shape[i]];
      if (at < 0) continue;
      values[r] = col[off[i] + at];
      present[r] = 1;
    }
    return { values, present };
  }

  /**
   * A numeric field (a metric's statistic, start, end, duration) of the given rows as doubles,
   * NaN where missing; undefined for the fields whose values can be other than numbers.
   */
  numberColumn(rows: ArrayLike<number>, f: Field): Float64Array | undefined {
    if (f.kind === 'metric') {
      const { values, present } = this.metricColumn(rows, f.key, f.stat);
      for (let r = 0; r < rows.length; r++) if (!present[r]) values[r] = NaN;
      return values;
    }
    if (f.kind !== 'attr' || (f.name !== 'start' && f.name !== 'end' && f.name !== 'duration'))
      return undefined;
    const { startTime, endTime } = this.c;
    const out = new Float64Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r];
      // endTime is NaN for a run not ended, as its value (null) is missing
      out[r] = f.name === 'start' ? startTime[i] : f.name === 'end' ? endTime[i] : endTime[i] - startTime[i];
    }
    return out;
  }

  private shapeColumn(kind: 'param' | 'metric' | 'tag'): Int32Array {
    return kind === 'param' ? this.c.paramShape : kind === 'metric' ? this.c.metricShape : this.c.tagShape;
  }

  /** Per shape: the position of `key` in it, -1 where it is not. */
  private slots(key: string): Int32Array {
    this.strIndex ??= new Map(this.strs.map((s, i) => [s, i]));
    const k = this.strIndex.get(key);
    const out = new Int32Array(this.shapes.length).fill(-1);
    if (k === undefined) return out;
    for (let s = 0; s < this.shapes.length; s++) out[s] = this.shapePos[s].get(k) ?? -1;
    return out;
  }

  /** The value of a query field for row `i`, exactly as `valueOf` reads it from the row's entry. */
  value(i: number, f: Field): FieldValue {
    switch (f.kind) {
      case 'metric':
        return this.metric(i, f.key, f.stat);
      case 'param':
        return this.param(i, f.key);
      case 'tag':
        return this.tag(i, f.key);
      case 'bare': {
        const p = this.param(i, f.key);
        return p !== undefined ? p : this.metric(i, f.key, 'last');
      }
      case 'attr':
        switch (f.name) {
          case 'id':
            return this.ids[i];
          case 'name':
            return this.names[i];
          case 'experiment':
            return this.experiment(i);
          case 'status':
            return this.status(i);
          case 'script':
            return this.script(i);
          case 'starred':
            return this.starred(i);
          case 'gitCommit':
            return this.gitCommit(i);
          case 'start':
            return this.startTime(i);
          case 'end':
            return this.endTime(i);
          case 'duration': {
            const end = this.endTime(i);
            return end !== null ? end - this.startTime(i) : null;
          }
        }
    }
  }

  /** The field names (`params.X`, `metrics.X`, `tags.X`) the given rows have (all rows without). */
  fieldNames(rows?: Iterable<number>): Set<string> {
    // a shape's keys are added once per kind: a flag per shape and kind, not a set lookup per row;
    // each kind's names in the order the rows first have them
    const kinds = [
      { prefix: 'params.', shapeOf: this.c.paramShape },
      { prefix: 'metrics.', shapeOf: this.c.metricShape },
      { prefix: 'tags.', shapeOf: this.c.tagShape },
    ];
    const seen = kinds.map(() => new Uint8Array(this.shapes.length));
    const firsts: number[][] = kinds.map(() => []);
    const each = (i: number) => {
      for (let k = 0; k < 3; k++) {
        const shape = kinds[k].shapeOf[i];
        if (seen[k][shape]) continue;
        seen[k][shape] = 1;
        firsts[k].push(shape);
      }
    };
    if (rows) for (const i of rows) each(i);
    else for (let i = 0; i < this.size; i++) each(i);
    const names = new Set<string>();
    for (let k = 0; k < 3; k++)
      for (const shape of firsts[k])
        for (const key of this.shapes[shape]) names.add(kinds[k].prefix + this.strs[key]);
    return names;
  }

  /** Row `i` as the index entry it was made from. */
  entry(i: number): RunEntry {
    const params: Record<string, ParamValue> = {};
    const p0 = this.paramOff[i];
    this.shapes[this.c.paramShape[i]].forEach((k, j) =>
      setOwn(params, this.strs[k], this.pvals[this.c.paramCodes[p0 + j]]),
    );
    const tags: Record<string, string> = {};
    const t0 = this.tagOff[i];
    this.shapes[this.c.tagShape[i]].forEach((k, j) =>
      setOwn(tags, this.strs[k], this.strs[this.c.tagCodes[t0 + j]]),
    );
    const metrics: Record<string, MetricSummary> = {};
    const m0 = this.metricOff[i];
    this.shapes[this.c.metricShape[i]].forEach((k, j) => setOwn(metrics, this.strs[k], this.summary(m0 + j)));
    const e: RunEntry = {
      id: this.ids[i],
      experiment: this.experiment(i),
      name: this.names[i],
      status: this.status(i),
      script: this.script(i),
      params,
      tags,
      starred: this.starred(i),
      startTime: this.startTime(i),
      endTime: this.endTime(i),
      gitCommit: this.gitCommit(i),
      metrics,
      metricsBytes: this.c.metricsBytes[i],
      updatedAt: this.c.updatedAt[i],
    };
    const job = this.jobs.get(i);
    if (job) e.job = structuredClone(job);
    const error = this.errors.get(i);
    if (error !== undefined) e.error = error;
    const mtime = this.c.runFileMtime[i];
    if (!Number.isNaN(mtime)) e.runFileMtime = mtime;
    return e;
  }

  private summary(m: number): MetricSummary {
    const c = this.c;
    const minStep = c.mMinStep[m];
    const maxStep = c.mMaxStep[m];
    // built with its fields in their order and no `delete` (which would slow every later read)
    const s: MetricSummary =
      minStep === minStep && maxStep === maxStep
        ? {
            last: c.mLast[m],
            lastStep: c.mLastStep[m],
            min: c.mMin[m],
            max: c.mMax[m],
            minStep,
            maxStep,
            count: c.mCount[m],
            lastTime: c.mLastTime[m],
          }
        : {
            last: c.mLast[m],
            lastStep: c.mLastStep[m],
            min: c.mMin[m],
            max: c.mMax[m],
            ...(minStep === minStep ? { minStep } : {}),
            ...(maxStep === maxStep ? { maxStep } : {}),
            count: c.mCount[m],
            lastTime: c.mLastTime[m],
          };
    if (c.mSource[m] === 1) s.source = 'stdout';
    return s;
  }

  private str(code: number): string | null {
    return code === NULL ? null : this.strs[code];
  }

  private slot(shape: number, key: string): number | undefined {
    this.strIndex ??= new Map(this.strs.map((s, i) => [s, i]));
    const k = this.strIndex.get(key);
    return k === undefined ? undefined : this.shapePos[shape].get(k);
  }

  // ------------------------------------------------------------------------------------------
  // Building, writing and reading

  /** A listing of `entries` (any order: rows are sorted newest first). */
  static of(entries: Iterable<RunEntry>, stamps: ListingStamps): Listing {
    const sorted = [...entries].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const b = new ListingBuilder();
    for (const e of sorted) b.addEntry(e);
    return b.finish(stamps);
  }

  /**
   * This listing with some rows replaced, removed or added: `changed` holds entries by id (new
   * runs included), `removed` the ids that are gone.
   */
  with(changed: ReadonlyMap<string, RunEntry>, removed: ReadonlySet<string>, stamps: ListingStamps): Listing {
    const added = [...changed.values()]
      .filter((e) => this.rowOf(e.id) === undefined)
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const b = new ListingBuilder();
    let k = 0;
    for (let i = 0; i < this.size; i++) {
      const id = this.ids[i];
      while (k < added.length && added[k].id > id) b.addEntry(added[k++]);
      if (removed.has(id)) continue;
      const e = changed.get(id);
      if (e) b.addEntry(e);
      else b.addRow(this, i);
    }
    while (k < added.length) b.addEntry(added[k++]);
    return b.finish(stamps);
  }

  /** The listing with other stamps (same rows). */
  restamped(stamps: ListingStamps): Listing {
    const l = new Listing(
      this.ids,
      this.names,
      this.strs,
      this.pvals,
      this.shapes,
      [...this.errors],
      [...this.jobs],
      this.c,
      stamps,
    );
    // The same columns, still read from this listing's file: releasing either closes it.
    l.releaseFile = () => this.releaseFile();
    return l;
  }

  encode(): Buffer {
    const sections: Record<string, [number, number]> = {};
    const crcs: Record<string, number> = {};
    const parts: Buffer[] = [];
    let at = 0;
    const put = (name: string, arr: Int32Array | Float64Array | Uint8Array | Buffer) => {
      const bytes = Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
      sections[name] = [at, bytes.length];
      crcs[name] = zlib.crc32(bytes);
      parts.push(bytes);
      at += bytes.length;
      const pad = (8 - (at % 8)) % 8;
      if (pad) {
        parts.push(Buffer.alloc(pad));
        at += pad;
      }
    };
    for (const n of F64) put(n, this.c[n]);
    for (const n of I32) put(n, this.c[n]);
    for (const n of U8) put(n, this.c[n]);
    const ids = encodeTexts(this.ids);
    const names = encodeTexts(this.names);
    put('idText', ids.text);
    put('idEnds', ids.ends);
    put('nameText', names.text);
    put('nameEnds', names.ends);
    const header: Header = {
      version: VERSION,
      rows: this.size,
      stamps: this.stamps,
      texts: { ids: ids.encoding, names: names.encoding },
      strs: this.strs,
      pvals: this.pvals.map(encodeParam),
      shapes: this.shapes,
      errors: [...this.errors],
      jobs: [...this.jobs],
      sections,
      crcs,
    };
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    // The columns start 8-byte aligned in the file, so that a read buffer can be viewed in place.
    const headPad = (8 - ((PREFIX + json.length) % 8)) % 8;
    const lengths = Buffer.alloc(8);
    lengths.writeUInt32LE(json.length + headPad, 4);
    const head = Buffer.concat([lengths.subarray(4), json, Buffer.alloc(headPad, 0x20)]);
    lengths.writeUInt32LE(zlib.crc32(head), 0);
    return Buffer.concat([MAGIC, lengths.subarray(0, 4), head, ...parts]);
  }

  /** Read a listing file's bytes: the listing, or why it cannot be used (every column checked). */
  static decode(buf: Buffer): Listing | string {
    return Listing.read(
      (pos, len) => buf.subarray(pos, pos + len),
      buf.length,
      'all',
      () => undefined,
    );
  }

  /**
   * Open a listing file: the header and the `sections` named (all with 'all') are read and checked
   * now, the other columns when first used (a damaged one then throws). The file stays open until
   * close() or the process ends: a newer listing renamed over it does not change what this reads.
   */
  static open(file: string, sections: readonly string[] | 'all'): Listing | string {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return 'no listing file';
    }
    const size = fs.fstatSync(fd).size;
    const read = (pos: number, len: number): Buffer => {
      const b = Buffer.alloc(len); // never pooled: typed views need an aligned start
      const n = len ? fs.readSync(fd, b, 0, len, pos) : 0;
      return n === len ? b : b.subarray(0, n);
    };
    let open = true;
    const closeFile = () => {
      if (open) fs.closeSync(fd);
      open = false;
    };
    const l = Listing.read(read, size, sections, closeFile);
    if (typeof l === 'string') closeFile();
    else l.releaseFile = closeFile;
    return l;
  }

  private static read(
    read: (pos: number, len: number) => Buffer,
    size: number,
    sections: readonly string[] | 'all',
    done: () => void,
  ): Listing | string {
    if (os.endianness() !== 'LE') return 'this machine is big-endian';
    const prefix = read(0, PREFIX);
    if (prefix.length < PREFIX || !prefix.subarray(0, MAGIC.length).equals(MAGIC))
      return 'not a listing file';
    const headLen = prefix.readUInt32LE(MAGIC.length + 4);
    if (PREFIX + headLen > size) return 'torn (shorter than its header)';
    const head = read(MAGIC.length + 4, 4 + headLen);
    if (zlib.crc32(head) !== prefix.readUInt32LE(MAGIC.length))
      return 'header checksum mismatch (torn or edited)';
    let h: Header;
    try {
      h = JSON.parse(head.toString('utf8', 4)) as Header;
    } catch {
      return 'unreadable header';
    }
    if (h.version !== VERSION) return `version ${String(h.version)}`;
    const dataStart = PREFIX + headLen;
    const sizes: Record<string, number> = {};
    for (const n of F64) sizes[n] = 8;
    for (const n of I32) sizes[n] = 4;
    for (const n of U8) sizes[n] = 1;
    let end = dataStart;
    for (const [name, unit] of Object.entries(sizes)) {
      const sec = h.sections[name];
      if (!sec || sec[1] % unit !== 0 || typeof h.crcs[name] !== 'number') return `no section ${name}`;
      end = Math.max(end, dataStart + sec[0] + sec[1]);
    }
    for (const [name, unit] of Object.entries(TEXT_SECTIONS)) {
      const sec = h.sections[name];
      if (!sec || sec[1] % unit !== 0 || typeof h.crcs[name] !== 'number') return `no section ${name}`;
      end = Math.max(end, dataStart + sec[0] + sec[1]);
    }
    if (end > size) return 'torn (shorter than its columns)';
    const texts: Record<string, Buffer> = {};
    for (const name of Object.keys(TEXT_SECTIONS)) {
      const [off, len] = h.sections[name];
      const bytes = read(dataStart + off, len);
      if (bytes.length !== len || zlib.crc32(bytes) !== h.crcs[name]) return `column ${name} is damaged`;
      texts[name] = bytes;
    }
    const ends = (b: Buffer): Int32Array => {
      if (b.byteOffset % 4 === 0) return new Int32Array(b.buffer, b.byteOffset, b.length / 4);
      const copy = new Int32Array(b.length / 4);
      new Uint8Array(copy.buffer).set(b);
      return copy;
    };
    const idEnds = ends(texts.idEnds);
    const nameEnds = ends(texts.nameEnds);
    const load = (name: string): Int32Array | Float64Array | Uint8Array | string => {
      const [off, len] = h.sections[name];
      const bytes = read(dataStart + off, len);
      if (bytes.length !== len || zlib.crc32(bytes) !== h.crcs[name]) return `column ${name} is damaged`;
      const b = bytes.byteOffset % 8 === 0 ? bytes : Buffer.from(bytes);
      const unit = sizes[name];
      const Kind = unit === 8 ? Float64Array : unit === 4 ? Int32Array : Uint8Array;
      return new Kind(b.buffer as ArrayBuffer, b.byteOffset, len / unit);
    };
    const c = {} as Columns;
    let pending = Object.keys(sizes).length;
    const settle = (name: string, arr: Int32Array | Float64Array | Uint8Array) => {
      Object.defineProperty(c, name, { value: arr, enumerable: true });
      if (--pending === 0) done();
    };
    for (const name of Object.keys(sizes)) {
      Object.defineProperty(c, name, {
        configurable: true,
        enumerable: true,
        get: () => {
          const arr = load(name);
          if (typeof arr === 'string')
            throw new RunlensError(
              `the listing index is damaged: ${arr}`,
              'run `runlens ls --reindex` to rebuild it from the run folders',
            );
          settle(name, arr);
          return arr;
        },
      });
    }
    for (const name of sections === 'all' ? Object.keys(sizes) : sections) {
      const arr = load(name);
      if (typeof arr === 'string') return arr;
      settle(name, arr);
    }
    const n = h.rows;
    if (idEnds.length !== n || nameEnds.length !== n || c.startTime.length !== n || c.experiment.length !== n)
      return 'row counts differ';
    const textEnd = (e: Int32Array) => (n ? e[n - 1] : 0);
    const unitBytes = (t: TextEncoding) => (t === 'latin1' ? 1 : 2);
    if (
      textEnd(idEnds) * unitBytes(h.texts.ids) !== texts.idText.length ||
      textEnd(nameEnds) * unitBytes(h.texts.names) !== texts.nameText.length
    )
      return 'text lengths differ';
    const l = new Listing(
      decodeTexts(texts.idText, idEnds, h.texts.ids),
      decodeTexts(texts.nameText, nameEnds, h.texts.names),
      h.strs,
      h.pvals.map(decodeParam),
      h.shapes,
      h.errors,
      h.jobs,
      c,
      h.stamps,
    );
    if (l.paramOff[n] !== c.paramCodes.length || l.tagOff[n] !== c.tagCodes.length)
      return 'value counts differ';
    return l;
  }

  /** Read every column not read yet (and close the file a listing was opened from). */
  close(): void {
    for (const n of [...F64, ...I32, ...U8]) void this.c[n];
  }

  /** Close the file of a listing no longer used (columns not read yet can no longer be). */
  releaseFile: () => void = () => undefined;

  /** For ListingBuilder.addRow: the raw pieces of row `i`. */
  rawRow(i: number) {
    return {
      strs: this.strs,
      pvals: this.pvals,
      shapes: this.shapes,
      c: this.c,
      p0: this.paramOff[i],
      t0: this.tagOff[i],
      m0: this.metricOff[i],
    };
  }
}

function encodeParam(v: ParamValue): unknown {
  if (typeof v === 'number' && !Number.isFinite(v))
    return { n: Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity' };
  return v;
}

function decodeParam(v: unknown): ParamValue {
  if (v !== null && typeof v === 'object') return Number((v as { n: string }).n);
  return v as ParamValue;
}

/** Collects rows (from entries or from another listing) into columns. */
class ListingBuilder {
  private readonly ids: string[] = [];
  private readonly names: string[] = [];
  private readonly strs: string[] = [];
  private readonly strIdx = new Map<string, number>();
  private readonly pvals: ParamValue[] = [];
  private readonly pvalIdx = new Map<string, number>();
  private readonly shapes: number[][] = [];
  private readonly shapeIdx = new Map<string, number>();
  private readonly errors: [number, string][] = [];
  private readonly jobs: [number, JobRecord][] = [];
  private readonly i32: Record<I32Name, number[]> = Object.fromEntries(I32.map((n) => [n, []])) as never;
  private readonly f64: Record<F64Name, number[]> = Object.fromEntries(F64.map((n) => [n, []])) as never;
  private readonly u8: Record<U8Name, number[]> = Object.fromEntries(U8.map((n) => [n, []])) as never;
  /** Per source listing: its dictionary codes -> this builder's (-2: not yet seen). */
  private readonly maps = new WeakMap<object, { s: Int32Array; p: Int32Array; sh: Int32Array }>();

  private str(s: string): number {
    let k = this.strIdx.get(s);
    if (k === undefined) {
      k = this.strs.length;
      this.strs.push(s);
      this.strIdx.set(s, k);
    }
    return k;
  }

  private strOrNull(s: string | null): number {
    return s === null ? NULL : this.str(s);
  }

  private pval(v: ParamValue): number {
    const key = `${typeof v}:${String(v)}`;
    let k = this.pvalIdx.get(key);
    if (k === undefined) {
      k = this.pvals.length;
      this.pvals.push(v);
      this.pvalIdx.set(key, k);
    }
    return k;
  }

  private shape(keys: number[]): number {
    const key = keys.join(',');
    let k = this.shapeIdx.get(key);
    if (k === undefined) {
      k = this.shapes.length;
      this.shapes.push(keys);
      this.shapeIdx.set(key, k);
    }
    return k;
  }

  addEntry(e: RunEntry): void {
    const row = this.ids.length;
    this.ids.push(e.id);
    this.names.push(e.name);
    const { i32, f64, u8 } = this;
    i32.experiment.push(this.str(e.experiment));
    i32.status.push(this.str(e.status));
    i32.script.push(this.strOrNull(e.script));
    i32.gitCommit.push(this.strOrNull(e.gitCommit));
    u8.starred.push(e.starred ? 1 : 0);
    f64.startTime.push(e.startTime);
    f64.endTime.push(e.endTime ?? NaN);
    f64.updatedAt.push(e.updatedAt);
    f64.metricsBytes.push(e.metricsBytes);
    f64.runFileMtime.push(e.runFileMtime ?? NaN);
    const params = Object.entries(e.params);
    i32.paramShape.push(this.shape(params.map(([k]) => this.str(k))));
    for (const [, v] of params) i32.paramCodes.push(this.pval(v));
    const tags = Object.entries(e.tags);
    i32.tagShape.push(this.shape(tags.map(([k]) => this.str(k))));
    for (const [, v] of tags) i32.tagCodes.push(this.str(v));
    const metrics = Object.entries(e.metrics);
    i32.metricShape.push(this.shape(metrics.map(([k]) => this.str(k))));
    for (const [, s] of metrics) {
      f64.mLast.push(s.last);
      f64.mLastStep.push(s.lastStep);
      f64.mMin.push(s.min);
      f64.mMax.push(s.max);
      f64.mMinStep.push(s.minStep ?? NaN);
      f64.mMaxStep.push(s.maxStep ?? NaN);
      f64.mCount.push(s.count);
      f64.mLastTime.push(s.lastTime);
      u8.mSource.push(s.source === 'stdout' ? 1 : 0);
    }
    if (e.error !== undefined) this.errors.push([row, e.error]);
    if (e.job) this.jobs.push([row, e.job]);
  }

  addRow(l: Listing, i: number): void {
    const row = this.ids.length;
    const r = l.rawRow(i);
    let m = this.maps.get(r.strs);
    if (!m) {
      m = {
        s: new Int32Array(r.strs.length).fill(-2),
        p: new Int32Array(r.pvals.length).fill(-2),
        sh: new Int32Array(r.shapes.length).fill(-2),
      };
      this.maps.set(r.strs, m);
    }
    const map = m;
    const s = (code: number) => {
      if (code === NULL) return NULL;
      if (map.s[code] === -2) map.s[code] = this.str(r.strs[code]);
      return map.s[code];
    };
    const sh = (code: number) => {
      if (map.sh[code] === -2) map.sh[code] = this.shape(r.shapes[code].map(s));
      return map.sh[code];
    };
    const { i32, f64, u8 } = this;
    const c = r.c;
    this.ids.push(l.id(i));
    this.names.push(l.name(i));
    i32.experiment.push(s(c.experiment[i]));
    i32.status.push(s(c.status[i]));
    i32.script.push(s(c.script[i]));
    i32.gitCommit.push(s(c.gitCommit[i]));
    u8.starred.push(c.starred[i]);
    for (const n of ['startTime', 'endTime', 'updatedAt', 'metricsBytes', 'runFileMtime'] as const)
      f64[n].push(c[n][i]);
    i32.paramShape.push(sh(c.paramShape[i]));
    const np = r.shapes[c.paramShape[i]].length;
    for (let j = 0; j < np; j++) {
      const code = c.paramCodes[r.p0 + j];
      if (map.p[code] === -2) map.p[code] = this.pval(r.pvals[code]);
      i32.paramCodes.push(map.p[code]);
    }
    i32.tagShape.push(sh(c.tagShape[i]));
    const nt = r.shapes[c.tagShape[i]].length;
    for (let j = 0; j < nt; j++) i32.tagCodes.push(s(c.tagCodes[r.t0 + j]));
    i32.metricShape.push(sh(c.metricShape[i]));
    const nm = r.shapes[c.metricShape[i]].length;
    for (let j = 0; j < nm; j++) {
      const at = r.m0 + j;
      f64.mLast.push(c.mLast[at]);
      f64.mLastStep.push(c.mLastStep[at]);
      f64.mMin.push(c.mMin[at]);
      f64.mMax.push(c.mMax[at]);
      f64.mMinStep.push(c.mMinStep[at]);
      f64.mMaxStep.push(c.mMaxStep[at]);
      f64.mCount.push(c.mCount[at]);
      f64.mLastTime.push(c.mLastTime[at]);
      u8.mSource.push(c.mSource[at]);
    }
    const error = l.error(i);
    if (error !== undefined) this.errors.push([row, error]);
    const job = l.job(i);
    if (job) this.jobs.push([row, job]);
  }

  finish(stamps: ListingStamps): Listing {
    const c = {} as Columns;
    for (const n of I32) c[n] = Int32Array.from(this.i32[n]);
    for (const n of F64) c[n] = Float64Array.from(this.f64[n]);
    for (const n of U8) c[n] = Uint8Array.from(this.u8[n]);
    return new Listing(
      this.ids,
      this.names,
      this.strs,
      this.pvals,
      this.shapes,
      this.errors,
      this.jobs,
      c,
      stamps,
    );
  }
}
