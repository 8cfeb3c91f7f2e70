import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Node, Pair, Scalar } from 'yaml';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { RunlensError, errorMessage, isErrno } from '../errors';
import type { JobResources, ParamValue } from '../store/types';
import { checkCommands, inputExists } from './check';
import { checkGraph } from './graph';
import { ACTION_NAMES } from './types';
import type { PipelineDef, PipelineIssue, SourcePos, StageDef } from './types';

export const PIPELINE_FILE = 'runlens.yaml';

/** Top-level keys other features read from the same file (gate: the baseline gate's policy). */
const TOP_KEYS = new Set(['params', 'stages', 'gate', 'experiment', 'watch', 'remote', 'reproduce']);
const STAGE_KEYS = new Set([
  'cmd',
  'action',
  'with',
  'deps',
  'outs',
  'params',
  'after',
  'experiment',
  'desc',
  'on',
  'resources',
]);
const RESOURCE_KEYS: Record<string, 'string' | 'count' | 'list'> = {
  partition: 'string',
  time: 'string',
  cpus: 'count',
  mem: 'string',
  gpus: 'count',
  gpu_type: 'string',
  account: 'string',
  qos: 'string',
  sbatch: 'list',
};

/** Every problem of a pipeline file, each with file, line and column. */
export class PipelineError extends RunlensError {
  constructor(readonly issues: PipelineIssue[]) {
    super(
      [...issues]
        .sort((a, b) => a.line - b.line || a.column - b.column)
        .map((i) => `${i.file}:${i.line}:${i.column}: ${i.message}`)
        .join('\n'),
      'each stage has a cmd or an action, and deps/outs/params/after (schemas/runlens.schema.json)',
      'data',
    );
    this.name = 'PipelineError';
  }
}

export interface ParseResult {
  pipeline?: PipelineDef;
  issues: PipelineIssue[];
}

/** Read and check a pipeline file; throws PipelineError with every issue when it has errors. */
export function loadPipeline(file: string): PipelineDef {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT'))
      throw new RunlensError(
        `no pipeline file ${file}`,
        'create runlens.yaml with a stages: mapping',
        'notFound',
      );
    throw new RunlensError(`cannot read ${file}: ${errorMessage(e)}`, undefined, 'io');
  }
  const r = parsePipeline(text, file);
  if (!r.pipeline || r.issues.some((i) => i.severity === 'error')) throw new PipelineError(r.issues);
  return r.pipeline;
}

/**
 * Parse runlens.yaml text: YAML syntax, the shape of each stage, unknown stages and inputs, cycles,
 * and commands that are not found. Never throws for bad content: the issues carry positions.
 */
