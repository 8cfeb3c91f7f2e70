import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError } from '../errors';
import { paramText } from '../importers/common';
import { mlflowStatusOf } from '../importers/mlflowFormat';
import { mkdirp, withLock } from '../store/fsutil';
import { scanMetrics } from '../store/metrics';
import { ARTIFACTS_DIR } from '../store/runFile';
import type { Store } from '../store/store';
import type { MetricPoint, RunRecord } from '../store/types';
import { TERMINAL_STATUSES } from '../store/types';
import type { MlflowClient, MlflowKeyValue, MlflowMetric } from './client';
import {
  MAX_KEY_LENGTH,
  MAX_METRICS_PER_BATCH,
  MAX_PARAMS_TAGS_PER_BATCH,
  MAX_PARAM_VALUE_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MlflowApiError,
  metricValueJson,
} from './client';
import type { RunWatermark } from './state';
import { readWatermark, watermarkFile, writeWatermark } from './state';

/** Tag on the server's run naming the Runlens run it came from: pushing again finds it. */
export const RUNLENS_RUN_ID_TAG = 'runlens.run_id';
/** Tag on a pulled run: the server it came from (such runs are read-only in the editor). */
export const ORIGIN_TAG = 'runlens.origin';

export interface PushOptions {
  /** Runs pushed at the same time (default 4). */
  parallel?: number;
  /** Points per log-batch call (at most the server's 1,000). */
  batchSize?: number;
  /** Skip artifacts. */
  noArtifacts?: boolean;
  /** Called after each batch the server took (for progress, and by tests to stop a push). */
  onBatch?: (runId: string, points: number) => void;
}

export interface RunPushResult {
  runId: string;
  mlflowRunId: string;
  experimentId: string;
  created: boolean;
  points: number;
  params: number;
  tags: number;
  artifacts: number;
  /** Batches found on resume to have reached the server before the last push stopped. */
  reconciled: number;
  /** Values the server keeps differently (MLflow's SQL store clips infinities to ±1.7976931348623157e308). */
  warnings: string[];
}

export interface PushReport {
  server: string;
  runs: RunPushResult[];
  failed: { runId: string; error: string }[];
  points: number;
  requests: number;
}

const KEY_RE = /^[/\w.\- ]*$/;

function checkKey(kind: string, key: string, run: string): void {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !KEY_RE.test(key)) {
    throw new RunlensError(
      `run ${run}: ${kind} name ${JSON.stringify(key)} is not accepted by MLflow (1 to ${MAX_KEY_LENGTH} characters: letters, digits, _ - . / and spaces)`,
      `rename the ${kind} before pushing; nothing was sent for this run's invalid ${kind}s`,
      'data',
    );
  }
}

/** The tags the server's run gets: the run's own tags plus MLflow's system tags. */
export function tagsFor(run: RunRecord): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(run.tags)) {
    if (k === ORIGIN_TAG || k === 'mlflow.run_id' || k === 'mlflow.experiment_id') continue;
    tags[k] = v;
  }
  tags[RUNLENS_RUN_ID_TAG] = run.id;
  tags['mlflow.runName'] = run.name;
  if (run.script) tags['mlflow.source.name'] = run.script;
  tags['mlflow.source.type'] = 'LOCAL';
  if (run.git?.commit) tags['mlflow.source.git.commit'] = run.git.commit;
  if (run.git?.branch) tags['mlflow.source.git.branch'] = run.git.branch;
  if (run.note) tags['mlflow.note.content'] = run.note;
  return tags;
}

function validateRun(run: RunRecord, params: Record<string, string>, tags: Record<string, string>): void {
  for (const [k, v] of Object.entries(params)) {
    checkKey('param', k, run.id);
    if (v.length > MAX_PARAM_VALUE_LENGTH) {
      throw new RunlensError(
        `run ${run.id}: param "${k}" is ${v.length} characters long; MLflow keeps at most ${MAX_PARAM_VALUE_LENGTH}`,
        'shorten it (or log it as an artifact) before pushing',
      );
    }
  }
  for (const [k, v] of Object.entries(tags)) {
    if (k.length === 0 || k.length > MAX_KEY_LENGTH) checkKey('tag', k, run.id);
    if (v.length > MAX_TAG_VALUE_LENGTH) {
      throw new RunlensError(
        `run ${run.id}: tag "${k}" is ${v.length} characters long; MLflow keeps at most ${MAX_TAG_VALUE_LENGTH}`,
        'shorten it before pushing',
      );
    }
  }
}

