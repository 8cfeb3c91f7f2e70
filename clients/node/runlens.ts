import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunlensError } from '../../src/core/errors';
import { mkdirp, writeFileAtomic } from '../../src/core/store/fsutil';
import { ARTIFACTS_DIR, RUN_FILE, readRunFile, updateRunFileSync } from '../../src/core/store/runFile';
import { PARENT_TAG } from '../../src/core/store/nesting';
import { resolveStoreDir } from '../../src/core/store/resolve';
import type { MetricPointRow, RunRow, SearchOptions } from '../../src/core/store/search';
import { metricHistory, runRow, searchEntries } from '../../src/core/store/search';
import { Store } from '../../src/core/store/store';
import type { MetricSummary, ParamValue, RunRecord, RunStatus } from '../../src/core/store/types';
import { foldSummary, scanMetrics } from '../../src/core/store/metrics';
import { TERMINAL_STATUSES } from '../../src/core/store/types';
import { relativeToRoot } from '../../src/core/tracking/environment';
import { MetricLog } from '../../src/core/tracking/metricLog';
import { assignOwn, getOwn, setOwn } from '../../src/core/store/records';

export const CLIENT_VERSION = '0.1.0';

type Label = string | number | boolean;

export interface PredictionsOptions {
  labels: ArrayLike<Label>;
  predictions?: ArrayLike<Label>;
  /** Binary: one probability a row; multiclass: one row of class probabilities a row. */
  scores?: ArrayLike<number> | ArrayLike<ArrayLike<number>>;
  classes?: Label[];
  /** File name in artifacts/ without .csv (default "predictions"). */
  name?: string;
}

