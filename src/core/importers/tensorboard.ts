import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs/light';
import { RunlensError, errorMessage } from '../errors';
import type { Store } from '../store/store';
import type { MetricSummary, ParamValue, RunEntry } from '../store/types';
import { setOwn } from '../store/records';
import type { ImportReport, ImportWarning, ImportedRunSpec } from './common';
import {
  IMPORT_MARKER_TAG,
  ImportBatch,
  PointWriter,
  count,
  createImportedRun,
  emptyReport,
  finishImportedRun,
  listForImport,
  reopenImportedRun,
} from './common';
import { TENSORBOARD_SCHEMA } from './tensorboardSchema';
import type { TfRecordOptions } from './tfrecord';
import { scanTfRecords, scanTfRecordsAt } from './tfrecord';

export const TB_RUN_TAG = 'tensorboard.run';
export const TB_LOGDIR_TAG = 'tensorboard.logdir';
export const TB_FILES_TAG = 'tensorboard.files';
export const TB_PLUGINS_TAG = 'tensorboard.plugins';

/** A scalar read from an event file. `wallTime` is in ms (TensorBoard stores seconds). */
export interface TbScalar {
  tag: string;
  step: number;
  wallTime: number;
  value: number;
}

/** How far each event file of a run folder was read, and what identifies it. */
export interface TbFileState {
  /** First 16 hex digits of the SHA-256 of the file's first record (its file_version event). */
  fp: string;
  offset: number;
}

