import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError, isErrno } from '../errors';
import { mkdirp, readJsonFile, storeWriteError, withLock, writeJsonAtomic } from './fsutil';
import { getOwn, setOwn } from './records';
import { checkBaselines, checkModelDocument } from './schemas';
import { BASELINES_FILE, REGISTRY_DIR } from './layout';
import { ARTIFACTS_DIR } from './runFile';
import type { Store } from './store';
import type { InputFile } from './types';

export const REGISTRY_SCHEMA_VERSION = 1;
export const STAGES = ['none', 'staging', 'production', 'archived'] as const;
export type Stage = (typeof STAGES)[number];

export interface StageChange {
  stage: Stage;
  at: number;
  /** Why: "promoted", or "archived: version 3 promoted to production". */
  reason: string;
}

export interface ModelVersion {
  version: number;
  createdAt: number;
  sourceRun: string;
  experiment: string;
  /** Files of the version, relative to its folder registry/<model>/v<N>/. */
  files: string[];
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  dataHashes: InputFile[];
  gitCommit: string | null;
  stage: Stage;
  stageHistory: StageChange[];
  description: string | null;
}

export interface RegisteredModel {
  schemaVersion: number;
  name: string;
  createdAt: number;
  versions: ModelVersion[];
}

export type Baseline =
  { kind: 'run'; run: string; setAt: number } | { kind: 'model'; model: string; stage: Stage; setAt: number };

interface BaselinesFile {
  schemaVersion: number;
  experiments: Record<string, Baseline>;
}

const NAME_RE = /^[A-Za-z0-9][\w.-]{0,99}$/;

/** A model name is one folder name under registry/: letters, digits, ".", "_", "-", never a path. */
export function checkModelName(name: string): string {
  if (typeof name !== 'string' || !NAME_RE.test(name) || name.includes('..')) {
    throw new RunlensError(
      `invalid model name ${JSON.stringify(name)}`,
      'use letters, digits, ".", "_" and "-" (no path)',
      'usage',
    );
  }
  return name;
}

export class Registry {
  readonly dir: string;
  private readonly baselinesFile: string;

  constructor(private readonly store: Store) {
    this.dir = path.join(store.dir, REGISTRY_DIR);
    this.baselinesFile = path.join(store.dir, BASELINES_FILE);
  }

  private modelFile(name: string): string {
    return path.join(this.dir, checkModelName(name), 'model.json');
  }

  versionDir(name: string, version: number): string {
    return path.join(this.dir, checkModelName(name), `v${version}`);
  }

