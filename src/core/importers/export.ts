import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { RunlensError, errorMessage } from '../errors';
import { nonFinite } from '../store/fsutil';
import { scanMetrics } from '../store/metrics';
import type { Store } from '../store/store';
import type { RunEntry, RunRecord } from '../store/types';
import type { ImportWarning } from './common';
import { ARTIFACT_URI_TAG, DELETED_TAG, IMPORT_MARKER_TAG, paramText, pythonFloatRepr } from './common';
import { MLFLOW_DATASET_PREFIX, MLFLOW_EXPERIMENT_ID_TAG, MLFLOW_RUN_ID_TAG } from './mlflow';
import { mlflowStatusOf, readMetaYaml, yamlText } from './mlflowFormat';
import { csvCell } from '../format';

export interface ExportOptions {
  /** Only the runs of this experiment. */
  experiment?: string;
}

export interface ExportReport {
  out: string;
  experiments: number;
  runs: number;
  points: number;
  warnings: ImportWarning[];
}

/** Runs to export, oldest first (listing order of the index, minus unreadable runs). */
export function selectRuns(store: Store, options: ExportOptions = {}): RunEntry[] {
  return store
    .listRuns()
    .entries.filter((e) => e.status !== 'unreadable')
    .filter((e) => options.experiment === undefined || e.experiment === options.experiment)
    .sort((a, b) => a.startTime - b.startTime || (a.id < b.id ? -1 : 1));
}

function isoTime(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString();
}

/** A cell of the export: as csvCell, and quoted too when it has spaces at its ends (spreadsheets trim them). */
function exportCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : csvCell(s);
}

/**
 * One row per run: id, name, experiment, status, start, end (ISO 8601, UTC), then params.* and the
 * last value of each metric (metrics.*), columns sorted by name.
 */