/** A metric point as MLflow takes it, or an error naming the run, key and step. */
function toMlflowMetric(p: MetricPoint, runId: string, keyChecked: Set<string>): MlflowMetric {
  if (!keyChecked.has(p.key)) {
    checkKey('metric', p.key, runId);
    keyChecked.add(p.key);
  }
  if (typeof p.value !== 'number') {
    throw new RunlensError(
      `run ${runId}: metric "${p.key}" at step ${p.step} is not a number (${JSON.stringify(p.value)})`,
      'MLflow 2.12 would store it as 0.0; fix the value in metrics.jsonl',
    );
  }
  if (!Number.isSafeInteger(p.step)) {
    throw new RunlensError(
      `run ${runId}: metric "${p.key}" has step ${p.step}, and MLflow steps are whole numbers`,
      'log whole-number steps; nothing of this run past this point was sent',
    );
  }
  return { key: p.key, value: metricValueJson(p.value), timestamp: Math.round(p.time), step: p.step };
}

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

function listArtifacts(dir: string): { rel: string; size: number; mtime: number }[] {
  const out: { rel: string; size: number; mtime: number }[] = [];
  const walk = (d: string, prefix: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), rel);
      else if (e.isFile()) {
        const st = fs.statSync(path.join(d, e.name));
        out.push({ rel, size: st.size, mtime: Math.floor(st.mtimeMs) });
      }
    }
  };
  walk(dir, '');
  return out.sort((a, b) => (a.rel < b.rel ? -1 : 1));
}

/**
 * Push runs of a store to an MLflow server: runs in parallel, each run's new points in full
 * log-batch calls, resumable exactly (see pushRun). A run that fails does not stop the others.
 */
export async function pushRuns(
  store: Store,
  client: MlflowClient,
  runIds: string[],
  options: PushOptions = {},
): Promise<PushReport> {
  const report: PushReport = { server: client.server, runs: [], failed: [], points: 0, requests: 0 };
  const experiments = new Map<string, Promise<string>>();
  const before = client.requests;
  const queue = [...runIds];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        const r = await pushRun(store, client, id, options, experiments);
        report.runs.push(r);
        report.points += r.points;
      } catch (e) {
        if (!(e instanceof RunlensError)) throw e;
        report.failed.push({ runId: id, error: e.message + (e.hint ? ` (${e.hint})` : '') });
        // The server is gone: the other runs would fail the same way.
        if ((e as { retryable?: boolean }).retryable && !(e instanceof MlflowApiError && e.status === 429)) {
          for (const rest of queue.splice(0))
            report.failed.push({ runId: rest, error: 'not tried: ' + e.message });
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallel ?? 4) }, worker));
  report.requests = client.requests - before;
  report.runs.sort((a, b) => (a.runId < b.runId ? -1 : 1));
  return report;
}

/**
 * Push one run. Order: the server's run (found by the runlens.run_id tag, else created), params
 * (immutable on the server: a different value there is an error naming both), tags, metric points
 * after the watermark, artifacts, then status and end time. Before each metric batch the watermark
 * records it as pending; a push that stops before the watermark moves past it asks the server, on
 * resume, how many points of a key of the batch it holds, so a batch is never sent twice or skipped.
 */
export async function pushRun(
  store: Store,
  client: MlflowClient,
  ref: string,
  options: PushOptions = {},
  experiments = new Map<string, Promise<string>>(),
): Promise<RunPushResult> {
  const id = store.resolveRunId(ref);
  const file = watermarkFile(store, client.config.uri, id);
  mkdirp(path.dirname(file));
  if (!fs.existsSync(file)) fs.writeFileSync(file, '', { flag: 'a' });
  return withLock(file, () => pushLocked(store, client, id, options, experiments));
}

