import * as fs from 'node:fs';
import * as path from 'node:path';

import type { ScanWarning } from './metrics';

/**
 * A binary copy of a run's metrics as columns (steps, values, times per key), next to its
 * metrics.jsonl. The JSONL stays the source of truth: the cache is derived, may be deleted at any
 * time, and is only trusted for the bytes it says it covers and while the last bytes it covered
 * are still the same in the JSONL (a replaced file is read again from scratch). Reading it is a
 * single file read, about 20x faster than parsing the same points from JSONL.
 *
 * A cache is also refused when the JSONL was replaced (another inode) or, while it is still exactly
 * as long as the cache covers, when its mtime is not the one it had when the cache was written (an
 * in-place edit that kept the length). Writers keep it current as they append
 * (metricsCacheWriter.ts); readers write it after parsing a long stretch of JSONL.
 *
 * Layout, little-endian:
 *   "RLMC" u32 version
 *   f64 coveredOffset   f64 lines   f64 t0
 *   f64 ino   f64 mtimeMs   of the JSONL when it was exactly coveredOffset bytes long (0: not known)
 *   u32 tailLength, then up to TAIL bytes: the JSONL bytes just before coveredOffset
 *   u32 warningsLength, then the warnings of the covered part as UTF-8 JSON
 *   u32 keyCount, then per key: u32 byteLength, the key's UTF-8 bytes, u32 pointCount
 *   zero padding to a multiple of 8, then per key: f64 steps[n], f64 values[n], f64 times[n]
 */
const MAGIC = 0x434d4c52; // "RLMC"
const VERSION = 2;
const TAIL = 64;

export interface Columns {
  steps: Float64Array;
  values: Float64Array;
  times: Float64Array;
}

/** Columns of `n` numbers each held in consecutive pieces (a writer's growing columns), written as one. */
export interface ColumnPieces {
  n: number;
  steps: Float64Array[];
  values: Float64Array[];
  times: Float64Array[];
}

export interface CachedMetrics {
  /** Bytes of the JSONL the columns hold; read on from here. */
  offset: number;
  lines: number;
  t0: number;
  warnings: ScanWarning[];
  series: Map<string, Columns>;
}

/** The cache file of a metrics file: metrics.jsonl -> metrics.cache. */
export function metricsCacheFile(jsonl: string): string {
  return jsonl.replace(/\.jsonl$/, '') + '.cache';
}

/**
 * The cached columns of `jsonl`, or undefined when there is no cache, it is unreadable or of
 * another version, or the JSONL no longer starts with what the cache covered.
 */
export function readMetricsCache(jsonl: string): CachedMetrics | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(metricsCacheFile(jsonl));
  } catch {
    return undefined;
  }
  try {
    let at = 0;
    const u32 = () => {
      const v = buf.readUInt32LE(at);
      at += 4;
      return v;
    };
    const f64 = () => {
      const v = buf.readDoubleLE(at);
      at += 8;
      return v;
    };
    if (u32() !== MAGIC || u32() !== VERSION) return undefined;
    const offset = f64();
    const lines = f64();
    const t0 = f64();
    const stamp = { ino: f64(), mtimeMs: f64() };
    const tailLength = u32();
    const tail = buf.subarray(at, at + tailLength);
    at += tailLength;
    if (!sameTail(jsonl, offset, tail, stamp)) return undefined;
    const warningsLength = u32();
    const warnings = JSON.parse(buf.toString('utf8', at, at + warningsLength)) as ScanWarning[];
    at += warningsLength;
    const keys: { key: string; n: number }[] = [];
    for (let k = u32(); k > 0; k--) {
      const len = u32();
      const key = buf.toString('utf8', at, at + len);
      at += len;
      keys.push({ key, n: u32() });
    }
    at = Math.ceil(at / 8) * 8;
    // Float64Array views need 8-byte alignment in the underlying ArrayBuffer.
    const aligned = buf.byteOffset % 8 === 0 ? buf : Buffer.from(buf);
    const column = (n: number) => {
      if (at + n * 8 > aligned.length) throw new RangeError('truncated');
      const a = new Float64Array(aligned.buffer, aligned.byteOffset + at, n);
      at += n * 8;
      return a;
    };
    const series = new Map<string, Columns>();
    for (const { key, n } of keys) series.set(key, { steps: column(n), values: column(n), times: column(n) });
    return { offset, lines, t0, warnings, series };
  } catch {
    // A torn or foreign cache file is not an error: the JSONL is read instead.
    return undefined;
  }
}

