import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataFileSync } from 'lowdb/node';
import { LowSync } from 'lowdb';
import { RunlensError, errorMessage } from '../errors';
import { isRunId } from './ids';
import { appendLines, nonFinite, toStoreJson, withLockSync, writeChunksAtomic } from './fsutil';
import type { ScanWarning } from './metrics';
import { foldSummary, scanMetrics } from './metrics';
import { METRICS_FILE, RUN_FILE, ownerAlive, readRunFileStamped, updateRunFileSync } from './runFile';
import { checkIndexEntry, isRecord } from './schemas';
import type { RunEntry, RunRecord } from './types';
import { TERMINAL_STATUSES } from './types';

export const INDEX_SCHEMA_VERSION = 1;
const INDEX_FILE = 'index.json';
const JOURNAL_FILE = 'index.journal.jsonl';
export const COMPACT_AFTER_LINES = 2_000;

interface IndexData {
  schemaVersion: number;
  runs: Record<string, RunEntry>;
}

export interface RefreshResult {
  entries: RunEntry[];
  warnings: ScanWarning[];
  /** Runs whose entries were (re)read from their folders in this refresh. */
  changed: string[];
}

/**
 * The index: a lowdb JSON file caching one entry per run, plus an append-only journal of entry
 * updates. A change to one run appends one journal line instead of rewriting the whole index; the
 * journal is folded into index.json (under a lock) once it grows. Both may be deleted: the run
 * folders are the truth, and `refresh` rebuilds whatever is missing or stale.
 */
export class RunIndex {
  private readonly indexFile: string;
  private readonly journalFile: string;
  private journalLines = 0;
  /** Entries skipped by the last load(), each naming its file. */
  private loadWarnings: ScanWarning[] = [];

  constructor(
    private readonly storeDir: string,
    private readonly runsDir: string,
  ) {
    this.indexFile = path.join(storeDir, INDEX_FILE);
    this.journalFile = path.join(storeDir, JOURNAL_FILE);
  }

  private db(): LowSync<IndexData> {
    const adapter = new DataFileSync<IndexData>(this.indexFile, {
      parse: (text) => JSON.parse(text) as IndexData,
      stringify: (data) => JSON.stringify(data, nonFinite),
    });
    return new LowSync<IndexData>(adapter, { schemaVersion: INDEX_SCHEMA_VERSION, runs: {} });
  }

  /** The index as stored (index.json plus journal), without looking at the run folders. */
  load(): Map<string, RunEntry> {
    const entries = new Map<string, RunEntry>();
    const warnings: ScanWarning[] = [];
    this.loadWarnings = warnings;
    const db = this.db();
    try {
      db.read();
      if (db.data.schemaVersion === INDEX_SCHEMA_VERSION && isRecord(db.data.runs)) {
        for (const [id, raw] of Object.entries(db.data.runs)) {
          const e = checkIndexEntry(raw);
          if (typeof e === 'string' || e.id !== id) {
            // Skipped: the run folder is read again, so nothing is lost.
            const why = typeof e === 'string' ? e : `id ${JSON.stringify(e.id)} under key ${id}`;
            warnings.push({
              file: this.indexFile,
              line: 0,
              offset: 0,
              message: `index entry ${id} skipped: ${why}`,
            });
            continue;
          }
          entries.set(id, e);
        }
      }
      // Another version or shape: the index is only a cache, so it is rebuilt from the run folders.
    } catch {
      // A corrupt index.json is a lost cache, not lost data: refresh rebuilds it.
    }
    this.journalLines = 0;
    for (const file of this.journalFiles()) this.journalLines += replayJournal(file, entries, warnings);
    return entries;
  }

