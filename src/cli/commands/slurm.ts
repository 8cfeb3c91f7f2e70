import type { CliContext, Io } from '../context';
import type { Command } from 'commander';
import { Option } from 'commander';
import { RunlensError } from '../../core/errors';
import { formatNumber } from '../../core/format';
import { SWEEP_TAG, SlurmLauncher } from '../../core/slurm/launcher';
import { startJobTask } from '../../core/slurm/task';
import { reconcileJobs } from '../../core/slurm/watcher';
import type { Store } from '../../core/store/store';
import type { JobResources, ParamValue } from '../../core/store/types';
import { followOutput } from '../../core/tracking/followOutput';
import type { LaunchOptions, LaunchedRun, RunResult } from '../../core/tracking/launcher';
import { launchRun } from '../../core/tracking/launcher';
import { grid, parseSweep, parseTag } from '../../core/tracking/params';
import { collect, onSignals } from '../options';

const RESOURCE_FLAGS = ['partition', 'time', 'cpus', 'mem', 'gpus', 'gpuType', 'account', 'qos', 'sbatch'];

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new RunlensError(`${v} is not a whole number of at least 1`, undefined, 'usage');
  return n;
}

/** `--on` and the Slurm resource options, shared by `run` and `sweep`. */
export function addLaunchOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--on <target>', 'where the program runs').choices(['local', 'slurm']).default('local'),
    )
    .option('--partition <name>', 'Slurm partition')
    .option('--time <limit>', 'Slurm time limit: minutes, HH:MM:SS or D-HH:MM')
    .option('--cpus <n>', 'CPUs for the job (--cpus-per-task)', positiveInt)
    .option('--mem <size>', 'memory per node, e.g. 16G')
    .option('--gpus <n>', 'GPUs (--gres=gpu:N)', positiveInt)
    .option('--gpu-type <type>', 'GPU type (--gres=gpu:TYPE:N)')
    .option('--account <name>', 'Slurm account to charge')
    .option('--qos <name>', 'Slurm quality of service')
    .option(
      '--sbatch <option>',
      'a further #SBATCH option, repeatable: --sbatch=--constraint=a100',
      collect,
      [],
    )
    .option('--detach', 'on Slurm: submit and return, without waiting for the job');
}

/** The resources given on the command line; an error when they are given for a local run. */
export function resourcesOf(opts: Record<string, unknown>): JobResources | undefined {
  const given = RESOURCE_FLAGS.filter((k) =>
    k === 'sbatch' ? (opts.sbatch as string[]).length > 0 : opts[k] !== undefined,
  );
  if (opts.on !== 'slurm') {
    if (given.length || opts.detach)
      throw new RunlensError(
        `--${given[0] === 'gpuType' ? 'gpu-type' : (given[0] ?? 'detach')} applies to runs on a cluster`,
        'add --on slurm',
        'usage',
      );
    return undefined;
  }
  return {
    partition: opts.partition as string | undefined,
    time: opts.time as string | undefined,
    cpus: opts.cpus as number | undefined,
    mem: opts.mem as string | undefined,
    gpus: opts.gpus as number | undefined,
    gpuType: opts.gpuType as string | undefined,
    account: opts.account as string | undefined,
    qos: opts.qos as string | undefined,
    extra: (opts.sbatch as string[]).length ? (opts.sbatch as string[]) : undefined,
  };
}

/** A Slurm launcher with these resources; a usage error when sbatch is not on PATH. */
export function slurmLauncher(resources: JobResources): SlurmLauncher {
  const launcher = new SlurmLauncher({
    resources: Object.fromEntries(Object.entries(resources).filter(([, v]) => v !== undefined)),
  });
  if (!launcher.slurm.available())
    throw new RunlensError('sbatch is not on PATH', 'run on a Slurm login node, or use --on local', 'usage');
  return launcher;
}

/** Print a waited-for run's output as it arrives, until it has ended. */
async function follow(launched: LaunchedRun): Promise<RunResult> {
  const tail = followOutput(launched.outputFile, (c) => process.stdout.write(c));
  const stop = onSignals((signal) => launched.interrupt(signal), ['SIGINT', 'SIGTERM', 'SIGHUP']);
  try {
    return await launched.done;
  } finally {
    tail.stop();
    stop();
  }
}