export function runsToCsv(entries: RunEntry[]): string {
  const params = [...new Set(entries.flatMap((e) => Object.keys(e.params)))].sort();
  const metrics = [...new Set(entries.flatMap((e) => Object.keys(e.metrics)))].sort();
  const header = [
    'id',
    'name',
    'experiment',
    'status',
    'start',
    'end',
    ...params.map((p) => `params.${p}`),
    ...metrics.map((m) => `metrics.${m}`),
  ];
  const lines = [header.map(exportCell).join(',')];
  for (const e of entries) {
    lines.push(
      [
        e.id,
        e.name,
        e.experiment,
        e.status,
        isoTime(e.startTime),
        isoTime(e.endTime),
        ...params.map((p) => e.params[p]),
        ...metrics.map((m) => e.metrics[m]?.last),
      ]
        .map(exportCell)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

/** The runs' records (run.json), each with its metric summary; NaN and infinities as strings. */
export function runsToJson(store: Store, entries: RunEntry[]): string {
  const runs = entries.map((e) => {
    const run = store.getRun(e.id);
    return { ...run, summary: run.summary ?? e.metrics };
  });
  return JSON.stringify(runs, nonFinite, 2) + '\n';
}

export function exportCsv(store: Store, out: string, options: ExportOptions = {}): ExportReport {
  const entries = selectRuns(store, options);
  writeOut(out, runsToCsv(entries));
  return {
    out,
    experiments: new Set(entries.map((e) => e.experiment)).size,
    runs: entries.length,
    points: 0,
    warnings: [],
  };
}

export function exportJson(store: Store, out: string, options: ExportOptions = {}): ExportReport {
  const entries = selectRuns(store, options);
  writeOut(out, runsToJson(store, entries));
  return {
    out,
    experiments: new Set(entries.map((e) => e.experiment)).size,
    runs: entries.length,
    points: 0,
    warnings: [],
  };
}

function writeOut(file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, text);
  } catch (e) {
    throw new RunlensError(`cannot write ${file}: ${errorMessage(e)}`, undefined, 'io');
  }
}

// ---------------------------------------------------------------------------------------------
// MLflow file store

/** Tags Runlens uses for its own bookkeeping: not written as MLflow tags. */
const BOOKKEEPING_TAGS = new Set([
  IMPORT_MARKER_TAG,
  ARTIFACT_URI_TAG,
  DELETED_TAG,
  MLFLOW_RUN_ID_TAG,
  MLFLOW_EXPERIMENT_ID_TAG,
]);

/**
 * MLflow accepts metric, param and tag names of word characters, `_ - . /` and spaces, as relative
 * paths without `.`/`..` segments (they become files). Others are made safe with `_`.
 */
export function mlflowSafeKey(key: string): string {
  return key
    .replace(/[^\p{L}\p{N}_.\- /]/gu, '_')
    .split('/')
    .map((seg) => (seg === '' ? '_' : seg === '.' || seg === '..' ? seg.replace(/\./g, '_') : seg))
    .join('/');
}

function md5(...parts: string[]): string {
  const h = createHash('md5');
  for (const p of parts) h.update(p, 'utf8');
  return h.digest('hex');
}

function fileUri(p: string): string {
  return 'file://' + path.resolve(p).split(path.sep).map(encodeURIComponent).join('/').replace(/^\/+/, '/');
}

/** YAML as MLflow (PyYAML safe_dump) writes meta.yaml: keys sorted, strings quoted where YAML 1.1 needs it. */
function metaYaml(obj: Record<string, unknown>): string {
  const sorted = Object.fromEntries(
    Object.keys(obj)
      .sort()
      .map((k) => [k, obj[k]]),
  );
  return YAML.stringify(sorted, { version: '1.1', lineWidth: 0, singleQuote: true });
}

function safeWrite(file: string, data: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
}

/** Write a key's value file (params, tags): no trailing newline, as MLflow writes them. */
function writeKeyFile(
  dir: string,
  key: string,
  value: string,
  used: Set<string>,
  warnings: ImportWarning[],
  what: string,
): void {
  const safe = mlflowSafeKey(key);
  if (safe !== key) {
    warnings.push({
      file: dir,
      message: `${what} "${key}" written as "${safe}" (MLflow does not accept its characters)`,
    });
  }
  if (used.has(safe)) {
    warnings.push({ file: dir, message: `${what} "${key}" skipped: another one has the name "${safe}"` });
    return;
  }
  used.add(safe);
  safeWrite(path.join(dir, ...safe.split('/')), value);
}

/** An id for an experiment exported without one: 18 decimal digits from its name, like MLflow's. */
function experimentIdFor(name: string, taken: Set<string>): string {
  let salt = 0;
  for (;;) {
    const h = createHash('sha256').update(`${name}\0${salt++}`).digest('hex');
    const id = String((BigInt('0x' + h.slice(0, 15)) % (9n * 10n ** 17n)) + 10n ** 17n);
    if (!taken.has(id)) return id;
  }
}

/**
 * Write runs as an MLflow file store (`<out>/<experiment_id>/meta.yaml`,
 * `<out>/<experiment_id>/<run_id>/{meta.yaml,metrics,params,tags,artifacts}`) that MLflow 2.x and
 * 3.x read (`mlflow ui --backend-store-uri <out>`). Runs imported from MLflow keep their ids. An
 * existing store at `out` is added to: its experiments are reused by name, runs already there skipped.
 */
export function exportMlflow(store: Store, out: string, options: ExportOptions = {}): ExportReport {
  const root = path.resolve(out);
  const warnings: ImportWarning[] = [];
  const entries = selectRuns(store, options);
  fs.mkdirSync(root, { recursive: true });

  // Experiments already in `out`.
  const idByName = new Map<string, string>();
  const takenIds = new Set<string>();
  for (const d of fs.readdirSync(root, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    takenIds.add(d.name);
    const meta = path.join(root, d.name, 'meta.yaml');
    if (!fs.existsSync(meta)) continue;
    try {
      idByName.set(yamlText(readMetaYaml(meta).name), d.name);
    } catch (e) {
      warnings.push({ file: meta, message: `not read: ${errorMessage(e)}` });
    }
  }

  const byExperiment = new Map<string, RunEntry[]>();
  for (const e of entries) byExperiment.set(e.experiment, [...(byExperiment.get(e.experiment) ?? []), e]);
  // Reuse the MLflow experiment id the runs came from when they all agree and it is free.
  for (const [name, runs] of byExperiment) {
    if (idByName.has(name)) continue;
    const ids = new Set(runs.map((r) => r.tags[MLFLOW_EXPERIMENT_ID_TAG]));
    const [only] = [...ids];
    let id: string;
    if (ids.size === 1 && only !== undefined && /^\d+$/.test(only) && !takenIds.has(only)) id = only;
    else if (name === 'Default' && !takenIds.has('0')) id = '0';
    else id = experimentIdFor(name, takenIds);
    takenIds.add(id);
    idByName.set(name, id);
    const creation = Math.round(Math.min(...runs.map((r) => r.startTime)));
    safeWrite(
      path.join(root, id, 'meta.yaml'),
      metaYaml({
        artifact_location: fileUri(path.join(root, id)),
        creation_time: creation,
        experiment_id: id,
        last_update_time: creation,
        lifecycle_stage: 'active',
        name,
      }),
    );
  }
  if (!takenIds.has('0')) {
    // MLflow creates the Default experiment with every new store; its clients expect it.
    const now = Date.now();
    safeWrite(
      path.join(root, '0', 'meta.yaml'),
      metaYaml({
        artifact_location: fileUri(path.join(root, '0')),
        creation_time: now,
        experiment_id: '0',
        last_update_time: now,
        lifecycle_stage: 'active',
        name: 'Default',
      }),
    );
  }

  let runs = 0;
  let points = 0;
  const usedRunIds = new Set<string>();
  for (const e of entries) {
    const expId = idByName.get(e.experiment)!;
    const run = store.getRun(e.id);
    const tagged = run.tags[MLFLOW_RUN_ID_TAG];
    let runId = tagged !== undefined && /^[0-9a-f]{32}$/.test(tagged) ? tagged : md5('runlens:', run.id);
    if (usedRunIds.has(runId)) runId = md5('runlens:', run.id);
    usedRunIds.add(runId);
    const runDir = path.join(root, expId, runId);
    if (fs.existsSync(path.join(runDir, 'meta.yaml'))) {
      warnings.push({ file: runDir, message: `run ${run.id} skipped: already exported` });
      continue;
    }
    points += writeMlflowRun(store, run, root, expId, runId, warnings);
    runs++;
  }
  return { out: root, experiments: byExperiment.size, runs, points, warnings };
}

function writeMlflowRun(
  store: Store,
  run: RunRecord,
  root: string,
  expId: string,
  runId: string,
  warnings: ImportWarning[],
): number {
  const expDir = path.join(root, expId);
  const runDir = path.join(expDir, runId);
  fs.mkdirSync(runDir, { recursive: true });

  // Artifacts: copied when the run has some, else referenced where an import found them.
  const ownArtifacts = path.join(store.runDir(run.id), 'artifacts');
  const artifactsDir = path.join(runDir, 'artifacts');
  let artifactUri = fileUri(artifactsDir);
  const hasOwn = fs.existsSync(ownArtifacts) && fs.readdirSync(ownArtifacts).length > 0;
  if (hasOwn) fs.cpSync(ownArtifacts, artifactsDir, { recursive: true });
  else {
    fs.mkdirSync(artifactsDir, { recursive: true });
    const ref = run.tags[ARTIFACT_URI_TAG];
    if (ref) artifactUri = fileUri(ref);
  }

  const deleted = run.tags[DELETED_TAG] === 'true';
  const status = mlflowStatusOf(run.status);
  const meta: Record<string, unknown> = {
    artifact_uri: artifactUri,
    end_time: run.endTime === null ? null : Math.round(run.endTime),
    entry_point_name: '',
    experiment_id: expId,
    lifecycle_stage: deleted ? 'deleted' : 'active',
    run_id: runId,
    run_name: run.name,
    run_uuid: runId,
    source_name: run.tags['mlflow.source.name'] === undefined ? (run.script ?? '') : '',
    source_type: 4,
    source_version: '',
    start_time: Math.round(run.startTime),
    status: status.code,
    tags: [],
    user_id: run.tags['mlflow.user'] ?? '',
  };
  if (deleted) meta.deleted_time = run.updatedAt;
  safeWrite(path.join(runDir, 'meta.yaml'), metaYaml(meta));

  const usedParams = new Set<string>();
  fs.mkdirSync(path.join(runDir, 'params'), { recursive: true });
  for (const [k, v] of Object.entries(run.params)) {
    writeKeyFile(path.join(runDir, 'params'), k, paramText(v), usedParams, warnings, 'param');
  }
  const usedTags = new Set<string>();
  fs.mkdirSync(path.join(runDir, 'tags'), { recursive: true });
  for (const [k, v] of Object.entries(run.tags)) {
    if (BOOKKEEPING_TAGS.has(k)) continue;
    writeKeyFile(path.join(runDir, 'tags'), k, v, usedTags, warnings, 'tag');
  }

  // Datasets the run used (inputs that came from MLflow).
  for (const input of run.inputs) {
    if (!input.path.startsWith(MLFLOW_DATASET_PREFIX)) continue;
    const name = input.path.slice(MLFLOW_DATASET_PREFIX.length);
    const digest = input.sha256;
    const datasetId = md5(name, digest);
    const dsMeta = path.join(expDir, 'datasets', datasetId, 'meta.yaml');
    if (!fs.existsSync(dsMeta)) {
      safeWrite(
        dsMeta,
        metaYaml({ digest, name, profile: null, schema: null, source: '{}', source_type: 'code' }),
      );
    }
    safeWrite(
      path.join(runDir, 'inputs', md5(datasetId, runId), 'meta.yaml'),
      metaYaml({
        destination_id: runId,
        destination_type: 'RUN',
        source_id: datasetId,
        source_type: 'DATASET',
        tags: {},
      }),
    );
  }

  // Metrics: one file per key, `timestamp value step` lines, values as Python writes floats.
  const metricsDir = path.join(runDir, 'metrics');
  fs.mkdirSync(metricsDir, { recursive: true });
  const files = new Map<string, { file: string; lines: string[] } | null>();
  const usedKeys = new Set<string>();
  let points = 0;
  let roundedSteps = false;
  const flush = (f: { file: string; lines: string[] }) => {
    if (f.lines.length === 0) return;
    fs.appendFileSync(f.file, f.lines.join(''));
    f.lines = [];
  };
  const scan = scanMetrics(store.metricsFile(run.id), (p) => {
    let f = files.get(p.key);
    if (f === undefined) {
      const safe = mlflowSafeKey(p.key);
      if (safe !== p.key) {
        warnings.push({
          file: metricsDir,
          message: `metric "${p.key}" written as "${safe}" (MLflow does not accept its characters)`,
        });
      }
      if (usedKeys.has(safe)) {
        warnings.push({
          file: metricsDir,
          message: `metric "${p.key}" skipped: another one has the name "${safe}"`,
        });
        f = null;
      } else {
        usedKeys.add(safe);
        const file = path.join(metricsDir, ...safe.split('/'));
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, '');
        f = { file, lines: [] };
      }
      files.set(p.key, f);
    }
    if (f === null) return;
    let step = p.step;
    if (!Number.isInteger(step)) {
      step = Math.round(step);
      roundedSteps = true;
    }
    f.lines.push(`${Math.round(p.time)} ${pythonFloatRepr(p.value)} ${step}\n`);
    points++;
    if (f.lines.length >= 8192) flush(f);
  });
  for (const f of files.values()) if (f) flush(f);
  for (const w of scan.warnings)
    warnings.push({ file: w.file, line: w.line, offset: w.offset, message: w.message });
  if (roundedSteps)
    warnings.push({ file: metricsDir, message: `run ${run.id}: steps that are not integers were rounded` });
  return points;
}
