import type { InputFile } from '../store/types';
import type { Preprocessing } from '../model/preprocessing';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_SCHEMA_VERSION = 1;
export const SMOKE_FILE = 'smoke.json';
/** The training data's feature columns, the reference for `runlens monitor`. */
export const REFERENCE_FILE = 'reference.csv';

export interface InputField {
  name: string;
  type: 'number' | 'string';
  /** Allowed values of a categorical field. */
  enum?: string[];
  /** Range seen in the data schema, when there is one (for information, not enforced). */
  min?: number;
  max?: number;
}

export interface PackageManifest {
  schemaVersion: number;
  name: string;
  version: number | null;
  createdAt: number;
  sourceRun: string;
  experiment: string;
  gitCommit: string | null;
  gitDirty: boolean | null;
  dataHashes: InputFile[];
  /** Where the input schema came from: the run's data schema file, or the preprocessing. */
  inputSchemaSource: string;
  inputSchema: InputField[];
  labels: string[];
  task: Preprocessing['task'];
  modelDir: string;
  preprocessingFile: string;
  metrics: Record<string, number>;
  gate: { verdict: 'pass' | 'fail'; file: string } | null;
  forced: boolean;
  /** Rows for the smoke test of `runlens serve`, and where they came from. */
  smoke: { file: string; source: string; rows: number } | null;
  reference: { file: string; source: string; rows: number } | null;
}

export function inputSchemaFromPreprocessing(p: Preprocessing): InputField[] {
  return p.features.map((f) =>
    f.kind === 'numeric'
      ? { name: f.name, type: 'number' }
      : { name: f.name, type: 'string', enum: f.vocabulary },
  );
}

/** A request the server refuses, with its HTTP status and the field at fault when there is one. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

type Row = Record<string, unknown>;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** An instance as an object of named values, or a list of values in feature order. */
function toRow(v: unknown, features: string[], where: string): Row {
  if (isObject(v)) return v;
  if (Array.isArray(v)) {
    if (v.length !== features.length) {
      throw new RequestError(
        400,
        `${where}: expected ${features.length} values in feature order (${features.slice(0, 3).join(', ')}, …), got ${v.length}`,
        where,
      );
    }
    const row: Row = {};
    features.forEach((f, j) => (row[f] = v[j]));
    return row;
  }
  throw new RequestError(
    400,
    `${where}: expected an object of feature values or a list of ${features.length} numbers`,
    where,
  );
}

function nonEmptyList(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new RequestError(400, `${where}: expected a list`, where);
  if (v.length === 0) throw new RequestError(400, `${where}: empty list`, where);
  return v;
}

/** Columnar {feature: [values]} to rows; every column the same length. */
function columnsToRows(cols: Record<string, unknown>, features: string[], where: string): Row[] {
  let n = -1;
  for (const f of features) {
    const c = cols[f];
    if (c === undefined) throw new RequestError(400, `${where}.${f}: missing`, `${where}.${f}`);
    if (!Array.isArray(c))
      throw new RequestError(400, `${where}.${f}: expected a list of values`, `${where}.${f}`);
    if (n >= 0 && c.length !== n)
      throw new RequestError(
        400,
        `${where}.${f}: has ${c.length} values, other columns ${n}`,
        `${where}.${f}`,
      );
    n = c.length;
  }
  return Array.from({ length: n }, (_, i) =>
    Object.fromEntries(features.map((f) => [f, (cols[f] as unknown[])[i]])),
  );
}

/** TensorFlow Serving REST: {"instances": [...]} (row format) or {"inputs": ...} (columnar format). */
export function rowsFromTfServing(
  body: unknown,
  features: string[],
): { rows: Row[]; key: 'instances' | 'inputs' } {
  if (!isObject(body)) throw new RequestError(400, 'body must be a JSON object with "instances" or "inputs"');
  if ('instances' in body) {
    return {
      rows: nonEmptyList(body.instances, 'instances').map((v, i) => toRow(v, features, `instances[${i}]`)),
      key: 'instances',
    };
  }
  if ('inputs' in body) {
    const inputs = body.inputs;
    if (isObject(inputs)) return { rows: columnsToRows(inputs, features, 'inputs'), key: 'inputs' };
    return {
      rows: nonEmptyList(inputs, 'inputs').map((v, i) => toRow(v, features, `inputs[${i}]`)),
      key: 'inputs',
    };
  }
  throw new RequestError(400, 'body must have "instances" or "inputs" (TensorFlow Serving REST format)');
}

/** MLflow scoring: dataframe_split, dataframe_records, instances or inputs. */
export function rowsFromMlflow(body: unknown, features: string[]): { rows: Row[]; key: string } {
  if (!isObject(body))
    throw new RequestError(
      400,
      'body must be a JSON object with dataframe_split, dataframe_records, instances or inputs',
    );
  if ('dataframe_split' in body) {
    const s = body.dataframe_split;
    if (!isObject(s))
      throw new RequestError(
        400,
        'dataframe_split: expected {"columns": [...], "data": [[...]]}',
        'dataframe_split',
      );
    const columns = s.columns;
    if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) {
      throw new RequestError(
        400,
        'dataframe_split.columns: expected a list of column names',
        'dataframe_split.columns',
      );
    }
    const rows = nonEmptyList(s.data, 'dataframe_split.data').map((r, i) => {
      const where = `dataframe_split.data[${i}]`;
      if (!Array.isArray(r) || r.length !== columns.length) {
        throw new RequestError(400, `${where}: expected ${columns.length} values (one per column)`, where);
      }
      return Object.fromEntries(columns.map((c, j) => [c, r[j]]));
    });
    return { rows, key: 'dataframe_split' };
  }
  if ('dataframe_records' in body) {
    const rows = nonEmptyList(body.dataframe_records, 'dataframe_records').map((r, i) => {
      if (!isObject(r))
        throw new RequestError(400, `dataframe_records[${i}]: expected an object`, `dataframe_records[${i}]`);
      return r;
    });
    return { rows, key: 'dataframe_records' };
  }
  if ('instances' in body || 'inputs' in body) return rowsFromTfServing(body, features);
  throw new RequestError(
    400,
    'body must have dataframe_split, dataframe_records, instances or inputs (MLflow scoring format)',
  );
}
