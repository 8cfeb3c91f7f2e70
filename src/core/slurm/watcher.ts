import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { errorMessage } from '../errors';
import { OUTPUT_FILE, readRunFile, updateRunFile } from '../store/runFile';
import type { Store } from '../store/store';
import type { JobRecord, RunRecord, RunStatus } from '../store/types';
import { TERMINAL_STATUSES } from '../store/types';
import type { RunResult } from '../tracking/launcher';
import { summarizeMetrics } from '../tracking/launcher';
import type { JobState } from './slurm';
import { CRASH_STATES, ENDED_STATES, QUEUED_STATES, Slurm } from './slurm';

export interface WatcherOptions {
  /** First and shortest wait between polls (default 1 s). */
  minIntervalMs?: number;
  /** Longest wait, reached while nothing changes (default 10 s). */
  maxIntervalMs?: number;
  slurm?: Slurm;
}

export interface PollResult {
  /** Runs whose record changed in this poll. */
  changed: string[];
  /** Runs whose job ended and was recorded in this poll. */
  settled: string[];
  /** Why the scheduler could not be asked (the runs are left as they were). */
  error?: string;
}

interface Watched {
  runId: string;
  jobId: string;
  /** What was last written from the scheduler's answer, so an unchanged job costs no write. */
  seen: string;
  status: RunStatus;
  waiters: ((r: RunResult) => void)[];
}

/** The name under which the current user's jobs run: only their runs are reconciled here. */
export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? '';
  }
}

