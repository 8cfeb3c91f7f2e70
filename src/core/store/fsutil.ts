import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { RunlensError, isErrno } from '../errors';

let tmpCounter = 0;

/** Write a whole file so that readers see either the old or the new content, never a mix. */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${tmpCounter++}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw storeWriteError(e, file);
  }
}

/** NaN and infinities are written as "NaN", "Infinity", "-Infinity" (JSON has no such numbers). */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, nonFinite, 2) + '\n');
}

export function nonFinite(_key: string, v: unknown): unknown {
  if (typeof v !== 'number' || Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** Append complete lines with one write (O_APPEND), so concurrent writers never interleave inside a line. */
export function appendLines(file: string, lines: string[]): void {
  if (lines.length === 0) return;
  try {
    fs.appendFileSync(file, lines.join('\n') + '\n');
  } catch (e) {
    throw storeWriteError(e, file);
  }
}

export function storeWriteError(e: unknown, file: string): Error {
  if (e instanceof RunlensError) return e;
  if (isErrno(e, 'EACCES', 'EPERM', 'EROFS')) {
    return new RunlensError(
      `cannot write ${file}: ${(e as NodeJS.ErrnoException).code} (the store folder is not writable)`,
      'make the folder writable (chmod/chown), or point Runlens at another store with --store or RUNLENS_STORE',
      'io',
    );
  }
  if (isErrno(e, 'ENOTDIR')) {
    return new RunlensError(
      `cannot write ${file}: a part of the path is a file, not a folder`,
      'choose a store path whose parents are folders (--store or RUNLENS_STORE)',
      'io',
    );
  }
  if (isErrno(e, 'ENOSPC')) {
    return new RunlensError(`cannot write ${file}: the disk is full`, 'free some space and retry', 'io');
  }
  return e instanceof Error ? e : new Error(String(e));
}

export function readJsonFile<T>(file: string): T {
  return parseJsonText<T>(fs.readFileSync(file, 'utf8'), file);
}

/** JSON text read from `file`, parsed; a clear error naming the file when it is not JSON. */
export function parseJsonText<T>(text: string, file: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new RunlensError(`${file} is not valid JSON: ${(e as Error).message}`, undefined, 'data');
  }
}

let readBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * A small file's text and its mtime, from one open file (open, fstat, one read, close): the mtime is
 * that of the content read, even when the file is replaced meanwhile. Throws as fs.openSync does.
 */
export function readTextStamped(file: string): { text: string; mtimeMs: number } {
  const fd = fs.openSync(file, 'r');
  try {
    const { mtimeMs, size } = fs.fstatSync(fd);
    if (readBuffer.length <= size) readBuffer = Buffer.allocUnsafe(Math.max(2 * size, 64 * 1024));
    let n = 0;
    for (;;) {
      const got = fs.readSync(fd, readBuffer, n, readBuffer.length - n, n);
      n += got;
      if (n < readBuffer.length) break; // a short read of a regular file: its end
      const bigger = Buffer.allocUnsafe(2 * readBuffer.length);
      readBuffer.copy(bigger, 0, 0, n);
      readBuffer = bigger;
    }
    return { text: readBuffer.toString('utf8', 0, n), mtimeMs };
  } finally {
    fs.closeSync(fd);
  }
}

/** writeFileAtomic of text given in pieces, written one after the other (no one huge string). */
export function writeChunksAtomic(file: string, chunks: Iterable<string>): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${tmpCounter++}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      for (const c of chunks) fs.writeSync(fd, c);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw storeWriteError(e, file);
  }
}

/** Does `v` hold a NaN or an infinity anywhere (which JSON.stringify would write as null)? */
export function hasNonFinite(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) {
    for (const x of v) if (hasNonFinite(x)) return true;
    return false;
  }
  for (const k in v) if (hasNonFinite((v as Record<string, unknown>)[k])) return true;
  return false;
}

/** JSON.stringify(v, nonFinite), without calling the replacer for every value when there is no need. */
export function toStoreJson(v: unknown): string {
  return hasNonFinite(v) ? JSON.stringify(v, nonFinite) : JSON.stringify(v);
}

export function mkdirp(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw storeWriteError(e, dir);
  }
}

