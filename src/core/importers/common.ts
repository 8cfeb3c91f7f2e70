import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mkdirp, nonFinite, storeWriteError } from '../store/fsutil';
import { newRunId } from '../store/ids';
import { getOwn, setOwn } from '../store/records';
import { METRICS_HEADER, encodeValue, foldInto } from '../store/metrics';
import { ARTIFACTS_DIR, METRICS_FILE, OUTPUT_FILE, RUN_FILE, RUN_SCHEMA_VERSION } from '../store/runFile';
import { entryOf } from '../store/runIndex';
import type { Store } from '../store/store';
import type { InputFile, MetricSummary, ParamValue, RunEntry, RunRecord, RunStatus } from '../store/types';

/** Something an importer could not read, with the file and byte offset (or line) where it is. */
export interface ImportWarning {
  file: string;
  offset?: number;
  line?: number;
  message: string;
}

export interface ImportReport {
  source: 'mlflow-files' | 'mlflow-sqlite' | 'tensorboard';
  /** The file or folder that was read. */
  path: string;
  experiments: {
    /** Experiments found in the source. */
    found: number;
    /** Experiments that had no run in the Runlens store before this import and have one now. */
    created: number;
    /** Experiments whose runs were all in the store already, or that hold no run to import. */
    skipped: number;
  };
  runs: {
    found: number;
    created: number;
    /** Runs imported before whose source changed (more points, a new status): brought up to date. */
    updated: number;
    /** Runs imported before and unchanged, or deleted in the source (without includeDeleted). */
    skipped: number;
  };
  /** Metric points written to the store by this import. */
  points: number;
  params: number;
  tags: number;
  /** TensorBoard: values that are not scalars, counted by kind (images, histograms, ...), and corrupt records. */
  skippedValues: Record<string, number>;
  /** Runlens run ids created or updated. */
  runIds: string[];
  warnings: ImportWarning[];
}

export function emptyReport(source: ImportReport['source'], path: string): ImportReport {
  return {
    source,
    path,
    experiments: { found: 0, created: 0, skipped: 0 },
    runs: { found: 0, created: 0, updated: 0, skipped: 0 },
    points: 0,
    params: 0,
    tags: 0,
    skippedValues: {},
    runIds: [],
    warnings: [],
  };
}

export function count(map: Record<string, number>, key: string, n = 1): void {
  map[key] = (map[key] ?? 0) + n;
}

export function formatWarning(w: ImportWarning): string {
  const where = w.offset !== undefined ? `@${w.offset}` : w.line !== undefined ? `:${w.line}` : '';
  return `${w.file}${where}: ${w.message}`;
}

/** Tag set on a run while its import is under way; a run still carrying it is redone by the next import. */
export const IMPORT_MARKER_TAG = 'runlens.import';
export const ARTIFACT_URI_TAG = 'runlens.artifact_uri';
export const DELETED_TAG = 'runlens.deleted';

/**
 * Parameters arrive as text (MLflow stores them as strings). A text becomes a number or boolean only
 * when writing that value back gives the same text (`8`, `0.01`, `1e-05`, `true`), so that a round
 * trip through the MLflow format is exact; anything else (`1.0`, `True`, `[1, 2]`) stays text.
 */
export function paramFromText(text: string): ParamValue {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text.length === 0 || text.length > 32) return text;
  const c = text.charCodeAt(0);
  if (!((c >= 48 && c <= 57) || c === 45)) return text;
  const n = Number(text);
  if (!Number.isFinite(n)) return text;
  return paramText(n) === text ? n : text;
}

/** The text MLflow (Python) would store for a parameter value: see paramFromText. */
export function paramText(v: ParamValue): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return v;
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return String(v);
  return pythonFloatRepr(v);
}

/**
 * Python's repr of a float (what MLflow writes into metric files): the shortest round-trip digits,
 * like JavaScript, but in exponent form below 1e-4 and from 1e16 up, with a two-digit exponent
 * (`1e-05`), and `.0` on integral values; `nan`, `inf`, `-inf`.
 */
export function pythonFloatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(v);
  if (abs >= 1e-4 && abs < 1e16) {
    const s = String(v);
    if (s.includes('e')) return s; // not reached for this range, kept for safety
    return s.includes('.') ? s : s + '.0';
  }
  // toExponential() without an argument gives the shortest round-trip digits.
  const e = v.toExponential();
  const at = e.indexOf('e');
  const mantissa = e.slice(0, at);
  const exp = Number(e.slice(at + 1));
  const expText = (exp < 0 ? '-' : '+') + String(Math.abs(exp)).padStart(2, '0');
  return `${mantissa}e${expText}`;
}

/** The runs of the store (one refresh of the index), for an import to find what it imported before. */
export function listForImport(store: Store): RunEntry[] {
  cleanStaleImports(store);
  return store.listRuns().entries;
}

const OUT_CHUNK = 1 << 22;
/** Output buffers of closed writers, reused: an import of many small runs allocates a few, not one each. */
const spareBuffers: Buffer[] = [];

