import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunlensError } from '../errors';
import { noteRunChange } from './changes';
import {
  parseJsonText,
  readJsonFile,
  readTextStamped,
  withLock,
  withLockSync,
  writeJsonAtomic,
} from './fsutil';
import { isRunId } from './ids';
import { checkSummaries, isRecord } from './schemas';
import type { RunRecord } from './types';
import { RUN_STATUSES } from './types';

export const RUN_SCHEMA_VERSION = 1;

import { ARTIFACTS_DIR, METRICS_FILE, OUTPUT_FILE, RUN_FILE } from './layout';

export { ARTIFACTS_DIR, METRICS_FILE, OUTPUT_FILE, RUN_FILE };

/**
 * Bring a run.json of any schema version this Runlens knows up to the current one. Version 1 is
 * the first; writers that predate optional fields (starred, note, script, summary) are filled in.
 * A newer version is refused so that nothing written by a newer Runlens is overwritten.
 */
export function migrateRun(raw: unknown, where: string): RunRecord {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new RunlensError(`${where}: run.json is not a JSON object`);
  }
  const o = raw as Record<string, unknown>;
  const version = o.schemaVersion;
  if (typeof version !== 'number') throw new RunlensError(`${where}: run.json has no schemaVersion`);
  if (version > RUN_SCHEMA_VERSION) {
    throw new RunlensError(
      `${where}: run.json has schema version ${version}, newer than this Runlens understands (${RUN_SCHEMA_VERSION})`,
      'upgrade Runlens to read this run; it was left untouched',
      'conflict',
    );
  }
  for (const field of ['id', 'experiment', 'status'] as const) {
    if (typeof o[field] !== 'string')
      throw new RunlensError(`${where}: run.json field "${field}" is missing or not text`);
  }
  if (!(RUN_STATUSES as readonly string[]).includes(o.status as string)) {
    throw new RunlensError(`${where}: run.json has unknown status ${JSON.stringify(o.status)}`);
  }
  if (typeof o.startTime !== 'number')
    throw new RunlensError(`${where}: run.json field "startTime" is not a number`);
  if (!isRunId(o.id)) throw new RunlensError(`${where}: run.json field "id" is not a run id`);
  let summary: RunRecord['summary'] = null;
  if (o.summary !== null && o.summary !== undefined) {
    const why = checkSummaries(o.summary);
    if (why !== undefined) {
      throw new RunlensError(
        `${where}: run.json field "summary"${why.startsWith('.') ? why : ' ' + why}`,
        'fix or remove the field; readers recompute the summary from metrics.jsonl when it is absent',
      );
    }
    summary = o.summary as RunRecord['summary'];
  }
  return {
    schemaVersion: RUN_SCHEMA_VERSION,
    id: o.id as string,
    experiment: o.experiment as string,
    name: typeof o.name === 'string' ? o.name : (o.id as string),
    status: o.status as RunRecord['status'],
    command: Array.isArray(o.command) ? (o.command as string[]) : null,
    cwd: typeof o.cwd === 'string' ? o.cwd : '',
    script: typeof o.script === 'string' ? o.script : null,
    params: isRecord(o.params) ? (o.params as RunRecord['params']) : {},
    tags: isRecord(o.tags) ? (o.tags as RunRecord['tags']) : {},
    starred: o.starred === true,
    startTime: o.startTime as number,
    endTime: typeof o.endTime === 'number' ? o.endTime : null,
    exitCode: typeof o.exitCode === 'number' ? o.exitCode : null,
    pid: typeof o.pid === 'number' ? o.pid : null,
    host: typeof o.host === 'string' ? o.host : '',
    git: isRecord(o.git) ? (o.git as unknown as RunRecord['git']) : null,
    environment: isRecord(o.environment)
      ? (o.environment as unknown as RunRecord['environment'])
      : { os: 'unknown', arch: 'unknown' },
    inputs: Array.isArray(o.inputs) ? (o.inputs as RunRecord['inputs']) : [],
    summary,
    note: typeof o.note === 'string' ? o.note : null,
    updatedAt: typeof o.updatedAt === 'number' ? o.updatedAt : (o.startTime as number),
    ...(isRecord(o.job) && typeof o.job.id === 'string' ? { job: o.job as unknown as RunRecord['job'] } : {}),
  };
}

export function readRunFile(runDir: string): RunRecord {
  const file = path.join(runDir, RUN_FILE);
  let raw: unknown;
  try {
    raw = readJsonFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RunlensError(`${file} does not exist`, undefined, 'notFound');
    }
    throw e;
  }
  return migrateRun(raw, file);
}

/** readRunFile, with the mtime of the run.json read (one open file: no separate stat). */
export function readRunFileStamped(runDir: string): { run: RunRecord; mtimeMs: number } {
  const file = path.join(runDir, RUN_FILE);
  let read: { text: string; mtimeMs: number };
  try {
    read = readTextStamped(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RunlensError(`${file} does not exist`, undefined, 'notFound');
    }
    throw e;
  }
  return { run: migrateRun(parseJsonText(read.text, file), file), mtimeMs: read.mtimeMs };
}

export function writeRunFile(runDir: string, run: RunRecord): void {
  writeJsonAtomic(path.join(runDir, RUN_FILE), { ...run, updatedAt: Date.now() });
  noteRunChange(runDir);
}

/** Read-modify-write of run.json under the run's lock, so edits from several processes all land. */
export function updateRunFile(runDir: string, change: (run: RunRecord) => void): Promise<RunRecord> {
  const file = path.join(runDir, RUN_FILE);
  return withLock(file, () => applyUpdate(runDir, change));
}

export function updateRunFileSync(runDir: string, change: (run: RunRecord) => void): RunRecord {
  return withLockSync(path.join(runDir, RUN_FILE), () => applyUpdate(runDir, change));
}

function applyUpdate(runDir: string, change: (run: RunRecord) => void): RunRecord {
  const run = readRunFile(runDir);
  change(run);
  run.updatedAt = Date.now();
  // Noted before and after: a writer killed between the write and its second note still leaves one.
  noteRunChange(runDir);
  writeJsonAtomic(path.join(runDir, RUN_FILE), run);
  noteRunChange(runDir);
  return run;
}

/** Is the process that owns a running run still alive? Only answerable on the run's own host. */
export function ownerAlive(run: Pick<RunRecord, 'pid' | 'host' | 'startTime'>): boolean | undefined {
  if (run.pid === null || run.host !== os.hostname()) return undefined;
  try {
    process.kill(run.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // kill(pid, 0) succeeds on a zombie (exited, not yet reaped by its parent): read its state.
  if (processState(run.pid) === 'dead') return false;
  return !pidReusedSince(run.pid, run.startTime);
}

/** 'dead' for a zombie (Z) or dying (X) process, per /proc/PID/stat; 'unknown' without /proc. */
export function processState(pid: number): 'alive' | 'dead' | 'unknown' {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync('/proc/self/stat')
      ? 'dead'
      : 'unknown';
  }
  // The state follows the command name, which is in parentheses and may itself hold ") ".
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X' || state === 'x' ? 'dead' : 'alive';
}

/** A pid that now belongs to a process started after the run began was reused by the OS. */
function pidReusedSince(pid: number, startTime: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]);
    const uptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const startedAt = Date.now() - (uptime - startTicks / 100) * 1000;
    return startedAt > startTime + 5_000;
  } catch {
    return false;
  }
}