export interface TbRunState {
  files: Record<string, TbFileState>;
  /** Plugin of each tag, from the metadata of its first value (later values usually carry none). */
  plugins: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Decoding

interface Long {
  toNumber(): number;
}
type Int64 = number | Long;

interface TensorShape {
  dim: { size: Int64 }[];
}
interface Tensor {
  dtype: number;
  tensor_shape?: TensorShape | null;
  tensor_content: Uint8Array;
  float_val: number[];
  double_val: number[];
  half_val: number[];
  int_val: number[];
  int64_val: Int64[];
}
interface SummaryValue {
  tag: string;
  node_name: string;
  metadata?: { plugin_data?: { plugin_name: string; content: Uint8Array } | null } | null;
  /** Name of the member of the `value` oneof that is set. */
  value?: string;
  simple_value: number;
  tensor?: Tensor;
}
interface TfEvent {
  wall_time: number;
  step: Int64;
  what?: string;
  summary?: { value: SummaryValue[] };
}
interface HParamValue {
  kind?: string;
  number_value: number;
  string_value: string;
  bool_value: boolean;
}
interface HParamsData {
  data?: string;
  session_start_info?: { hparams: Record<string, HParamValue> };
}

let types: { event: protobuf.Type; hparams: protobuf.Type } | undefined;

function schema(): { event: protobuf.Type; hparams: protobuf.Type } {
  if (!types) {
    const root = protobuf.Root.fromJSON(TENSORBOARD_SCHEMA as protobuf.INamespace);
    types = {
      event: root.lookupType('tensorflow.Event'),
      hparams: root.lookupType('tensorflow.HParamsPluginData'),
    };
  }
  return types;
}

function int64(v: Int64 | undefined | null): number {
  if (v === undefined || v === null) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
const DT_STRING = 7;
const DT_INT64 = 9;
const DT_BFLOAT16 = 14;
const DT_HALF = 19;

function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function bfloat16ToNumber(h: number): number {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(((h & 0xffff) << 16) >>> 0);
  return b.readFloatLE(0);
}

/** The value of a tensor holding exactly one number (a scalar), or undefined. */
export function tensorScalar(t: Tensor): number | undefined {
  const dims = t.tensor_shape?.dim ?? [];
  for (const d of dims) if (int64(d.size) !== 1) return undefined;
  const content = t.tensor_content;
  const view =
    content && content.length > 0 ? new DataView(content.buffer, content.byteOffset, content.length) : null;
  switch (t.dtype) {
    case DT_FLOAT:
      if (t.float_val.length === 1) return t.float_val[0];
      if (view && content.length === 4) return view.getFloat32(0, true);
      return undefined;
    case DT_DOUBLE:
      if (t.double_val.length === 1) return t.double_val[0];
      if (view && content.length === 8) return view.getFloat64(0, true);
      return undefined;
    case DT_HALF:
    case DT_BFLOAT16: {
      const conv = t.dtype === DT_HALF ? halfToNumber : bfloat16ToNumber;
      if (t.half_val.length === 1) return conv(t.half_val[0]);
      if (view && content.length === 2) return conv(view.getUint16(0, true));
      return undefined;
    }
    case DT_INT32:
      if (t.int_val.length === 1) return t.int_val[0];
      if (view && content.length === 4) return view.getInt32(0, true);
      return undefined;
    case DT_INT64:
      if (t.int64_val.length === 1) return int64(t.int64_val[0]);
      if (view && content.length === 8) return Number(view.getBigInt64(0, true));
      return undefined;
    default:
      return undefined;
  }
}

/** What a run's events hold besides scalars, counted by kind. */
export interface EventSink {
  scalar(tag: string, step: number, wallTimeMs: number, value: number): void;
  /** Every event's wall time (ms), for the run's start and end. */
  wallTime?(ms: number): void;
  param?(name: string, value: ParamValue): void;
  skipped?(kind: string): void;
}

const SKIP_BY_PLUGIN: Record<string, string> = {
  images: 'images',
  audio: 'audio',
  text: 'text',
  histograms: 'histograms',
  distributions: 'histograms',
  hparams: 'hparams',
  pr_curves: 'pr_curves',
  mesh: 'meshes',
  graph_run_metadata: 'graphs',
  graph_run_metadata_graph: 'graphs',
  graph_keras_model: 'graphs',
  custom_scalars: 'layouts',
};

/**
 * Decode one Event record and hand its scalars (simple_value, or a one-element float/double tensor in
 * float_val/double_val or raw little-endian tensor_content) to the sink. Images, audio, histograms,
 * graphs, text and other tensors are counted; hparams become params where they carry values.
 * `plugins` remembers each tag's plugin from its first value's metadata.
 */
export function decodeEvent(data: Uint8Array, plugins: Record<string, string>, sink: EventSink): void {
  const { event: Event, hparams: HParams } = schema();
  const e = Event.decode(data) as unknown as TfEvent;
  const wallMs = e.wall_time * 1000;
  sink.wallTime?.(wallMs);
  switch (e.what) {
    case 'summary':
      break;
    case 'graph_def':
    case 'meta_graph_def':
    case 'tagged_run_metadata':
      sink.skipped?.('graphs');
      return;
    default:
      return; // file_version, session_log, log_message: no data
  }
  const step = int64(e.step);
  for (const v of e.summary?.value ?? []) {
    const tag = v.tag || v.node_name;
    const pd = v.metadata?.plugin_data;
    if (pd && pd.plugin_name && plugins[tag] === undefined) plugins[tag] = pd.plugin_name;
    const plugin = plugins[tag] ?? '';
    if (plugin === 'hparams') {
      sink.skipped?.('hparams');
      if (pd && pd.content && pd.content.length > 0 && sink.param) {
        try {
          const h = HParams.decode(pd.content) as unknown as HParamsData;
          for (const [name, hv] of Object.entries(h.session_start_info?.hparams ?? {})) {
            if (hv.kind === 'number_value') sink.param(name, hv.number_value);
            else if (hv.kind === 'string_value') sink.param(name, hv.string_value);
            else if (hv.kind === 'bool_value') sink.param(name, hv.bool_value);
          }
        } catch {
          /* hparams content we cannot read: counted, not fatal */
        }
      }
      continue;
    }
    switch (v.value) {
      case 'simple_value':
        sink.scalar(tag, step, wallMs, v.simple_value);
        break;
      case 'tensor': {
        const t = v.tensor!;
        const skip = SKIP_BY_PLUGIN[plugin];
        if (skip !== undefined) {
          sink.skipped?.(skip);
          break;
        }
        if (t.dtype === DT_STRING) {
          sink.skipped?.('text');
          break;
        }
        const x = tensorScalar(t);
        if (x === undefined) sink.skipped?.('tensors');
        else sink.scalar(tag, step, wallMs, x);
        break;
      }
      case 'image':
        sink.skipped?.('images');
        break;
      case 'histo':
      case 'obsolete_old_style_histogram':
        sink.skipped?.('histograms');
        break;
      case 'audio':
        sink.skipped?.('audio');
        break;
      default:
        // A value with metadata only (a plugin's run-level summary).
        sink.skipped?.(SKIP_BY_PLUGIN[plugin] ?? 'other');
    }
  }
}

/** Tag strings by their bytes, so that a tag seen again is not decoded again. */
export class TagCache {
  private entries: { bytes: Uint8Array; text: string }[] = [];

  get(b: Uint8Array, start: number, end: number): string {
    const n = end - start;
    for (const e of this.entries) {
      const eb = e.bytes;
      if (eb.length !== n) continue;
      let k = 0;
      while (k < n && eb[k] === b[start + k]) k++;
      if (k === n) return e.text;
    }
    const text = Buffer.from(b.buffer, b.byteOffset + start, n).toString('utf8');
    if (this.entries.length < 64)
      this.entries.push({ bytes: Uint8Array.prototype.slice.call(b, start, end), text });
    return text;
  }
}

const f64 = new Float64Array(1);
const f64b = new Uint8Array(f64.buffer);
const f32 = new Float32Array(1);
const f32b = new Uint8Array(f32.buffer);
// Tag ranges and values of the event being read by the fast path (at most MAX_FAST values).
const MAX_FAST = 32;
const fastTags = new Int32Array(MAX_FAST * 2);
const fastValues = new Float64Array(MAX_FAST);
const fastNames: string[] = new Array<string>(MAX_FAST).fill('');

/**
 * Fast path for the commonest record: an Event holding wall_time, step and a Summary whose values
 * are all a tag and a simple_value, with no metadata (fields 1, 2, 5; Value fields 1, 2: see
 * tensorboard.proto). Read straight from the bytes; returns false, having done nothing, for any
 * other record, which decodeEvent (protobufjs) then reads. A unit test checks that both give the
 * same scalars on every record of the fixture files.
 */
export function decodeSimpleScalars(
  b: Uint8Array,
  start: number,
  end: number,
  plugins: Record<string, string>,
  sink: EventSink,
  tags: TagCache,
): boolean {
  let i = start;
  let wall = 0;
  let step = 0;
  let sumStart = -1;
  let sumEnd = -1;
  while (i < end) {
    const key = b[i++];
    if (key === 0x09) {
      if (i + 8 > end) return false;
      for (let k = 0; k < 8; k++) f64b[k] = b[i + k];
      wall = f64[0];
      i += 8;
    } else if (key === 0x10) {
      // int64 varint; a negative step (10 bytes) or one past 2^49 goes through protobufjs.
      let shift = 1;
      step = 0;
      let c: number;
      let n = 0;
      do {
        if (i >= end || ++n > 7) return false;
        c = b[i++];
        step += (c & 0x7f) * shift;
        shift *= 128;
      } while (c & 0x80);
    } else if (key === 0x2a) {
      let len = 0;
      let shift = 1;
      let c: number;
      let n = 0;
      do {
        if (i >= end || ++n > 4) return false;
        c = b[i++];
        len += (c & 0x7f) * shift;
        shift *= 128;
      } while (c & 0x80);
      sumStart = i;
      sumEnd = i + len;
      if (sumEnd > end) return false;
      i = sumEnd;
    } else return false;
  }
  if (sumStart < 0) return false;
  let count = 0;
  i = sumStart;
  while (i < sumEnd) {
    if (b[i++] !== 0x0a || count === MAX_FAST) return false;
    const vlen = b[i++];
    if (vlen >= 0x80) return false;
    const vend = i + vlen;
    if (vend > sumEnd) return false;
    let tagStart = -1;
    let tagEnd = -1;
    let values = 0;
    while (i < vend) {
      const key = b[i++];
      if (key === 0x0a) {
        const tlen = b[i++];
        if (tlen >= 0x80 || i + tlen > vend) return false;
        tagStart = i;
        tagEnd = i + tlen;
        i = tagEnd;
      } else if (key === 0x15) {
        if (i + 4 > vend) return false;
        f32b[0] = b[i];
        f32b[1] = b[i + 1];
        f32b[2] = b[i + 2];
        f32b[3] = b[i + 3];
        fastValues[count] = f32[0];
        values++;
        i += 4;
      } else return false;
    }
    if (tagStart < 0 || values !== 1) return false;
    fastTags[2 * count] = tagStart;
    fastTags[2 * count + 1] = tagEnd;
    count++;
  }
  const wallMs = wall * 1000;
  for (let k = 0; k < count; k++) {
    const tag = tags.get(b, fastTags[2 * k], fastTags[2 * k + 1]);
    if (plugins[tag] === 'hparams') return false;
    fastNames[k] = tag;
  }
  sink.wallTime?.(wallMs);
  for (let k = 0; k < count; k++) sink.scalar(fastNames[k], step, wallMs, fastValues[k]);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Files and run folders

export function isEventFile(name: string): boolean {
  return name.includes('tfevents') && !name.endsWith('.tmp');
}

export function eventFiles(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile() && isEventFile(d.name))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/** Folders under `logdir` (itself included) that directly hold event files: TensorBoard's runs. */
export function findRunDirs(logdir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((d) => d.isFile() && isEventFile(d.name))) out.push(dir);
    if (depth > 32) return;
    for (const d of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (d.isDirectory() && !d.name.startsWith('.')) walk(path.join(dir, d.name), depth + 1);
    }
  };
  walk(logdir, 0);
  return out;
}

/** Thrown to stop reading a file after its first record. */
const STOP = new Error('stop');

/** Fingerprint of an event file: its first record (checksums verified), or null while incomplete. */
export function fileFingerprint(file: string): string | null {
  let fp: string | null = null;
  try {
    scanTfRecords(
      file,
      0,
      (data) => {
        fp = createHash('sha256').update(data).digest('hex').slice(0, 16);
        throw STOP;
      },
      { chunkBytes: 64 * 1024, maxRecordBytes: 1 << 20 },
    );
  } catch (e) {
    if (e !== STOP) throw e;
  }
  return fp;
}

/**
 * Reads the event files of one run folder from where it stopped last time: new files from the start,
 * grown files from their last offset, and a file whose first record changed (rewritten) from the
 * start again. Scalars go to the sink; corrupt records are counted and warned about.
 */
export class RunEventsReader {
  readonly warnings: ImportWarning[] = [];
  state: TbRunState;

