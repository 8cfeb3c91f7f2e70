import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHANGES_FILE, CHANGES_OLD_FILE } from './changes';
import { writeFileAtomic } from './fsutil';
import { isRunId } from './ids';
import { LISTING_FILE, Listing } from './listing';
import type { ListingStamps } from './listing';
import type { ScanWarning } from './metrics';
import { METRICS_FILE } from './runFile';
import type { RunIndex } from './runIndex';
import { COMPACT_AFTER_LINES, listRunFolders, readEntry, sameEntry } from './runIndex';
import type { RunEntry, RunStatus } from './types';
import { TERMINAL_STATUSES } from './types';

/** A runs/ folder mtime this much older than the listing is trusted: a later change gets a later mtime. */
const SETTLED_MS = 2_000;
/** index.changes past this size is rotated to index.changes.old by the next reader (about 27,000 rewrites). */
export const ROTATE_CHANGES_BYTES = 1 << 20;

export interface ListingResult {
  listing: Listing;
  warnings: ScanWarning[];
  /** Runs (re)read from their folders. */
  changed: string[];
  /**
   * Where the rows came from: the listing file brought up to date, index.json (changed since the
   * listing was made), or every run folder (no usable listing, or a rebuild).
   */
  source: 'listing' | 'index' | 'folders';
}

/**
 * The runs of a store as a Listing, kept in `index.listing` (see listing.ts) and brought up to date
 * without opening every run folder. The run folders stay the truth and index.json + journal the
 * index; the listing is derived from them and trusted only while the files it was made from are
 * unchanged. On each read:
 *
 * - the listing file must be whole (magic, CRC-32 over the rest, section bounds): else the index is
 *   rebuilt from the run folders as `refresh` does (every run.json checked);
 * - index.json must be the one it was made from (inode, size, mtime): else its rows come from
 *   index.json and the journal again;
 * - the journal is replayed over the rows (newest entry wins, as in index.json's own replay);
 * - the runs/ folder is listed only when its mtime changed (runs added or removed);
 * - runs still queued or running, unreadable ones, crashed runs whose metrics.jsonl grew, and the
 *   runs named in the change notes (index.changes, appended by every run.json writer) since the
 *   listing was made are read again from their folders; a change notes file that was replaced or
 *   shortened makes it check every run.json, as `refresh` does.
 *
 * What it does not see: a run.json of an ended run edited by hand (no note). `runlens ls --reindex`
 * reads every folder again; the editor sees such edits through its file watcher.
 */
