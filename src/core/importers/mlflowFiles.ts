import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorMessage } from '../errors';
import type { ImportWarning } from './common';
import type { MlflowDataset, MlflowExperiment, MlflowRun } from './mlflowFormat';
import { setOwn } from '../store/records';
import {
  localPathOfUri,
  mlflowStatusText,
  readMetaYaml,
  readMetricFile,
  yamlNumber,
  yamlText,
} from './mlflowFormat';

/** Folders of an mlruns root that are not experiments. */
const ROOT_RESERVED = new Set(['.trash', 'models', '.mlflow']);
/** Folders of an experiment that are not runs (tags, datasets, 3.x traces and logged models). */
const EXPERIMENT_RESERVED = new Set(['tags', 'datasets', 'traces', 'models']);

/** Does this folder look like an mlruns root: an experiment folder with a meta.yaml naming an experiment? */
export function isMlrunsRoot(dir: string): boolean {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return false;
  }
  return names.some(
    (n) =>
      !ROOT_RESERVED.has(n) && fs.existsSync(path.join(dir, n, 'meta.yaml')) && hasExperimentMeta(dir, n),
  );
}

function hasExperimentMeta(root: string, name: string): boolean {
  try {
    const text = fs.readFileSync(path.join(root, name, 'meta.yaml'), 'utf8');
    return /^experiment_id:/m.test(text) && /^name:/m.test(text) && !/^run_(uuid|id):/m.test(text);
  } catch {
    return false;
  }
}

function subdirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/** Files under a folder, as keys with "/" for nested folders (keys containing "/" are stored that way). */
export function keyedFiles(dir: string): { key: string; file: string }[] {
  const out: { key: string; file: string }[] = [];
  const walk = (d: string, prefix: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const key = prefix + e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), key + '/');
      else if (e.isFile()) out.push({ key, file: path.join(d, e.name) });
    }
  };
  walk(dir, '');
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function readTextFiles(dir: string, warnings: ImportWarning[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, file } of keyedFiles(dir)) {
    try {
      setOwn(out, key, fs.readFileSync(file, 'utf8'));
    } catch (e) {
      warnings.push({ file, message: `cannot read: ${errorMessage(e)}` });
    }
  }
  return out;
}

export interface MlflowFileStoreExperiment {
  experiment: MlflowExperiment;
  runs: MlflowRun[];
}

/** Read the experiments and runs of an mlruns folder (MLflow 0.x to 3.x file store). */
export function readMlflowFileStore(root: string, warnings: ImportWarning[]): MlflowFileStoreExperiment[] {
  const out: MlflowFileStoreExperiment[] = [];
  for (const expDirName of subdirs(root)) {
    if (ROOT_RESERVED.has(expDirName)) continue;
    const expDir = path.join(root, expDirName);
    const metaFile = path.join(expDir, 'meta.yaml');
    if (!fs.existsSync(metaFile)) continue; // not an experiment (an artifacts folder, a stray folder)
    let meta: Record<string, unknown>;
    try {
      meta = readMetaYaml(metaFile);
    } catch (e) {
      warnings.push({ file: metaFile, message: `experiment skipped: ${errorMessage(e)}` });
      continue;
    }
    if (meta.experiment_id === undefined || meta.run_uuid !== undefined || meta.run_id !== undefined)
      continue;
    const id = yamlText(meta.experiment_id);
    if (id !== expDirName) {
      warnings.push({
        file: metaFile,
        message: `experiment_id ${JSON.stringify(id)} differs from its folder name; the folder name is used`,
      });
    }
    const experiment: MlflowExperiment = {
      id: expDirName,
      name: yamlText(meta.name) || expDirName,
      lifecycleStage: yamlText(meta.lifecycle_stage) || 'active',
      artifactLocation: yamlText(meta.artifact_location),
      creationTime: yamlNumber(meta.creation_time),
    };
    const runs: MlflowRun[] = [];
    for (const runDirName of subdirs(expDir)) {
      if (EXPERIMENT_RESERVED.has(runDirName)) continue;
      const run = readRun(expDir, runDirName, experiment, warnings);
      if (run) runs.push(run);
    }
    out.push({ experiment, runs });
  }
  return out;
}

