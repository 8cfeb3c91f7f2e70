import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError } from '../errors';
import type { Store } from '../store/store';
import type { MetricSummary, RunRecord } from '../store/types';
import { TERMINAL_STATUSES, isSystemMetric } from '../store/types';
import { sha256File, relativeToRoot } from '../tracking/environment';
import { followOutput } from '../tracking/followOutput';
import type { LaunchTarget, LaunchedRun, Launcher, RunResult } from '../tracking/launcher';
import { localLauncher, summarizeMetrics } from '../tracking/launcher';
import type { EnvironmentDifference } from './environmentDiff';
import { environmentDifferences } from './environmentDiff';
import type { MetricCheck, ReproducePolicy } from './tolerance';
import { compareFinalMetrics, loadReproducePolicy } from './tolerance';
import type { Worktree } from './worktree';
import { addWorktree, applyDiff, firstLines, hasCommit, inside, repoTop } from './worktree';

/** The tag that links a reproduction to the run it reproduces. */
export const REPRODUCES_TAG = 'reproduces';
/**
 * Folder of the store holding the worktrees of reproductions that run on a cluster: the compute
 * node reads the checkout, so it sits on the filesystem every node shares, like the store.
 */
export const REPRODUCE_WORKTREES_DIR = 'reproduce';

/** Why a run cannot be reproduced (nothing was started). */
export type NotStartedReason =
  | 'not-ended'
  | 'no-command'
  | 'no-git'
  | 'no-repository'
  | 'no-commit'
  | 'no-diff'
  | 'diff-does-not-apply'
  | 'inputs-changed';

export class ReproduceError extends RunlensError {
  constructor(
    readonly reason: NotStartedReason,
    message: string,
    hint?: string,
    readonly inputs: InputCheck[] = [],
  ) {
    super(message, hint, reason === 'not-ended' ? 'conflict' : 'data');
    this.name = 'ReproduceError';
  }
}

/** A recorded input file against the file the reproduction reads. */
export interface InputCheck {
  /** The path as the original run recorded it. */
  path: string;
  recorded: string;
  /** sha256 of the file the reproduction reads (null: it is missing). */
  current: string | null;
  status: 'same' | 'changed' | 'missing';
  /** Where the reproduction reads it: the recorded commit (tracked in git) or the workspace. */
  from: 'commit' | 'workspace';
  /** The file that was hashed. */
  file: string;
}

export interface ReproduceOptions {
  /** Relative tolerance for every metric without its own (default: runlens.yaml, else 1e-6). */
  tolerance?: number;
  /** Inputs whose hash changed: go on (true) or stop (false). Default: stop. */
  onInputsChanged?: (changed: InputCheck[]) => boolean | Promise<boolean>;
  /** Progress lines (worktree made, diff applied, ...). */
  onProgress?: (message: string) => void;
  /** The reproduction was started (to forward signals, show output). */
  onLaunched?: (launched: LaunchedRun) => void;
  /** The program's output; default: this process's stdout/stderr. */
  onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  /** Added to this process's environment for the program. */
  env?: NodeJS.ProcessEnv;
  /** Own process group (the editor's launches). */
  detached?: boolean;
  /**
   * What runs the program: a local child process (default) or a cluster job (SlurmLauncher). The
   * verdict waits for the job's end; its output.log is followed into `onOutput` meanwhile.
   */
  launcher?: Launcher;
}

export type ReproduceVerdict = 'reproduced' | 'not reproduced';

export interface ReproduceResult {
  original: RunRecord;
  /** The reproduction, tagged `reproduces: <original id>`. */
  run: RunRecord;
  verdict: ReproduceVerdict;
  /** Why the verdict is "not reproduced" besides metrics (the program failed, nothing to compare). */
  reason: string | null;
  inputs: InputCheck[];
  environment: EnvironmentDifference[];
  metrics: MetricCheck[];
  /** Metrics the reproduction logged that the original did not. */
  extraMetrics: string[];
  /**
   * Files git did not track when the original ran (not its recorded inputs): the record names them
   * but holds no copy, so the reproduction ran without them. `untrackedCount` counts them all.
   */
  untracked: string[];
  untrackedCount: number;
  /**
   * Metrics added to the original after its program ended (by `runlens eval` or a pipeline's evaluate
   * stage): the reproduction runs the program only, so they are not compared.
   */
  laterMetrics: string[];
  policy: ReproducePolicy;
  /**
   * Milliseconds: worktree, diff and input check; the program (on a cluster: from submission to the
   * job's end, of which `queueMs` waiting for a node); everything including clean-up.
   */
  timings: { prepareMs: number; runMs: number; totalMs: number; queueMs?: number };
  /** Where the reproduction ran; the cluster job's id. */
  target: LaunchTarget;
  job: string | null;
  commit: string;
  diffApplied: boolean;
}

