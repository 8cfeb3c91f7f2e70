import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError, errorMessage } from '../errors';
import { newRunId } from '../store/ids';
import { OUTPUT_FILE, updateRunFile } from '../store/runFile';
import type { Store } from '../store/store';
import type { InputFile, JobRecord, JobResources, ParamValue, RunRecord, RunStatus } from '../store/types';
import { describeInput, gitInfo, relativeToRoot } from '../tracking/environment';
import { clientPaths } from '../tracking/launchEnv';
import type { LaunchOptions, LaunchedRun, Launcher, RunResult } from '../tracking/launcher';
import { scriptOf } from '../tracking/launcher';
import { batchScript } from './script';
import { Slurm, parseDuration } from './slurm';
import type { WatcherOptions } from './watcher';
import { JobWatcher, currentUser } from './watcher';

/** The tag that names the sweep (job array) a run belongs to. */
export const SWEEP_TAG = 'sweep';
/** Folder of the store holding generated batch scripts. */
export const JOBS_DIR = 'jobs';

export interface SlurmConfig {
  resources?: JobResources;
  /**
   * The command that runs the runlens CLI on the compute node (default: this Node binary and the
   * CLI of this Runlens). Both must be reachable from the nodes, like the store.
   */
  runner?: string[];
  slurm?: Slurm;
  watcher?: WatcherOptions;
}

export interface SweepOptions extends LaunchOptions {
  /** One set of params per run (array task). */
  paramSets: Record<string, ParamValue>[];
  /** At most this many tasks run at once (the array's %N throttle). */
  concurrency?: number;
}

export interface LaunchedSweep {
  sweep: string;
  /** The array's job id. */
  jobId: string;
  runs: LaunchedRun[];
  /** Cancel the whole array. */
  cancel(): Promise<void>;
  done: Promise<RunResult[]>;
}

/** The default runner: this Node binary and the built CLI of this Runlens. */
export function defaultRunner(): { runner: string[]; env: Record<string, string> } {
  const cli = path.join(clientPaths().packageRoot, 'dist', 'cli.js');
  // Inside the editor, process.execPath is the editor's Electron/Node binary.
  const env: Record<string, string> = process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {};
  const node = process.env.RUNLENS_NODE || process.execPath;
  return { runner: [node, cli], env };
}

/**
 * Runs programs as Slurm batch jobs: each run is created at once (status queued, with its job
 * id), a generated batch script runs `runlens job-task` on the compute node, which runs the command
 * as a tracked run there (output to output.log, metrics, the end). The store's one watcher follows
 * the job and records why Slurm ended it when the program did not (TIMEOUT, OUT_OF_MEMORY, ...).
 */
export class SlurmLauncher implements Launcher {
  readonly target = 'slurm' as const;
  readonly slurm: Slurm;

  constructor(private readonly config: SlurmConfig = {}) {
    this.slurm = config.slurm ?? new Slurm();
  }

  watcher(store: Store): JobWatcher {
    return JobWatcher.forStore(store, { slurm: this.slurm, ...this.config.watcher });
  }

  async start(store: Store, options: LaunchOptions): Promise<LaunchedRun> {
    const runs = await this.createRuns(store, options, [options.params ?? {}], undefined);
    const jobId = await this.submit(store, options, runs, undefined);
    return this.launched(store, runs[0], jobId);
  }

  /** A sweep as ONE job array: one run per parameter set, tagged with the sweep. */
  async startSweep(store: Store, options: SweepOptions): Promise<LaunchedSweep> {
    if (options.paramSets.length === 0) throw new RunlensError('a sweep needs at least one set of params');
    const sweep = options.tags?.[SWEEP_TAG] ?? `sweep-${newRunId()}`;
    const runs = await this.createRuns(store, options, options.paramSets, sweep);
    const concurrency = options.concurrency && options.concurrency > 0 ? options.concurrency : undefined;
    const arrayId = await this.submit(store, options, runs, { sweep, throttle: concurrency });
    const launched = runs.map((run, i) => this.launched(store, run, `${arrayId}_${i}`));
    return {
      sweep,
      jobId: arrayId,
      runs: launched,
      cancel: () => this.slurm.cancel([arrayId]),
      get done() {
        return Promise.all(launched.map((l) => l.done));
      },
    };
  }

  /** Record the runs before anything is submitted: queued, owned by this process until submitted. */
  private async createRuns(
    store: Store,
    options: LaunchOptions,
    paramSets: Record<string, ParamValue>[],
    sweep: string | undefined,
  ): Promise<RunRecord[]> {
    const cwd = path.resolve(options.cwd ?? process.cwd());
    if (!fs.existsSync(cwd))
      throw new RunlensError(`working directory ${cwd} does not exist`, undefined, 'usage');
    const inputs: InputFile[] = [];
    for (const input of options.inputs ?? []) inputs.push(await describeInput(input, cwd, store.root));
    const script = scriptOf(options.command, options.args);
    const git = gitInfo(cwd);
    const runs: RunRecord[] = [];
    for (const params of paramSets) {
      const run = store.createRun({
        experiment: options.experiment,
        name: options.name
          ? paramSets.length > 1
            ? `${options.name}-${runs.length}`
            : options.name
          : undefined,
        command: [options.command, ...options.args],
        cwd,
        script: script ? relativeToRoot(path.resolve(cwd, script), store.root) : null,
        params,
        tags: { ...options.tags, ...(sweep ? { [SWEEP_TAG]: sweep } : {}) },
        status: 'queued',
        git: git ? { ...git.info, diffArtifact: null } : null,
        inputs,
      });
      let recorded = run;
      if (git?.diff) {
        const diffArtifact = store.addArtifact(run.id, 'git.diff', git.diff);
        recorded = await updateRunFile(store.runDir(run.id), (r) => {
          if (r.git) r.git.diffArtifact = diffArtifact;
        });
      }
      store.recordRun(recorded);
      runs.push(recorded);
    }
    return runs;
  }