  private journalFiles(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.storeDir);
    } catch {
      return [];
    }
    const old = names.filter((n) => n.startsWith('index.journal.') && n.endsWith('.old')).sort();
    return [...old, JOURNAL_FILE].map((n) => path.join(this.storeDir, n));
  }

  /** The newest entry of each run in the journal files (index.json left aside), and their line count. */
  readJournal(warnings: ScanWarning[]): { entries: Map<string, RunEntry>; lines: number } {
    const entries = new Map<string, RunEntry>();
    let lines = 0;
    for (const file of this.journalFiles()) lines += replayJournal(file, entries, warnings);
    return { entries, lines };
  }

  /** Lines of the journal files read by the last load(). */
  get journalLineCount(): number {
    return this.journalLines;
  }

  /** Entries skipped by the last load(), each naming its file. */
  get lastLoadWarnings(): ScanWarning[] {
    return this.loadWarnings;
  }

  /** Record entries that changed (one append, no lock: never makes a writer wait). */
  record(entries: RunEntry[]): void {
    if (entries.length === 0) return;
    appendLines(this.journalFile, entries.map(toStoreJson));
    this.journalLines += entries.length;
  }

  /**
   * Bring the index in line with the run folders: new folders are read, vanished ones dropped,
   * queued/running/unreadable runs re-read (their new metric lines only), and running runs whose
   * owner process has died are marked crashed.
   */
  refresh(
    options: { rebuild?: boolean; entries?: Map<string, RunEntry>; dirty?: ReadonlySet<string> } = {},
  ): RefreshResult {
    // A long-lived reader (the editor) passes the entries it holds, so a refresh reads only what
    // changed on disk instead of loading the index file again.
    this.loadWarnings = [];
    const entries = options.rebuild ? new Map<string, RunEntry>() : (options.entries ?? this.load());
    const warnings: ScanWarning[] = [...this.loadWarnings];
    const changed: RunEntry[] = [];
    const onDisk = new Set(listRunFolders(this.runsDir));
    for (const id of entries.keys()) if (!onDisk.has(id)) entries.delete(id);
    for (const id of onDisk) {
      const old = entries.get(id);
      const dir = path.join(this.runsDir, id);
      if (old !== undefined && !needsRecheck(old, dir) && !options.dirty?.has(id)) continue;
      const fresh = readEntry(dir, id, old, warnings);
      if (old === undefined || !sameEntry(old, fresh)) {
        entries.set(id, fresh);
        changed.push(fresh);
      }
    }
    const sorted = [...entries.values()].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    if (options.rebuild || !fs.existsSync(this.indexFile)) {
      this.compact(entries);
    } else {
      this.record(changed);
      if (this.journalLines > COMPACT_AFTER_LINES) this.compact(entries);
    }
    return { entries: sorted, warnings, changed: changed.map((e) => e.id) };
  }

  /** Fold the journal into index.json. Lines appended meanwhile land in a fresh journal and survive. */
  compact(entries: Map<string, RunEntry>): void {
    withLockSync(this.indexFile, () => {
      const moved = path.join(this.storeDir, `index.journal.${Date.now()}.${process.pid}.old`);
      let hadJournal = true;
      try {
        fs.renameSync(this.journalFile, moved);
      } catch {
        hadJournal = false;
      }
      const old = fs
        .readdirSync(this.storeDir)
        .filter((n) => n.startsWith('index.journal.') && n.endsWith('.old'));
      for (const n of old.sort()) replayJournal(path.join(this.storeDir, n), entries);
      // What lowdb's write of { schemaVersion, runs } writes, in pieces: 100,000 entries are 120 MB.
      writeChunksAtomic(this.indexFile, indexJson(entries));
      for (const n of old) fs.rmSync(path.join(this.storeDir, n), { force: true });
      if (!hadJournal) fs.rmSync(moved, { force: true });
      this.journalLines = 0;
    });
  }
}

/** index.json's text in pieces of up to 1,000 entries. */
function* indexJson(entries: Map<string, RunEntry>): Generator<string> {
  yield `{"schemaVersion":${INDEX_SCHEMA_VERSION},"runs":{`;
  let part: string[] = [];
  let sep = '';
  for (const [id, e] of entries) {
    part.push(JSON.stringify(id) + ':' + toStoreJson(e));
    if (part.length === 1000) {
      yield sep + part.join(',');
      sep = ',';
      part = [];
    }
  }
  if (part.length) yield sep + part.join(',');
  yield '}}';
}

