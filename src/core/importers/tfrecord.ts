import * as fs from 'node:fs';
import type { ImportWarning } from './common';

// CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), slicing by 8.
const TABLE = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  TABLE[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = TABLE[n];
  for (let k = 1; k < 8; k++) {
    c = TABLE[c & 0xff] ^ (c >>> 8);
    TABLE[k * 256 + n] = c;
  }
}

export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  const t = TABLE;
  let crc = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    crc ^= buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    crc =
      t[1792 + (crc & 0xff)] ^
      t[1536 + ((crc >>> 8) & 0xff)] ^
      t[1280 + ((crc >>> 16) & 0xff)] ^
      t[1024 + (crc >>> 24)] ^
      t[768 + buf[i + 4]] ^
      t[512 + buf[i + 5]] ^
      t[256 + buf[i + 6]] ^
      t[buf[i + 7]];
  }
  for (; i < end; i++) crc = t[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** TFRecord's masked CRC: ((crc >>> 15) | (crc << 17)) + 0xa282ead8, modulo 2^32. */
export function maskedCrc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  const crc = crc32c(buf, start, end);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Frame one record: uint64 length, masked CRC of the length, data, masked CRC of the data. */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.length + 16);
  out.writeUInt32LE(data.length >>> 0, 0);
  out.writeUInt32LE(Math.floor(data.length / 2 ** 32), 4);
  out.writeUInt32LE(maskedCrc32c(out, 0, 8), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

interface Window {
  buf: Buffer;
  /** File offset of buf[0]. */
  start: number;
  /** Bytes of buf that hold file data. */
  len: number;
}

/** Make the window hold the file's bytes [pos, pos + n), reading from pos; false when the file ends before. */
function fill(win: Window, fd: number, size: number, chunk: number, pos: number, n: number): boolean {
  if (pos + n > size) return false;
  if (n > win.buf.length) win.buf = Buffer.allocUnsafe(Math.max(n, Math.min(chunk, size - pos)));
  win.start = pos;
  win.len = 0;
  const want = Math.min(win.buf.length, size - pos);
  while (win.len < want) {
    const got = fs.readSync(fd, win.buf, win.len, want - win.len, pos + win.len);
    if (got <= 0) break;
    win.len += got;
  }
  return win.len >= n;
}

function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

/** Masked CRC-32C of the 8 bytes at o (a record's length field): one round of slicing by 8. */
function masked8(b: Uint8Array, o: number): number {
  const t = TABLE;
  const c = ~(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24));
  const crc =
    ~(
      t[1792 + (c & 0xff)] ^
      t[1536 + ((c >>> 8) & 0xff)] ^
      t[1280 + ((c >>> 16) & 0xff)] ^
      t[1024 + (c >>> 24)] ^
      t[768 + b[o + 4]] ^
      t[512 + b[o + 5]] ^
      t[256 + b[o + 6]] ^
      t[b[o + 7]]
    ) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

export interface TfRecordScan {
  /**
   * Offset just after the last complete record (or skipped corrupt bytes): where a follower resumes.
   * An incomplete record at the end of the file (being written) starts here.
   */
  endOffset: number;
  records: number;
  /** Records skipped because a checksum did not match, or too large to hold in memory. */
  corrupt: number;
  /** Bytes after endOffset that do not make a complete record yet. */
  pendingBytes: number;
  warnings: ImportWarning[];
}

export interface TfRecordOptions {
  /** Records larger than this are skipped (with a warning) without being read. Default 256 MiB. */
  maxRecordBytes?: number;
  /** Read size. Default 4 MiB. */
  chunkBytes?: number;
}

const DEFAULT_MAX_RECORD = 256 * 1024 * 1024;
const DEFAULT_CHUNK = 4 * 1024 * 1024;

/**
 * Read the TFRecord file `file` from `fromOffset`, calling `onRecord` with each record whose two
 * checksums match (the buffer is only valid during the call). A record whose data checksum fails is
 * skipped; a header whose length checksum fails is skipped up to the next valid header. Both are
 * counted and warned about with the file and offset, never thrown. A record not yet complete at the
 * end of the file is left for later: `endOffset` points at it. Memory stays bounded by the chunk
 * size and the largest record accepted, whatever length a corrupt header claims.
 */
export function scanTfRecords(
  file: string,
  fromOffset: number,
  onRecord: (data: Buffer, offset: number) => void,
  options: TfRecordOptions = {},
): TfRecordScan {
  return scanTfRecordsAt(
    file,
    fromOffset,
    (buf, start, end, offset) => onRecord(buf.subarray(start, end), offset),
    options,
  );
}

/**
 * scanTfRecords handing each record as a range [start, end) of a buffer that is only valid during
 * the call (no view is made per record).
 */
export function scanTfRecordsAt(
  file: string,
  fromOffset: number,
  onRecord: (buf: Buffer, start: number, end: number, offset: number) => void,
  options: TfRecordOptions = {},
): TfRecordScan {
  const maxRecord = options.maxRecordBytes ?? DEFAULT_MAX_RECORD;
  const chunk = options.chunkBytes ?? DEFAULT_CHUNK;
  const warnings: ImportWarning[] = [];
  const result: TfRecordScan = { endOffset: fromOffset, records: 0, corrupt: 0, pendingBytes: 0, warnings };
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    warnings.push({ file, offset: fromOffset, message: `cannot read: ${(e as Error).message}` });
    return result;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (fromOffset > size) {
      warnings.push({
        file,
        offset: fromOffset,
        message: `the file is shorter (${size} bytes) than when it was last read; it was replaced or truncated`,
      });
      return result;
    }
    const win: Window = {
      buf: Buffer.allocUnsafe(Math.max(16, Math.min(chunk, size - fromOffset))),
      start: 0,
      len: 0,
    };
    let buf = win.buf;
    let pos = fromOffset;
    for (;;) {
      let o = pos - win.start;
      if (o < 0 || o + 12 > win.len) {
        if (!fill(win, fd, size, chunk, pos, 12)) break;
        buf = win.buf;
        o = 0;
      }
      if (masked8(buf, o) !== u32(buf, o + 8)) {
        // The length cannot be trusted: look for the next offset where a header's checksum matches.
        result.corrupt++;
        const from = pos;
        let next = -1;
        for (let p = pos + 1; ; p++) {
          let q = p - win.start;
          if (q + 12 > win.len) {
            if (!fill(win, fd, size, chunk, p, 12)) break;
            buf = win.buf;
            q = 0;
          }
          if (masked8(buf, q) === u32(buf, q + 8)) {
            next = p;
            break;
          }
        }
        if (next < 0) {
          // Nothing valid up to the last 11 bytes, which may still be the start of a record being written.
          pos = Math.max(from + 1, size - 11);
          warnings.push({
            file,
            offset: from,
            message: `corrupt record header (length checksum mismatch); ${pos - from} bytes skipped, no valid record after it`,
          });
          break;
        }
        warnings.push({
          file,
          offset: from,
          message: `corrupt record header (length checksum mismatch); ${next - from} bytes skipped to the next valid record at offset ${next}`,
        });
        pos = next;
        result.endOffset = pos;
        continue;
      }
      const len = u32(buf, o) + u32(buf, o + 4) * 2 ** 32;
      const total = 12 + len + 4;
      if (pos + total > size) break; // being written: left for later
      if (len > maxRecord) {
        result.corrupt++;
        warnings.push({
          file,
          offset: pos,
          message: `record of ${len} bytes skipped (larger than ${maxRecord} bytes)`,
        });
        pos += total;
        result.endOffset = pos;
        continue;
      }
      if (o + total > win.len) {
        if (!fill(win, fd, size, chunk, pos, total)) break; // the file shrank meanwhile
        buf = win.buf;
        o = 0;
      }
      const d = o + 12;
      if (maskedCrc32c(buf, d, d + len) !== u32(buf, d + len)) {
        result.corrupt++;
        warnings.push({
          file,
          offset: pos,
          message: `corrupt record (data checksum mismatch), ${len} bytes skipped`,
        });
      } else {
        result.records++;
        onRecord(buf, d, d + len, pos);
      }
      pos += total;
      result.endOffset = pos;
    }
    result.endOffset = Math.max(result.endOffset, Math.min(pos, size));
    result.pendingBytes = size - result.endOffset;
  } finally {
    fs.closeSync(fd);
  }
  return result;
}