/** A run's checkout, ready to run: worktree, the working folder in it, the input checks. */
interface Prepared {
  worktree: Worktree;
  top: string;
  cwd: string;
  inputs: InputCheck[];
  diffApplied: boolean;
}

/**
 * Reproduce a recorded run: a temporary git worktree at its commit with its uncommitted diff applied,
 * its inputs checked against their recorded hashes, then the same command with the same params
 * through the local launcher. The new run is tagged `reproduces: ID`, and every final metric is
 * compared within tolerance. The worktree is removed in all cases.
 */
export async function reproduceRun(
  store: Store,
  ref: string,
  options: ReproduceOptions = {},
): Promise<ReproduceResult> {
  const t0 = Date.now();
  const original = store.getRun(ref);
  const policy = loadReproducePolicy(store.root);
  if (options.tolerance !== undefined) policy.tolerance = { relative: options.tolerance, absolute: 0 };
  const progress = options.onProgress ?? (() => undefined);
  const launcher = options.launcher ?? localLauncher;
  const parent = launcher.target === 'local' ? undefined : path.join(store.dir, REPRODUCE_WORKTREES_DIR);

  const prepared = await prepare(store, original, progress, parent);
  try {
    const untracked = untrackedOf(store, original, prepared.top);
    if (untracked.count)
      progress(
        `warning: ${untracked.count} file(s) were untracked when run ${original.id} ran; the reproduction does not have them: ${untracked.files.slice(0, 10).join(', ')}${untracked.count > 10 ? ', ...' : ''}`,
      );
    const changed = prepared.inputs.filter((i) => i.status !== 'same');
    if (changed.length) {
      const goOn = options.onInputsChanged ? await options.onInputsChanged(changed) : false;
      if (!goOn)
        throw new ReproduceError(
          'inputs-changed',
          `input${changed.length > 1 ? 's' : ''} of run ${original.id} changed since it ran:\n` +
            changed.map(describeChange).join('\n'),
          'restore the recorded data, or go on anyway (runlens reproduce --force)',
          prepared.inputs,
        );
    }
    const t1 = Date.now();
    const [command, ...args] = original.command ?? [];
    // Paths into the original's run folder (a notebook run's executed copy goes to its artifacts)
    // point into the worktree instead: the reproduction writes nothing into the run it checks.
    const outputs = path.join(prepared.worktree.dir, '.runlens-outputs');
    const mapArg = (a: string): string => {
      const rel = path.isAbsolute(a) ? inside(store.runDir(original.id), a) : null;
      if (rel === null) return mapPath(a, prepared);
      fs.mkdirSync(path.dirname(path.join(outputs, rel)), { recursive: true });
      return path.join(outputs, rel);
    };
    const launched = await launcher.start(store, {
      command: mapArg(command),
      args: args.map(mapArg),
      cwd: prepared.cwd,
      experiment: original.experiment,
      name: `${original.name} (reproduce)`,
      params: original.params,
      tags: { [REPRODUCES_TAG]: original.id },
      env: options.env,
      detached: options.detached,
      onOutput: options.onOutput,
    });
    const job = launched.run.job?.id ?? null;
    progress(`run ${launched.run.id} reproduces ${original.id}${job ? ` as Slurm job ${job}` : ''}`);
    options.onLaunched?.(launched);
    const ended = await waitWithOutput(launched, launcher.target, options.onOutput);
    const t2 = Date.now();
    keepOutputs(store, ended.run.id, outputs);
    const run = await relink(store, ended.run, original, prepared);
    const started = run.job?.startTime;
    const verdict = judge(store, original, run, policy);
    prepared.worktree.remove();
    return {
      original,
      run,
      ...verdict,
      inputs: prepared.inputs,
      untracked: untracked.files,
      untrackedCount: untracked.count,
      environment: environmentDifferences(original, run),
      policy,
      timings: {
        prepareMs: t1 - t0,
        runMs: t2 - t1,
        totalMs: Date.now() - t0,
        ...(run.job && started ? { queueMs: Math.max(0, started - run.job.submitTime) } : {}),
      },
      target: launcher.target,
      job,
      commit: original.git?.commit ?? '',
      diffApplied: prepared.diffApplied,
    };
  } finally {
    prepared.worktree.remove();
  }
}

/** The end of the run; a cluster job's output.log is followed meanwhile (a local run's comes by onOutput). */
async function waitWithOutput(
  launched: LaunchedRun,
  target: LaunchTarget,
  onOutput: ReproduceOptions['onOutput'],
): Promise<RunResult> {
  if (target === 'local') return launched.done;
  const write = onOutput ?? ((chunk: Buffer) => process.stdout.write(chunk));
  const tail = followOutput(launched.outputFile, (chunk) => write(chunk, 'stdout'));
  try {
    return await launched.done;
  } finally {
    tail.stop();
  }
}

