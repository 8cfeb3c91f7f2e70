import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunlensError } from '../errors';
import { foldSummary, scanMetrics } from '../store/metrics';
import { ARTIFACTS_DIR, OUTPUT_FILE, RUN_FILE, updateRunFile } from '../store/runFile';
import type { Store } from '../store/store';
import type { InputFile, ParamValue, RunRecord, RunStatus } from '../store/types';
import { describeInput, gitInfo, relativeToRoot } from './environment';
import { launchEnv } from './launchEnv';
import { MetricLog } from './metricLog';
import { MAX_PARSED_LINE, StdoutMetricParser } from './stdoutMetrics';
import { TensorBoardFollow } from './tensorboardFollow';
import type { SystemMetricsOption } from './systemMetrics';
import { startSystemSampler } from './systemMetrics';

const TENSORBOARD_POLL_MS = 1000;

export interface LaunchOptions {
  command: string;
  args: string[];
  cwd?: string;
  experiment?: string;
  name?: string;
  params?: Record<string, ParamValue>;
  tags?: Record<string, string>;
  inputs?: string[];
  /** Added to this process's environment; the run's own variables come from launchEnv(). */
  env?: NodeJS.ProcessEnv;
  /** Regular expression with (?<key>) and (?<value>) groups; false turns capture off. */
  stdoutPattern?: string | false;
  /** Own process group, so stop() ends the program's children too (the editor's launches). */
  detached?: boolean;
  /** Called with each chunk of output; defaults to writing to this process's stdout/stderr. */
  onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  /** Follow TensorBoard event files written under cwd as the run's metrics (default true). */
  followTensorBoard?: boolean;
  /** Sample CPU, memory and GPUs as system/... metrics (default on; off: false or RUNLENS_SYSTEM_METRICS=0). */
  systemMetrics?: SystemMetricsOption;
}

/** How a program ended, as seen by the process that ran it. */
export interface ProcessEnd {
  status: RunStatus;
  exitCode: number;
  /** A signal ended it, or a stop was asked for: the end was not the program's own doing. */
  interrupted: boolean;
}

/** Options of running a recorded run's program here. */
export interface ProcessOptions extends Omit<LaunchOptions, 'command' | 'args' | 'cwd' | 'inputs'> {
  /**
   * Write the end into run.json (under its lock). By default the status, exit code and end time;
   * a cluster job leaves an interrupted end for the scheduler's reason.
   */
  recordEnd?: (run: RunRecord, end: ProcessEnd) => void;
}

/** Where a run's program runs: a child process here, or a job on a cluster. */
export type LaunchTarget = 'local' | 'slurm';

/**
 * Starts programs as tracked runs. The run exists in the store before its program starts; what
 * runs it (a child process, a cluster job) is the launcher's business, not the run's.
 */
export interface Launcher {
  readonly target: LaunchTarget;
  start(store: Store, options: LaunchOptions): Promise<LaunchedRun>;
}

export interface LaunchedRun {
  /** The run as recorded when it was started (or submitted). */
  run: RunRecord;
  /** The run's status as this launcher last saw it. */
  status(): RunStatus;
  /** The run's output file (output.log): everything the program prints, wherever it runs. */
  readonly outputFile: string;
  /** Resolves when the program has ended and the run is recorded. */
  done: Promise<RunResult>;
  /** Ask the program to stop (SIGTERM, then SIGKILL after `graceMs`); the run is marked killed. */
  stop(graceMs?: number): void;
  /** The user interrupted the run: mark it killed, and forward `signal` when given. */
  interrupt(signal?: NodeJS.Signals): void;
}

export interface RunResult {
  run: RunRecord;
  status: RunStatus;
  /** The program's exit code, or 128 + signal number when a signal ended it. */
  exitCode: number;
}

const SCRIPT_RE = /\.(py|js|mjs|cjs|ts|mts|sh|ipynb|r|jl)$/i;

/** The training script in a command line: the first argument that looks like a source file. */
export function scriptOf(command: string, args: string[]): string | null {
  return [command, ...args].find((a) => SCRIPT_RE.test(a) && !a.startsWith('-')) ?? null;
}

/** The local launcher: the program is a child process of this one. */
export const localLauncher: Launcher = { target: 'local', start: launchRun };

/**
 * Start a program as a tracked run: the run folder is created first (status running, command,
 * params, git state, inputs), output is teed to output.log and scanned for `key=value` metrics,
 * and the status, exit code and metric summary are written when the program ends.
 */