const LOCK_OPTIONS = { realpath: false, stale: 10_000, update: 2_000 } as const;
/** How long a writer waits for a lock that another process holds. */
const LOCK_WAIT_MS = 20_000;

/**
 * Run `fn` while holding an inter-process lock on `file` (a `<file>.lock` folder, proper-lockfile's
 * format, which the Python client honours too). Waits for other holders; breaks locks older than 10 s.
 */
export async function withLock<T>(file: string, fn: () => T | Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  // Retry only while another process holds the lock (ELOCKED); any other error (a missing folder,
  // no permission) is reported at once instead of after the whole retry budget.
  const deadline = Date.now() + LOCK_WAIT_MS;
  let wait = 2;
  for (;;) {
    try {
      release = await lockfile.lock(file, { ...LOCK_OPTIONS, retries: 0 });
      break;
    } catch (e) {
      if (!isErrno(e, 'ELOCKED')) throw storeWriteError(e, file + '.lock');
      if (Date.now() > deadline) {
        throw new RunlensError(`${file} is locked by another process`, 'retry in a moment', 'conflict');
      }
      await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random())));
      wait = Math.min(50, wait * 1.2);
    }
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

/** Synchronous variant for short critical sections in processes that must not yield (exit handlers). */
export function withLockSync<T>(file: string, fn: () => T): T {
  const deadline = Date.now() + 5_000;
  let release: (() => void) | undefined;
  for (;;) {
    try {
      release = lockfile.lockSync(file, { realpath: false, stale: 10_000 });
      break;
    } catch (e) {
      if (!isErrno(e, 'ELOCKED') || Date.now() > deadline) throw storeWriteError(e, file + '.lock');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
  try {
    return fn();
  } finally {
    try {
      release();
    } catch {
      /* already released or broken as stale */
    }
  }
}

/**
 * Copy a folder tree without following or copying symbolic links (each one skipped is passed to
 * `onSkipped`), and without writing through a link that already sits in the destination: such a
 * link is replaced by the copied file or folder.
 */
export function copyTreeWithoutLinks(src: string, dest: string, onSkipped: (file: string) => void): void {
  const st = fs.lstatSync(src);
  if (st.isSymbolicLink()) {
    onSkipped(src);
    return;
  }
  const existing = fs.lstatSync(dest, { throwIfNoEntry: false });
  if (st.isDirectory()) {
    if (existing && !existing.isDirectory()) fs.rmSync(dest, { force: true });
    mkdirp(dest);
    for (const name of fs.readdirSync(src))
      copyTreeWithoutLinks(path.join(src, name), path.join(dest, name), onSkipped);
  } else if (st.isFile()) {
    if (existing && !existing.isFile()) fs.rmSync(dest, { recursive: true, force: true });
    fs.copyFileSync(src, dest);
  } else {
    onSkipped(src);
  }
}

/** Remove every symbolic link below `dir` (the links only, never what they point at). */
export function removeLinksBelow(dir: string): void {
  let names: fs.Dirent[];
  try {
    names = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const d of names) {
    const p = path.join(dir, d.name);
    if (d.isSymbolicLink()) fs.rmSync(p, { force: true });
    else if (d.isDirectory()) removeLinksBelow(p);
  }
}

/**
 * The path of `rel` inside `base`, refused when it leaves `base` (`..`, an absolute path) or passes
 * through a symbolic link, so that a write there never lands outside `base`.
 */
export function pathInside(base: string, rel: string): string {
  const target = path.resolve(base, rel);
  const fromBase = path.relative(base, target);
  if (
    rel.length === 0 ||
    path.isAbsolute(rel) ||
    fromBase === '' ||
    fromBase.startsWith('..') ||
    path.isAbsolute(fromBase)
  ) {
    throw new RunlensError(
      `${JSON.stringify(rel)} is not a path inside ${base}`,
      'use a relative path without ".."',
      'usage',
    );
  }
  let at = base;
  for (const part of ['', ...fromBase.split(path.sep).slice(0, -1)]) {
    at = path.join(at, part);
    if (fs.lstatSync(at, { throwIfNoEntry: false })?.isSymbolicLink()) {
      throw new RunlensError(
        `cannot write ${target}: ${at} is a symbolic link`,
        'artifacts are never written through a symbolic link; remove the link',
        'usage',
      );
    }
  }
  return target;
}