  constructor(
    readonly dir: string,
    state?: TbRunState,
    private readonly options: TfRecordOptions = {},
  ) {
    this.state = state ? structuredClone(state) : { files: {}, plugins: {} };
  }

  /** Whether any file is new or longer than what was read. */
  hasNewData(): boolean {
    for (const name of eventFiles(this.dir)) {
      const st = this.state.files[name];
      const size = fs.statSync(path.join(this.dir, name), { throwIfNoEntry: false })?.size ?? 0;
      if (st === undefined ? size > 0 : size !== st.offset) return true;
    }
    return false;
  }

  read(sink: EventSink): { records: number; corrupt: number } {
    let records = 0;
    let corrupt = 0;
    for (const name of eventFiles(this.dir)) {
      const file = path.join(this.dir, name);
      let st = this.state.files[name];
      const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
      if (st !== undefined && size === st.offset) continue;
      const fp = fileFingerprint(file);
      if (fp === null) continue; // not even one complete record yet
      if (st === undefined || st.fp !== fp || size < st.offset) {
        if (st !== undefined) {
          this.warnings.push({
            file,
            offset: 0,
            message: 'the file was rewritten since it was last read: it is read again from the start',
          });
        }
        st = { fp, offset: 0 };
        this.state.files[name] = st;
      }
      const plugins = this.state.plugins;
      const tags = new TagCache();
      const scan = scanTfRecordsAt(
        file,
        st.offset,
        (buf, start, end, offset) => {
          try {
            if (!decodeSimpleScalars(buf, start, end, plugins, sink, tags)) {
              decodeEvent(buf.subarray(start, end), plugins, sink);
            }
          } catch (e) {
            sink.skipped?.('undecodable');
            this.warnings.push({ file, offset, message: `event not decodable: ${errorMessage(e)}` });
          }
        },
        this.options,
      );
      records += scan.records;
      corrupt += scan.corrupt;
      this.warnings.push(...scan.warnings);
      st.offset = scan.endOffset;
    }
    return { records, corrupt };
  }
}

/**
 * Live follow of a run being written: each poll() returns the scalars appended since the previous
 * one (only complete records; a record being written is picked up by a later poll).
 */
export class TfEventsFollower {
  private readonly reader: RunEventsReader;