  /** Every readable model; one whose model.json is malformed is skipped, with a warning naming it. */
  listModels(warnings: string[] = []): RegisteredModel[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return [];
      throw e;
    }
    return names
      .filter((n) => NAME_RE.test(n) && fs.existsSync(this.modelFile(n)))
      .sort()
      .flatMap((n) => {
        try {
          return [this.getModel(n)];
        } catch (e) {
          if (!(e instanceof RunlensError) || e.kind === 'conflict') throw e;
          warnings.push(`model "${n}" skipped: ${e.message}`);
          return [];
        }
      });
  }

  getModel(name: string): RegisteredModel {
    let raw: RegisteredModel;
    try {
      raw = checkModelDocument<RegisteredModel>(readJsonFile(this.modelFile(name)), this.modelFile(name));
    } catch (e) {
      if (isErrno(e, 'ENOENT')) {
        throw new RunlensError(
          `no registered model "${name}"`,
          'list models with `runlens model ls`',
          'notFound',
        );
      }
      throw e;
    }
    if (raw.schemaVersion > REGISTRY_SCHEMA_VERSION) {
      throw new RunlensError(
        `${this.modelFile(name)} has schema version ${raw.schemaVersion}, newer than this Runlens understands`,
        'upgrade Runlens',
        'conflict',
      );
    }
    return raw;
  }

  getVersion(name: string, ref: string | number): ModelVersion {
    const model = this.getModel(name);
    const found =
      typeof ref === 'number' || /^v?\d+$/.test(ref)
        ? model.versions.find((v) => v.version === Number(String(ref).replace(/^v/, '')))
        : model.versions.filter((v) => v.stage === ref).at(-1);
    if (!found) {
      throw new RunlensError(
        `model "${name}" has no version ${typeof ref === 'number' || /^\d/.test(ref) ? ref : `in stage ${ref}`}`,
        `versions: ${model.versions.map((v) => `${v.version} (${v.stage})`).join(', ') || 'none'}`,
        'notFound',
      );
    }
    return found;
  }

  /**
   * Register a run's model files as a new version: the files are copied into the store, with the
   * run's metrics (latest values), params, input hashes and git commit.
   */
  async register(
    name: string,
    runRef: string,
    options: { files?: string[]; description?: string } = {},
  ): Promise<ModelVersion> {
    checkModelName(name);
    const run = this.store.getRun(runRef);
    const runDir = this.store.runDir(run.id);
    const sources = options.files?.length
      ? options.files.map((f) => path.resolve(runDir, f))
      : defaultModelFiles(runDir);
    if (sources.length === 0) {
      throw new RunlensError(
        `run ${run.id} has no artifacts to register`,
        'log the model with log_artifact(...) or pass --file PATH',
        'usage',
      );
    }
    for (const s of sources) {
      if (!fs.existsSync(s)) throw new RunlensError(`model file ${s} does not exist`, undefined, 'usage');
    }
    mkdirp(path.join(this.dir, name));
    return withLock(this.modelFile(name), () => {
      const model = fs.existsSync(this.modelFile(name))
        ? this.getModel(name)
        : { schemaVersion: REGISTRY_SCHEMA_VERSION, name, createdAt: Date.now(), versions: [] };
      const version = (model.versions.at(-1)?.version ?? 0) + 1;
      const dest = this.versionDir(name, version);
      // The version is copied into a temporary folder and renamed into place: a register killed
      // half-way leaves only a temporary folder, removed here next time, never a vN that a later
      // version would inherit. A vN that model.json does not record is such a leftover too.
      removeLeftovers(path.join(this.dir, name), model.versions);
      const tmp = path.join(this.dir, name, `.v${version}.${process.pid}.tmp`);
      const files: string[] = [];
      try {
        for (const src of sources) {
          const base = path.basename(src);
          fs.cpSync(src, path.join(tmp, base), { recursive: true });
          files.push(
            ...listFiles(path.join(tmp, base)).map((f) => path.relative(tmp, f).split(path.sep).join('/')),
          );
        }
        fs.renameSync(tmp, dest);
      } catch (e) {
        fs.rmSync(tmp, { recursive: true, force: true });
        throw storeWriteError(e, dest);
      }
      const summary =
        run.summary ?? this.store.listRuns().entries.find((e) => e.id === run.id)?.metrics ?? {};
      const now = Date.now();
      const mv: ModelVersion = {
        version,
        createdAt: now,
        sourceRun: run.id,
        experiment: run.experiment,
        files,
        metrics: Object.fromEntries(Object.entries(summary).map(([k, s]) => [k, s.last])),
        params: run.params,
        dataHashes: run.inputs,
        gitCommit: run.git?.commit ?? null,
        stage: 'none',
        stageHistory: [{ stage: 'none', at: now, reason: 'registered' }],
        description: options.description ?? null,
      };
      model.versions.push(mv);
      writeJsonAtomic(this.modelFile(name), model);
      return mv;
    });
  }

  /** Move a version to a stage; promoting to production archives the previous production version. */
  async promote(
    name: string,
    version: number,
    stage: Stage,
    options: { keepExisting?: boolean } = {},
  ): Promise<ModelVersion> {
    if (!STAGES.includes(stage)) {
      throw new RunlensError(`unknown stage "${stage}"`, `use one of ${STAGES.join(', ')}`, 'usage');
    }
    // Existence first: a missing model is an answer, not a lock to wait for.
    this.getModel(name);
    return withLock(this.modelFile(name), () => {
      const model = this.getModel(name);
      const mv = model.versions.find((v) => v.version === version);
      if (!mv) throw new RunlensError(`model "${name}" has no version ${version}`, undefined, 'notFound');
      const now = Date.now();
      if (stage === 'production' && !options.keepExisting) {
        for (const other of model.versions) {
          if (other !== mv && other.stage === 'production') {
            other.stage = 'archived';
            other.stageHistory.push({
              stage: 'archived',
              at: now,
              reason: `version ${version} promoted to production`,
            });
          }
        }
      }
      if (mv.stage !== stage) {
        mv.stage = stage;
        mv.stageHistory.push({ stage, at: now, reason: 'promoted' });
      }
      writeJsonAtomic(this.modelFile(name), model);
      return mv;
    });
  }

  readBaselines(): BaselinesFile {
    try {
      const b = checkBaselines<BaselinesFile>(readJsonFile(this.baselinesFile), this.baselinesFile);
      if (b.schemaVersion > REGISTRY_SCHEMA_VERSION) {
        throw new RunlensError(
          `${this.baselinesFile} was written by a newer Runlens`,
          'upgrade Runlens',
          'conflict',
        );
      }
      return b;
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return { schemaVersion: REGISTRY_SCHEMA_VERSION, experiments: {} };
      throw e;
    }
  }

  getBaseline(experiment: string): Baseline | undefined {
    return getOwn(this.readBaselines().experiments, experiment);
  }

  async setBaseline(
    experiment: string,
    baseline: { run: string } | { model: string; stage: Stage },
  ): Promise<Baseline> {
    let value: Baseline;
    if ('run' in baseline) {
      value = { kind: 'run', run: this.store.resolveRunId(baseline.run), setAt: Date.now() };
    } else {
      this.getVersion(baseline.model, baseline.stage);
      value = { kind: 'model', model: baseline.model, stage: baseline.stage, setAt: Date.now() };
    }
    await withLock(this.baselinesFile, () => {
      const b = this.readBaselines();
      setOwn(b.experiments, experiment, value);
      writeJsonAtomic(this.baselinesFile, b);
    });
    return value;
  }

  /** The run that the experiment's baseline points at now. */
  baselineRun(experiment: string): string | undefined {
    const b = this.getBaseline(experiment);
    if (!b) return undefined;
    return b.kind === 'run' ? b.run : this.getVersion(b.model, b.stage).sourceRun;
  }
}