export function loadListing(
  storeDir: string,
  runsDir: string,
  index: RunIndex,
  options: {
    rebuild?: boolean;
    /** Columns to read and check at once (default all); the others are read when used. */
    sections?: readonly string[] | 'all';
    /** Runs to read again from their folders whatever the listing says (the editor's file events). */
    recheck?: Iterable<string>;
    /** Rotate index.changes past this size (default ROTATE_CHANGES_BYTES). */
    rotateChangesAt?: number;
  } = {},
): ListingResult {
  const file = path.join(storeDir, LISTING_FILE);
  const changesFile = path.join(storeDir, CHANGES_FILE);
  const oldFile = path.join(storeDir, CHANGES_OLD_FILE);
  const changes0 = stat(changesFile);
  const old0 = stat(oldFile);
  const runs0 = stat(runsDir);
  if (options.rebuild) return fromFolders(true);
  const base = readListing(file, options.sections ?? 'all');
  const idx = stat(path.join(storeDir, 'index.json'));
  const notedFrom = base ? noteStarts(base.stamps, changes0, old0) : undefined;
  if (!base || !idx || notedFrom === undefined) {
    base?.releaseFile();
    return fromFolders(false);
  }

  const warnings: ScanWarning[] = [];
  let rows = base;
  let source: ListingResult['source'] = 'listing';
  const pending = new Map<string, RunEntry>();
  const current = (id: string): RunEntry | undefined => {
    const p = pending.get(id);
    if (p) return p;
    const row = rows.rowOf(id);
    return row === undefined ? undefined : rows.entry(row);
  };
  let journalLines: number;
  if (!sameFile(base.stamps.index, idx)) {
    // Another process folded the journal into index.json: its rows are read again from there.
    const entries = index.load();
    warnings.push(...index.lastLoadWarnings);
    rows = Listing.of(entries.values(), base.stamps);
    source = 'index';
    journalLines = index.journalLineCount;
  } else {
    const journal = index.readJournal(warnings);
    journalLines = journal.lines;
    for (const e of journal.entries.values()) {
      const row = rows.rowOf(e.id);
      if (row === undefined || newerThanRow(e, rows, row)) pending.set(e.id, e);
    }
  }

  // Which runs are read from their folders again.
  const recheck = new Set<string>();
  const removed = new Set<string>();
  if (!(runs0 && sameRunsDir(base.stamps.runsDir, runs0))) {
    const onDisk = new Set(listRunFolders(runsDir));
    for (const id of rows.ids) if (!onDisk.has(id)) removed.add(id);
    for (const id of pending.keys()) if (!onDisk.has(id)) removed.add(id);
    for (const id of onDisk) if (rows.rowOf(id) === undefined && !pending.has(id)) recheck.add(id);
  }
  for (const id of readNotes(oldFile, notedFrom.old, old0)) recheck.add(id);
  for (const id of readNotes(changesFile, notedFrom.changes, changes0)) recheck.add(id);
  let changesStamp = changes0
    ? { ino: changes0.ino, size: notedEnd(changesFile, notedFrom.changes, changes0) }
    : null;
  let oldStamp = old0 ? { ino: old0.ino, size: notedEnd(oldFile, notedFrom.old, old0) } : null;
  if (changes0 && changes0.size > (options.rotateChangesAt ?? ROTATE_CHANGES_BYTES)) {
    // Rotation: index.changes becomes index.changes.old (the one before is dropped: its notes were
    // read above) and writers start a new index.changes, which the next reader reads from its start.
    try {
      fs.renameSync(changesFile, oldFile);
    } catch {
      // another reader rotated it first, or the store is read-only: see below
    }
    const moved = stat(oldFile);
    if (moved && moved.ino === changes0.ino) {
      // notes appended between the read above and the rename
      const from = changesStamp!.size;
      for (const id of readNotes(oldFile, from, moved)) recheck.add(id);
      oldStamp = { ino: moved.ino, size: notedEnd(oldFile, from, moved) };
      changesStamp = null;
    } else if (!stat(changesFile) || stat(changesFile)!.ino !== changes0.ino) {
      // the notes read were moved away and replaced by another reader's rotation meanwhile
      base.releaseFile();
      return fromFolders(false);
    }
  }
  for (const id of options.recheck ?? []) recheck.add(id);
  for (let i = 0; i < rows.size; i++) {
    const status = rows.status(i);
    if (status === 'unreadable' || !TERMINAL_STATUSES.has(status as RunStatus)) recheck.add(rows.id(i));
    else if (
      status === 'crashed' &&
      fileSize(path.join(runsDir, rows.id(i), METRICS_FILE)) !== rows.metricsBytes(i)
    )
      recheck.add(rows.id(i));
  }
  for (const id of pending.keys()) {
    const s = pending.get(id)!.status;
    if (s === 'unreadable' || !TERMINAL_STATUSES.has(s as RunStatus)) recheck.add(id);
  }

  const record: RunEntry[] = [];
  for (const id of recheck) {
    if (removed.has(id) || !isRunId(id)) continue;
    const dir = path.join(runsDir, id);
    if (!fs.existsSync(dir)) {
      removed.add(id);
      continue;
    }
    const old = current(id);
    const fresh = readEntry(dir, id, old, warnings);
    if (old === undefined || !sameEntry(old, fresh)) {
      pending.set(id, fresh);
      record.push(fresh);
    }
  }
  for (const id of removed) pending.delete(id);
  // A run gone that no row holds (journal entries of a run removed since): nothing to take out. As a
  // removal it made every read rebuild and rewrite the listing until the journal was folded.
  for (const id of removed) if (rows.rowOf(id) === undefined) removed.delete(id);
  index.record(record);

  const stamps: ListingStamps = {
    index: idx,
    runsDir: settled(runs0),
    changes: changesStamp,
    changesOld: oldStamp,
  };
  let listing: Listing;
  if (journalLines + record.length > COMPACT_AFTER_LINES) {
    const all = new Map<string, RunEntry>();
    const next = rows.with(pending, removed, stamps);
    for (let i = 0; i < next.size; i++) all.set(next.id(i), next.entry(i));
    index.compact(all);
    listing = Listing.of(all.values(), { ...stamps, index: stat(path.join(storeDir, 'index.json')) });
  } else if (pending.size || removed.size) {
    listing = rows.with(pending, removed, stamps);
  } else {
    listing = rows.restamped(stamps);
  }
  // Open runs are read again by every reader (their latest entries are in the journal): a change of
  // theirs alone does not rewrite the file, so a reader polling a running run does not write 40 MB a second.
  const settledChange = [...pending.values()].some(
    (e) =>
      e.status === 'finished' ||
      e.status === 'failed' ||
      e.status === 'killed' ||
      e.status === 'crashed' ||
      base.rowOf(e.id) === undefined,
  );
  if (source !== 'listing' || settledChange || removed.size || !sameStamps(base.stamps, listing.stamps))
    writeListing(file, listing);
  if (rows !== base) base.releaseFile();
  return { listing, warnings, changed: record.map((e) => e.id), source };

  function fromFolders(rebuild: boolean): ListingResult {
    const r = index.refresh({ rebuild });
    const listing = Listing.of(r.entries, {
      index: stat(path.join(storeDir, 'index.json')),
      runsDir: settled(runs0),
      changes: changes0 ? { ino: changes0.ino, size: changes0.size } : null,
      changesOld: old0 ? { ino: old0.ino, size: old0.size } : null,
    });
    writeListing(file, listing);
    return { listing, warnings: r.warnings, changed: r.changed, source: 'folders' };
  }
}

