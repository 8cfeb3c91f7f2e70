import * as fs from 'node:fs';
import { RunlensError } from '../errors';

/**
 * The preprocessing a model was trained with, saved next to it as preprocessing.json so that
 * evaluation and serving turn a row into exactly the vector the model saw in training.
 *
 * Format (schemaVersion 1):
 *   { schemaVersion, target, task: 'binary'|'multiclass'|'regression', labels: string[],
 *     features: [{ name, kind: 'numeric', mean, std } | { name, kind: 'categorical', vocabulary }] }
 * Numeric features are standardised ((x - mean) / std); categorical features become one-hot
 * columns in vocabulary order (an unseen value is all zeros). The model's input width is the sum.
 * The older quickstart shape { features: string[], scaling: { mean, std }, labels } is read too.
 */
export const PREPROCESSING_SCHEMA_VERSION = 1;
export const PREPROCESSING_FILE = 'preprocessing.json';

export type FeatureSpec =
  | { name: string; kind: 'numeric'; mean: number; std: number }
  | { name: string; kind: 'categorical'; vocabulary: string[] };

export type Task = 'binary' | 'multiclass' | 'regression';

export interface Preprocessing {
  schemaVersion: number;
  target: string | null;
  task: Task;
  labels: string[];
  features: FeatureSpec[];
}

/** A bad cell in a request or data row: the field and why, for a 400 or a RunlensError. */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** Fit from rows of raw values: numbers become numeric features, anything else categorical. */
export function fitPreprocessing(
  rows: Record<string, unknown>[],
  options: { features: string[]; target?: string; labels?: string[]; task?: Task },
): Preprocessing {
  const features: FeatureSpec[] = options.features.map((name) => {
    const values = rows.map((r) => r[name]);
    if (values.every((v) => typeof v === 'number')) {
      const xs = values as number[];
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) || 1;
      return { name, kind: 'numeric', mean, std };
    }
    const vocabulary = [...new Set(values.map((v) => String(v)))].sort();
    return { name, kind: 'categorical', vocabulary };
  });
  const labels = options.labels ?? [];
  return {
    schemaVersion: PREPROCESSING_SCHEMA_VERSION,
    target: options.target ?? null,
    task: options.task ?? (labels.length > 2 ? 'multiclass' : labels.length === 2 ? 'binary' : 'regression'),
    labels,
    features,
  };
}

/** Width of the model input: one column per numeric feature, one per vocabulary entry. */
export function inputWidth(p: Preprocessing): number {
  return p.features.reduce((n, f) => n + (f.kind === 'numeric' ? 1 : f.vocabulary.length), 0);
}

/** One row to the model's input vector; throws FieldError naming `${where}.${feature}`. */
export function applyRow(p: Preprocessing, row: Record<string, unknown>, where = 'row'): number[] {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) {
    throw new FieldError(where, 'expected an object of feature values');
  }
  const out: number[] = [];
  for (const f of p.features) {
    const v = row[f.name];
    const field = `${where}.${f.name}`;
    if (v === undefined || v === null) throw new FieldError(field, 'missing');
    if (f.kind === 'numeric') {
      const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (!Number.isFinite(x))
        throw new FieldError(field, `expected a finite number, got ${JSON.stringify(v)}`);
      out.push((x - f.mean) / f.std);
    } else {
      const s = String(v);
      for (const c of f.vocabulary) out.push(c === s ? 1 : 0);
    }
  }
  return out;
}

export function applyRows(p: Preprocessing, rows: Record<string, unknown>[], where = 'rows'): number[][] {
  return rows.map((r, i) => applyRow(p, r, `${where}[${i}]`));
}

export function serialisePreprocessing(p: Preprocessing): string {
  return JSON.stringify(p, null, 2) + '\n';
}

/** Parse preprocessing.json (current or the older quickstart shape); errors name the file. */
export function parsePreprocessing(raw: unknown, where: string): Preprocessing {
  const bad = (what: string): never => {
    throw new RunlensError(`${where}: ${what}`, 'see the format in src/core/model/preprocessing.ts', 'data');
  };
  if (!raw || typeof raw !== 'object') bad('expected a JSON object');
  const o = raw as Record<string, unknown>;
  const labels = Array.isArray(o.labels) ? o.labels.map(String) : [];
  const target = typeof o.target === 'string' ? o.target : null;
  let features: FeatureSpec[];
  if (Array.isArray(o.features) && o.features.every((f) => typeof f === 'string')) {
    const scaling = o.scaling as { mean?: unknown; std?: unknown } | undefined;
    const mean = scaling?.mean;
    const std = scaling?.std;
    if (
      !Array.isArray(mean) ||
      !Array.isArray(std) ||
      mean.length !== o.features.length ||
      std.length !== mean.length
    ) {
      bad('scaling.mean and scaling.std must have one number per feature');
    }
    features = (o.features as string[]).map((name, j) => ({
      name,
      kind: 'numeric',
      mean: Number((mean as unknown[])[j]),
      std: Number((std as unknown[])[j]) || 1,
    }));
  } else if (Array.isArray(o.features)) {
    features = o.features.map((f: unknown, j: number) => {
      const s = f as Record<string, unknown>;
      if (typeof s?.name !== 'string') bad(`features[${j}].name must be a string`);
      if (s.kind === 'numeric') {
        if (typeof s.mean !== 'number' || typeof s.std !== 'number')
          bad(`features[${j}] (${String(s.name)}) needs numeric mean and std`);
        return {
          name: s.name as string,
          kind: 'numeric',
          mean: s.mean as number,
          std: (s.std as number) || 1,
        };
      }
      if (s.kind === 'categorical') {
        if (!Array.isArray(s.vocabulary)) bad(`features[${j}] (${String(s.name)}) needs a vocabulary array`);
        return {
          name: s.name as string,
          kind: 'categorical',
          vocabulary: (s.vocabulary as unknown[]).map(String),
        };
      }
      return bad(`features[${j}].kind must be "numeric" or "categorical"`);
    });
  } else {
    return bad('"features" must be an array');
  }
  if (features.length === 0) bad('no features');
  const task =
    o.task === 'binary' || o.task === 'multiclass' || o.task === 'regression'
      ? o.task
      : labels.length > 2
        ? 'multiclass'
        : labels.length === 2
          ? 'binary'
          : 'regression';
  return { schemaVersion: PREPROCESSING_SCHEMA_VERSION, target, task, labels, features };
}

export function readPreprocessing(file: string): Preprocessing {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RunlensError(
      `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`,
      undefined,
      'data',
    );
  }
  return parsePreprocessing(raw, file);
}