export function parsePipeline(text: string, file: string): ParseResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const issues: PipelineIssue[] = [];
  const at = (offset: number | undefined): SourcePos => {
    const p = lc.linePos(offset ?? 0);
    return { file, line: p.line, column: p.col };
  };
  const nodePos = (n: Node | null | undefined): SourcePos => at(n?.range?.[0]);
  const err = (pos: SourcePos, message: string) => issues.push({ ...pos, message, severity: 'error' });

  for (const e of doc.errors) err(at(e.pos[0]), `YAML syntax error: ${e.message.split('\n')[0]}`);
  if (doc.errors.length) return { issues };

  const root = doc.contents;
  if (!isMap(root)) {
    err(nodePos(root), 'expected a mapping with a stages: key');
    return { issues };
  }
  const dir = path.dirname(path.resolve(file));
  let params: Record<string, ParamValue> = {};
  let paramsFile: string | undefined;
  let experiment = path.basename(dir);
  let stagesNode: Node | null = null;
  const watch: PipelineDef['watch'] = { paths: [] };
  for (const pair of root.items as Pair<Scalar, Node>[]) {
    const key = String(pair.key?.value);
    if (!TOP_KEYS.has(key)) {
      err(nodePos(pair.key), `unknown key "${key}" (expected ${[...TOP_KEYS].join(', ')})`);
      continue;
    }
    if (key === 'stages') stagesNode = pair.value;
    if (key === 'watch') parseWatch(pair.value, watch, nodePos, err);
    if (key === 'experiment') {
      if (isScalar(pair.value) && typeof pair.value.value === 'string') experiment = pair.value.value;
      else err(nodePos(pair.value), 'experiment must be a string');
    }
    if (key === 'params') {
      const v = pair.value;
      if (isScalar(v) && typeof v.value === 'string') {
        paramsFile = v.value;
        params = readParamsFile(path.resolve(dir, v.value), nodePos(v), err);
      } else if (isMap(v)) {
        params = v.toJSON() as Record<string, ParamValue>;
      } else err(nodePos(v), 'params must be a mapping or the name of a JSON or YAML params file');
    }
  }
  if (!stagesNode) {
    err(nodePos(root), 'missing stages: (a mapping of stage name to its cmd or action)');
    return { issues };
  }
  if (!isMap(stagesNode)) {
    err(nodePos(stagesNode), 'stages must be a mapping of stage name to its definition');
    return { issues };
  }
  const stages: StageDef[] = [];
  for (const pair of stagesNode.items as Pair<Scalar, Node>[]) {
    const name = String(pair.key?.value);
    const s = parseStage(name, pair, nodePos, err);
    if (s) stages.push(s);
  }
  const pipeline: PipelineDef = {
    file: path.resolve(file),
    root: dir,
    params,
    paramsFile,
    experiment,
    stages,
    watch,
  };
  for (const w of watch.paths) {
    if (!fs.existsSync(path.resolve(dir, w.path))) err(w.pos, `watch: path "${w.path}" does not exist`);
  }
  if (watch.drift && !watch.drift.package) {
    // The package a stage of this pipeline writes: the model it trains is the one being served.
    const out = stages.find((s) => s.action === 'package' && typeof s.with.out === 'string')?.with.out;
    if (typeof out === 'string') watch.drift.package = out;
    else err(watch.drift.pos, 'watch.drift: no package stage with an out folder; name the package folder');
  }
  checkGraph(pipeline, err, (dep) => inputExists(pipeline.root, dep));
  checkCommands(pipeline, err);
  return { pipeline, issues };
}

function parseWatch(
  v: Node | null,
  watch: PipelineDef['watch'],
  nodePos: (n: Node | null | undefined) => SourcePos,
  err: (p: SourcePos, m: string) => void,
): void {
  if (!isMap(v)) {
    err(nodePos(v), 'watch must be a mapping with paths and cron');
    return;
  }
  for (const f of v.items as Pair<Scalar, Node>[]) {
    const key = String(f.key?.value);
    const val = f.value;
    if (key === 'cron' && isScalar(val) && typeof val.value === 'string') watch.cron = val.value;
    else if (key === 'drift') parseDrift(f, watch, nodePos, err);
    else if (key === 'paths' && (isSeq(val) || isScalar(val))) {
      for (const it of isSeq(val) ? val.items : [val]) {
        if (isScalar(it)) watch.paths.push({ path: String(it.value), pos: nodePos(it as Node) });
        else err(nodePos(it as Node), 'watch.paths items must be strings');
      }
    } else
      err(nodePos(f.key), `watch: unexpected "${key}" (expected paths: [..], cron: ".." and drift: {..})`);
  }
}

/** Default seconds between drift checks of a served package. */
export const DRIFT_INTERVAL_SEC = 300;

/**
 * `drift: true` (the package stage's out), `drift: serving/model`, or
 * `drift: { package: serving/model, interval: 60, logs: logs }`.
 */