function readRun(
  expDir: string,
  runDirName: string,
  experiment: MlflowExperiment,
  warnings: ImportWarning[],
): MlflowRun | undefined {
  const runDir = path.join(expDir, runDirName);
  const metaFile = path.join(runDir, 'meta.yaml');
  if (!fs.existsSync(metaFile)) return undefined; // MLflow ignores such folders too
  let meta: Record<string, unknown>;
  try {
    meta = readMetaYaml(metaFile);
  } catch (e) {
    warnings.push({ file: metaFile, message: `run skipped: ${errorMessage(e)}` });
    return undefined;
  }
  const metaId = yamlText(meta.run_id ?? meta.run_uuid);
  if (metaId === '') {
    warnings.push({ file: metaFile, message: 'run skipped: meta.yaml has no run_id or run_uuid' });
    return undefined;
  }
  if (metaId !== runDirName) {
    warnings.push({
      file: metaFile,
      message: `run id ${JSON.stringify(metaId)} differs from its folder name; the folder name is used`,
    });
  }
  const metaExp = yamlText(meta.experiment_id);
  if (metaExp !== '' && metaExp !== experiment.id) {
    // MLflow's own reader ignores such runs.
    warnings.push({
      file: metaFile,
      message: `run skipped: its experiment_id ${JSON.stringify(metaExp)} is not its experiment folder ${JSON.stringify(experiment.id)}`,
    });
    return undefined;
  }
  const params = readTextFiles(path.join(runDir, 'params'), warnings);
  const tags = readTextFiles(path.join(runDir, 'tags'), warnings);
  const datasets = readInputs(expDir, runDir, warnings);
  const artifactsDir = path.join(runDir, 'artifacts');
  const metricFiles = keyedFiles(path.join(runDir, 'metrics'));
  const run: MlflowRun = {
    runId: runDirName,
    experimentId: experiment.id,
    name: yamlText(meta.run_name) || yamlText(meta.name) || null,
    status: mlflowStatusText(meta.status),
    startTime: yamlNumber(meta.start_time),
    endTime: yamlNumber(meta.end_time),
    userId: yamlText(meta.user_id),
    sourceName: yamlText(meta.source_name),
    lifecycleStage: yamlText(meta.lifecycle_stage) || 'active',
    artifactUri: yamlText(meta.artifact_uri),
    artifactsDir: fs.existsSync(artifactsDir)
      ? artifactsDir
      : existingDir(localPathOfUri(yamlText(meta.artifact_uri))),
    params,
    tags,
    datasets,
    location: runDir,
    readMetrics(begin, w) {
      const found = new Map<string, MlflowDataset>();
      for (const { key, file } of metricFiles) readMetricFile(file, begin(key), w, found);
      for (const d of found.values()) {
        if (!run.datasets.some((x) => x.name === d.name && x.digest === d.digest)) run.datasets.push(d);
      }
    },
  };
  return run;
}

function existingDir(p: string | null): string | null {
  if (p === null) return null;
  try {
    return fs.statSync(p).isDirectory() ? p : null;
  } catch {
    return null;
  }
}

/**
 * Datasets a run used (MLflow 2.4+): `<run>/inputs/<input_id>/meta.yaml` points at
 * `<experiment>/datasets/<dataset_id>/meta.yaml`, which has the name and digest.
 */
function readInputs(expDir: string, runDir: string, warnings: ImportWarning[]): MlflowDataset[] {
  const out: MlflowDataset[] = [];
  const inputsDir = path.join(runDir, 'inputs');
  for (const inputId of subdirs(inputsDir)) {
    const metaFile = path.join(inputsDir, inputId, 'meta.yaml');
    try {
      const meta = readMetaYaml(metaFile);
      const sourceType = yamlText(meta.source_type);
      if (sourceType !== '' && sourceType !== 'DATASET') continue; // MLflow skips other kinds too
      const datasetId = yamlText(meta.source_id);
      const dsMeta = readMetaYaml(path.join(expDir, 'datasets', datasetId, 'meta.yaml'));
      const name = yamlText(dsMeta.name);
      const digest = yamlText(dsMeta.digest);
      if (name !== '' && !out.some((d) => d.name === name && d.digest === digest)) out.push({ name, digest });
    } catch (e) {
      warnings.push({ file: metaFile, message: `run input skipped: ${errorMessage(e)}` });
    }
  }
  return out;
}