function csvCell(v: Label): string {
  const s =
    typeof v === 'number' && !Number.isFinite(v)
      ? Number.isNaN(v)
        ? 'NaN'
        : v > 0
          ? 'Infinity'
          : '-Infinity'
      : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV that logPredictions writes (exported for tools that write predictions elsewhere). */
export function predictionsCsv(o: PredictionsOptions): string {
  const n = o.labels.length;
  if (n === 0) throw new RunlensError('logPredictions: labels is empty', undefined, 'usage');
  const cols: [string, (i: number) => Label][] = [['label', (i) => o.labels[i]]];
  if (o.predictions) {
    const p = o.predictions;
    if (p.length !== n)
      throw new RunlensError(`logPredictions: ${n} labels but ${p.length} predictions`, undefined, 'usage');
    cols.push(['prediction', (i) => p[i]]);
  }
  if (o.scores) {
    const sc = o.scores;
    if (sc.length !== n)
      throw new RunlensError(
        `logPredictions: ${n} labels but ${sc.length} rows of scores`,
        undefined,
        'usage',
      );
    if (typeof sc[0] === 'number') cols.push(['score', (i) => sc[i] as number]);
    else {
      const rows = sc as ArrayLike<ArrayLike<number>>;
      const width = rows[0].length;
      for (let i = 0; i < n; i++) {
        if (typeof rows[i] !== 'object' || rows[i].length !== width) {
          throw new RunlensError(
            `logPredictions: scores row ${i} has ${rows[i]?.length ?? 'one'} values, row 0 has ${width}`,
            undefined,
            'usage',
          );
        }
      }
      const classes = o.classes ?? Array.from({ length: width }, (_, k) => k);
      if (classes.length !== width)
        throw new RunlensError(
          `logPredictions: ${classes.length} classes but ${width} score columns`,
          undefined,
          'usage',
        );
      classes.forEach((c, k) => cols.push([`score_${String(c)}`, (i) => rows[i][k]]));
    }
  } else if (!o.predictions) {
    throw new RunlensError('logPredictions: give predictions, scores or both', undefined, 'usage');
  }
  const lines = [cols.map(([h]) => csvCell(h)).join(',')];
  for (let i = 0; i < n; i++) lines.push(cols.map(([, f]) => csvCell(f(i))).join(','));
  return lines.join('\n') + '\n';
}

export interface InitOptions {
  experiment?: string;
  name?: string;
  /** Defaults; values passed on the command line (`runlens run -p k=v`) win. */
  params?: Record<string, unknown>;
  tags?: Record<string, string>;
  /** The store folder itself (e.g. `path/to/.runlens`); defaults to $RUNLENS_STORE, then the nearest `.runlens` at or above the working directory. */
  store?: string;
  /** Nest the new run in this one (a Run or a run id): the explorer shows it under its parent. */
  parent?: Run | string;
  /**
   * Reopen this run of the store (id, unique prefix/suffix or name; MLflow's `start_run(run_id=...)`):
   * it is running again and owned by this process, params keep their values (a changed one is an
   * error), tags are added, and automatic steps continue after the last one logged.
   */
  runId?: string;
}

/**
 * A tracked run. Inside a run launched by Runlens ($RUNLENS_RUN_DIR) it attaches to that run and
 * leaves its status to the launcher; started alone, it creates a run and owns its status.
 */
export class Run {
  readonly id: string;
  readonly dir: string;
  readonly params: Record<string, ParamValue>;
  private readonly metrics: MetricLog;
  private readonly owner: boolean;
  private readonly root: string;
  private ended = false;
  private removed = false;
  private readonly onExit = (code: number) => this.finishSync(code === 0 ? 'finished' : 'failed', code);
  private readonly onSigterm = () => {
    this.finishSync('killed', 143);
    process.exit(143);
  };

  constructor(options: InitOptions = {}) {
    let resumed: Record<string, MetricSummary> | undefined;
    const attachedDir = process.env.RUNLENS_RUN_DIR;
    const launched = parseLaunchedParams(process.env.RUNLENS_PARAMS);
    const params = { ...normalizeParams(options.params ?? {}), ...launched };
    if (options.parent !== undefined) {
      const parentId = typeof options.parent === 'string' ? options.parent : options.parent.id;
      options = { ...options, tags: { ...options.tags, [PARENT_TAG]: parentId } };
    }
    if (attachedDir) {
      this.owner = false;
      this.dir = attachedDir;
      this.root = path.dirname(path.dirname(path.dirname(attachedDir)));
      const run = updateRunFileSync(attachedDir, (r) => {
        r.params = { ...r.params, ...params };
        r.tags = { ...r.tags, ...(options.tags ?? {}) };
        if (options.name && r.name !== options.name) r.name = options.name;
        if (options.experiment && !process.env.RUNLENS_EXPERIMENT) r.experiment = options.experiment;
      });
      this.id = run.id;
    } else if (options.runId !== undefined) {
      const store = Store.open(resolveStoreDir({ explicit: options.store, cwd: process.cwd() }).dir);
      this.root = store.root;
      this.dir = store.runDir(store.resolveRunId(String(options.runId)));
      resumed = {};
      const summary = resumed;
      scanMetrics(path.join(this.dir, 'metrics.jsonl'), (p) => foldSummary(summary, p));
      const tags = options.tags ?? {};
      const run = updateRunFileSync(this.dir, (r) => {
        checkParamsUnchanged(r, params);
        assignOwn(r.params, params);
        assignOwn(r.tags, tags);
        r.status = 'running';
        r.endTime = null;
        r.exitCode = null;
        r.summary = null;
        r.pid = process.pid;
        r.host = os.hostname();
      });
      this.owner = true;
      this.id = run.id;
    } else {
      const store = Store.open(resolveStoreDir({ explicit: options.store, cwd: process.cwd() }).dir, {
        create: true,
      });
      this.root = store.root;
      const entry = process.argv[1] ? relativeToRoot(path.resolve(process.argv[1]), store.root) : null;
      const run = store.createRun({
        experiment: options.experiment ?? process.env.RUNLENS_EXPERIMENT,
        name: options.name,
        command: process.argv.slice(),
        script: entry,
        params,
        tags: options.tags ?? {},
      });
      this.owner = true;
      this.id = run.id;
      this.dir = store.runDir(run.id);
    }
    this.params = params;
    fs.writeFileSync(
      path.join(this.dir, 'client.json'),
      JSON.stringify({ language: 'node', version: CLIENT_VERSION, pid: process.pid }) + '\n',
    );
    this.metrics = new MetricLog(path.join(this.dir, 'metrics.jsonl'), () => this.isRemoved());
    if (resumed) this.metrics.continueFrom(resumed);
    process.on('exit', this.onExit);
    // Without a handler Node exits on SIGTERM without 'exit' handlers: buffered points would be lost.
    if (process.listenerCount('SIGTERM') === 0) process.on('SIGTERM', this.onSigterm);
  }

  /** Log metrics at a step (the next automatic step when omitted). Values must be numbers. */
  log(metrics: Record<string, unknown>, step?: number): void {
    this.assertOpen();
    this.metrics.log(metrics, step);
  }

  /** One metric point (MLflow's log_metric); timestamp in ms since the epoch, now when omitted. */
  logMetric(key: string, value: number, step?: number, timestamp?: number): void {
    this.logMetrics({ [key]: value }, step, timestamp);
  }

  logMetrics(metrics: Record<string, unknown>, step?: number, timestamp?: number): void {
    this.assertOpen();
    if (timestamp !== undefined && !Number.isFinite(timestamp))
      throw new RunlensError(
        `timestamp must be milliseconds since the epoch, got ${String(timestamp)}`,
        undefined,
        'usage',
      );
    this.metrics.log(metrics, step, undefined, timestamp === undefined ? undefined : Math.trunc(timestamp));
  }

  /** Record params; a param already logged with another value is an error (MLflow's rule). */
  logParams(params: Record<string, unknown>): void {
    this.assertOpen();
    const clean = normalizeParams(params);
    this.update((r) => {
      checkParamsUnchanged(r, clean);
      assignOwn(r.params, clean);
    });
    assignOwn(this.params, clean);
  }

  setTag(key: string, value: string): void {
    this.setTags({ [key]: value });
  }

  /** Save text as an artifact; returns its path inside the run folder. */
  logText(text: string, artifactFile: string): string {
    const parts = artifactParts(artifactFile);
    if (!this.isRemoved()) {
      const dest = path.join(this.dir, ARTIFACTS_DIR, ...parts);
      mkdirp(path.dirname(dest));
      writeFileAtomic(dest, text);
    }
    return [ARTIFACTS_DIR, ...parts].join('/');
  }

  /** Save an object as JSON (indented by 2, as the Python client writes it) as an artifact. */
  logDict(value: unknown, artifactFile: string): string {
    return this.logText(JSON.stringify(value, null, 2) + '\n', artifactFile);
  }

  setTags(tags: Record<string, string>): void {
    this.assertOpen();
    this.update((r) => assignOwn(r.tags, tags));
  }

  /** Copy a file into the run's artifacts; returns its path inside the run folder. */
  logArtifact(file: string, name?: string): string {
    const parts = artifactParts(name ?? path.basename(file));
    const dest = path.join(this.dir, ARTIFACTS_DIR, ...parts);
    if (this.isRemoved()) return [ARTIFACTS_DIR, ...parts].join('/');
    mkdirp(path.dirname(dest));
    // Copied under a hidden name and renamed into place: readers never see half a file.
    const tmp = path.join(path.dirname(dest), `.${parts[parts.length - 1]}.${process.pid}.tmp`);
    try {
      fs.copyFileSync(file, tmp);
      fs.renameSync(tmp, dest);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    return [ARTIFACTS_DIR, ...parts].join('/');
  }

  /**
   * Save a model's predictions as artifacts/<name>.csv, the input of `runlens eval`: columns `label`,
   * `prediction`, and `score` (one number a row: the positive class's probability) or `score_<class>`
   * (rows of numbers; `classes` names the columns, default 0..k-1).
   */
  logPredictions(options: PredictionsOptions): string {
    const csv = predictionsCsv(options);
    const rel = path.join(ARTIFACTS_DIR, `${options.name ?? 'predictions'}.csv`);
    const abs = path.join(this.dir, rel);
    if (!abs.startsWith(path.join(this.dir, ARTIFACTS_DIR) + path.sep)) {
      throw new RunlensError(
        `logPredictions: name "${options.name}" must stay inside artifacts/`,
        undefined,
        'usage',
      );
    }
    if (this.isRemoved()) return rel.split(path.sep).join('/');
    mkdirp(path.dirname(abs));
    writeFileAtomic(abs, csv);
    return rel.split(path.sep).join('/');
  }

  /** Record a data file the run reads: path, size and sha256. */
  logInput(file: string): void {
    const abs = path.resolve(file);
    const { size, sha256 } = hashFileSync(abs);
    const input = { path: relativeToRoot(abs, this.root), size, sha256 };
    this.update((r) => {
      r.inputs = [...r.inputs.filter((i) => i.path !== input.path), input];
    });
  }

  /** Flush buffered metrics to disk now. */
  flush(): void {
    this.metrics.flush();
  }

  /** End the run; returns run.json (undefined when the run was removed). */
  finish(status: RunStatus = 'finished'): RunRecord | undefined {
    return this.finishSync(status);
  }

  [Symbol.dispose](): void {
    if (!this.ended) this.finish();
  }

  private finishSync(status: RunStatus, exitCode?: number): RunRecord | undefined {
    if (this.ended) return this.isRemoved() ? undefined : readRunFile(this.dir);
    this.ended = true;
    process.off('exit', this.onExit);
    process.off('SIGTERM', this.onSigterm);
    this.metrics.close();
    if (!this.owner) {
      if (status !== 'finished') return this.update((r) => (r.tags['runlens.client_status'] = status));
      return this.isRemoved() ? undefined : readRunFile(this.dir);
    }
    const summary = this.metrics.summary;
    return this.update((r) => {
      if (TERMINAL_STATUSES.has(r.status)) return;
      r.status = status;
      r.endTime = Date.now();
      r.exitCode = exitCode ?? (status === 'finished' ? 0 : 1);
      r.summary = summary;
    });
  }

  /** True once the run's folder is gone (`runlens rm` moves it to the trash); warns once. */
  private isRemoved(): boolean {
    if (this.removed) return true;
    if (fs.existsSync(path.join(this.dir, RUN_FILE))) return false;
    this.removed = true;
    process.stderr.write(`runlens: run ${this.id} was removed; this process no longer writes to it\n`);
    return true;
  }

  /** updateRunFileSync on this run, a no-op once the run was removed. */
  private update(change: (r: RunRecord) => void): RunRecord | undefined {
    if (this.isRemoved()) return undefined;
    try {
      return updateRunFileSync(this.dir, change);
    } catch (e) {
      if (this.isRemoved()) return undefined;
      throw e;
    }
  }

  private assertOpen(): void {
    if (this.ended)
      throw new RunlensError(`run ${this.id} has finished`, 'call init() for a new run', 'usage');
  }
}

/**
 * The path segments of an artifact name inside artifacts/, the Python client's rule: `/` and `\`
 * separate, empty and `.` segments are dropped, and a name with a `..` segment (or none left) is refused.
 */
export function artifactParts(name: string): string[] {
  const parts = String(name)
    .split(/[\\/]/)
    .filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) {
    throw new RunlensError(
      `artifact name ${JSON.stringify(name)} must be a relative path inside artifacts/`,
      undefined,
      'usage',
    );
  }
  return parts;
}

function hashFileSync(file: string): { size: number; sha256: string } {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = fs.openSync(file, 'r');
  let size = 0;
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; size += n)
      hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return { size, sha256: hash.digest('hex') };
}