/**
 * Appends metric points to a run's metrics.jsonl in the layout every Runlens writer uses
 * (`{"key":k,"value":v,"step":s,"time":t}`), through a 4 MB buffer, folding the summary as it goes.
 */
export class PointWriter {
  readonly summary: Record<string, MetricSummary> = {};
  points = 0;
  /** Bytes written to the file by this writer (flushed). */
  bytes = 0;
  minTime = Infinity;
  maxTime = -Infinity;
  /** Output buffer and fill position: readers with a fast path write lines here directly (reserve first). */
  buf: Buffer = spareBuffers.pop() ?? Buffer.allocUnsafe(OUT_CHUNK);
  view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  pos = 0;
  private fd: number | undefined;

  /** Appends to `file`; with `create`, writes it anew, starting with the metrics.jsonl header line. */
  constructor(
    private readonly file: string,
    create = false,
  ) {
    try {
      this.fd = fs.openSync(file, create ? 'w' : 'a');
    } catch (e) {
      throw storeWriteError(e, file);
    }
    if (create) this.pos = this.buf.write(METRICS_HEADER + '\n', 0, 'utf8');
  }

  /** Summary entry of a key, created on its first point. */
  series(key: string): MetricSummary {
    let s = getOwn(this.summary, key);
    if (s === undefined) {
      s = { last: NaN, lastStep: -Infinity, min: NaN, max: NaN, count: 0, lastTime: 0 };
      setOwn(this.summary, key, s);
    }
    return s;
  }

  /** The bytes every line of a key starts with (`{"key":K,"value":`), for readers that write lines directly. */
  static linePrefix(key: string): Buffer {
    return Buffer.from('{"key":' + JSON.stringify(key) + ',"value":', 'utf8');
  }

  /** Make room for n more bytes in buf (flushing it). */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = Buffer.allocUnsafe(n);
      this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    }
  }

  /**
   * Add one point. `valueText`, `stepText` and `timeText` are the JSON texts of value, step and time
   * when the caller has them already (copied from the source), else they are formatted here.
   */
  add(
    keyJson: string,
    s: MetricSummary,
    value: number,
    step: number,
    time: number,
    valueText?: string,
    stepText?: string,
    timeText?: string,
  ): void {
    const line =
      '{"key":' +
      keyJson +
      ',"value":' +
      (valueText ?? jsonValue(value)) +
      ',"step":' +
      (stepText ?? String(step)) +
      ',"time":' +
      (timeText ?? String(time)) +
      '}\n';
    this.reserve(line.length * 3);
    this.pos += this.buf.write(line, this.pos, 'utf8');
    this.fold(s, value, step, time);
  }

  /** Count a point written directly into buf, and fold it into its key's summary. */
  fold(s: MetricSummary, value: number, step: number, time: number): void {
    this.points++;
    if (time < this.minTime) this.minTime = time;
    if (time > this.maxTime) this.maxTime = time;
    foldInto(s, value, step, time);
  }

  flush(): void {
    if (this.pos === 0 || this.fd === undefined) return;
    try {
      let off = 0;
      while (off < this.pos) off += fs.writeSync(this.fd, this.buf, off, this.pos - off);
      this.bytes += this.pos;
    } catch (e) {
      throw storeWriteError(e, this.file);
    }
    this.pos = 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    fs.closeSync(this.fd);
    this.fd = undefined;
    if (this.buf.length === OUT_CHUNK && spareBuffers.length < 4) spareBuffers.push(this.buf);
  }
}

function jsonValue(v: number): string {
  const e = encodeValue(v);
  return typeof e === 'number' ? String(e) : '"' + e + '"';
}

export interface ImportedRunSpec {
  experiment: string;
  name: string;
  status: RunStatus;
  startTime: number | null;
  endTime: number | null;
  params: Record<string, ParamValue>;
  tags: Record<string, string>;
  script: string | null;
  cwd: string;
  inputs: InputFile[];
}

/** The fields of a run record an import decides, applied to a new or an existing record. */
function applySpec(r: RunRecord, spec: ImportedRunSpec, writer: PointWriter): void {
  const terminal = spec.status !== 'running' && spec.status !== 'queued';
  const firstTime = Number.isFinite(writer.minTime) ? writer.minTime : null;
  const lastTime = Number.isFinite(writer.maxTime) ? writer.maxTime : null;
  r.experiment = spec.experiment;
  r.name = spec.name;
  r.status = spec.status;
  r.params = spec.params;
  r.tags = spec.tags;
  r.script = spec.script;
  r.cwd = spec.cwd;
  r.command = null;
  r.startTime = spec.startTime ?? firstTime ?? 0;
  r.endTime = spec.endTime ?? (terminal ? (lastTime ?? r.startTime) : null);
  r.exitCode = null;
  // No owner process: no reader marks a run imported as running "crashed".
  r.pid = null;
  r.host = '';
  r.inputs = spec.inputs;
  r.summary = terminal ? writer.summary : null;
}

