import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError, errorMessage } from '../errors';
import type { Store } from '../store/store';
import type { InputFile, ParamValue, RunEntry } from '../store/types';
import { TERMINAL_STATUSES } from '../store/types';
import type { ImportReport, ImportedRunSpec } from './common';
import {
  ARTIFACT_URI_TAG,
  DELETED_TAG,
  IMPORT_MARKER_TAG,
  ImportBatch,
  PointWriter,
  createImportedRun,
  emptyReport,
  finishImportedRun,
  listForImport,
  paramFromText,
  reopenImportedRun,
} from './common';
import type { MlflowDataset, MlflowRun } from './mlflowFormat';
import { runlensStatus } from './mlflowFormat';
import type { MlflowFileStoreExperiment } from './mlflowFiles';
import { isMlrunsRoot, readMlflowFileStore } from './mlflowFiles';
import { readMlflowSqlite } from './mlflowSqlite';
import { copyTreeWithoutLinks, removeLinksBelow } from '../store/fsutil';
import { getOwn, setOwn } from '../store/records';

export interface MlflowImportOptions {
  /** Copy each run's artifacts into the Runlens run's artifacts/ (default: refer to them in place). */
  copyArtifacts?: boolean;
  /** Import runs deleted in MLflow too, tagged runlens.deleted=true (default: skipped). */
  includeDeleted?: boolean;
  /**
   * With copyArtifacts, a folder outside the imported tree whose artifacts may be copied too (an
   * `artifact_uri` elsewhere on disk). Without it, only artifacts inside the imported tree are.
   */
  artifactsRoot?: string;
}

/** The folders artifacts may be copied from: the imported tree, and the root the user named. */
interface CopyRoots {
  roots: string[];
}

