import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError, errorMessage } from '../errors';
import { mkdirp, readJsonFile, withLock, writeJsonAtomic } from '../store/fsutil';
import { newRunId } from '../store/ids';
import { PIPELINE_DIR, PIPELINE_RUNS_DIR } from '../store/layout';
import type { Store } from '../store/store';
import type { ParamValue } from '../store/types';
import { TAG_PIPELINE_RUN, TAG_STAGE } from '../store/types';
import { SlurmLauncher } from '../slurm/launcher';
import { followOutput } from '../tracking/followOutput';
import { localLauncher } from '../tracking/launcher';
import { runAction } from './actions';
import { HashCache, sha256Text } from './hash';
import { stageRefs, topoOrder, upstreamOf } from './graph';
import type { PipelineDef, PipelineRunResult, StageDef, StageEvent, StageResult } from './types';

export const PIPELINE_STATE_VERSION = 1;

/** What a stage's last successful run saw: the up-to-date check compares against it. */
export interface StageRecord {
  fingerprint: string;
  command: string;
  params: Record<string, ParamValue>;
  deps: Record<string, string | null>;
  outs: Record<string, string | null>;
  runId: string;
  pipelineRun: string;
  finishedAt: number;
}

export interface PipelineState {
  schemaVersion: number;
  stages: Record<string, StageRecord>;
}

/** One pipeline run as kept in .runlens/pipeline/runs/<id>.json (for status and lineage). */
export interface PipelineRunRecord {
  schemaVersion: number;
  id: string;
  file: string;
  trigger: string;
  startTime: number;
  endTime: number | null;
  ok: boolean | null;
  stages: StageResult[];
  /** What each stage that ran or was up to date used: inputs' hashes and params. */
  inputs: Record<string, { deps: Record<string, string | null>; params: Record<string, ParamValue> }>;
}