/** The untracked files the record names, less the run's inputs (those are linked into the worktree). */
function untrackedOf(store: Store, run: RunRecord, top: string): { files: string[]; count: number } {
  const named = run.git?.untracked ?? [];
  const inputs = new Set(
    (run.inputs ?? []).map((i) => inside(top, path.resolve(store.root, i.path))?.split(path.sep).join('/')),
  );
  const files = named.filter((f) => !inputs.has(f));
  const count = (run.git?.untrackedCount ?? named.length) - (named.length - files.length);
  return { files, count };
}

function describeChange(i: InputCheck): string {
  return i.status === 'missing'
    ? `  ${i.path}: missing (${i.file})`
    : `  ${i.path}: sha256 ${i.current?.slice(0, 12)}, recorded ${i.recorded.slice(0, 12)} (${i.file})`;
}

async function prepare(
  store: Store,
  run: RunRecord,
  progress: (m: string) => void,
  worktreeParent: string | undefined,
): Promise<Prepared> {
  if (!TERMINAL_STATUSES.has(run.status))
    throw new ReproduceError('not-ended', `run ${run.id} is ${run.status}: reproduce it once it has ended`);
  if (!run.command?.length)
    throw new ReproduceError(
      'no-command',
      `run ${run.id} has no recorded command (it was started by its script or imported): there is nothing to run again`,
    );
  if (!run.git)
    throw new ReproduceError(
      'no-git',
      `run ${run.id} was recorded without git: ${run.cwd} was not in a git repository when it ran, so there is no commit to check out`,
      'commit the code and track runs from inside the repository',
    );
  const { commit } = run.git;
  const top = repoTop(run.cwd) ?? repoTop(store.root);
  if (!top)
    throw new ReproduceError(
      'no-repository',
      `run ${run.id} was recorded at commit ${commit.slice(0, 12)}, but neither ${run.cwd} nor ${store.root} is in a git repository now`,
    );
  if (!hasCommit(top, commit))
    throw new ReproduceError(
      'no-commit',
      `run ${run.id} was recorded at commit ${commit.slice(0, 12)}, which is not in the repository at ${top}`,
      'fetch it (git fetch), or restore the branch it was on',
    );
  const relCwd = inside(top, run.cwd);
  if (relCwd === null)
    throw new ReproduceError(
      'no-repository',
      `run ${run.id} ran in ${run.cwd}, outside the repository at ${top}`,
    );
  let diff = '';
  if (run.git.dirty) {
    const file = run.git.diffArtifact ? path.join(store.runDir(run.id), run.git.diffArtifact) : null;
    if (!file || !fs.existsSync(file))
      throw new ReproduceError(
        'no-diff',
        `run ${run.id} ran with uncommitted changes, but their diff is not in the run (${file ?? 'no git.diff artifact'})`,
      );
    diff = fs.readFileSync(file, 'utf8');
  }
  const worktree = addWorktree(top, commit, worktreeParent);
  try {
    progress(`checked out ${commit.slice(0, 12)} in ${worktree.dir}`);
    if (diff.trim()) {
      const r = applyDiff(worktree.dir, diff);
      if (!r.ok)
        throw new ReproduceError(
          'diff-does-not-apply',
          `the uncommitted diff recorded with run ${run.id} no longer applies to commit ${commit.slice(0, 12)}:\n${firstLines(r.stderr)}`,
          `the diff is ${path.join(store.runDir(run.id), run.git.diffArtifact ?? 'artifacts/git.diff')}`,
        );
      progress(`applied the recorded uncommitted diff (${diff.split('\n').length} lines)`);
    }
    const prepared: Prepared = {
      worktree,
      top,
      cwd: path.join(worktree.dir, relCwd),
      inputs: [],
      diffApplied: diff.trim() !== '',
    };
    if (!fs.existsSync(prepared.cwd)) fs.mkdirSync(prepared.cwd, { recursive: true });
    prepared.inputs = await checkInputs(store, run, prepared);
    return prepared;
  } catch (e) {
    worktree.remove();
    throw e;
  }
}

/**
 * Each recorded input against the file the reproduction will read: a file inside the repository
 * that the commit (or the diff) has is read from the worktree; one that git does not track (data
 * kept out of the repository) is read from the workspace, linked into the worktree at its place.
 */