function sameTail(
  jsonl: string,
  offset: number,
  tail: Buffer,
  stamp: { ino: number; mtimeMs: number },
): boolean {
  let fd: number;
  try {
    fd = fs.openSync(jsonl, 'r');
  } catch {
    return false;
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.size < offset) return false;
    if (stamp.ino !== 0 && st.ino !== stamp.ino) return false;
    if (stamp.mtimeMs !== 0 && st.size === offset && st.mtimeMs !== stamp.mtimeMs) return false;
    const got = Buffer.alloc(tail.length);
    const n = fs.readSync(fd, got, 0, tail.length, offset - tail.length);
    return n === tail.length && got.equals(tail);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Write the cache of `jsonl` atomically. Failing to write (read-only store, full disk) is not
 * an error: the cache only saves time.
 */
export function writeMetricsCache(
  jsonl: string,
  m: Omit<CachedMetrics, 'series'> & { series: Map<string, Columns | ColumnPieces> },
): boolean {
  try {
    const tail = Buffer.alloc(Math.min(TAIL, m.offset));
    const fd = fs.openSync(jsonl, 'r');
    let stamp: { ino: number; mtimeMs: number };
    try {
      if (fs.readSync(fd, tail, 0, tail.length, m.offset - tail.length) !== tail.length) return false;
      const st = fs.fstatSync(fd);
      // The mtime says something only while nothing was appended after the covered bytes.
      stamp = { ino: st.ino, mtimeMs: st.size === m.offset ? st.mtimeMs : 0 };
    } finally {
      fs.closeSync(fd);
    }
    const warnings = Buffer.from(JSON.stringify(m.warnings.slice(0, 1000)), 'utf8');
    const keys = [...m.series].map(([key, c]) => ({ key: Buffer.from(key, 'utf8'), c }));
    let head = 4 + 4 + 40 + 4 + tail.length + 4 + warnings.length + 4;
    for (const k of keys) head += 8 + k.key.length;
    head = Math.ceil(head / 8) * 8;
    const buf = Buffer.alloc(head);
    let at = 0;
    at = buf.writeUInt32LE(MAGIC, at);
    at = buf.writeUInt32LE(VERSION, at);
    at = buf.writeDoubleLE(m.offset, at);
    at = buf.writeDoubleLE(m.lines, at);
    at = buf.writeDoubleLE(m.t0, at);
    at = buf.writeDoubleLE(stamp.ino, at);
    at = buf.writeDoubleLE(stamp.mtimeMs, at);
    at = buf.writeUInt32LE(tail.length, at);
    at += tail.copy(buf, at);
    at = buf.writeUInt32LE(warnings.length, at);
    at += warnings.copy(buf, at);
    at = buf.writeUInt32LE(keys.length, at);
    for (const k of keys) {
      at = buf.writeUInt32LE(k.key.length, at);
      at += k.key.copy(buf, at);
      at = buf.writeUInt32LE('n' in k.c ? k.c.n : k.c.steps.length, at);
    }
    // The columns are written from where they are (no copy into one buffer: a writer rewrites the
    // cache as it grows, and copying tens of MB each time was most of the cost).
    const chunks: Uint8Array[] = [buf];
    for (const { c } of keys)
      for (const a of [c.steps, c.values, c.times].flat())
        chunks.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    writeChunksAtomic(metricsCacheFile(jsonl), chunks);
    return true;
  } catch {
    return false;
  }
}

let tmpCounter = 0;

/** writeFileAtomic (fsutil.ts) for data in several pieces: a temporary file, then a rename. */
function writeChunksAtomic(file: string, chunks: Uint8Array[]): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.c${tmpCounter++}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      for (const c of chunks) {
        let done = 0;
        while (done < c.length) done += fs.writeSync(fd, c, done, c.length - done);
      }
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
