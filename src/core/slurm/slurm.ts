import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError } from '../errors';

/** A job as the scheduler reports it (squeue while queued or running; scontrol/sacct after). */
export interface JobState {
  /** "123", or "123_4" for an array task. */
  id: string;
  state: string;
  /** Pending reason ("Resources", "Priority", ...), null when Slurm says None. */
  reason: string | null;
  node: string | null;
  /** Epoch ms; null when not started (or not known). */
  startTime: number | null;
  endTime: number | null;
  /** Seconds; null: unlimited or not known. */
  timeLimit: number | null;
  /** The batch script's exit code, when ended. */
  exitCode: number | null;
}

export interface Partition {
  name: string;
  isDefault: boolean;
  available: boolean;
  /** Seconds; null: unlimited. */
  timeLimit: number | null;
  nodes: number;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Job states in which the program has not started yet. */
export const QUEUED_STATES: ReadonlySet<string> = new Set([
  'PENDING',
  'CONFIGURING',
  'REQUEUED',
  'REQUEUE_FED',
  'REQUEUE_HOLD',
  'RESV_DEL_HOLD',
]);

/** Job states that end a job for a reason outside the program: the run is crashed with it. */
export const CRASH_STATES: ReadonlySet<string> = new Set([
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
]);

/** Job states after which nothing more happens. */
export const ENDED_STATES: ReadonlySet<string> = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'SPECIAL_EXIT',
  ...CRASH_STATES,
]);

export const SQUEUE_FORMAT = '%i|%T|%r|%N|%S|%l';

/** Rows of `squeue -h -r -o SQUEUE_FORMAT`. */
export function parseSqueue(text: string): JobState[] {
  const out: JobState[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [id, state, reason, node, start, limit] = line.trim().split('|');
    if (!id || !state) continue;
    out.push({
      id,
      state: baseState(state),
      reason: noneToNull(reason),
      node: noneToNull(node),
      startTime: state === 'PENDING' ? null : parseSlurmTime(start),
      endTime: null,
      timeLimit: parseDuration(limit),
      exitCode: null,
    });
  }
  return out;
}

/** Records of `scontrol -o show job ID`: one line per job or array task, `Key=Value` fields. */
export function parseScontrol(text: string): JobState[] {
  const out: JobState[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('JobId=')) continue;
    const f: Record<string, string> = {};
    for (const m of line.matchAll(/(?:^|\s)([A-Za-z][\w/:]*)=(\S*)/g)) f[m[1]] ??= m[2];
    // The tasks of an array not yet started are one record with their range ("1-3%2", "2,4-5").
    const tasks = f.ArrayTaskId !== undefined && f.ArrayJobId ? expandTasks(f.ArrayTaskId) : [undefined];
    for (const task of tasks)
      out.push({
        id: task === undefined ? f.JobId : `${f.ArrayJobId}_${task}`,
        state: baseState(f.JobState ?? 'UNKNOWN'),
        reason: noneToNull(f.Reason),
        node: noneToNull(f.NodeList),
        startTime: parseSlurmTime(f.StartTime),
        endTime: parseSlurmTime(f.EndTime),
        timeLimit: parseDuration(f.TimeLimit),
        exitCode: parseExitCode(f.ExitCode),
      });
  }
  return out;
}

/** "1-3%2" -> [1, 2, 3]; "2,4-5" -> [2, 4, 5]. */
function expandTasks(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part);
    if (!m) continue;
    const [from, to, step] = [Number(m[1]), Number(m[2] ?? m[1]), Number(m[3] ?? 1)];
    for (let t = from; t <= to; t += step) out.push(t);
  }
  return out;
}

export const SACCT_FIELDS = 'JobID,State,Reason,NodeList,Start,End,Timelimit,ExitCode';

/** Rows of `sacct -n -X -P -o SACCT_FIELDS`. */
export function parseSacct(text: string): JobState[] {
  const out: JobState[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [id, state, reason, node, start, end, limit, exit] = line.trim().split('|');
    if (!id || !state || id.includes('.')) continue;
    out.push({
      id,
      state: baseState(state),
      reason: noneToNull(reason),
      node: noneToNull(node),
      startTime: parseSlurmTime(start),
      endTime: parseSlurmTime(end),
      timeLimit: parseDuration(limit),
      exitCode: parseExitCode(exit),
    });
  }
  return out;
}

/** `sinfo -h -o '%P|%a|%l|%D'`: one row per partition, the default marked with `*`. */
export function parseSinfo(text: string): Partition[] {
  const out: Partition[] = [];
  for (const line of text.split('\n')) {
    const [name, avail, limit, nodes] = line.trim().split('|');
    if (!name) continue;
    out.push({
      name: name.replace(/\*$/, ''),
      isDefault: name.endsWith('*'),
      available: avail === 'up',
      timeLimit: parseDuration(limit),
      nodes: Number(nodes) || 0,
    });
  }
  return out;
}

/** "CANCELLED by 1000" -> CANCELLED. */
function baseState(s: string): string {
  return s.trim().split(/[\s+]/)[0].toUpperCase();
}

function noneToNull(s: string | undefined): string | null {
  const t = s?.trim();
  return !t || t === 'None' || t === '(null)' || t === 'N/A' || t === 'None assigned' ? null : t;
}

/** "3:0" (exit code 3, signal 0) -> 3; a signal s -> 128 + s. */
export function parseExitCode(s: string | undefined): number | null {
  const m = /^(\d+):(\d+)$/.exec(s?.trim() ?? '');
  if (!m) return null;
  const [code, signal] = [Number(m[1]), Number(m[2])];
  return signal > 0 ? 128 + signal : code;
}