export interface RunPipelineOptions {
  /** Run only this stage and the stages it depends on. */
  stage?: string;
  /** Run stages even when up to date. */
  force?: boolean;
  /** Why the pipeline runs ("manual", "watch: data/train.csv changed", "cron 0 * * * *"). */
  trigger?: string;
  onEvent?: (e: StageEvent) => void;
  onOutput?: (stage: string, chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  env?: NodeJS.ProcessEnv;
}

/** The pipeline's records in a store (or in the store folder `store`). */
export function pipelineDir(store: Store | string): string {
  return path.join(typeof store === 'string' ? store : store.dir, PIPELINE_DIR);
}

export function readState(store: Store): PipelineState {
  const file = path.join(pipelineDir(store), 'state.json');
  if (!fs.existsSync(file)) return { schemaVersion: PIPELINE_STATE_VERSION, stages: {} };
  const raw = readJsonFile<PipelineState>(file);
  if (raw.schemaVersion > PIPELINE_STATE_VERSION) {
    throw new RunlensError(
      `${file} has schema version ${raw.schemaVersion}, newer than this Runlens understands`,
      'upgrade Runlens',
      'conflict',
    );
  }
  return raw;
}

export function readPipelineRun(store: Store, id: string): PipelineRunRecord {
  return readJsonFile<PipelineRunRecord>(path.join(pipelineDir(store), 'runs', `${id}.json`));
}

/**
 * The recorded pipeline runs, oldest first (ids sort by time); `last` reads only the newest ones.
 * With `skipUnreadable` a record that cannot be read is left out instead of failing the listing.
 */
export function listPipelineRuns(
  store: Store,
  o: { last?: number; skipUnreadable?: boolean } = {},
): PipelineRunRecord[] {
  const dir = path.join(pipelineDir(store), PIPELINE_RUNS_DIR);
  if (!fs.existsSync(dir)) return [];
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  return files.slice(o.last === undefined ? 0 : -o.last).flatMap((f) => {
    try {
      return [readJsonFile<PipelineRunRecord>(path.join(dir, f))];
    } catch (e) {
      if (o.skipUnreadable) return [];
      throw e;
    }
  });
}

/** The stages a run of `target` (or of everything) covers, in dependency order. */
export function selectStages(p: PipelineDef, target?: string): StageDef[] {
  const { order, cycle } = topoOrder(p);
  if (cycle) throw new RunlensError(`cycle between stages: ${cycle.join(' -> ')}`, undefined, 'data');
  const byName = new Map(p.stages.map((s) => [s.name, s]));
  if (target === undefined) return order.map((n) => byName.get(n)!);
  if (!byName.has(target)) {
    throw new RunlensError(`${p.file}: no stage "${target}"`, `stages: ${order.join(', ')}`, 'usage');
  }
  const keep = new Set<string>();
  const add = (n: string) => {
    if (keep.has(n)) return;
    keep.add(n);
    for (const up of upstreamOf(p, byName.get(n)!)) add(up);
  };
  add(target);
  return order.filter((n) => keep.has(n)).map((n) => byName.get(n)!);
}

/** The params a stage declares (as DVC: a stage depends only on the params it names). */
function stageParams(p: PipelineDef, s: StageDef): Record<string, ParamValue> {
  if (!s.params) return {};
  return Object.fromEntries(s.params.filter((k) => k in p.params).map((k) => [k, p.params[k]]));
}

function describeCommand(s: StageDef): string {
  return s.cmd ?? `action ${s.action} ${JSON.stringify(s.with)}`;
}

/** A command without shell syntax runs directly (so the run records its script); others through the shell. */
function commandLine(cmd: string): { command: string; args: string[] } {
  if (/^[\w./=:@%+,-]+(\s+[\w./=:@%+,-]+)*$/.test(cmd.trim())) {
    const words = cmd.trim().split(/\s+/);
    return { command: words[0], args: words.slice(1) };
  }
  return process.platform === 'win32'
    ? { command: process.env.ComSpec ?? 'cmd.exe', args: ['/d', '/s', '/c', cmd] }
    : { command: '/bin/sh', args: ['-c', cmd] };
}

function hashPaths(p: PipelineDef, cache: HashCache, list: string[]): Record<string, string | null> {
  return Object.fromEntries(list.map((d) => [d, cache.hash(path.resolve(p.root, d))]));
}

/** What decides whether a stage is up to date: its command, params, inputs' hashes, and linked stage runs. */
function stageInputs(p: PipelineDef, s: StageDef, cache: HashCache, stageRuns: Map<string, string>) {
  const params = stageParams(p, s);
  const deps = hashPaths(p, cache, s.deps);
  // Stages an action reads by run (gate of `run: train`) or orders after rerun when those reran.
  const linked = [...new Set([...s.after, ...stageRefs(s)])].sort().map((u) => [u, stageRuns.get(u) ?? null]);
  const command = describeCommand(s);
  const fingerprint = sha256Text(JSON.stringify({ command, params, deps, linked }));
  return { fingerprint, command, params, deps };
}

function outsIntact(p: PipelineDef, cache: HashCache, s: StageDef, prev: StageRecord): boolean {
  const outs = hashPaths(p, cache, s.outs);
  return s.outs.every((o) => outs[o] !== null && outs[o] === prev.outs[o]);
}

/** Whether a stage would be skipped by a run now, and if not, why. */
export interface StageFreshness {
  stage: string;
  upToDate: boolean;
  /** "never ran", "changed: data/train.csv, param lr", "after train reruns", "outs changed: model.json". */
  why?: string;
}

/**
 * Which stages a run now would skip, without running anything (the same check as the runner's):
 * a stage is stale when its command, params or inputs changed since its last successful run, its
 * outs were changed or removed, or a stage it depends on is stale.
 */
export function pipelineStatus(store: Store, pipeline: PipelineDef): StageFreshness[] {
  const state = readState(store);
  const cache = new HashCache(path.join(pipelineDir(store), 'hashcache.json'));
  const stageRuns = new Map(Object.entries(state.stages).map(([n, r]) => [n, r.runId]));
  const stale = new Set<string>();
  const out: StageFreshness[] = [];
  for (const s of selectStages(pipeline)) {
    const prev = state.stages[s.name];
    const up = upstreamOf(pipeline, s).find((u) => stale.has(u));
    let why: string | undefined;
    if (!prev) why = 'never ran';
    else if (up) why = `after ${up} reruns`;
    else {
      const now = stageInputs(pipeline, s, cache, stageRuns);
      if (now.fingerprint !== prev.fingerprint) {
        const changed = [
          ...(now.command !== prev.command ? ['command'] : []),
          ...Object.keys({ ...now.deps, ...prev.deps }).filter((d) => now.deps[d] !== prev.deps[d]),
          ...Object.keys({ ...now.params, ...prev.params })
            .filter((k) => JSON.stringify(now.params[k]) !== JSON.stringify(prev.params[k]))
            .map((k) => `param ${k}`),
        ];
        why = changed.length ? `changed: ${changed.join(', ')}` : 'a linked stage ran again';
      } else if (!outsIntact(pipeline, cache, s, prev)) {
        why = `outs changed: ${s.outs.join(', ')}`;
      }
    }
    if (why) stale.add(s.name);
    out.push(why ? { stage: s.name, upToDate: false, why } : { stage: s.name, upToDate: true });
  }
  return out;
}

/**
 * Run a pipeline: stages in dependency order, each a tracked run tagged with the pipeline run and
 * stage; up-to-date stages are skipped; a failure blocks the stages after it. State is written
 * atomically after each successful stage, so an interrupted run keeps what finished.
 */
export async function runPipeline(
  store: Store,
  pipeline: PipelineDef,
  options: RunPipelineOptions = {},
): Promise<PipelineRunResult> {
  const stages = selectStages(pipeline, options.stage);
  const dir = pipelineDir(store);
  mkdirp(dir);
  // One pipeline at a time per store (the editor, a terminal and the watcher may all ask).
  const lock = path.join(dir, 'running');
  try {
    return await withLock(lock, () => runStages(store, pipeline, stages, options));
  } catch (e) {
    if (e instanceof RunlensError && e.kind === 'conflict' && e.message.startsWith(lock)) {
      throw new RunlensError(
        `another pipeline is running on ${store.dir}`,
        'wait for it to finish (runlens pipeline status)',
        'conflict',
      );
    }
    throw e;
  }
}

async function runStages(
  store: Store,
  pipeline: PipelineDef,
  stages: StageDef[],
  options: RunPipelineOptions,
): Promise<PipelineRunResult> {
  const id = newRunId();
  const started = Date.now();
  const dir = pipelineDir(store);
  mkdirp(path.join(dir, 'runs'));
  const cache = new HashCache(path.join(dir, 'hashcache.json'));
  const record: PipelineRunRecord = {
    schemaVersion: PIPELINE_STATE_VERSION,
    id,
    file: pipeline.file,
    trigger: options.trigger ?? 'manual',
    startTime: started,
    endTime: null,
    ok: null,
    stages: [],
    inputs: {},
  };
  const recordFile = path.join(dir, 'runs', `${id}.json`);
  writeJsonAtomic(recordFile, record);
  const emit = (e: Omit<StageEvent, 'pipelineRun'>) => options.onEvent?.({ pipelineRun: id, ...e });
  for (const s of stages) emit({ stage: s.name, state: 'queued' });

  const state = readState(store);
  const stageRuns = new Map<string, string>();
  for (const [name, rec] of Object.entries(state.stages)) stageRuns.set(name, rec.runId);
  const outcome = new Map<string, StageResult>();
  const finish = (r: StageResult) => {
    outcome.set(r.stage, r);
    record.stages.push(r);
    emit({ stage: r.stage, state: r.state, reason: r.reason, runId: r.runId, durationMs: r.durationMs });
  };

  for (const s of stages) {
    const t0 = Date.now();
    const ups = upstreamOf(pipeline, s);
    const bad = ups.find((u) => {
      const st = outcome.get(u)?.state;
      return st === 'failed' || st === 'blocked';
    });
    if (bad) {
      finish({ stage: s.name, state: 'blocked', reason: `blocked by ${bad}`, durationMs: 0 });
      continue;
    }
    const hashes = (list: string[]) => hashPaths(pipeline, cache, list);
    const { fingerprint, command, params, deps } = stageInputs(pipeline, s, cache, stageRuns);
    const prev = state.stages[s.name];
    record.inputs[s.name] = { deps, params };
    if (!options.force && prev && prev.fingerprint === fingerprint) {
      if (outsIntact(pipeline, cache, s, prev)) {
        finish({
          stage: s.name,
          state: 'skipped',
          reason: 'up to date',
          runId: prev.runId,
          durationMs: Date.now() - t0,
        });
        continue;
      }
    }

    let runId: string | undefined;
    let failure: string | undefined;
    let reason: string | undefined;
    const tags = { [TAG_PIPELINE_RUN]: id, [TAG_STAGE]: s.name };
    const experiment = s.experiment ?? pipeline.experiment;
    try {
      if (s.cmd) {
        const { command: prog, args } = commandLine(s.cmd);
        const onOutput = options.onOutput
          ? (c: Buffer, st: 'stdout' | 'stderr') => options.onOutput!(s.name, c, st)
          : () => undefined;
        const launcher = s.on === 'slurm' ? new SlurmLauncher({ resources: s.resources }) : localLauncher;
        const launched = await launcher.start(store, {
          command: prog,
          args,
          cwd: pipeline.root,
          experiment,
          name: `${s.name}`,
          params,
          tags,
          inputs: s.deps.filter((d) => {
            const st = fs.statSync(path.resolve(pipeline.root, d), { throwIfNoEntry: false });
            return st?.isFile() ?? false;
          }),
          env: options.env,
          onOutput,
          followTensorBoard: false,
        });
        runId = launched.run.id;
        emit({ stage: s.name, state: 'running', runId });
        // A cluster job writes its output.log on the node: pass it on as it grows.
        const tail =
          launcher.target === 'slurm'
            ? followOutput(launched.outputFile, (c) => onOutput(c, 'stdout'))
            : undefined;
        const result = await launched.done.finally(() => tail?.stop());
        if (result.status !== 'finished') {
          const crash = result.status === 'crashed' ? result.run.job?.reason : undefined;
          failure = crash
            ? `crashed on the cluster: ${crash}`
            : result.exitCode === 127
              ? `command not found or not startable (exit code 127)`
              : `exit code ${result.exitCode}`;
        }
      } else {
        const run = store.createRun({
          experiment,
          name: s.name,
          command: ['runlens', 'action', s.action!],
          cwd: pipeline.root,
          params,
          tags,
        });
        runId = run.id;
        emit({ stage: s.name, state: 'running', runId });
        const log = (line: string) => {
          fs.appendFileSync(store.outputFile(run.id), line + '\n');
          options.onOutput?.(s.name, Buffer.from(line + '\n'), 'stdout');
        };
        let exitCode = 0;
        try {
          const r = await runAction({ store, pipeline, stage: s, runId: run.id, stageRuns, log });
          reason = r.reason;
          if (!r.ok) {
            failure = r.reason ?? `action ${s.action} failed`;
            exitCode = 1;
          }
        } catch (e) {
          failure = errorMessage(e);
          log(`error: ${failure}`);
          exitCode = 1;
        }
        await store.updateRun(run.id, (r) => {
          r.status = exitCode === 0 ? 'finished' : 'failed';
          r.exitCode = exitCode;
          r.endTime = Date.now();
        });
      }
    } catch (e) {
      failure = errorMessage(e);
    }
    if (runId) stageRuns.set(s.name, runId);
    if (!failure) {
      const outs = hashes(s.outs);
      const missing = s.outs.filter((o) => outs[o] === null);
      if (missing.length) failure = `did not write its outs: ${missing.join(', ')}`;
      else {
        await withLock(path.join(dir, 'state.json'), () => {
          const fresh = readState(store);
          fresh.stages[s.name] = {
            fingerprint,
            command,
            params,
            deps,
            outs,
            runId: runId!,
            pipelineRun: id,
            finishedAt: Date.now(),
          };
          state.stages[s.name] = fresh.stages[s.name];
          writeJsonAtomic(path.join(dir, 'state.json'), fresh);
        });
      }
    }
    finish(
      failure
        ? { stage: s.name, state: 'failed', reason: failure, runId, durationMs: Date.now() - t0 }
        : { stage: s.name, state: 'succeeded', reason, runId, durationMs: Date.now() - t0 },
    );
  }
  cache.save();
  const failed = record.stages.filter((r) => r.state === 'failed').map((r) => r.stage);
  record.endTime = Date.now();
  record.ok = failed.length === 0;
  writeJsonAtomic(recordFile, record);
  return { id, ok: record.ok, stages: record.stages, failed, durationMs: record.endTime - started };
}