function parseDrift(
  pair: Pair<Scalar, Node>,
  watch: PipelineDef['watch'],
  nodePos: (n: Node | null | undefined) => SourcePos,
  err: (p: SourcePos, m: string) => void,
): void {
  const v = pair.value;
  const pos = nodePos(v ?? pair.key);
  if (isScalar(v) && v.value === false) return;
  if (isScalar(v) && (v.value === true || typeof v.value === 'string')) {
    watch.drift = { package: v.value === true ? '' : String(v.value), intervalSec: DRIFT_INTERVAL_SEC, pos };
    return;
  }
  if (!isMap(v)) {
    err(pos, 'watch.drift must be true, a package folder, or { package, interval, logs }');
    return;
  }
  const d: NonNullable<PipelineDef['watch']['drift']> = { package: '', intervalSec: DRIFT_INTERVAL_SEC, pos };
  for (const f of v.items as Pair<Scalar, Node>[]) {
    const key = String(f.key?.value);
    const val = isScalar(f.value) ? f.value.value : undefined;
    if (key === 'package' && typeof val === 'string') d.package = val;
    else if (key === 'logs' && typeof val === 'string') d.logDir = val;
    else if (key === 'interval' && typeof val === 'number' && val > 0) d.intervalSec = val;
    else
      err(
        nodePos(key === 'interval' || key === 'package' || key === 'logs' ? f.value : f.key),
        key === 'interval'
          ? 'watch.drift.interval must be a number of seconds above 0'
          : key === 'package' || key === 'logs'
            ? `watch.drift.${key} must be a folder path`
            : `watch.drift: unexpected "${key}" (expected package, interval, logs)`,
      );
  }
  watch.drift = d;
}

function readParamsFile(
  file: string,
  pos: SourcePos,
  err: (p: SourcePos, m: string) => void,
): Record<string, ParamValue> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    err(pos, `params file ${file} does not exist`);
    return {};
  }
  try {
    const v: unknown = file.endsWith('.json') ? JSON.parse(text) : parseDocument(text).toJSON();
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('expected an object');
    return v as Record<string, ParamValue>;
  } catch (e) {
    err(pos, `params file ${file} is not a JSON/YAML object: ${errorMessage(e)}`);
    return {};
  }
}

