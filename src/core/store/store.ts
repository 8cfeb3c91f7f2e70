import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunlensError, isErrno } from '../errors';
import {
  mkdirp,
  pathInside,
  readJsonFile,
  storeWriteError,
  writeFileAtomic,
  writeJsonAtomic,
} from './fsutil';
import { isRunId, newRunId } from './ids';
import { STORE_FILE } from './layout';
import { resolveStoreDir } from './resolve';
import { checkStoreMeta } from './schemas';
import { METRICS_HEADER } from './metrics';
import type { ListingResult } from './listingIndex';
import { loadListing } from './listingIndex';
import type { RefreshResult } from './runIndex';
import { RunIndex, entryOf, listRunFolders, readEntry } from './runIndex';
import {
  ARTIFACTS_DIR,
  METRICS_FILE,
  OUTPUT_FILE,
  RUN_SCHEMA_VERSION,
  readRunFile,
  updateRunFile,
  writeRunFile,
} from './runFile';
import type { Environment, GitInfo, InputFile, ParamValue, RunEntry, RunRecord, RunStatus } from './types';

export { STORE_DIR_NAME } from './layout';
export const STORE_SCHEMA_VERSION = 1;

export interface CreateRunOptions {
  experiment?: string;
  name?: string;
  command?: string[] | null;
  cwd?: string;
  script?: string | null;
  params?: Record<string, ParamValue>;
  tags?: Record<string, string>;
  status?: RunStatus;
  pid?: number | null;
  environment?: Environment;
  git?: GitInfo | null;
  inputs?: InputFile[];
}

/**
 * The store `resolveStoreDir` picks for `from` without an explicit path ($RUNLENS_STORE, else the
 * nearest `.runlens` at or above), or undefined when there is none yet.
 */
export function findStoreDir(from: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const r = resolveStoreDir({ cwd: from, env });
  return r.source === 'default' ? undefined : r.dir;
}

export class Store {
  readonly runsDir: string;
  readonly trashDir: string;
  readonly index: RunIndex;

  private constructor(readonly dir: string) {
    this.runsDir = path.join(dir, 'runs');
    this.trashDir = path.join(dir, 'trash');
    this.index = new RunIndex(dir, this.runsDir);
  }

  /** The workspace folder the store belongs to. */
  get root(): string {
    return path.dirname(this.dir);
  }

  /**
   * Open the store at `dir` (a `.runlens` folder). With `create`, make it when missing. A store
   * written by a newer Runlens is refused and left untouched.
   */
  static open(dir: string, options: { create?: boolean } = {}): Store {
    const storeFile = path.join(dir, STORE_FILE);
    let meta: { schemaVersion: number } | undefined;
    try {
      meta = checkStoreMeta(readJsonFile(storeFile), storeFile);
    } catch (e) {
      if (!isErrno(e, 'ENOENT', 'ENOTDIR')) {
        if (e instanceof RunlensError) {
          throw new RunlensError(
            `${storeFile} is corrupt: ${e.message}`,
            'fix or delete store.json; it is recreated',
          );
        }
        throw e;
      }
    }
    if (meta !== undefined) {
      if (meta.schemaVersion > STORE_SCHEMA_VERSION) {
        throw new RunlensError(
          `the store ${dir} was written by a newer Runlens (schema ${meta.schemaVersion}, this one reads up to ${STORE_SCHEMA_VERSION}); nothing was changed`,
          'upgrade Runlens',
          'conflict',
        );
      }
    } else if (!fs.existsSync(path.join(dir, 'runs'))) {
      if (!options.create) {
        throw new RunlensError(
          `no Runlens store at ${dir}`,
          'run a training script with `runlens run -- CMD` to create one, or pass --store',
          'notFound',
        );
      }
      mkdirp(path.join(dir, 'runs'));
    }
    if (meta === undefined) {
      mkdirp(path.join(dir, 'runs'));
      writeJsonAtomic(storeFile, {
        schema: 'runlens.store',
        schemaVersion: STORE_SCHEMA_VERSION,
        createdAt: Date.now(),
      });
    }
    return new Store(dir);
  }

  /** Open the nearest store above `cwd`, or create one in `cwd` when there is none. */
  static openNearest(cwd: string, options: { create?: boolean } = {}): Store {
    return Store.open(resolveStoreDir({ cwd }).dir, options);
  }

  /** The folder of run `id`. Only a well-formed id is accepted: a run id never names a path. */
  runDir(id: string): string {
    if (!isRunId(id)) {
      throw new RunlensError(
        `not a run id: ${JSON.stringify(id)}`,
        'run ids are 18 lower-case letters and digits (see `runlens ls`)',
        'usage',
      );
    }
    return path.join(this.runsDir, id);
  }

  metricsFile(id: string): string {
    return path.join(this.runsDir, id, METRICS_FILE);
  }

  outputFile(id: string): string {
    return path.join(this.runsDir, id, OUTPUT_FILE);
  }

  createRun(options: CreateRunOptions = {}): RunRecord {
    const id = newRunId();
    const dir = this.runDir(id);
    const experiment = options.experiment?.trim() || 'default';
    const script = options.script ?? null;
    const run: RunRecord = {
      schemaVersion: RUN_SCHEMA_VERSION,
      id,
      experiment,
      name: options.name?.trim() || defaultRunName(script, id),
      status: options.status ?? 'running',
      command: options.command ?? null,
      cwd: options.cwd ?? process.cwd(),
      script,
      params: options.params ?? {},
      tags: options.tags ?? {},
      starred: false,
      startTime: Date.now(),
      endTime: null,
      exitCode: null,
      pid: options.pid === undefined ? process.pid : options.pid,
      host: os.hostname(),
      git: options.git ?? null,
      environment: options.environment ?? baseEnvironment(),
      inputs: options.inputs ?? [],
      summary: null,
      note: null,
      updatedAt: Date.now(),
    };
    mkdirp(path.join(dir, ARTIFACTS_DIR));
    try {
      fs.writeFileSync(path.join(dir, METRICS_FILE), METRICS_HEADER + '\n', { flag: 'wx' });
      fs.writeFileSync(path.join(dir, OUTPUT_FILE), '', { flag: 'wx' });
    } catch (e) {
      throw storeWriteError(e, dir);
    }
    writeRunFile(dir, run);
    return readRunFile(dir);
  }

