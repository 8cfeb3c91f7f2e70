import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError } from '../errors';
import type { ImportedRunSpec, PointWriter } from '../importers/common';
import {
  IMPORT_MARKER_TAG,
  ImportBatch,
  createImportedRun,
  finishImportedRun,
  listForImport,
  paramFromText,
  reopenImportedRun,
} from '../importers/common';
import { MLFLOW_EXPERIMENT_ID_TAG, MLFLOW_RUN_ID_TAG } from '../importers/mlflow';
import { runlensStatus } from '../importers/mlflowFormat';
import { ARTIFACTS_DIR } from '../store/layout';
import type { Store } from '../store/store';
import type { ParamValue, RunEntry } from '../store/types';
import type { MlflowClient, MlflowExperimentInfo, MlflowMetric, MlflowRunObject } from './client';
import { metricValueOf } from './client';
import { ORIGIN_TAG, RUNLENS_RUN_ID_TAG } from './push';
import { readPullState, writePullState } from './state';

/** Tag of a pulled run: what the server's run looked like when pulled (a new one means pull again). */
export const REMOTE_VERSION_TAG = 'runlens.remote_version';

export interface PullOptions {
  /** Experiment names (default: every active experiment on the server). */
  experiments?: string[];
  /** Only runs that started at or after this time (ms since the epoch). */
  since?: number;
  /** Metric histories fetched at the same time (default 8). */
  parallel?: number;
  /** Points per get-history page (servers that page; MLflow 2.12 sends all at once). */
  pageSize?: number;
}

export interface PullReport {
  server: string;
  experiments: string[];
  runs: { found: number; created: number; updated: number; skipped: number; own: number };
  points: number;
  runIds: string[];
  requests: number;
}

/** What changes on the server when a run changes: status, end, latest points, params and tags. */
export function remoteVersion(r: MlflowRunObject): string {
  const latest = (r.data.metrics ?? [])
    .map((m) => `${m.key}@${m.step}:${m.timestamp}`)
    .sort()
    .join(',');
  const tags = (r.data.tags ?? []).length;
  const params = (r.data.params ?? []).length;
  return `${r.info.status ?? ''}|${r.info.end_time ?? ''}|${params}|${tags}|${r.info.run_name ?? ''}|${latest}`;
}

/** Experiments on the server, for the Team view. */
export async function listRemoteExperiments(client: MlflowClient): Promise<MlflowExperimentInfo[]> {
  const all = await client.searchExperiments();
  return all.sort((a, b) => a.name.localeCompare(b.name));
}

/** Run tasks with at most `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(n, items.length)) }, async () => {
      for (let x = queue.shift(); x !== undefined; x = queue.shift()) await fn(x);
    }),
  );
}

/**
 * Pull runs from an MLflow server into the store: each remote run becomes a local run tagged with
 * its origin (runlens.origin) and MLflow ids. Runs that did not change since the last pull are
 * skipped; changed ones are rewritten whole, each metric key's history fetched in pages. Runs this
 * store pushed (their runlens.run_id is here) are not pulled back.
 */