/** Slurm durations: "UNLIMITED", "30" (minutes, sbatch), "MM:SS", "H:MM:SS", "D-HH[:MM[:SS]]". */
export function parseDuration(s: string | undefined): number | null {
  const t = s?.trim();
  if (!t || /^(UNLIMITED|INFINITE|N\/A|NONE|INVALID|Partition_Limit)$/i.test(t)) return null;
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t);
  if (!m) return null;
  const [days, a, b, c] = [m[1], m[2], m[3], m[4]].map((x) => (x === undefined ? undefined : Number(x)));
  if (days !== undefined) return days * 86400 + (a ?? 0) * 3600 + (b ?? 0) * 60 + (c ?? 0);
  if (c !== undefined) return a! * 3600 + b! * 60 + c;
  if (b !== undefined) return a! * 60 + b;
  return a! * 60;
}

/** "2026-12-02T18:24:09" in the controller's (and, on a cluster, this machine's) local time. */
export function parseSlurmTime(s: string | undefined): number | null {
  const t = s?.trim();
  if (!t || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(t)) return null;
  const ms = new Date(t).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/** Whether a program is on PATH (without running it). */
export function onPath(program: string, envPath = process.env.PATH ?? ''): boolean {
  return envPath
    .split(path.delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        fs.accessSync(path.join(dir, program), fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/**
 * The Slurm commands Runlens uses, run as child processes (never through a shell). Every call is
 * counted, so tests and benchmarks can check how many calls a poll costs.
 */
export class Slurm {
  readonly calls: Record<string, number> = {};
  private accountingKnown: boolean | undefined;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** True when `sbatch` is on PATH. */
  available(): boolean {
    return onPath('sbatch', this.env.PATH);
  }

  exec(program: string, args: string[], env?: NodeJS.ProcessEnv): Promise<CommandResult> {
    this.calls[program] = (this.calls[program] ?? 0) + 1;
    return new Promise((resolve) => {
      execFile(
        program,
        args,
        { env: env ?? this.env, maxBuffer: 256 * 1024 * 1024, timeout: 60_000 },
        (error, stdout, stderr) => {
          const code =
            error === null
              ? 0
              : typeof (error as { code?: unknown }).code === 'number'
                ? ((error as { code: number }).code as number)
                : -1;
          const why =
            error && code === -1
              ? `${program}: ${(error as NodeJS.ErrnoException).code ?? error.message}`
              : '';
          resolve({ stdout: String(stdout), stderr: String(stderr) || why, code });
        },
      );
    });
  }

  /** Submit a batch script; returns the job id. `env` is the job's environment (--export=ALL). */
  async submit(scriptFile: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<string> {
    const r = await this.exec('sbatch', ['--parsable', ...args, scriptFile], env);
    const id = r.stdout.trim().split(';')[0];
    if (r.code !== 0 || !/^\d+$/.test(id)) {
      throw new RunlensError(
        `sbatch refused the job: ${(r.stderr || r.stdout).trim() || `exit code ${r.code}`}`,
        'check the resources (partition, time, memory, GPUs, account, qos) against `sinfo` and your limits',
        'usage',
      );
    }
    return id;
  }

  /** Every queued or running job of `user`, array tasks one per row: ONE squeue call. */
  async queue(user: string): Promise<JobState[]> {
    const r = await this.exec('squeue', ['-h', '-r', '-u', user, '-o', SQUEUE_FORMAT]);
    if (r.code !== 0) throw new RunlensError(`squeue failed: ${r.stderr.trim() || `exit code ${r.code}`}`);
    return parseSqueue(r.stdout);
  }

  /**
   * The final state of jobs no longer queued: from accounting (one sacct call) when it is on, else
   * from the controller's memory of recent jobs (one scontrol call per job or array). A job the
   * scheduler has forgotten is absent from the answer; a failed query throws (nothing is assumed).
   */
  async ended(ids: string[]): Promise<Map<string, JobState>> {
    const out = new Map<string, JobState>();
    if (ids.length === 0) return out;
    if (await this.accounting()) {
      const r = await this.exec('sacct', ['-n', '-X', '-P', '-j', ids.join(','), '-o', SACCT_FIELDS]);
      if (r.code !== 0) throw new RunlensError(`sacct failed: ${r.stderr.trim()}`);
      for (const j of parseSacct(r.stdout)) out.set(j.id, j);
      if (ids.every((id) => out.has(id))) return out;
    }
    const bases = [...new Set(ids.map((id) => id.split('_')[0]))];
    for (const base of bases) {
      const r = await this.exec('scontrol', ['-o', 'show', 'job', base]);
      if (r.code !== 0) {
        if (/invalid job id/i.test(r.stderr)) continue;
        throw new RunlensError(`scontrol failed: ${r.stderr.trim() || `exit code ${r.code}`}`);
      }
      for (const j of parseScontrol(r.stdout)) if (!out.has(j.id)) out.set(j.id, j);
    }
    return out;
  }

  /** Is job accounting (sacct) on? Asked once. */
  async accounting(): Promise<boolean> {
    if (this.accountingKnown === undefined) {
      const r = await this.exec('sacct', ['-n', '-X', '-P', '-j', '1', '-o', 'JobID']);
      this.accountingKnown = r.code === 0 && !/disabled/i.test(r.stderr);
    }
    return this.accountingKnown;
  }

  async cancel(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const r = await this.exec('scancel', ids);
    if (r.code !== 0) throw new RunlensError(`scancel ${ids.join(' ')} failed: ${r.stderr.trim()}`);
  }

  async partitions(): Promise<Partition[]> {
    const r = await this.exec('sinfo', ['-h', '-o', '%P|%a|%l|%D']);
    if (r.code !== 0) throw new RunlensError(`sinfo failed: ${r.stderr.trim()}`);
    return parseSinfo(r.stdout);
  }
}