/** What slurmstepd wrote into the job's output when it ended it, when nothing else says. */
export function endFromOutput(runDir: string): string | undefined {
  let text: string;
  try {
    const fd = fs.openSync(path.join(runDir, OUTPUT_FILE), 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      text = buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const ends = [...text.matchAll(/\*\*\* JOB \S+ ON \S+ CANCELLED AT \S+(?: DUE TO ([A-Z ]+?))? \*\*\*/g)];
  const last = ends.at(-1);
  if (last) {
    const why = last[1];
    if (why === 'TIME LIMIT') return 'TIMEOUT';
    if (why === 'PREEMPTION') return 'PREEMPTED';
    if (why === 'NODE FAILURE') return 'NODE_FAIL';
    return 'CANCELLED';
  }
  if (/oom[-_ ]kill event/i.test(text)) return 'OUT_OF_MEMORY';
  return undefined;
}

/** The run's state for a job that is queued or running. */
function applyLive(r: RunRecord, row: JobState): void {
  const job = r.job!;
  job.state = row.state;
  job.reason = row.reason;
  if (row.node) job.node = row.node;
  if (row.timeLimit !== null) job.timeLimit = row.timeLimit;
  if (!QUEUED_STATES.has(row.state)) {
    if (job.startTime === null && row.startTime !== null) job.startTime = row.startTime;
    if (r.status === 'queued') r.status = 'running';
  }
}

const VANISHED = 'VANISHED';

function seenKey(row: JobState): string {
  return `${row.state}|${row.reason}|${row.node}|${row.timeLimit}`;
}

async function eachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The run's end from the job's final state (undefined: the scheduler no longer knows the job). */
function applyEnd(
  r: RunRecord,
  final: JobState | undefined,
  fromOutput: string | undefined,
  summary: NonNullable<RunRecord['summary']>,
): void {
  const job = r.job!;
  const state = final?.state ?? fromOutput ?? VANISHED;
  job.state = state;
  job.settled = true;
  if (final?.node) job.node = final.node;
  if (job.startTime === null && final?.startTime) job.startTime = final.startTime;
  const open = !TERMINAL_STATUSES.has(r.status);
  if (CRASH_STATES.has(state)) {
    r.status = 'crashed';
    job.reason = state;
  } else if (open) {
    job.reason = null;
    if (state === 'COMPLETED') r.status = 'finished';
    else if (state === 'CANCELLED') r.status = 'killed';
    else if (state === VANISHED) {
      r.status = 'crashed';
      job.reason = 'the job left the scheduler with no end recorded';
    } else r.status = 'failed';
  } else job.reason = null;
  if (r.exitCode === null) r.exitCode = final?.exitCode ?? null;
  if (r.endTime === null) r.endTime = final?.endTime ?? Date.now();
  if (r.summary === null) r.summary = summary;
}

/**
 * One watcher per store: polls the scheduler for all the store's cluster runs it watches with ONE
 * squeue call, writes what changed (queued -> running, pending reason, node), and records the end
 * of jobs that left the queue from sacct (accounting on) or scontrol. Polls back off while nothing
 * changes. It only ever writes runs submitted by the current user.
 */
export class JobWatcher {
  private static readonly byStore = new Map<string, JobWatcher>();

  /** The store's watcher (created on first use). */
  static forStore(store: Store, options: WatcherOptions = {}): JobWatcher {
    let w = JobWatcher.byStore.get(store.dir);
    if (!w) {
      w = new JobWatcher(store, options);
      JobWatcher.byStore.set(store.dir, w);
    }
    return w;
  }

  readonly slurm: Slurm;
  readonly user = currentUser();
  private readonly watched = new Map<string, Watched>();
  private readonly listeners = new Set<(result: PollResult) => void>();
  private readonly minMs: number;
  private readonly maxMs: number;
  private intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<PollResult> | undefined;
  private following = 0;
  private disposed = false;
  /** The last error of a poll, cleared by a successful one. */
  lastError: string | undefined;

  private constructor(
    private readonly store: Store,
    options: WatcherOptions,
  ) {
    this.slurm = options.slurm ?? new Slurm();
    this.minMs = options.minIntervalMs ?? (Number(process.env.RUNLENS_SLURM_POLL_MS) || 1_000);
    this.maxMs = Math.max(this.minMs, options.maxIntervalMs ?? 10_000);
    this.intervalMs = this.minMs;
  }

  /** Runs watched and not yet ended. */
  get size(): number {
    return this.watched.size;
  }

  /** Watch a run's job (no polling starts for it alone: see wait and follow). */
  add(runId: string, jobId: string, status: RunStatus = 'queued'): void {
    if (this.watched.has(runId)) return;
    this.watched.set(runId, { runId, jobId, seen: '', status, waiters: [] });
    this.intervalMs = this.minMs;
  }

  /** The status last seen for a watched run. */
  statusOf(runId: string): RunStatus | undefined {
    return this.watched.get(runId)?.status;
  }

  /** Resolves when the run's job has ended and the run is recorded; polls until then. */
  wait(runId: string, jobId: string): Promise<RunResult> {
    this.add(runId, jobId);
    const w = this.watched.get(runId)!;
    const done = new Promise<RunResult>((resolve) => w.waiters.push(resolve));
    this.reschedule(true);
    return done;
  }

  /** Keep polling while runs are watched (the editor), until the returned function is called. */
  follow(): () => void {
    this.following++;
    this.reschedule(false);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      this.following--;
      this.reschedule(false);
    };
  }

  onPoll(listener: (result: PollResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ask the scheduler now (one squeue call; sacct/scontrol only for jobs that left the queue). */
  poll(): Promise<PollResult> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    JobWatcher.byStore.delete(this.store.dir);
  }

  private async pollOnce(): Promise<PollResult> {
    const result: PollResult = { changed: [], settled: [] };
    if (this.watched.size === 0) return result;
    try {
      const rows = await this.slurm.queue(this.user);
      const byId = new Map(rows.map((r) => [r.id, r]));
      const gone: Watched[] = [];
      const live: [Watched, JobState][] = [];
      for (const w of this.watched.values()) {
        const row = byId.get(w.jobId);
        if (!row) gone.push(w);
        else if (seenKey(row) !== w.seen) live.push([w, row]);
      }
      // Writes overlap (a few at a time): a thousand pending reasons cost less than a thousand in a row.
      await eachLimit(live, 16, async ([w, row]) => {
        await this.updateLive(w, row);
        result.changed.push(w.runId);
      });
      if (gone.length) {
        const finals = await this.slurm.ended(gone.map((w) => w.jobId));
        for (const w of gone) {
          const final = finals.get(w.jobId);
          // Not in the queue yet not ended: it went back to the queue between the two calls.
          if (final && !ENDED_STATES.has(final.state)) continue;
          await this.settle(w, final);
          result.changed.push(w.runId);
          result.settled.push(w.runId);
        }
      }
      this.lastError = undefined;
    } catch (e) {
      result.error = errorMessage(e);
      this.lastError = result.error;
    }
    this.intervalMs = result.changed.length
      ? this.minMs
      : Math.min(this.maxMs, Math.round(this.intervalMs * 1.5));
    for (const l of this.listeners) l(result);
    return result;
  }

  private async updateLive(w: Watched, row: JobState): Promise<void> {
    w.seen = seenKey(row);
    const runDir = this.store.runDir(w.runId);
    const run = await updateRunFile(runDir, (r) => {
      if (r.job && !r.job.settled && r.job.id === w.jobId) applyLive(r, row);
    });
    w.status = run.status;
    this.store.recordRun(run);
  }

  private async settle(w: Watched, final: JobState | undefined): Promise<void> {
    const runDir = this.store.runDir(w.runId);
    let run: RunRecord;
    try {
      const current = readRunFile(runDir);
      if (current.job && !current.job.settled) {
        const summary = summarizeMetrics(runDir);
        const fromOutput = final ? undefined : endFromOutput(runDir);
        run = await updateRunFile(runDir, (r) => {
          if (r.job && !r.job.settled && r.job.id === w.jobId) applyEnd(r, final, fromOutput, summary);
        });
        this.store.recordRun(run);
      } else run = current;
    } catch (e) {
      // The run folder is gone (removed): stop watching it.
      this.watched.delete(w.runId);
      throw e;
    }
    this.watched.delete(w.runId);
    w.status = run.status;
    for (const resolve of w.waiters) resolve({ run, status: run.status, exitCode: run.exitCode ?? 1 });
  }

  private reschedule(now: boolean): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.disposed || this.watched.size === 0) return;
    const waiting = [...this.watched.values()].some((w) => w.waiters.length > 0);
    if (!waiting && this.following === 0) return;
    const delay = now ? 0 : this.intervalMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll().then(() => this.reschedule(false));
    }, delay);
    // Only a process waiting on a job is kept alive by the watcher.
    if (!waiting) this.timer.unref();
  }
}