function ended(io: Io, result: RunResult): void {
  const metrics = Object.entries(result.run.summary ?? {})
    .map(([k, s]) => `${k}=${formatNumber(s.last)}`)
    .join(' ');
  const reason = result.run.job?.reason && result.status === 'crashed' ? ` (${result.run.job.reason})` : '';
  io.err(
    `runlens: run ${result.run.id} ${result.status}${reason} (exit code ${result.exitCode})${metrics ? ': ' + metrics : ''}`,
  );
}

/** `runlens run --on slurm`: submit, then follow the job's output until it ends (unless --detach). */
export async function runOnSlurm(
  store: Store,
  options: LaunchOptions,
  opts: Record<string, unknown>,
  io: Io,
  setExit: (code: number) => void,
): Promise<void> {
  const launcher = slurmLauncher(resourcesOf(opts)!);
  const launched = await launcher.start(store, options);
  const run = launched.run;
  io.err(`runlens: run ${run.id} (${run.name}) in experiment "${run.experiment}": Slurm job ${run.job?.id}`);
  if (opts.detach) return;
  const result = await follow(launched);
  ended(io, result);
  setExit(result.exitCode);
}

/** `runlens sweep`, `runlens cancel` and the hidden `job-task` that generated batch scripts run. */
export function registerSlurmCommands(program: Command, ctx: CliContext): void {
  addLaunchOptions(
    program
      .command('sweep')
      .description('run a command once per combination of params (on Slurm: one job array)')
      .option('-e, --experiment <name>', 'experiment name', process.env.RUNLENS_EXPERIMENT)
      .option('-n, --name <name>', 'run name prefix')
      .option(
        '-p, --param <key=v1,v2>',
        'a parameter and its values, repeatable: every combination runs',
        collect,
        [],
      )
      .option('-t, --tag <key=value>', 'a tag, repeatable', collect, [])
      .option('-c, --concurrency <n>', 'at most n runs at once', positiveInt, 2)
      .option('--metric-pattern <regex>', 'regular expression with (?<key>) and (?<value>) groups')
      .option('--no-capture', 'do not read metrics from the program output'),
  )
    .argument('<command...>', 'the program and its arguments')
    .passThroughOptions()
    .addHelpText(
      'after',
      '\nExample:\n  runlens sweep --on slurm -p lr=0.1,0.01 -p bs=32,64 -c 2 -- python train.py',
    )
    .action((command: string[], opts: SweepOptions) => runSweep(command, opts, ctx));

  program
    .command('cancel')
    .description('cancel runs on a cluster (scancel), or a whole sweep by its name')
    .argument('<refs...>', 'run ids or names, or sweep names')
    .action((refs: string[]) => cancelRuns(refs, ctx));

  program
    .command('job-task', { hidden: true })
    .description('inside a Slurm job: run a queued run here (written into generated batch scripts)')
    .requiredOption('--run <id>', 'the run')
    .option('--experiment', 'the experiment was given explicitly')
    .option('--metric-pattern <regex>', 'regular expression for metrics printed by the program')
    .option('--no-capture', 'do not read metrics from the program output')
    .option('--no-tensorboard', 'do not follow TensorBoard files')
    .option('--no-system-metrics', 'do not sample CPU, memory and GPUs')
    .action((opts: JobTaskOptions) => runJobTask(opts, ctx));
}

/** A sweep on this machine: at most `concurrency` runs at once, each output in its output.log. */
async function localSweep(
  store: Store,
  options: LaunchOptions,
  paramSets: Record<string, ParamValue>[],
  concurrency: number,
  io: Io,
): Promise<RunResult[]> {
  const results: RunResult[] = new Array(paramSets.length);
  const active = new Set<LaunchedRun>();
  let stopped = false;
  const stop = onSignals((signal) => {
    stopped = true;
    for (const l of active) l.interrupt(signal);
  });
  let next = 0;
  const worker = async () => {
    while (next < paramSets.length && !stopped) {
      const i = next++;
      const launched = await launchRun(store, {
        ...options,
        name: options.name ? `${options.name}-${i}` : undefined,
        params: paramSets[i],
        onOutput: () => undefined,
        detached: true,
      });
      io.err(`  ${launched.run.id}  ${JSON.stringify(paramSets[i])}`);
      active.add(launched);
      results[i] = await launched.done;
      active.delete(launched);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paramSets.length) }, worker)).finally(stop);
  return results.filter(Boolean);
}