export function listRunFolders(runsDir: string): string[] {
  try {
    return fs
      .readdirSync(runsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && isRunId(d.name))
      .map((d) => d.name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

function replayJournal(file: string, entries: Map<string, RunEntry>, warnings: ScanWarning[] = []): number {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    n++;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      continue; // a torn line from a killed writer: the run folder still has the truth
    }
    const e = checkIndexEntry(raw);
    if (typeof e === 'string') {
      warnings.push({ file, line: n, offset: 0, message: `index entry skipped: ${e}` });
      continue;
    }
    const cur = entries.get(e.id);
    if (cur === undefined || newer(e, cur)) entries.set(e.id, e);
  }
  return n;
}

/** Is `a` a later state of its run than `b` (the journal's rule)? */
export function newer(a: RunEntry, b: RunEntry): boolean {
  if (a.updatedAt !== b.updatedAt) return a.updatedAt > b.updatedAt;
  return a.metricsBytes >= b.metricsBytes;
}

/**
 * Open and unreadable runs are always re-read. An ended run is re-read when its run.json changed
 * since the entry was made (edited, or corrupted), and a crashed run also when its metrics file
 * grew: a training child can outlive the launcher whose death marked the run crashed.
 */
function needsRecheck(e: RunEntry, runDir: string): boolean {
  if (e.status === 'unreadable' || !TERMINAL_STATUSES.has(e.status as RunRecord['status'])) return true;
  if (fs.statSync(path.join(runDir, RUN_FILE), { throwIfNoEntry: false })?.mtimeMs !== e.runFileMtime)
    return true;
  return e.status === 'crashed' && fileSize(path.join(runDir, METRICS_FILE)) !== e.metricsBytes;
}

export function sameEntry(a: RunEntry, b: RunEntry): boolean {
  return (
    a.status === b.status &&
    a.updatedAt === b.updatedAt &&
    a.metricsBytes === b.metricsBytes &&
    a.runFileMtime === b.runFileMtime &&
    a.error === b.error
  );
}

/** Build a run's entry from its folder, reading only the metric lines appended since `old`. */
export function readEntry(
  runDir: string,
  id: string,
  old: RunEntry | undefined,
  warnings: ScanWarning[],
): RunEntry {
  let run: RunRecord;
  // The mtime of the run.json read (fstat of the open file): a change made meanwhile leaves a newer
  // mtime, re-read next time.
  const runFileMtime = () => fs.statSync(path.join(runDir, RUN_FILE), { throwIfNoEntry: false })?.mtimeMs;
  let mtime: number | undefined;
  try {
    ({ run, mtimeMs: mtime } = readRunFileStamped(runDir));
  } catch (e) {
    return unreadableEntry(id, errorMessage(e));
  }
  if (run.status === 'running' || run.status === 'queued') {
    if (ownerAlive(run) === false) {
      run = markCrashed(runDir, run);
      mtime = runFileMtime();
    }
  }
  const metricsFile = path.join(runDir, METRICS_FILE);
  let metrics = old && old.status !== 'unreadable' ? structuredClone(old.metrics) : {};
  let metricsBytes = old && old.status !== 'unreadable' ? old.metricsBytes : 0;
  const terminal = TERMINAL_STATUSES.has(run.status);
  if (terminal && run.summary !== null) {
    metrics = run.summary;
    metricsBytes = fileSize(metricsFile);
  } else {
    const size = fileSize(metricsFile);
    if (size < metricsBytes) {
      metrics = {};
      metricsBytes = 0;
    }
    if (size > metricsBytes) {
      const scan = scanMetrics(metricsFile, (p) => foldSummary(metrics, p), { fromOffset: metricsBytes });
      warnings.push(...scan.warnings);
      if (terminal && scan.partialTail) {
        warnings.push({
          file: metricsFile,
          line: 0,
          offset: scan.endOffset,
          message: 'torn last line skipped',
        });
      }
      metricsBytes = scan.endOffset;
    }
  }
  const entry = entryOf(run, metrics, metricsBytes);
  if (mtime !== undefined) entry.runFileMtime = mtime;
  return entry;
}

export function entryOf(run: RunRecord, metrics: RunEntry['metrics'], metricsBytes: number): RunEntry {
  return {
    id: run.id,
    experiment: run.experiment,
    name: run.name,
    status: run.status,
    script: run.script,
    params: run.params,
    tags: run.tags,
    starred: run.starred,
    startTime: run.startTime,
    endTime: run.endTime,
    gitCommit: run.git?.commit ?? null,
    metrics,
    metricsBytes,
    updatedAt: run.updatedAt,
    ...(run.job ? { job: run.job } : {}),
  };
}

function unreadableEntry(id: string, error: string): RunEntry {
  return {
    id,
    experiment: '',
    name: id,
    status: 'unreadable',
    script: null,
    params: {},
    tags: {},
    starred: false,
    startTime: 0,
    endTime: null,
    gitCommit: null,
    metrics: {},
    metricsBytes: 0,
    updatedAt: 0,
    error,
  };
}

function markCrashed(runDir: string, run: RunRecord): RunRecord {
  try {
    return updateRunFileSync(runDir, (r) => {
      if (r.status !== 'running' && r.status !== 'queued') return;
      r.status = 'crashed';
      r.endTime = Math.max(r.startTime, lastWriteTime(runDir) ?? Date.now());
    });
  } catch (e) {
    if (e instanceof RunlensError) throw e;
    // Not writable: show it as crashed anyway, without touching the folder.
    return { ...run, status: 'crashed' };
  }
}

/** When a crashed run last wrote anything: its end time. */
function lastWriteTime(runDir: string): number | undefined {
  const times = [METRICS_FILE, 'output.log']
    .map((f) => fs.statSync(path.join(runDir, f), { throwIfNoEntry: false })?.mtimeMs)
    .filter((t): t is number => t !== undefined);
  return times.length > 0 ? Math.round(Math.max(...times)) : undefined;
}

function fileSize(file: string): number {
  return fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}