function parseStage(
  name: string,
  pair: Pair<Scalar, Node>,
  nodePos: (n: Node | null | undefined) => SourcePos,
  err: (p: SourcePos, m: string) => void,
): StageDef | undefined {
  const pos = nodePos(pair.key);
  if (!/^[A-Za-z0-9][\w.-]*$/.test(name)) {
    err(pos, `invalid stage name "${name}": use letters, digits, ".", "_" and "-"`);
    return undefined;
  }
  const v = pair.value;
  if (!isMap(v)) {
    err(nodePos(v ?? pair.key), `stage "${name}" must be a mapping with cmd or action`);
    return undefined;
  }
  const stage: StageDef = { name, with: {}, deps: [], outs: [], after: [], pos, fieldPos: {} };
  const strings = (field: string, n: Node | null): string[] => {
    const items = isSeq(n) ? n.items : [n];
    const out: string[] = [];
    items.forEach((it, i) => {
      const item = it as Node;
      if (isScalar(item) && (typeof item.value === 'string' || typeof item.value === 'number')) {
        out.push(String(item.value));
        stage.fieldPos[`${field}.${out.length - 1}`] = nodePos(item);
      } else err(nodePos(item), `stage "${name}": ${field}[${i}] must be a string`);
    });
    return out;
  };
  for (const f of v.items as Pair<Scalar, Node>[]) {
    const key = String(f.key?.value);
    stage.fieldPos[key] = nodePos(f.value ?? f.key);
    if (!STAGE_KEYS.has(key)) {
      err(nodePos(f.key), `stage "${name}": unknown key "${key}" (expected ${[...STAGE_KEYS].join(', ')})`);
      continue;
    }
    const val = f.value;
    switch (key) {
      case 'cmd':
      case 'action':
      case 'experiment':
      case 'desc':
        if (isScalar(val) && typeof val.value === 'string' && val.value.trim()) {
          if (key !== 'desc') stage[key] = val.value.trim();
        } else err(nodePos(val ?? f.key), `stage "${name}": ${key} must be a non-empty string`);
        break;
      case 'with':
        if (isMap(val)) stage.with = val.toJSON() as Record<string, unknown>;
        else err(nodePos(val ?? f.key), `stage "${name}": with must be a mapping of action arguments`);
        break;
      case 'deps':
      case 'outs':
      case 'after':
        stage[key] = strings(key, val);
        break;
      case 'params':
        stage.params = strings('params', val);
        break;
      case 'on':
        if (isScalar(val) && (val.value === 'local' || val.value === 'slurm')) stage.on = val.value;
        else err(nodePos(val ?? f.key), `stage "${name}": on must be local or slurm`);
        break;
      case 'resources':
        stage.resources = parseResources(name, val, nodePos, err);
        break;
    }
  }
  if (stage.resources && stage.on !== 'slurm')
    err(stage.fieldPos.resources ?? pos, `stage "${name}": resources apply to stages with on: slurm`);
  if (stage.on === 'slurm' && stage.action)
    err(stage.fieldPos.on ?? pos, `stage "${name}": only cmd stages run on a cluster, not actions`);
  if (!stage.cmd && !stage.action) err(pos, `stage "${name}" needs a cmd or an action`);
  if (stage.cmd && stage.action) err(pos, `stage "${name}" has both cmd and action: keep one`);
  if (stage.action && !ACTION_NAMES.includes(stage.action)) {
    err(
      stage.fieldPos.action ?? pos,
      `stage "${name}": unknown action "${stage.action}" (expected ${ACTION_NAMES.join(', ')})`,
    );
  }
  return stage;
}

/** `resources:` of a stage on a cluster: partition, time, cpus, mem, gpus, gpu_type, account, qos, sbatch. */
function parseResources(
  stage: string,
  val: Node | null,
  nodePos: (n: Node | null | undefined) => SourcePos,
  err: (pos: SourcePos, message: string) => void,
): JobResources | undefined {
  if (!isMap(val)) {
    err(
      nodePos(val),
      `stage "${stage}": resources must be a mapping (partition, time, cpus, mem, gpus, ...)`,
    );
    return undefined;
  }
  const out: JobResources = {};
  for (const p of val.items as Pair<Scalar, Node>[]) {
    const key = String(p.key?.value);
    const kind = RESOURCE_KEYS[key];
    const v = p.value;
    if (!kind) {
      err(
        nodePos(p.key),
        `stage "${stage}": unknown resource "${key}" (expected ${Object.keys(RESOURCE_KEYS).join(', ')})`,
      );
      continue;
    }
    if (kind === 'count') {
      if (isScalar(v) && Number.isInteger(v.value) && (v.value as number) >= 1)
        out[key as 'cpus' | 'gpus'] = v.value as number;
      else
        err(nodePos(v ?? p.key), `stage "${stage}": resources.${key} must be a whole number of at least 1`);
    } else if (kind === 'list') {
      const items = isSeq(v) ? v.items : [v];
      const lines = items.map((it) => (isScalar(it) ? String(it.value) : ''));
      if (lines.some((l) => !l.trim().startsWith('-')))
        err(
          nodePos(v ?? p.key),
          `stage "${stage}": resources.sbatch lists sbatch options such as --constraint=a100`,
        );
      else out.extra = lines;
    } else if (isScalar(v) && (typeof v.value === 'string' || typeof v.value === 'number')) {
      out[key === 'gpu_type' ? 'gpuType' : (key as 'partition' | 'time' | 'mem' | 'account' | 'qos')] =
        String(v.value);
    } else err(nodePos(v ?? p.key), `stage "${stage}": resources.${key} must be text`);
  }
  return out;
}