async function pushLocked(
  store: Store,
  client: MlflowClient,
  id: string,
  options: PushOptions,
  experiments: Map<string, Promise<string>>,
): Promise<RunPushResult> {
  const run = store.getRun(id);
  if (run.tags[ORIGIN_TAG]) {
    throw new RunlensError(
      `run ${id} was pulled from ${run.tags[ORIGIN_TAG]}; it is not pushed back`,
      'push runs trained here',
      'usage',
    );
  }
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(run.params)) params[k] = paramText(v);
  const tags = tagsFor(run);
  validateRun(run, params, tags);

  const uri = client.config.uri;
  let w = readWatermark(store, uri, id);
  const result: RunPushResult = {
    runId: id,
    mlflowRunId: '',
    experimentId: '',
    created: false,
    points: 0,
    params: 0,
    tags: 0,
    artifacts: 0,
    reconciled: 0,
    warnings: [],
  };

  if (!w) {
    let exp = experiments.get(run.experiment);
    if (!exp) {
      exp = client.ensureExperiment(run.experiment);
      experiments.set(run.experiment, exp);
      exp.catch(() => experiments.delete(run.experiment));
    }
    const experimentId = await exp;
    // A push that died after creating the run but before writing the watermark: find that run.
    const found = await client.searchRuns([experimentId], `tags.\`${RUNLENS_RUN_ID_TAG}\` = '${id}'`, 2);
    let info = found[0]?.info;
    const createTags = Object.entries(tags)
      .slice(0, MAX_PARAMS_TAGS_PER_BATCH)
      .map(([key, value]) => ({ key, value }));
    if (!info) {
      info = await client.createRun({
        experiment_id: experimentId,
        run_name: run.name,
        start_time: Math.round(run.startTime),
        tags: createTags,
      });
      result.created = true;
    }
    w = {
      schemaVersion: 1,
      server: uri,
      runId: id,
      mlflowRunId: info.run_id,
      experimentId,
      artifactUri: info.artifact_uri ?? '',
      offset: 0,
      skip: 0,
      counts: {},
      pending: null,
      params: {},
      tags: {},
      state: 'RUNNING||' + run.name,
      artifacts: {},
      updatedAt: 0,
    };
    if (result.created) for (const t of createTags) w.tags[t.key] = t.value;
    if (found.length > 0) {
      // Its params and tags may be there already; metrics are reconciled from the server's history.
      for (const p of found[0].data.params ?? []) w.params[p.key] = p.value;
      for (const t of found[0].data.tags ?? []) w.tags[t.key] = t.value;
      await recountFromServer(client, w, id, store);
    }
    writeWatermark(store, w);
  }
  result.mlflowRunId = w.mlflowRunId;
  result.experimentId = w.experimentId;

  // Params: new ones only; a value that differs from what the server has is a conflict.
  const newParams = Object.entries(params).filter(([k]) => w.params[k] === undefined);
  const changed = Object.entries(params).filter(([k, v]) => w.params[k] !== undefined && w.params[k] !== v);
  if (changed.length > 0)
    throw paramConflict(client, id, w, changed[0][0], w.params[changed[0][0]], changed[0][1]);
  if (newParams.length > 0) {
    const remote = await client.getRun(w.mlflowRunId);
    const have = new Map((remote.data.params ?? []).map((p) => [p.key, p.value]));
    for (const [k, v] of newParams) {
      const there = have.get(k);
      if (there !== undefined && there !== v) throw paramConflict(client, id, w, k, there, v);
    }
    const toSend = newParams.filter(([k]) => !have.has(k));
    for (const part of chunks(toSend, MAX_PARAMS_TAGS_PER_BATCH)) {
      await client.logBatch(w.mlflowRunId, { params: part.map(([key, value]) => ({ key, value })) });
      result.params += part.length;
    }
    for (const [k, v] of newParams) w.params[k] = v;
    writeWatermark(store, w);
  }

  // Tags: those that are new or changed.
  const newTags: MlflowKeyValue[] = Object.entries(tags)
    .filter(([k, v]) => w.tags[k] !== v)
    .map(([key, value]) => ({ key, value }));
  for (const part of chunks(newTags, MAX_PARAMS_TAGS_PER_BATCH)) {
    await client.logBatch(w.mlflowRunId, { tags: part });
    for (const t of part) w.tags[t.key] = t.value;
    result.tags += part.length;
    writeWatermark(store, w);
  }

  // Metrics.
  if (w.pending) {
    await reconcile(client, w, id);
    writeWatermark(store, w);
    result.reconciled++;
  }
  const points: MlflowMetric[] = [];
  const keyChecked = new Set<string>();
  let invalid: unknown;
  let seen = 0;
  const scan = scanMetrics(
    store.metricsFile(id),
    (p) => {
      if (invalid !== undefined) return;
      if (seen++ < w.skip) return;
      try {
        points.push(toMlflowMetric(p, id, keyChecked));
      } catch (e) {
        invalid = e;
      }
    },
    { fromOffset: w.offset },
  );
  const infinite = new Map<string, number>();
  for (const m of points)
    if (m.value === 'Infinity' || m.value === '-Infinity')
      infinite.set(m.key, (infinite.get(m.key) ?? 0) + 1);
  for (const [k, n] of infinite) {
    result.warnings.push(
      `run ${id}: ${n} infinite value(s) of "${k}"; an MLflow server with a database backend keeps them as ±1.7976931348623157e308`,
    );
  }
  const batchSize = Math.min(MAX_METRICS_PER_BATCH, Math.max(1, options.batchSize ?? MAX_METRICS_PER_BATCH));
  for (let i = 0; i < points.length; i += batchSize) {
    const batch = points.slice(i, i + batchSize);
    const perKey: Record<string, number> = {};
    for (const m of batch) perKey[m.key] = (perKey[m.key] ?? 0) + 1;
    w.pending = { skipFrom: w.skip, skipTo: w.skip + batch.length, batch: perKey };
    writeWatermark(store, w);
    await client.logBatch(w.mlflowRunId, { metrics: batch });
    w.skip += batch.length;
    for (const [k, n] of Object.entries(perKey)) w.counts[k] = (w.counts[k] ?? 0) + n;
    w.pending = null;
    writeWatermark(store, w);
    result.points += batch.length;
    options.onBatch?.(id, batch.length);
  }
  if (invalid !== undefined) throw invalid;
  if (seen === w.skip && !scan.partialTail) {
    // Everything of this scan is on the server: start the next push at the end of the file.
    w.offset = scan.endOffset;
    w.skip = 0;
    writeWatermark(store, w);
  }

  // Artifacts through the proxy.
  if (!options.noArtifacts && w.artifactUri) {
    for (const a of listArtifacts(path.join(store.runDir(id), ARTIFACTS_DIR))) {
      const stamp = `${a.size}:${a.mtime}`;
      if (w.artifacts[a.rel] === stamp) continue;
      await client.uploadArtifact(
        w.artifactUri,
        a.rel,
        fs.readFileSync(path.join(store.runDir(id), ARTIFACTS_DIR, a.rel)),
      );
      w.artifacts[a.rel] = stamp;
      result.artifacts++;
      writeWatermark(store, w);
    }
  }

  // Status, end time and name last: a finished run on the server has all its points.
  const status = mlflowStatusOf(run.status).text;
  const terminal = TERMINAL_STATUSES.has(run.status);
  const state = `${status}|${terminal && run.endTime !== null ? Math.round(run.endTime) : ''}|${run.name}`;
  if (state !== w.state) {
    await client.updateRun({
      run_id: w.mlflowRunId,
      status,
      ...(terminal && run.endTime !== null ? { end_time: Math.round(run.endTime) } : {}),
      run_name: run.name,
    });
    w.state = state;
    writeWatermark(store, w);
  }
  return result;
}