/** A run's job, when it is a cluster job of this user that still needs reconciling. */
export function openJob(run: RunRecord, user = currentUser()): JobRecord | undefined {
  const job = run.job;
  return job && job.scheduler === 'slurm' && !job.settled && job.user === user ? job : undefined;
}

/**
 * Reconcile the store's queued and running cluster runs with the scheduler: one poll (one squeue
 * call), after which a job that vanished with no end recorded is marked crashed with the reason.
 * Runs of other users are left to them. Does nothing (no call) when no such run is open.
 */
export async function reconcileJobs(
  store: Store,
  options: WatcherOptions & { runIds?: string[] } = {},
): Promise<PollResult & { checked: number }> {
  const ids =
    options.runIds ??
    store
      .listRuns()
      .entries.filter((e) => e.status === 'queued' || e.status === 'running')
      .map((e) => e.id);
  const user = currentUser();
  const open: { id: string; job: JobRecord; status: RunStatus }[] = [];
  for (const id of ids) {
    try {
      const run = readRunFile(store.runDir(id));
      const job = openJob(run, user);
      if (job && job.id) open.push({ id, job, status: run.status });
    } catch {
      /* unreadable runs are listed as such elsewhere */
    }
  }
  if (open.length === 0) return { checked: 0, changed: [], settled: [] };
  const watcher = JobWatcher.forStore(store, options);
  if (!watcher.slurm.available())
    return { checked: 0, changed: [], settled: [], error: 'Slurm commands (squeue) are not on PATH' };
  for (const o of open) watcher.add(o.id, o.job.id, o.status);
  const result = await watcher.poll();
  return { ...result, checked: open.length };
}