/** MLflow's rule: a param already logged with another value is an error naming the run, key and values. */
function checkParamsUnchanged(r: RunRecord, params: Record<string, ParamValue>): void {
  for (const [k, v] of Object.entries(params)) {
    const old = getOwn(r.params, k);
    if (old !== undefined && old !== v)
      throw new RunlensError(
        `param "${k}" of run ${r.id} is already ${JSON.stringify(old)}, cannot log ${JSON.stringify(v)}: a param cannot change once logged (MLflow's rule)`,
        'log the new value under another key, or as a metric or tag',
        'conflict',
      );
  }
}

function normalizeParams(params: Record<string, unknown>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(params)) {
    setOwn(
      out,
      k,
      v === null || ['string', 'number', 'boolean'].includes(typeof v) ? (v as ParamValue) : String(v),
    );
  }
  return out;
}

function parseLaunchedParams(raw: string | undefined): Record<string, ParamValue> {
  if (!raw) return {};
  try {
    const v = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? normalizeParams(v) : {};
  } catch {
    return {};
  }
}

let current: Run | undefined;

export function init(options: InitOptions = {}): Run {
  if (current && !currentEnded()) current.finish();
  current = new Run(options);
  return current;
}

function currentEnded(): boolean {
  try {
    return current === undefined || TERMINAL_STATUSES.has(readRunFile(current.dir).status);
  } catch {
    return true;
  }
}