function paramConflict(
  client: MlflowClient,
  runId: string,
  w: RunWatermark,
  key: string,
  there: string,
  here: string,
): RunlensError {
  return new RunlensError(
    `param "${key}" of run ${runId} is ${JSON.stringify(here)} here but ${JSON.stringify(there)} on ${client.server} (run ${w.mlflowRunId}); MLflow params cannot change`,
    'set the param back, or push the run as a new run (copy it) so that both values are kept',
    'conflict',
  );
}

/** A pending batch: did the server take it? Its history of the batch's least-logged key tells. */
async function reconcile(client: MlflowClient, w: RunWatermark, runId: string): Promise<void> {
  const p = w.pending!;
  const keys = Object.keys(p.batch).sort(
    (a, b) => (w.counts[a] ?? 0) + p.batch[a] - ((w.counts[b] ?? 0) + p.batch[b]),
  );
  const key = keys[0];
  const before = w.counts[key] ?? 0;
  const onServer = (await client.getMetricHistory(w.mlflowRunId, key)).length;
  if (onServer === before + p.batch[key]) {
    w.skip = p.skipTo;
    for (const [k, n] of Object.entries(p.batch)) w.counts[k] = (w.counts[k] ?? 0) + n;
  } else if (onServer === before) {
    w.skip = p.skipFrom;
  } else {
    throw new RunlensError(
      `run ${runId}: the server ${client.server} holds ${onServer} points of "${key}" in run ${w.mlflowRunId}, where ${before} or ${before + p.batch[key]} were expected; something else logs to that run`,
      'push this run as a new run, or delete the server run and push again',
      'conflict',
    );
  }
  w.pending = null;
}

/**
 * A run found on the server without a watermark here (the push that created it stopped before
 * writing one): count the points the server holds per key, and skip that many local points per key.
 * Points are sent in file order per run, so the server holds a prefix of the local series.
 */
async function recountFromServer(
  client: MlflowClient,
  w: RunWatermark,
  runId: string,
  store: Store,
): Promise<void> {
  const remote = await client.getRun(w.mlflowRunId);
  const keys = (remote.data.metrics ?? []).map((m) => m.key);
  if (keys.length === 0) return;
  const counts: Record<string, number> = {};
  for (const k of keys) counts[k] = (await client.getMetricHistory(w.mlflowRunId, k)).length;
  // The server holds the first N points of the file (batches go in file order): find N.
  const seenPerKey: Record<string, number> = {};
  let n = 0;
  let done = false;
  scanMetrics(store.metricsFile(runId), (p) => {
    if (done) return;
    const c = seenPerKey[p.key] ?? 0;
    if (c >= (counts[p.key] ?? 0)) {
      done = true;
      return;
    }
    seenPerKey[p.key] = c + 1;
    n++;
  });
  for (const [k, c] of Object.entries(counts)) {
    if ((seenPerKey[k] ?? 0) !== c) {
      throw new RunlensError(
        `run ${runId}: the server ${client.server} holds ${c} points of "${k}" in run ${w.mlflowRunId}, which do not continue the local series`,
        'delete that server run and push again',
        'conflict',
      );
    }
  }
  w.skip = n;
  w.counts = seenPerKey;
}