  getRun(ref: string): RunRecord {
    return readRunFile(this.runDir(this.resolveRunId(ref)));
  }

  /** Change run.json under its lock and record the new index entry (one journal line). */
  async updateRun(ref: string, change: (run: RunRecord) => void): Promise<RunRecord> {
    const id = this.resolveRunId(ref);
    const run = await updateRunFile(this.runDir(id), change);
    this.index.record([readEntry(this.runDir(id), id, undefined, [])]);
    return run;
  }

  /** Record a run's current state in the index (after its owner changed it). */
  recordRun(run: RunRecord): void {
    this.index.record([entryOf(run, run.summary ?? {}, fileSize(this.metricsFile(run.id)))]);
  }

  listRuns(
    options: { rebuild?: boolean; entries?: Map<string, RunEntry>; dirty?: ReadonlySet<string> } = {},
  ): RefreshResult {
    return this.index.refresh(options);
  }

  /** The runs as compact columns (`index.listing`), brought up to date without reading every run folder. */
  listing(options: Parameters<typeof loadListing>[3] = {}): ListingResult {
    return loadListing(this.dir, this.runsDir, this.index, options);
  }

  /**
   * A run by full id, unique id prefix or suffix (4+ characters), or unique name. Errors say which
   * runs an ambiguous reference matches.
   */
  resolveRunId(ref: string): string {
    const wanted = ref.trim();
    if (wanted.length === 0)
      throw new RunlensError('empty run id', 'pass a run id or name (see `runlens ls`)', 'usage');
    // Only folders named by well-formed ids are runs, and a reference is matched against their
    // names: it is never joined into a path, so `../x` or `ID/../ID` cannot reach outside.
    // A well-formed id has no path characters: its folder can be checked directly (the fast path).
    if (isRunId(wanted) && fs.existsSync(path.join(this.runsDir, wanted, 'run.json'))) return wanted;
    const ids = listRunFolders(this.runsDir);
    let matches =
      wanted.length >= 4 && /^[0-9a-z]+$/.test(wanted)
        ? ids.filter((id) => id.startsWith(wanted) || id.endsWith(wanted))
        : [];
    if (matches.length === 0) {
      const entries = this.index.load();
      matches = ids.filter((id) => entries.get(id)?.name === wanted);
      if (matches.length === 0 && entries.size < ids.length) {
        matches = ids.filter((id) => safeName(this.runDir(id)) === wanted);
      }
    }
    if (matches.length === 1) return matches[0];
    if (matches.length === 0) {
      const inTrash = isRunId(wanted) && fs.existsSync(path.join(this.trashDir, wanted));
      throw new RunlensError(
        `no run "${wanted}" in ${this.dir}`,
        inTrash
          ? `it was removed; \`runlens restore ${wanted}\` brings it back`
          : 'list runs with `runlens ls`',
        'notFound',
      );
    }
    throw new RunlensError(
      `"${wanted}" matches ${matches.length} runs: ${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', …' : ''}`,
      'use more characters of the id',
      'usage',
    );
  }

  /** Move a run to the store's trash (recoverable with restoreRun). */
  removeRun(ref: string): string {
    const id = this.resolveRunId(ref);
    mkdirp(this.trashDir);
    try {
      fs.renameSync(this.runDir(id), path.join(this.trashDir, id));
    } catch (e) {
      throw storeWriteError(e, this.runDir(id));
    }
    return id;
  }

  async restoreRun(id: string): Promise<RunRecord> {
    const dest = this.runDir(id);
    const from = path.join(this.trashDir, id);
    if (!fs.existsSync(from)) {
      throw new RunlensError(
        `no removed run "${id}" in ${this.trashDir}`,
        'list removed runs with `runlens ls --removed`',
        'notFound',
      );
    }
    if (fs.existsSync(dest)) throw new RunlensError(`a run ${id} already exists`, undefined, 'conflict');
    fs.renameSync(from, dest);
    return this.updateRun(id, () => undefined);
  }

  removedRuns(): string[] {
    return listRunFolders(this.trashDir).sort().reverse();
  }

  /** Save a file as an artifact of a run; returns its path relative to the run folder. */
  addArtifact(id: string, name: string, content: string | Buffer): string {
    const file = pathInside(path.join(this.runDir(id), ARTIFACTS_DIR), name);
    const rel = path.relative(this.runDir(id), file);
    mkdirp(path.dirname(file));
    writeFileAtomic(file, content);
    return rel;
  }
}

function safeName(runDir: string): string | undefined {
  try {
    return readRunFile(runDir).name;
  } catch {
    return undefined;
  }
}

function fileSize(file: string): number {
  return fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}

export function defaultRunName(script: string | null, id: string): string {
  const stem = script ? path.basename(script).replace(/\.[^.]+$/, '') : 'run';
  return `${stem}-${id.slice(-4)}`;
}

export function baseEnvironment(): Environment {
  return { os: `${os.type()} ${os.release()}`, arch: os.arch(), node: process.version };
}
