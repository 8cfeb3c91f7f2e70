import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError } from '../errors';
import { pathInside, readJsonFile, writeJsonAtomic } from './fsutil';
import { ARTIFACTS_DIR, EXPERIMENTS_TRASH_FILE } from './layout';
import { closeNames } from './query';
import type { Store } from './store';

export interface ExperimentRow {
  name: string;
  runs: number;
  running: number;
  lastStart: number;
}

/** The experiments of a store, most recent first. */
export function listExperiments(store: Store): ExperimentRow[] {
  const byName = new Map<string, ExperimentRow>();
  for (const e of store.listRuns().entries) {
    if (e.status === 'unreadable') continue;
    const row = byName.get(e.experiment) ?? { name: e.experiment, runs: 0, running: 0, lastStart: 0 };
    row.runs++;
    if (e.status === 'running' || e.status === 'queued') row.running++;
    row.lastStart = Math.max(row.lastStart, e.startTime);
    byName.set(e.experiment, row);
  }
  return [...byName.values()].sort((a, b) => b.lastStart - a.lastStart || a.name.localeCompare(b.name));
}

function runsOf(store: Store, name: string): string[] {
  const entries = store.listRuns().entries;
  const ids = entries.filter((e) => e.experiment === name && e.status !== 'unreadable').map((e) => e.id);
  if (ids.length === 0) {
    const close = closeNames(
      name,
      entries.map((e) => e.experiment),
    );
    throw new RunlensError(
      `no experiment "${name}" in ${store.dir}`,
      close.length ? `close names: ${close.join(', ')}` : 'list experiments with `runlens experiments ls`',
      'notFound',
    );
  }
  return ids;
}

/** Rename an experiment: each of its runs' run.json is changed under its lock. */
export async function renameExperiment(store: Store, from: string, to: string): Promise<number> {
  const name = to.trim();
  if (!name) throw new RunlensError('the new experiment name is empty', undefined, 'usage');
  const ids = runsOf(store, from);
  if (store.listRuns().entries.some((e) => e.experiment === name))
    throw new RunlensError(
      `an experiment "${name}" already exists`,
      'pick another name (renaming into it would mix the two)',
      'conflict',
    );
  for (const id of ids) await store.updateRun(id, (r) => void (r.experiment = name));
  return ids.length;
}

type Trash = Record<string, string[]>;

function trashFile(store: Store): string {
  return path.join(store.dir, EXPERIMENTS_TRASH_FILE);
}

function readTrash(store: Store): Trash {
  return fs.existsSync(trashFile(store)) ? (readJsonFile(trashFile(store)) as Trash) : {};
}

/** Move an experiment's runs to the trash; `restoreExperiment` brings them back, `gc` deletes them. */
export function removeExperiment(store: Store, name: string): string[] {
  const ids = runsOf(store, name);
  const trash = readTrash(store);
  trash[name] = [...new Set([...(Object.hasOwn(trash, name) ? trash[name] : []), ...ids])];
  writeJsonAtomic(trashFile(store), trash);
  for (const id of ids) store.removeRun(id);
  return ids;
}

export async function restoreExperiment(store: Store, name: string): Promise<string[]> {
  const trash = readTrash(store);
  const ids = Object.hasOwn(trash, name)
    ? trash[name].filter((id) => fs.existsSync(path.join(store.trashDir, id)))
    : [];
  if (ids.length === 0)
    throw new RunlensError(
      `no removed experiment "${name}"`,
      `removed experiments: ${Object.keys(trash).join(', ') || 'none'}`,
      'notFound',
    );
  for (const id of ids) await store.restoreRun(id);
  delete trash[name];
  writeJsonAtomic(trashFile(store), trash);
  return ids;
}

export interface GcItem {
  id: string;
  bytes: number;
}

/** Delete the removed runs for good (with `dryRun`, only say what would go). */
export function collectGarbage(store: Store, dryRun: boolean): GcItem[] {
  const items = store.removedRuns().map((id) => ({ id, bytes: folderBytes(path.join(store.trashDir, id)) }));
  if (!dryRun) {
    for (const { id } of items) fs.rmSync(path.join(store.trashDir, id), { recursive: true, force: true });
    if (fs.existsSync(trashFile(store))) fs.rmSync(trashFile(store));
  }
  return items;
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) total += folderBytes(p);
    else if (d.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

export interface ArtifactFile {
  path: string;
  bytes: number;
}

/** The files under a run's artifacts/ (or a folder of it), relative to artifacts/. */
export function listArtifacts(store: Store, ref: string, sub = ''): ArtifactFile[] {
  const base = path.join(store.runDir(store.resolveRunId(ref)), ARTIFACTS_DIR);
  const start = sub ? pathInside(base, sub) : base;
  const stat = fs.statSync(start, { throwIfNoEntry: false });
  if (!stat)
    throw new RunlensError(
      `no artifact "${sub}" in run ${ref}`,
      'list them with `runlens artifacts ls RUN`',
      'notFound',
    );
  if (stat.isFile())
    return [{ path: path.relative(base, start).split(path.sep).join('/'), bytes: stat.size }];
  const out: ArtifactFile[] = [];
  const walk = (dir: string) => {
    for (const d of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      if (d.name.startsWith('.') && d.name.endsWith('.tmp')) continue;
      const p = path.join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.isFile())
        out.push({ path: path.relative(base, p).split(path.sep).join('/'), bytes: fs.statSync(p).size });
    }
  };
  walk(start);
  return out;
}

/** Copy an artifact (file or folder) of a run to `dest`; an existing destination is not overwritten. */
export function getArtifact(store: Store, ref: string, sub: string, dest: string): string {
  const base = path.join(store.runDir(store.resolveRunId(ref)), ARTIFACTS_DIR);
  const src = pathInside(base, sub);
  if (!fs.existsSync(src))
    throw new RunlensError(
      `no artifact "${sub}" in run ${ref}`,
      'list them with `runlens artifacts ls RUN`',
      'notFound',
    );
  if (fs.existsSync(dest))
    throw new RunlensError(
      `${dest} exists; nothing was copied`,
      'pass another --out, or remove it first',
      'conflict',
    );
  fs.cpSync(src, dest, { recursive: true, errorOnExist: true, force: false });
  return dest;
}
