import * as os from 'node:os';
import { updateRunFile } from '../store/runFile';
import type { Store } from '../store/store';
import type { JobRecord, RunRecord } from '../store/types';
import type { LaunchedRun, ProcessEnd } from '../tracking/launcher';
import { runProcess } from '../tracking/launcher';
import { currentUser } from './watcher';

export interface JobTaskOptions {
  /** The run's experiment was given to the launcher (passed on as RUNLENS_EXPERIMENT). */
  explicitExperiment?: boolean;
  stdoutPattern?: string | false;
  followTensorBoard?: boolean;
  /** false: no system/ metrics sampled on the node. */
  systemMetrics?: false;
  env?: NodeJS.ProcessEnv;
}

/** This job's id as Slurm names it to the job ("123", or "123_4" for an array task). */
export function jobIdFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.SLURM_ARRAY_JOB_ID && env.SLURM_ARRAY_TASK_ID)
    return `${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}`;
  return env.SLURM_JOB_ID;
}

/**
 * Inside the job, on the compute node: mark the run running (with the node), run its command as a
 * tracked run here, and record an end the program chose (finished or failed, with its exit code) as
 * final. An end forced by a signal (scancel, the time limit, preemption) is left to the scheduler's
 * state, which the watcher records with its reason.
 */
export async function startJobTask(
  store: Store,
  runId: string,
  options: JobTaskOptions = {},
): Promise<LaunchedRun> {
  const env = options.env ?? process.env;
  const node = env.SLURMD_NODENAME || os.hostname();
  const now = Date.now();
  const run = await updateRunFile(store.runDir(runId), (r) => {
    if (r.status === 'queued') r.status = 'running';
    // No owner process a reader could check from another host: the scheduler owns the status.
    r.pid = null;
    r.host = os.hostname();
    r.job = {
      ...(r.job ?? placeholderJob(env)),
      state: 'RUNNING',
      reason: null,
      node,
      startTime: r.job?.startTime ?? now,
    };
  });
  store.recordRun(run);
  return runProcess(store, run, {
    experiment: options.explicitExperiment ? run.experiment : undefined,
    stdoutPattern: options.stdoutPattern,
    followTensorBoard: options.followTensorBoard,
    systemMetrics: options.systemMetrics,
    env: options.env,
    // Output already goes to output.log (and the job's own stdout is that file too).
    onOutput: () => undefined,
    recordEnd: recordJobEnd,
  });
}

function recordJobEnd(r: RunRecord, end: ProcessEnd): void {
  r.exitCode = end.exitCode;
  if (end.interrupted || !r.job) return;
  r.status = end.status;
  r.endTime = Date.now();
  r.job.state = end.exitCode === 0 ? 'COMPLETED' : 'FAILED';
  r.job.reason = null;
  r.job.settled = true;
}

/** The job record when the job started before its submitter wrote it (a fast scheduler). */
function placeholderJob(env: NodeJS.ProcessEnv): JobRecord {
  return {
    scheduler: 'slurm',
    id: jobIdFromEnv(env) ?? '',
    user: currentUser(),
    state: 'RUNNING',
    reason: null,
    node: null,
    submitTime: Date.now(),
    startTime: null,
    timeLimit: null,
    resources: {},
    settled: false,
  };
}