export async function launchRun(store: Store, options: LaunchOptions): Promise<LaunchedRun> {
  const run = await createLaunchedRun(store, options);
  return runProcess(store, run, options);
}

/**
 * Record a run about to be launched: command, working directory, params, tags, git state and
 * inputs. A run launched elsewhere (a cluster job) is created `queued` with no owner process here.
 */
export async function createLaunchedRun(
  store: Store,
  options: LaunchOptions,
  extra: { status?: RunStatus; pid?: number | null; change?: (r: RunRecord) => void } = {},
): Promise<RunRecord> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  if (!fs.existsSync(cwd))
    throw new RunlensError(`working directory ${cwd} does not exist`, undefined, 'usage');
  const inputs: InputFile[] = [];
  for (const input of options.inputs ?? []) inputs.push(await describeInput(input, cwd, store.root));
  const script = scriptOf(options.command, options.args);
  // A bad --metric-pattern is refused before a run exists (not a crashed run left behind).
  if (options.stdoutPattern !== false) new StdoutMetricParser(options.stdoutPattern);
  const run = store.createRun({
    experiment: options.experiment,
    name: options.name,
    command: [options.command, ...options.args],
    cwd,
    script: script ? relativeToRoot(path.resolve(cwd, script), store.root) : null,
    params: options.params ?? {},
    tags: options.tags ?? {},
    status: extra.status,
    pid: extra.pid,
  });
  const runDir = store.runDir(run.id);
  const git = gitInfo(cwd);
  if (git?.diff) git.info.diffArtifact = store.addArtifact(run.id, 'git.diff', git.diff);
  const recorded = await updateRunFile(runDir, (r) => {
    r.git = git?.info ?? null;
    r.inputs = inputs;
    extra.change?.(r);
  });
  store.recordRun(recorded);
  return recorded;
}

/**
 * Run the program of a recorded run here, as a child process: output teed to output.log and
 * scanned for metrics, TensorBoard files followed, and the end recorded. `run.command` and
 * `run.cwd` say what to run; `options` the rest.
 */