function active(): Run {
  if (!current) throw new RunlensError('no active run', 'call runlens.init() first', 'usage');
  return current;
}

export function log(metrics: Record<string, unknown>, step?: number): void {
  active().log(metrics, step);
}
export function logMetric(key: string, value: number, step?: number, timestamp?: number): void {
  active().logMetric(key, value, step, timestamp);
}
export function logMetrics(metrics: Record<string, unknown>, step?: number, timestamp?: number): void {
  active().logMetrics(metrics, step, timestamp);
}
export function setTag(key: string, value: string): void {
  active().setTag(key, value);
}
export function logText(text: string, artifactFile: string): string {
  return active().logText(text, artifactFile);
}
export function logDict(value: unknown, artifactFile: string): string {
  return active().logDict(value, artifactFile);
}
export function logParams(params: Record<string, unknown>): void {
  active().logParams(params);
}
export function setTags(tags: Record<string, string>): void {
  active().setTags(tags);
}
export function logArtifact(file: string, name?: string): string {
  return active().logArtifact(file, name);
}
export function logPredictions(options: PredictionsOptions): string {
  return active().logPredictions(options);
}
export function logInput(file: string): void {
  active().logInput(file);
}
export function finish(status: RunStatus = 'finished'): RunRecord | undefined {
  const r = active().finish(status);
  current = undefined;
  return r;
}