async function checkInputs(store: Store, run: RunRecord, p: Prepared): Promise<InputCheck[]> {
  const checks: InputCheck[] = [];
  for (const input of run.inputs ?? []) {
    const abs = path.isAbsolute(input.path) ? input.path : path.resolve(store.root, input.path);
    const rel = inside(p.top, abs);
    let file = abs;
    let from: InputCheck['from'] = 'workspace';
    if (rel !== null) {
      const inTree = path.join(p.worktree.dir, rel);
      if (fs.existsSync(inTree)) {
        file = inTree;
        from = 'commit';
      } else if (fs.existsSync(abs)) {
        fs.mkdirSync(path.dirname(inTree), { recursive: true });
        fs.symlinkSync(abs, inTree);
      }
    }
    const current = fs.existsSync(file) ? await sha256File(file) : null;
    const status = current === null ? 'missing' : current === input.sha256 ? 'same' : 'changed';
    checks.push({ path: input.path, recorded: input.sha256, current, status, from, file });
  }
  return checks;
}

/** An absolute path into the repository, moved into the worktree when the worktree has it. */
/** What the reproduction wrote in place of the original's artifacts becomes the new run's artifacts. */
function keepOutputs(store: Store, id: string, outputs: string): void {
  const artifacts = path.join(outputs, 'artifacts');
  if (!fs.existsSync(artifacts)) return;
  for (const entry of fs.readdirSync(artifacts, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    store.addArtifact(id, path.relative(artifacts, file), fs.readFileSync(file));
  }
}

function mapPath(arg: string, p: Prepared): string {
  if (!path.isAbsolute(arg)) return arg;
  const rel = inside(p.top, arg);
  if (rel === null) return arg;
  const moved = path.join(p.worktree.dir, rel);
  return fs.existsSync(moved) ? moved : arg;
}

/**
 * The reproduction ran in a temporary worktree that is about to go: record it at the original's
 * folder and script (so Re-run works), and its inputs under the paths the original recorded.
 */
async function relink(store: Store, run: RunRecord, original: RunRecord, p: Prepared): Promise<RunRecord> {
  const back = (file: string): string => {
    const abs = path.isAbsolute(file) ? file : path.resolve(store.root, file);
    const rel = inside(p.worktree.dir, abs);
    return rel === null ? file : relativeToRoot(path.join(p.top, rel), store.root);
  };
  const updated = await store.updateRun(run.id, (r) => {
    r.cwd = original.cwd;
    r.script = original.script;
    r.tags[REPRODUCES_TAG] = original.id;
    const inputs = (r.inputs ?? []).map((i) => ({ ...i, path: back(i.path) }));
    for (const c of p.inputs)
      if (c.current && !inputs.some((i) => i.path === c.path))
        inputs.push({ path: c.path, size: fs.statSync(c.file).size, sha256: c.current });
    r.inputs = inputs;
    // The inputs linked into the worktree were untracked there; they are recorded as inputs.
    const linked = new Set(
      p.inputs.map((c) => inside(p.top, path.resolve(store.root, c.path))?.split(path.sep).join('/')),
    );
    if (r.git?.untracked) {
      r.git.untracked = r.git.untracked.filter((f) => !linked.has(f));
      if (!r.git.untracked.length) delete r.git.untracked;
    }
  });
  return updated;
}

function summaryOf(store: Store, run: RunRecord): Record<string, MetricSummary> {
  return run.summary ?? summarizeMetrics(store.runDir(run.id));
}

const lastValues = (summary: Record<string, MetricSummary>, keys: string[]): Record<string, number> =>
  Object.fromEntries(keys.map((k) => [k, summary[k].last]));

function judge(
  store: Store,
  original: RunRecord,
  run: RunRecord,
  policy: ReproducePolicy,
): Pick<ReproduceResult, 'verdict' | 'reason' | 'metrics' | 'extraMetrics' | 'laterMetrics'> {
  const sa = summaryOf(store, original);
  const sb = summaryOf(store, run);
  // A point logged after the run's end time was not logged by its program.
  const ended = original.endTime ?? Infinity;
  const laterMetrics = Object.keys(sa)
    .filter((k) => sa[k].lastTime > ended)
    .sort();
  const own = Object.keys(sa).filter((k) => !laterMetrics.includes(k));
  const metrics = compareFinalMetrics(lastValues(sa, own), lastValues(sb, Object.keys(sb)), policy);
  const extraMetrics = Object.keys(sb)
    .filter((k) => !(k in sa) && !isSystemMetric(k))
    .sort();
  let reason: string | null = null;
  if (run.status !== original.status)
    reason = `the reproduction ${run.status} (exit code ${run.exitCode}); the original ${original.status} (exit code ${original.exitCode})`;
  else if (!metrics.length) reason = `run ${original.id} recorded no metrics: there is nothing to compare`;
  const ok = reason === null && metrics.every((m) => m.within);
  return { verdict: ok ? 'reproduced' : 'not reproduced', reason, metrics, extraMetrics, laterMetrics };
}