function realDir(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function isInside(dir: string, root: string): boolean {
  const rel = path.relative(root, dir);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const COPY_ROOTS = Symbol('copyRoots');

export const MLFLOW_RUN_ID_TAG = 'mlflow.run_id';

/**
 * A copy of an MLflow run whose own store still said RUNNING when it was imported or pulled (often
 * a process that died without ending the run): nothing here trains it, so the editor shows no
 * spinner, the status bar does not count it and the explorer does not poll for it.
 */
export function importedRunning(e: { status: string; tags: Record<string, string> }): boolean {
  return e.status === 'running' && e.tags[MLFLOW_RUN_ID_TAG] !== undefined;
}
export const MLFLOW_EXPERIMENT_ID_TAG = 'mlflow.experiment_id';
/** Prefix of the input paths that stand for MLflow datasets (name; the digest goes in sha256). */
export const MLFLOW_DATASET_PREFIX = 'mlflow-dataset:';

type Source = { kind: 'sqlite'; file: string } | { kind: 'files'; root: string };

const SQLITE_MAGIC = 'SQLite format 3\0';

function isSqliteFile(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const head = Buffer.alloc(16);
      fs.readSync(fd, head, 0, 16, 0);
      return head.toString('latin1') === SQLITE_MAGIC;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** An mlruns folder, an mlflow.db, a folder holding either, or a `sqlite:///` / `file://` URI. */
export function detectMlflowSource(input: string): Source {
  let p = input;
  if (p.startsWith('sqlite:///')) p = p.slice('sqlite:///'.length - 1);
  else if (p.startsWith('file://')) p = decodeURIComponent(new URL(p).pathname);
  const resolved = path.resolve(p);
  const stat = fs.statSync(resolved, { throwIfNoEntry: false });
  if (!stat)
    throw new RunlensError(`${resolved} does not exist`, 'pass an mlruns folder or an mlflow.db', 'notFound');
  if (stat.isFile()) {
    if (isSqliteFile(resolved)) return { kind: 'sqlite', file: resolved };
    throw new RunlensError(
      `${resolved} is not an SQLite database`,
      'pass an mlruns folder, or the mlflow.db of an MLflow server',
      'usage',
    );
  }
  if (isMlrunsRoot(resolved)) return { kind: 'files', root: resolved };
  const db = path.join(resolved, 'mlflow.db');
  if (fs.existsSync(db) && isSqliteFile(db)) return { kind: 'sqlite', file: db };
  const nested = path.join(resolved, 'mlruns');
  if (isMlrunsRoot(nested)) return { kind: 'files', root: nested };
  throw new RunlensError(
    `no MLflow store in ${resolved}: no experiment folder with a meta.yaml, and no mlflow.db`,
    'pass the mlruns folder (the one holding 0/meta.yaml) or the mlflow.db file',
    'notFound',
  );
}

/**
 * Import an MLflow tracking store (file store `mlruns/` from MLflow 0.x to 3.x, or an SQLite
 * `mlflow.db`) into a Runlens store. Every run keeps its MLflow ids in tags (mlflow.run_id,
 * mlflow.experiment_id), so importing again adds only runs that are new, and brings runs that were
 * still running up to date.
 */
export async function importMlflow(
  store: Store,
  mlrunsPath: string,
  options: MlflowImportOptions = {},
): Promise<ImportReport> {
  const source = detectMlflowSource(mlrunsPath);
  const tree = source.kind === 'sqlite' ? path.dirname(source.file) : source.root;
  const copyRoots: CopyRoots = {
    roots: [realDir(tree), ...(options.artifactsRoot ? [realDir(options.artifactsRoot)] : [])],
  };
  options = { ...options, [COPY_ROOTS]: copyRoots } as MlflowImportOptions;
  if (source.kind === 'sqlite') {
    const report = emptyReport('mlflow-sqlite', source.file);
    const db = await readMlflowSqlite(source.file, report.warnings);
    try {
      await importExperiments(store, db.experiments, options, report);
    } finally {
      db.close();
    }
    return report;
  }
  const report = emptyReport('mlflow-files', source.root);
  const experiments = readMlflowFileStore(source.root, report.warnings);
  await importExperiments(store, experiments, options, report);
  return report;
}

async function importExperiments(
  store: Store,
  experiments: MlflowFileStoreExperiment[],
  options: MlflowImportOptions,
  report: ImportReport,
): Promise<void> {
  const entries = listForImport(store);
  const existing = new Map<string, RunEntry>();
  for (const e of entries) {
    const id = e.tags[MLFLOW_RUN_ID_TAG];
    if (id !== undefined) existing.set(id, e);
  }
  const known = new Set(entries.map((e) => e.experiment));
  const createdIn = new Set<string>();
  const batch = new ImportBatch(store);
  try {
    await importAll(store, experiments, options, report, existing, known, createdIn, batch);
  } finally {
    batch.flush();
  }
}

async function importAll(
  store: Store,
  experiments: MlflowFileStoreExperiment[],
  options: MlflowImportOptions,
  report: ImportReport,
  existing: Map<string, RunEntry>,
  known: Set<string>,
  createdIn: Set<string>,
  batch: ImportBatch,
): Promise<void> {
  for (const { experiment, runs } of experiments) {
    report.experiments.found++;
    const experimentDeleted = experiment.lifecycleStage === 'deleted';
    let created = false;
    for (const run of runs) {
      report.runs.found++;
      const deleted = experimentDeleted || run.lifecycleStage === 'deleted';
      if (deleted && !options.includeDeleted) {
        report.runs.skipped++;
        continue;
      }
      const prev = existing.get(run.runId);
      try {
        const outcome = await importRun(store, run, experiment.name, deleted, prev, options, report, batch);
        if (outcome === 'skipped') {
          report.runs.skipped++;
          continue;
        }
        if (outcome === 'created') {
          report.runs.created++;
          created = true;
        } else {
          report.runs.updated++;
        }
      } catch (e) {
        if (e instanceof RunlensError && e.kind === 'io') throw e;
        report.warnings.push({ file: run.location, message: `run not imported: ${errorMessage(e)}` });
      }
    }
    if (created && !known.has(experiment.name) && !createdIn.has(experiment.name)) {
      createdIn.add(experiment.name);
      report.experiments.created++;
    } else {
      report.experiments.skipped++;
    }
  }
}

function datasetInputs(datasets: MlflowDataset[]): InputFile[] {
  return datasets.map((d) => ({ path: MLFLOW_DATASET_PREFIX + d.name, size: 0, sha256: d.digest }));
}

async function importRun(
  store: Store,
  run: MlflowRun,
  experimentName: string,
  deleted: boolean,
  prev: RunEntry | undefined,
  options: MlflowImportOptions,
  report: ImportReport,
  batch: ImportBatch,
): Promise<'created' | 'updated' | 'skipped'> {
  const incomplete = prev !== undefined && prev.tags[IMPORT_MARKER_TAG] !== undefined;
  const prevOpen =
    prev !== undefined && prev.status !== 'unreadable' && !TERMINAL_STATUSES.has(prev.status as never);
  if (prev !== undefined && !incomplete && !prevOpen) return 'skipped';

  const tags: Record<string, string> = { ...run.tags };
  if (run.userId !== '' && getOwn(tags, 'mlflow.user') === undefined) tags['mlflow.user'] = run.userId;
  tags[MLFLOW_RUN_ID_TAG] = run.runId;
  tags[MLFLOW_EXPERIMENT_ID_TAG] = run.experimentId;
  if (deleted) tags[DELETED_TAG] = 'true';
  let copy = options.copyArtifacts === true && run.artifactsDir !== null;
  if (copy) {
    const roots = (options as { [COPY_ROOTS]?: CopyRoots })[COPY_ROOTS]?.roots ?? [];
    const real = realDir(run.artifactsDir!);
    if (!roots.some((r) => isInside(real, r))) {
      copy = false;
      report.warnings.push({
        file: run.location,
        message: `artifacts of run ${run.runId} not copied: ${run.artifactsDir} is outside the imported tree (name it with --artifacts-root DIR to copy from there); they are referred to in place`,
      });
    }
  }
  if (run.artifactsDir !== null && !copy) tags[ARTIFACT_URI_TAG] = path.resolve(run.artifactsDir);
  const params: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(run.params)) setOwn(params, k, paramFromText(v));
  const spec: ImportedRunSpec = {
    experiment: experimentName,
    name: run.name || run.tags['mlflow.runName'] || run.runId,
    status: runlensStatus(run.status),
    startTime: run.startTime,
    endTime: run.endTime,
    params,
    tags,
    script: run.tags['mlflow.source.name'] || run.sourceName || null,
    cwd: '',
    inputs: [],
  };

  /** Read every point into the writer; the datasets named on metric lines are known after. */
  const fill = (writer: PointWriter, dir: string) => {
    run.readMetrics((key) => {
      const keyJson = JSON.stringify(key);
      const prefix = PointWriter.linePrefix(key);
      const s = writer.series(key);
      return {
        point: (value, step, time, valueText, stepText, timeText) =>
          writer.add(keyJson, s, value, step, time, valueText, stepText, timeText),
        direct: {
          writer,
          prefix,
          prefixView: new DataView(prefix.buffer, prefix.byteOffset, prefix.length),
          summary: s,
        },
      };
    }, report.warnings);
    spec.inputs = datasetInputs(run.datasets);
    if (copy) {
      // Never a symbolic link: one copied into the store would point outside it, and a later write
      // through it would land outside. Links an older import left are removed first.
      const dest = path.join(dir, 'artifacts');
      removeLinksBelow(dest);
      copyTreeWithoutLinks(run.artifactsDir!, dest, (file) =>
        report.warnings.push({
          file,
          message: 'artifact not copied: it is a symbolic link (or not a regular file)',
        }),
      );
    }
  };

  if (prev === undefined) {
    const { run: record, points } = await createImportedRun(store, spec, fill, batch);
    report.points += points;
    report.params += Object.keys(record.params).length;
    report.tags += Object.keys(record.tags).length;
    report.runIds.push(record.id);
    return 'created';
  }

  // Imported before, while running (or its import stopped half-way): rewrite it.
  for (const [k, v] of Object.entries(prev.tags)) {
    // Keep tags the user added in Runlens since.
    if (!Object.hasOwn(spec.tags, k) && k !== IMPORT_MARKER_TAG) setOwn(spec.tags, k, v);
  }
  const writer = await reopenImportedRun(store, prev.id);
  let record;
  try {
    fill(writer, store.runDir(prev.id));
    record = await finishImportedRun(store, prev.id, spec, writer);
  } finally {
    writer.close();
  }
  let outcome: 'updated' | 'skipped' = 'updated';
  if (!incomplete) {
    const prevPoints = Object.values(prev.metrics).reduce((n, m) => n + m.count, 0);
    const same =
      prevPoints === writer.points &&
      prev.status === record.status &&
      prev.endTime === record.endTime &&
      Object.keys(prev.params).length === Object.keys(record.params).length;
    if (same) outcome = 'skipped';
  }
  if (outcome !== 'skipped') {
    report.points += writer.points;
    report.params += Object.keys(record.params).length;
    report.tags += Object.keys(record.tags).length;
    report.runIds.push(prev.id);
  }
  return outcome;
}
