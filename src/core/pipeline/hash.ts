import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../store/fsutil';

interface CacheEntry {
  size: number;
  mtimeMs: number;
  ino: number;
  sha256: string;
}

/**
 * sha256 of files and folders, with a stat cache (size, mtime, inode) so unchanged files are not
 * read again: the up-to-date check of a large dataset costs a stat, like DVC's.
 */
export class HashCache {
  private entries: Record<string, CacheEntry> = {};
  private dirty = false;

  constructor(private readonly file: string) {
    try {
      const raw = readJsonFile<{ schemaVersion: number; entries: Record<string, CacheEntry> }>(file);
      if (raw.schemaVersion === 1) this.entries = raw.entries;
    } catch {
      /* a missing or unreadable cache is only slower */
    }
  }

  /** The hash of a file, or of a folder (its sorted relative paths and file hashes); null when missing. */
  hash(abs: string): string | null {
    const st = fs.statSync(abs, { throwIfNoEntry: false });
    if (!st) return null;
    if (!st.isDirectory()) return this.fileHash(abs, st);
    const h = createHash('sha256');
    for (const rel of listFiles(abs)) {
      const f = path.join(abs, rel);
      const fst = fs.statSync(f, { throwIfNoEntry: false });
      if (!fst) continue;
      h.update(`${rel.split(path.sep).join('/')}\0${this.fileHash(f, fst)}\n`);
    }
    return 'dir:' + h.digest('hex');
  }

  private fileHash(abs: string, st: fs.Stats): string {
    const c = this.entries[abs];
    if (c && c.size === st.size && c.mtimeMs === st.mtimeMs && c.ino === st.ino) return c.sha256;
    const sha256 = createHash('sha256').update(fs.readFileSync(abs)).digest('hex');
    this.entries[abs] = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha256 };
    this.dirty = true;
    return sha256;
  }

  save(): void {
    if (!this.dirty) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeJsonAtomic(this.file, { schemaVersion: 1, entries: this.entries });
    this.dirty = false;
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs
      .readdirSync(path.join(dir, rel), { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk('');
  return out;
}

export function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