/** A run's `artifacts/model` folder when there is one, else all its artifacts but the git diff. */
function defaultModelFiles(runDir: string): string[] {
  const artifacts = path.join(runDir, ARTIFACTS_DIR);
  if (fs.existsSync(path.join(artifacts, 'model'))) return [path.join(artifacts, 'model')];
  try {
    return fs
      .readdirSync(artifacts)
      .sort()
      .filter((n) => n !== 'git.diff')
      .map((n) => path.join(artifacts, n));
  } catch {
    return [];
  }
}

/** Temporary folders of killed registers, and version folders that model.json does not record. */
function removeLeftovers(modelDir: string, versions: ModelVersion[]): void {
  const recorded = new Set(versions.map((v) => `v${v.version}`));
  let names: string[];
  try {
    names = fs.readdirSync(modelDir);
  } catch {
    return;
  }
  for (const n of names) {
    if ((/^\.v\d+\..*\.tmp$/.test(n) || /^v\d+$/.test(n)) && !recorded.has(n)) {
      fs.rmSync(path.join(modelDir, n), { recursive: true, force: true });
    }
  }
}

function listFiles(p: string): string[] {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return [p];
  return fs
    .readdirSync(p)
    .sort()
    .flatMap((n) => listFiles(path.join(p, n)));
}