  constructor(dir: string, state?: TbRunState, options?: TfRecordOptions) {
    this.reader = new RunEventsReader(dir, state, options);
  }

  /** Warnings (corrupt records with file and offset) gathered so far; take() empties the list. */
  get warnings(): ImportWarning[] {
    return this.reader.warnings;
  }

  takeWarnings(): ImportWarning[] {
    return this.reader.warnings.splice(0);
  }

  /** Per file: its fingerprint and the offset reached. Pass it back to the constructor to resume. */
  get state(): TbRunState {
    return structuredClone(this.reader.state);
  }

  poll(): TbScalar[] {
    const out: TbScalar[] = [];
    this.reader.read({
      scalar: (tag, step, wallTime, value) => out.push({ tag, step, wallTime, value }),
    });
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Import

export interface TensorboardImportOptions {
  /** Runlens experiment of the imported runs (default: the logdir's folder name). */
  experiment?: string;
  /** Limits of the record reader (tests use small ones). */
  records?: TfRecordOptions;
}

function parseJsonTag<T>(text: string | undefined, fallback: T): T {
  if (text === undefined) return fallback;
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' ? (v as T) : fallback;
  } catch {
    return fallback;
  }
}

function stateOf(entry: RunEntry): TbRunState {
  return {
    files: parseJsonTag<Record<string, TbFileState>>(entry.tags[TB_FILES_TAG], {}),
    plugins: parseJsonTag<Record<string, string>>(entry.tags[TB_PLUGINS_TAG], {}),
  };
}

/** The run imported before from this folder: same relative folder and at least one same event file. */
function matchRun(candidates: RunEntry[], dir: string): RunEntry | undefined {
  const names = eventFiles(dir);
  const fps = new Set(
    names.map((n) => fileFingerprint(path.join(dir, n))).filter((f): f is string => f !== null),
  );
  return candidates.find((e) => Object.values(stateOf(e).files).some((f) => fps.has(f.fp)));
}

/**
 * Import a TensorBoard log folder: every folder holding events.out.tfevents.* files becomes a run,
 * its scalar tags metric keys. Each run records how far each file was read (tags tensorboard.run,
 * tensorboard.files), so importing again only adds the points of files that grew, and new runs.
 */
export async function importTensorboard(
  store: Store,
  logdir: string,
  options: TensorboardImportOptions = {},
): Promise<ImportReport> {
  const root = path.resolve(logdir);
  const stat = fs.statSync(root, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) {
    throw new RunlensError(
      `${root} is not a folder`,
      'pass the folder given to TensorBoard as --logdir',
      'notFound',
    );
  }
  const report = emptyReport('tensorboard', root);
  const runDirs = findRunDirs(root);
  if (runDirs.length === 0) {
    throw new RunlensError(
      `no TensorBoard event files (events.out.tfevents.*) in ${root} or below`,
      'pass the folder given to TensorBoard as --logdir',
      'notFound',
    );
  }
  const experiment = options.experiment?.trim() || path.basename(root);
  const entries = listForImport(store);
  const byRel = new Map<string, RunEntry[]>();
  for (const e of entries) {
    const rel = e.tags[TB_RUN_TAG];
    if (rel !== undefined) byRel.set(rel, [...(byRel.get(rel) ?? []), e]);
  }
  const known = new Set(entries.map((e) => e.experiment));
  report.experiments.found = 1;
  const batch = new ImportBatch(store);
  try {
    for (const dir of runDirs) {
      report.runs.found++;
      const rel = path.relative(root, dir).split(path.sep).join('/') || '.';
      const prev = matchRun(byRel.get(rel) ?? [], dir);
      try {
        const outcome = await importRunDir(store, root, dir, rel, experiment, prev, options, report, batch);
        if (outcome === 'created') report.runs.created++;
        else if (outcome === 'updated') report.runs.updated++;
        else report.runs.skipped++;
      } catch (e) {
        if (e instanceof RunlensError && e.kind === 'io') throw e;
        report.warnings.push({ file: dir, message: `run not imported: ${errorMessage(e)}` });
      }
    }
  } finally {
    batch.flush();
  }
  if (report.runs.created > 0 && !known.has(experiment)) report.experiments.created = 1;
  else report.experiments.skipped = 1;
  return report;
}

async function importRunDir(
  store: Store,
  root: string,
  dir: string,
  rel: string,
  experiment: string,
  prev: RunEntry | undefined,
  options: TensorboardImportOptions,
  report: ImportReport,
  batch: ImportBatch,
): Promise<'created' | 'updated' | 'skipped'> {
  const marker = prev?.tags[IMPORT_MARKER_TAG];
  // An import that stopped half-way: a new run is redone; appended points are cut off again.
  const redo = marker !== undefined && !marker.startsWith('append:');
  if (marker?.startsWith('append:')) {
    const size = Number(marker.slice('append:'.length));
    if (Number.isFinite(size)) fs.truncateSync(store.metricsFile(prev!.id), size);
  }
  const append = prev !== undefined && !redo;
  const reader = new RunEventsReader(dir, append ? stateOf(prev) : undefined, options.records);
  if (append && marker === undefined && !reader.hasNewData()) return 'skipped';

  const prevRun = prev !== undefined ? store.getRun(prev.id) : undefined;
  const params: Record<string, ParamValue> = { ...(append ? prevRun!.params : {}) };
  const spec: ImportedRunSpec = {
    experiment: prevRun?.experiment ?? experiment,
    name: prevRun?.name ?? (rel === '.' ? path.basename(root) : rel),
    status: 'finished',
    startTime: null,
    endTime: null,
    params,
    tags: { ...(prevRun?.tags ?? {}), [TB_RUN_TAG]: rel, [TB_LOGDIR_TAG]: root },
    script: prevRun?.script ?? null,
    cwd: prevRun?.cwd ?? '',
    inputs: prevRun?.inputs ?? [],
  };
  delete spec.tags[IMPORT_MARKER_TAG];

  let first = Infinity;
  let last = -Infinity;
  const fill = (writer: PointWriter) => {
    const series = new Map<string, { keyJson: string; s: MetricSummary }>();
    const { corrupt } = reader.read({
      scalar(tag, step, wallMs, value) {
        let k = series.get(tag);
        if (k === undefined) {
          k = { keyJson: JSON.stringify(tag), s: writer.series(tag) };
          series.set(tag, k);
        }
        writer.add(k.keyJson, k.s, value, step, wallMs);
      },
      wallTime(ms) {
        if (ms < first) first = ms;
        if (ms > last) last = ms;
      },
      param(name, value) {
        setOwn(params, name, value);
      },
      skipped(kind) {
        count(report.skippedValues, kind);
      },
    });
    if (corrupt > 0) count(report.skippedValues, 'corrupt records', corrupt);
    for (const w of reader.warnings) report.warnings.push(w);
    for (const name of eventFiles(dir)) {
      const st = reader.state.files[name];
      const size = fs.statSync(path.join(dir, name), { throwIfNoEntry: false })?.size ?? 0;
      if (st && size > st.offset) {
        report.warnings.push({
          file: path.join(dir, name),
          offset: st.offset,
          message: `${size - st.offset} bytes at the end are not a complete record yet (file being written?); left for the next import`,
        });
      }
    }
    spec.tags[TB_FILES_TAG] = JSON.stringify(reader.state.files);
    if (Object.keys(reader.state.plugins).length > 0)
      spec.tags[TB_PLUGINS_TAG] = JSON.stringify(reader.state.plugins);
    else delete spec.tags[TB_PLUGINS_TAG];
    spec.startTime = append ? prevRun!.startTime : Number.isFinite(first) ? first : null;
    const end = Math.max(append ? (prevRun!.endTime ?? -Infinity) : -Infinity, last);
    spec.endTime = Number.isFinite(end) ? end : spec.startTime;
  };

  if (prev === undefined) {
    const { run, points } = await createImportedRun(store, spec, fill, batch);
    report.points += points;
    report.params += Object.keys(run.params).length;
    report.tags += Object.keys(run.tags).length;
    report.runIds.push(run.id);
    return 'created';
  }

  let writer: PointWriter;
  if (append) {
    await store.updateRun(prev.id, (r) => {
      r.tags = { ...r.tags, [IMPORT_MARKER_TAG]: `append:${fs.statSync(store.metricsFile(prev.id)).size}` };
    });
    writer = new PointWriter(store.metricsFile(prev.id));
    Object.assign(writer.summary, structuredClone(prevRun!.summary ?? {}) as Record<string, MetricSummary>);
  } else {
    writer = await reopenImportedRun(store, prev.id);
  }
  let record;
  try {
    fill(writer);
    record = await finishImportedRun(store, prev.id, spec, writer);
  } finally {
    writer.close();
  }
  report.points += writer.points;
  report.params += Object.keys(record.params).length;
  report.tags += Object.keys(record.tags).length;
  report.runIds.push(prev.id);
  return 'updated';
}