/** The options of `runlens sweep`, with the Slurm resource options of addLaunchOptions. */
export interface SweepOptions {
  experiment?: string;
  name?: string;
  param: string[];
  tag: string[];
  concurrency: number;
  metricPattern?: string;
  capture: boolean;
  detach?: boolean;
  [resource: string]: unknown;
}

export async function runSweep(
  command: string[],
  opts: SweepOptions,
  { io, setExit, openStore }: CliContext,
): Promise<void> {
  const paramSets = grid(parseSweep(opts.param));
  const tags = Object.fromEntries(opts.tag.map(parseTag));
  const store = openStore(true);
  const options: LaunchOptions = {
    command: command[0],
    args: command.slice(1),
    experiment: opts.experiment,
    name: opts.name,
    tags,
    stdoutPattern: opts.capture === false ? false : opts.metricPattern,
  };
  const resources = resourcesOf(opts);
  let results: RunResult[];
  if (resources) {
    const sweep = await slurmLauncher(resources).startSweep(store, {
      ...options,
      paramSets,
      concurrency: opts.concurrency,
    });
    io.err(
      `runlens: sweep ${sweep.sweep}: ${sweep.runs.length} runs as Slurm array ${sweep.jobId} (at most ${opts.concurrency} at once)`,
    );
    for (const l of sweep.runs) io.err(`  ${l.run.id}  ${l.run.job?.id}  ${JSON.stringify(l.run.params)}`);
    if (opts.detach) return;
    // SIGHUP (the terminal closed) leaves the jobs running; Ctrl-C and SIGTERM cancel them.
    const stop = onSignals(
      (signal) => {
        if (signal !== 'SIGHUP') void sweep.cancel();
      },
      ['SIGINT', 'SIGTERM', 'SIGHUP'],
    );
    results = await sweep.done.finally(stop);
  } else {
    results = await localSweep(store, options, paramSets, opts.concurrency, io);
  }
  for (const r of results) ended(io, r);
  setExit(results.every((r) => r.status === 'finished') ? 0 : 1);
}

/** Cancels the Slurm jobs of runs, or of every queued or running run of a sweep named by a ref. */
export async function cancelRuns(refs: string[], { io, openStore }: CliContext): Promise<void> {
  const store = openStore();
  const launcher = new SlurmLauncher();
  const jobs: string[] = [];
  for (const ref of refs) {
    const sweepRuns = store
      .listRuns()
      .entries.filter((e) => e.tags[SWEEP_TAG] === ref && (e.status === 'queued' || e.status === 'running'));
    if (sweepRuns.length) {
      const ids = sweepRuns.map((e) => store.getRun(e.id).job?.id).filter((j): j is string => !!j);
      jobs.push(...new Set(ids.map((j) => j.split('_')[0])));
      continue;
    }
    const run = store.getRun(ref);
    if (!run.job)
      throw new RunlensError(
        `run ${run.id} is not a cluster run`,
        'stop a local run from its terminal (Ctrl-C)',
        'usage',
      );
    if (run.job.settled || (run.status !== 'queued' && run.status !== 'running'))
      throw new RunlensError(`run ${run.id} has already ended (${run.status})`, undefined, 'usage');
    jobs.push(run.job.id);
  }
  await launcher.slurm.cancel(jobs);
  io.out(`cancelled Slurm job${jobs.length > 1 ? 's' : ''} ${jobs.join(' ')}`);
  await reconcileJobs(store);
}

export interface JobTaskOptions {
  run: string;
  experiment?: boolean;
  metricPattern?: string;
  capture: boolean;
  tensorboard: boolean;
  systemMetrics: boolean;
}

export async function runJobTask(opts: JobTaskOptions, { setExit, openStore }: CliContext): Promise<void> {
  const store = openStore();
  const launched = await startJobTask(store, opts.run, {
    explicitExperiment: opts.experiment === true,
    stdoutPattern: opts.capture === false ? false : opts.metricPattern,
    followTensorBoard: opts.tensorboard !== false,
    systemMetrics: opts.systemMetrics === false ? false : undefined,
  });
  const onSignal = (signal: NodeJS.Signals) => launched.interrupt(signal);
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) process.on(s, onSignal);
  const result = await launched.done;
  setExit(result.exitCode);
}