export function runProcess(store: Store, run: RunRecord, options: ProcessOptions): LaunchedRun {
  const [command, ...args] = run.command ?? [];
  if (command === undefined) throw new RunlensError(`run ${run.id} has no command to run`);
  const cwd = run.cwd;
  const runDir = store.runDir(run.id);
  const recorded = run;
  const output = fs.openSync(path.join(runDir, OUTPUT_FILE), 'a');
  // A run removed while it runs (`runlens rm`) is not written to any more, nor made again.
  const removed = () => !fs.existsSync(path.join(runDir, RUN_FILE));
  const metricLog = new MetricLog(store.metricsFile(run.id), removed);
  const parser = options.stdoutPattern === false ? undefined : new StdoutMetricParser(options.stdoutPattern);
  const clientMarker = path.join(runDir, 'client.json');
  let clientAttached = false;
  let stopRequested = false;

  const env = launchEnv(
    store,
    run.id,
    { ...process.env, ...options.env },
    { experiment: options.experiment ? run.experiment : undefined, params: run.params },
  );
  const child = spawn(command, args, {
    cwd,
    env,
    stdio: [options.detached ? 'ignore' : 'inherit', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });

  const onOutput =
    options.onOutput ??
    ((chunk: Buffer, stream: 'stdout' | 'stderr') =>
      (stream === 'stdout' ? process.stdout : process.stderr).write(chunk));
  const lineBuffers = { stdout: '', stderr: '' };
  const capture = (text: string) => {
    if (!parser) return;
    // Once a logging client is attached, its metrics are the truth: stop reading the output.
    clientAttached ||= fs.existsSync(clientMarker);
    if (clientAttached) return;
    for (const p of parser.parseLine(text)) metricLog.push({ ...p, time: Date.now(), source: 'stdout' });
  };
  const handle = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    onOutput(chunk, stream);
    fs.writeSync(output, chunk);
    const lines = chunk.toString('utf8').split(/\r?\n|\r/);
    // The pending start of a line is kept up to what the parser reads, so a line without end (a
    // progress bar, a dumped array) costs the same for each chunk however long it grows.
    lines[0] = (lineBuffers[stream] + lines[0]).slice(0, MAX_PARSED_LINE);
    lineBuffers[stream] = (lines.pop() ?? '').slice(0, MAX_PARSED_LINE);
    for (const line of lines) capture(line);
  };
  child.stdout?.on('data', handle('stdout'));
  child.stderr?.on('data', handle('stderr'));

  // Scalars a script writes with a TensorBoard writer become metrics while it trains; a logging
  // client, once attached, is the truth instead (as for captured output).
  const tensorboard =
    options.followTensorBoard === false
      ? undefined
      : new TensorBoardFollow(cwd, run.startTime, (p) => metricLog.push(p));
  const followTensorBoard = () => {
    clientAttached ||= fs.existsSync(clientMarker);
    if (!tensorboard || clientAttached) return;
    tensorboard.poll();
    for (const w of tensorboard.warnings.splice(0))
      fs.writeSync(
        output,
        `runlens: ${w.file}${w.offset !== undefined ? ` at byte ${w.offset}` : ''}: ${w.message}\n`,
      );
  };
  const tensorboardTimer = tensorboard ? setInterval(followTensorBoard, TENSORBOARD_POLL_MS) : undefined;
  const sampler = startSystemSampler(child.pid, options.systemMetrics, env, (p) => metricLog.push(p));

  const signalTarget = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null) return;
    try {
      if (options.detached) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      /* already gone */
    }
  };

  const done = new Promise<RunResult>((resolve, reject) => {
    let spawnError: Error | undefined;
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', (code, signal) => {
      for (const stream of ['stdout', 'stderr'] as const)
        if (lineBuffers[stream]) capture(lineBuffers[stream]);
      clearInterval(tensorboardTimer);
      sampler?.stop();
      followTensorBoard();
      metricLog.close();
      fs.closeSync(output);
      let status: RunStatus;
      let exitCode: number;
      let interrupted = stopRequested;
      if (spawnError) {
        const msg = `could not start ${command}: ${(spawnError as NodeJS.ErrnoException).code ?? spawnError.message}\n`;
        fs.appendFileSync(path.join(runDir, OUTPUT_FILE), msg);
        onOutput(Buffer.from(msg), 'stderr');
        status = 'failed';
        exitCode = 127;
      } else if (signal) {
        status = 'killed';
        exitCode = 128 + (signalNumber(signal) ?? 1);
        interrupted = true;
      } else {
        exitCode = code ?? 1;
        status = stopRequested ? 'killed' : exitCode === 0 ? 'finished' : 'failed';
      }
      const end = { status, exitCode, interrupted };
      if (removed()) {
        const msg = `runlens: run ${run.id} was removed while it ran; its end is not recorded\n`;
        onOutput(Buffer.from(msg), 'stderr');
        const last: RunRecord = structuredClone(recorded);
        (options.recordEnd ?? recordEnd)(last, end);
        resolve({ run: last, status: last.status, exitCode });
        return;
      }
      finalize(store, runDir, (r) => (options.recordEnd ?? recordEnd)(r, end))
        .then((finished) => resolve({ run: finished, status: finished.status, exitCode }))
        .catch(reject);
    });
  });

  let status: RunStatus = run.status;
  void done.then((r) => (status = r.status)).catch(() => undefined);
  return {
    run: recorded,
    status: () => status,
    outputFile: path.join(runDir, OUTPUT_FILE),
    done,
    stop(graceMs = 5_000) {
      stopRequested = true;
      signalTarget('SIGTERM');
      const t = setTimeout(() => signalTarget('SIGKILL'), graceMs);
      t.unref();
      child.once('close', () => clearTimeout(t));
    },
    interrupt(signal) {
      stopRequested = true;
      if (signal) signalTarget(signal);
    },
  };
}

function recordEnd(r: RunRecord, end: ProcessEnd): void {
  r.status = end.status;
  r.exitCode = end.exitCode;
  r.endTime = Date.now();
}

/** The metric summary of a run folder, from every writer of its metrics.jsonl. */
export function summarizeMetrics(runDir: string): NonNullable<RunRecord['summary']> {
  const summary: NonNullable<RunRecord['summary']> = {};
  scanMetrics(path.join(runDir, 'metrics.jsonl'), (p) => foldSummary(summary, p));
  return summary;
}

/** Write the end (status, exit code) and the metric summary. */
async function finalize(store: Store, runDir: string, end: (r: RunRecord) => void): Promise<RunRecord> {
  const summary = summarizeMetrics(runDir);
  fs.mkdirSync(path.join(runDir, ARTIFACTS_DIR), { recursive: true });
  const run = await updateRunFile(runDir, (r) => {
    end(r);
    r.summary = summary;
  });
  store.recordRun(run);
  return run;
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  const n = os.constants.signals[signal];
  return typeof n === 'number' ? n : undefined;
}