/** Index entries of the runs an import created, recorded in batches (one journal append each). */
export class ImportBatch {
  private entries: RunEntry[] = [];

  constructor(private readonly store: Store) {}

  /** `summary` is what the writer folded: a run imported while running has no summary of its own. */
  add(run: RunRecord, metricsBytes: number, summary: Record<string, MetricSummary>): void {
    this.entries.push(entryOf(run, run.summary ?? summary, metricsBytes));
    if (this.entries.length >= 256) this.flush();
  }

  flush(): void {
    if (this.entries.length > 0) this.store.index.record(this.entries.splice(0));
  }
}

const IMPORT_DIR_PREFIX = '.import-';
/** This host, in the names of import folders: only folders of imports on this host can be checked. */
export const IMPORT_HOST_TAG = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
let importDirCounter = 0;

/**
 * Remove the hidden folders (`runs/.import-<pid>-<n>-<host>`) of imports whose process died before
 * moving them into place. Folders of other hosts (a store on a shared drive) are left alone.
 */
export function cleanStaleImports(store: Store): void {
  let names: string[];
  try {
    names = fs.readdirSync(store.runsDir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(IMPORT_DIR_PREFIX) || !name.endsWith('-' + IMPORT_HOST_TAG)) continue;
    const pid = Number(name.slice(IMPORT_DIR_PREFIX.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || processAlive(pid)) continue;
    fs.rmSync(path.join(store.runsDir, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Create a run from an import: its folder is written hidden (`runs/.import-<pid>-<n>-<host>/`, which
 * readers skip) and renamed into place once complete, so a run appears whole or not at all. `fill`
 * writes the points (and artifacts); the id encodes the run's own start time, so runs sort by when
 * they ran. The index entry goes to `batch`.
 */
export async function createImportedRun(
  store: Store,
  spec: ImportedRunSpec,
  fill: (writer: PointWriter, dir: string) => void | Promise<void>,
  batch: ImportBatch,
): Promise<{ run: RunRecord; points: number }> {
  const tmp = path.join(
    store.runsDir,
    `${IMPORT_DIR_PREFIX}${process.pid}-${importDirCounter++}-${IMPORT_HOST_TAG}`,
  );
  mkdirp(path.join(tmp, ARTIFACTS_DIR));
  let writer: PointWriter | undefined;
  try {
    fs.writeFileSync(path.join(tmp, OUTPUT_FILE), '');
    writer = new PointWriter(path.join(tmp, METRICS_FILE), true);
    await fill(writer, tmp);
    writer.close();
    const now = Date.now();
    const run: RunRecord = {
      schemaVersion: RUN_SCHEMA_VERSION,
      id: '',
      experiment: spec.experiment,
      name: spec.name,
      status: spec.status,
      command: null,
      cwd: spec.cwd,
      script: spec.script,
      params: {},
      tags: {},
      starred: false,
      startTime: 0,
      endTime: null,
      exitCode: null,
      pid: null,
      host: '',
      git: null,
      environment: { os: 'unknown', arch: 'unknown' },
      inputs: [],
      summary: null,
      note: null,
      updatedAt: now,
    };
    applySpec(run, spec, writer);
    run.id = newRunId(run.startTime > 0 && run.startTime < now ? Math.floor(run.startTime) : now);
    // The folder is not visible yet: run.json needs no temporary file of its own.
    fs.writeFileSync(path.join(tmp, RUN_FILE), JSON.stringify(run, nonFinite, 2) + '\n');
    const bytes = writer.bytes;
    try {
      fs.renameSync(tmp, store.runDir(run.id));
    } catch (e) {
      throw storeWriteError(e, store.runDir(run.id));
    }
    batch.add(run, bytes, writer.summary);
    return { run, points: writer.points };
  } catch (e) {
    try {
      writer?.close();
    } catch {
      /* already closed */
    }
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Rewrite the metrics of a run imported before (it was still running, or its import stopped
 * half-way): the run is marked with the import marker tag while its metrics file is emptied and
 * written again. Returns a writer on it; finishImportedRun completes the run.
 */
export async function reopenImportedRun(store: Store, id: string): Promise<PointWriter> {
  await store.updateRun(id, (r) => {
    r.tags = { ...r.tags, [IMPORT_MARKER_TAG]: 'incomplete' };
  });
  try {
    fs.writeFileSync(store.metricsFile(id), METRICS_HEADER + '\n');
  } catch (e) {
    throw storeWriteError(e, store.metricsFile(id));
  }
  return new PointWriter(store.metricsFile(id));
}

/** Write the final record of a run imported before (under its lock) and its index entry. */
export async function finishImportedRun(
  store: Store,
  id: string,
  spec: ImportedRunSpec,
  writer: PointWriter,
): Promise<RunRecord> {
  writer.close();
  return store.updateRun(id, (r) => applySpec(r, spec, writer));
}