interface Stat {
  ino: number;
  size: number;
  mtimeMs: number;
}

function stat(file: string): Stat | null {
  const s = fs.statSync(file, { throwIfNoEntry: false });
  return s ? { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs } : null;
}

function fileSize(file: string): number {
  return fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}

function sameFile(a: ListingStamps['index'], b: Stat): boolean {
  return a !== null && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function sameRunsDir(a: ListingStamps['runsDir'], b: Stat): boolean {
  return a !== null && a.ino === b.ino && a.mtimeMs === b.mtimeMs;
}

function sameStamps(a: ListingStamps, b: ListingStamps): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The runs/ folder's stamp, when its mtime is old enough that a later change cannot keep it. */
function settled(s: Stat | null): ListingStamps['runsDir'] {
  return s && s.mtimeMs < Date.now() - SETTLED_MS ? { ino: s.ino, mtimeMs: s.mtimeMs } : null;
}

/**
 * Where the notes not yet applied start in index.changes and index.changes.old: the offsets the
 * listing's stamps record for the file each names (a file it does not name is new since, read from
 * its start), or undefined when it cannot be told: a file the listing read was removed, replaced or
 * shortened (every run is then checked).
 */
function noteStarts(
  stamps: ListingStamps,
  changes: Stat | null,
  old: Stat | null,
): { changes: number; old: number } | undefined {
  const starts = { changes: 0, old: 0 };
  for (const covered of [stamps.changes, stamps.changesOld ?? null]) {
    if (covered === null) continue;
    if (changes && changes.ino === covered.ino) {
      if (changes.size < covered.size) return undefined;
      starts.changes = covered.size;
    } else if (old && old.ino === covered.ino) {
      // rotated since the listing was made (or named so then)
      if (old.size < covered.size) return undefined;
      starts.old = covered.size;
    } else return undefined;
  }
  return starts;
}

function readNotes(file: string, from: number, now: Stat | null): string[] {
  if (!now || now.size <= from) return [];
  const buf = readRange(file, from, now.size);
  const text = buf.toString('utf8');
  const end = text.lastIndexOf('\n');
  return end < 0 ? [] : text.slice(0, end).split('\n').filter(isRunId);
}

/** The end of the last whole note line up to the size seen (a note being written is read next time). */
function notedEnd(file: string, from: number, now: Stat): number {
  if (now.size <= from) return now.size;
  const buf = readRange(file, from, now.size);
  return from + buf.lastIndexOf(0x0a) + 1;
}

function readRange(file: string, from: number, to: number): Buffer {
  const buf = Buffer.alloc(to - from);
  const fd = fs.openSync(file, 'r');
  try {
    const n = fs.readSync(fd, buf, 0, buf.length, from);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** A journal entry later than the row (an equal one is the row itself, already applied). */
function newerThanRow(e: RunEntry, l: Listing, row: number): boolean {
  const u = l.updatedAt(row);
  if (e.updatedAt !== u) return e.updatedAt > u;
  return e.metricsBytes > l.metricsBytes(row);
}

function readListing(file: string, sections: readonly string[] | 'all'): Listing | undefined {
  const l = Listing.open(file, sections);
  return typeof l === 'string' ? undefined : l;
}

function writeListing(file: string, listing: Listing): void {
  try {
    writeFileAtomic(file, listing.encode());
  } catch {
    // A store that cannot be written is still listed; the next reader tries again.
  }
}