/** Minimal shape of a TensorFlow.js callback (tf.CustomCallbackArgs). */
export interface FitCallback {
  onEpochEnd?: (epoch: number, logs?: Record<string, unknown>) => void | Promise<void>;
  onBatchEnd?: (batch: number, logs?: Record<string, unknown>) => void | Promise<void>;
}

/**
 * A `model.fit` callback that logs every epoch's logs (loss, acc, val_loss...) at step = epoch,
 * and optionally every `batchEvery`-th batch under `batch/<key>`.
 */
export function tfCallback(options: { run?: Run; batchEvery?: number } = {}): FitCallback {
  const run = () => options.run ?? active();
  let batches = 0;
  const cb: FitCallback = {
    onEpochEnd: (epoch, logs) => {
      if (logs) run().log(numericOnly(logs), epoch);
    },
  };
  if (options.batchEvery) {
    const every = options.batchEvery;
    cb.onBatchEnd = (_batch, logs) => {
      if (logs && batches++ % every === 0) {
        run().log(
          Object.fromEntries(Object.entries(numericOnly(logs)).map(([k, v]) => [`batch/${k}`, v])),
          batches,
        );
      }
    };
  }
  return cb;
}

function numericOnly(logs: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(logs)) if (typeof v === 'number') setOwn(out, k, v);
  return out;
}

export { loadTf, describeBackend } from '../../src/core/tfjs/backend';
export type { LoadedTf, BackendName } from '../../src/core/tfjs/backend';

/** Where the read calls look: the store rule of `init` (an explicit store, $RUNLENS_STORE, the nearest). */
export interface ReadOptions {
  store?: string;
}

function storeForReading(options: ReadOptions): Store {
  return Store.open(resolveStoreDir({ explicit: options.store, cwd: process.cwd() }).dir);
}

/**
 * Runs matching a filter, as flat rows (run_id, run_name, experiment, status, start_time, end_time,
 * metrics.KEY, params.KEY, tags.KEY), read from the store directly. The filter and order are the
 * query language of `runlens ls -w/--sort`: `searchRuns("metrics.acc > 0.5 and params.opt = 'adam'",
 * { orderBy: 'metrics.acc DESC' })`.
 */
export function searchRuns(filter = '', options: SearchOptions & ReadOptions = {}): RunRow[] {
  const store = storeForReading(options);
  return searchEntries(store.listRuns().entries, { ...options, filter }).map(runRow);
}

/** run.json of a run (id, unique prefix/suffix or name), with its metric summary. */
export function getRun(ref: string, options: ReadOptions = {}): RunRecord {
  const store = storeForReading(options);
  const run = store.getRun(ref);
  const entry = store.listRuns().entries.find((e) => e.id === run.id);
  return { ...run, summary: run.summary ?? entry?.metrics ?? {} };
}

/** Every point of one metric of a run: { key, value, step, timestamp }. */
export function getMetricHistory(ref: string, key: string, options: ReadOptions = {}): MetricPointRow[] {
  return metricHistory(storeForReading(options), ref, key);
}