export async function pullRuns(
  store: Store,
  client: MlflowClient,
  options: PullOptions = {},
): Promise<PullReport> {
  const server = client.server;
  const before = client.requests;
  const report: PullReport = {
    server,
    experiments: [],
    runs: { found: 0, created: 0, updated: 0, skipped: 0, own: 0 },
    points: 0,
    runIds: [],
    requests: 0,
  };
  let experiments = await client.searchExperiments();
  if (options.experiments?.length) {
    const wanted = new Set(options.experiments);
    const missing = options.experiments.filter((n) => !experiments.some((e) => e.name === n));
    if (missing.length > 0) {
      throw new RunlensError(
        `no experiment ${missing.map((m) => `"${m}"`).join(', ')} on ${server}`,
        `the server has: ${
          experiments
            .map((e) => e.name)
            .slice(0, 20)
            .join(', ') || '(none)'
        }`,
        'notFound',
      );
    }
    experiments = experiments.filter((e) => wanted.has(e.name));
  }
  const entries = listForImport(store);
  const existing = new Map<string, RunEntry>();
  for (const e of entries) {
    const rid = e.tags[MLFLOW_RUN_ID_TAG];
    if (rid !== undefined && e.tags[ORIGIN_TAG] === server) existing.set(rid, e);
  }
  const state = readPullState(store, client.config.uri);
  const filter = options.since !== undefined ? `attributes.start_time >= ${Math.floor(options.since)}` : '';
  const batch = new ImportBatch(store);
  try {
    for (const exp of experiments) {
      report.experiments.push(exp.name);
      const runs = await client.searchRuns([exp.experiment_id], filter);
      const todo: { run: MlflowRunObject; prev: RunEntry | undefined; version: string }[] = [];
      for (const run of runs) {
        report.runs.found++;
        const tags = new Map((run.data.tags ?? []).map((t) => [t.key, t.value]));
        const own = tags.get(RUNLENS_RUN_ID_TAG);
        if (own !== undefined && fs.existsSync(store.runDir(own))) {
          report.runs.own++;
          continue;
        }
        const prev = existing.get(run.info.run_id);
        const version = remoteVersion(run);
        if (prev && prev.tags[REMOTE_VERSION_TAG] === version && prev.tags[IMPORT_MARKER_TAG] === undefined) {
          report.runs.skipped++;
          continue;
        }
        todo.push({ run, prev, version });
      }
      // Fetch histories in parallel (per key), write runs one by one as they complete.
      await pool(
        todo,
        Math.max(1, Math.ceil((options.parallel ?? 8) / 2)),
        async ({ run, prev, version }) => {
          const keys = [...new Set((run.data.metrics ?? []).map((m) => m.key))].sort();
          const histories = new Map<string, MlflowMetric[]>();
          await pool(keys, 4, async (key) => {
            histories.set(key, await client.getMetricHistory(run.info.run_id, key, options.pageSize));
          });
          const spec = specOf(run, exp.name, server, version);
          const fill = (writer: PointWriter) => {
            for (const key of keys) {
              const pts = histories.get(key)!;
              // Step order (then time), as a chart shows them; the server's order is not defined.
              pts.sort(
                (a, b) => Number(a.step) - Number(b.step) || Number(a.timestamp) - Number(b.timestamp),
              );
              const keyJson = JSON.stringify(key);
              const s = writer.series(key);
              for (const m of pts)
                writer.add(keyJson, s, metricValueOf(m.value), Number(m.step ?? 0), Number(m.timestamp ?? 0));
            }
          };
          if (!prev) {
            const { run: rec, points } = await createImportedRun(store, spec, fill, batch);
            report.runs.created++;
            report.points += points;
            report.runIds.push(rec.id);
          } else {
            for (const [k, v] of Object.entries(prev.tags)) {
              if (!(k in spec.tags) && k !== IMPORT_MARKER_TAG) spec.tags[k] = v;
            }
            const writer = await reopenImportedRun(store, prev.id);
            try {
              fill(writer);
              await finishImportedRun(store, prev.id, spec, writer);
            } finally {
              writer.close();
            }
            report.runs.updated++;
            report.points += writer.points;
            report.runIds.push(prev.id);
          }
        },
      );
      state.experiments[exp.experiment_id] = { name: exp.name, pulledAt: Date.now() };
    }
  } finally {
    batch.flush();
    writePullState(store, state);
  }
  report.requests = client.requests - before;
  return report;
}