  /**
   * Write the batch script and submit it; record the job on every run (`runs` is updated in place),
   * or, when it is refused, why.
   */
  private async submit(
    store: Store,
    options: LaunchOptions,
    runs: RunRecord[],
    array: { sweep: string; throttle?: number } | undefined,
  ): Promise<string> {
    const resources = this.config.resources ?? {};
    const { runner, env } = this.config.runner ? { runner: this.config.runner, env: {} } : defaultRunner();
    const runnerArgs: string[] = [];
    if (options.experiment) runnerArgs.push('--experiment');
    if (options.stdoutPattern === false) runnerArgs.push('--no-capture');
    else if (options.stdoutPattern) runnerArgs.push('--metric-pattern', options.stdoutPattern);
    if (options.followTensorBoard === false) runnerArgs.push('--no-tensorboard');
    if (options.systemMetrics === false) runnerArgs.push('--no-system-metrics');
    const cwd = runs[0].cwd;
    const jobsDir = path.join(store.dir, JOBS_DIR, array ? array.sweep : runs[0].id);
    let output: string;
    let script: string;
    try {
      script = batchScript({
        resources,
        array,
        runner: [...runner, '--store', store.dir],
        runnerArgs,
        env,
        runIds: runs.map((r) => r.id),
      });
      fs.mkdirSync(jobsDir, { recursive: true });
      if (array) {
        // Slurm names each task's output by its index: a link per task to its run's output.log.
        runs.forEach((r, i) =>
          fs.symlinkSync(path.relative(jobsDir, store.outputFile(r.id)), path.join(jobsDir, `${i}.log`)),
        );
        output = path.join(jobsDir, '%a.log');
      } else output = store.outputFile(runs[0].id);
    } catch (e) {
      await this.refused(store, runs, errorMessage(e));
      throw e;
    }
    const scriptFile = path.join(jobsDir, 'job.sh');
    fs.writeFileSync(scriptFile, script, { mode: 0o755 });
    const submitEnv = { ...process.env, ...options.env };
    const name = `runlens-${runs[0].name}`.replace(/[^\w.-]/g, '_').slice(0, 64);
    let jobId: string;
    const submitTime = Date.now();
    try {
      jobId = await this.slurm.submit(scriptFile, submitEnv, [
        `--job-name=${name}`,
        `--chdir=${cwd}`,
        `--output=${output}`,
        '--open-mode=append',
      ]);
    } catch (e) {
      await this.refused(store, runs, errorMessage(e));
      throw e;
    }
    const user = currentUser();
    const timeLimit = resources.time ? parseDuration(resources.time) : null;
    await Promise.all(
      runs.map(async (run, i) => {
        const base: JobRecord = {
          scheduler: 'slurm',
          id: array ? `${jobId}_${i}` : jobId,
          user,
          state: 'PENDING',
          reason: null,
          node: null,
          submitTime,
          startTime: null,
          timeLimit,
          resources,
          ...(array ? { sweep: array.sweep } : {}),
          settled: false,
        };
        const recorded = await updateRunFile(store.runDir(run.id), (r) => {
          // The job may already have started and written its side (state, node): keep it.
          r.job = r.job
            ? { ...base, ...r.job, resources, submitTime, timeLimit: r.job.timeLimit ?? timeLimit }
            : base;
          if (r.status === 'queued') r.pid = null;
        });
        store.recordRun(recorded);
        runs[i] = recorded;
      }),
    );
    return jobId;
  }

  /** sbatch refused the job: the runs fail with the reason in their output. */
  private async refused(store: Store, runs: RunRecord[], why: string): Promise<void> {
    for (const run of runs) {
      fs.appendFileSync(path.join(store.runDir(run.id), OUTPUT_FILE), `runlens: not submitted: ${why}\n`);
      const r = await updateRunFile(store.runDir(run.id), (x) => {
        x.status = 'failed';
        x.endTime = Date.now();
        x.pid = null;
      });
      store.recordRun(r);
    }
  }

  private launched(store: Store, run: RunRecord, jobId: string): LaunchedRun {
    const watcher = this.watcher(store);
    // Waiting starts when someone asks for the end: a detached submission leaves nothing polling.
    let done: Promise<RunResult> | undefined;
    let last: RunStatus = run.status;
    const cancel = () =>
      void this.slurm.cancel([jobId]).catch((e) => {
        fs.appendFileSync(store.outputFile(run.id), `runlens: ${errorMessage(e)}\n`);
      });
    return {
      run,
      status: () => watcher.statusOf(run.id) ?? last,
      outputFile: store.outputFile(run.id),
      get done() {
        if (!done) {
          done = watcher.wait(run.id, jobId);
          void done.then((r) => (last = r.status));
        }
        return done;
      },
      stop: cancel,
      // A hang-up (the terminal closed) leaves the job running; anything else cancels it.
      interrupt: (signal) => {
        if (signal !== 'SIGHUP') cancel();
      },
    };
  }
}