function specOf(run: MlflowRunObject, experiment: string, server: string, version: string): ImportedRunSpec {
  const tags: Record<string, string> = {};
  for (const t of run.data.tags ?? []) tags[t.key] = t.value;
  if (run.info.user_id && tags['mlflow.user'] === undefined) tags['mlflow.user'] = run.info.user_id;
  tags[MLFLOW_RUN_ID_TAG] = run.info.run_id;
  tags[MLFLOW_EXPERIMENT_ID_TAG] = run.info.experiment_id;
  tags[ORIGIN_TAG] = server;
  tags[REMOTE_VERSION_TAG] = version;
  const params: Record<string, ParamValue> = {};
  for (const p of run.data.params ?? []) params[p.key] = paramFromText(p.value);
  return {
    experiment,
    name: run.info.run_name || tags['mlflow.runName'] || run.info.run_id,
    status: runlensStatus(run.info.status ?? 'RUNNING'),
    startTime: run.info.start_time !== undefined ? Number(run.info.start_time) : null,
    endTime: run.info.end_time !== undefined && run.info.end_time !== null ? Number(run.info.end_time) : null,
    params,
    tags,
    script: tags['mlflow.source.name'] || null,
    cwd: '',
    inputs: [],
  };
}

export interface ArtifactPullReport {
  runId: string;
  mlflowRunId: string;
  /** Files fetched now. */
  downloaded: { path: string; size: number }[];
  /** Files already here with the server's size. */
  present: number;
  bytes: number;
}

/**
 * Fetch the artifacts of a pulled run from its server (list, then download through the artifact
 * proxy) into the run's artifacts folder; files already here with the server's size are kept.
 * `prefix` limits it to one folder or file of the run's artifacts. Pull does not fetch artifacts by
 * itself (they can be large): this runs on request (`runlens sync artifacts`, `sync pull --artifacts`).
 */
export async function pullArtifacts(
  store: Store,
  client: MlflowClient,
  ref: string,
  prefix = '',
): Promise<ArtifactPullReport> {
  const id = store.resolveRunId(ref);
  const run = store.getRun(id);
  const origin = run.tags[ORIGIN_TAG];
  const mlflowRunId = run.tags[MLFLOW_RUN_ID_TAG];
  if (origin === undefined || mlflowRunId === undefined) {
    throw new RunlensError(
      `run ${id} (${run.name}) was not pulled from an MLflow server`,
      'its artifacts are already in the store; `runlens sync artifacts` fetches those of pulled runs',
      'usage',
    );
  }
  if (origin !== client.server) {
    throw new RunlensError(
      `run ${id} (${run.name}) was pulled from ${origin}, not ${client.server}`,
      `fetch its artifacts from ${origin} (--from ${origin})`,
      'usage',
    );
  }
  const artifactUri = (await client.getRun(mlflowRunId)).info.artifact_uri ?? '';
  const report: ArtifactPullReport = { runId: id, mlflowRunId, downloaded: [], present: 0, bytes: 0 };
  const clean = prefix.replace(/^\/+|\/+$/g, '');
  const files: { path: string; size: number | undefined }[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const f of await client.listArtifacts(artifactUri, rel)) {
      if (f.is_dir) await walk(f.path);
      else files.push({ path: f.path, size: f.file_size === undefined ? undefined : Number(f.file_size) });
    }
  };
  await walk(clean);
  if (files.length === 0 && clean !== '') {
    // A file, not a folder: listing a file answers nothing.
    files.push({ path: clean, size: undefined });
  }
  const dir = path.join(store.runDir(id), ARTIFACTS_DIR);
  await pool(files, 4, async (f) => {
    const local = path.join(dir, ...f.path.split('/'));
    if (f.size !== undefined && fs.existsSync(local) && fs.statSync(local).size === f.size) {
      report.present++;
      return;
    }
    const content = await client.downloadArtifact(artifactUri, f.path);
    store.addArtifact(id, f.path, content);
    report.downloaded.push({ path: f.path, size: content.length });
    report.bytes += content.length;
  });
  report.downloaded.sort((a, b) => (a.path < b.path ? -1 : 1));
  return report;
}
