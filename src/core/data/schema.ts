import * as fs from 'node:fs';
import { RunlensError, errorMessage } from '../errors';
import type { ColumnType } from '../../protocol/drift';
import { isMissing, openTable, parseNumber } from './table';
import { writeJsonAtomic } from '../store/fsutil';

export const DATA_SCHEMA_VERSION = 1;
/** A categorical column keeps its domain when it has at most this many values. */
const MAX_DOMAIN = 100;
const NUMERIC_SHARE = 0.95;
const EXAMPLES = 5;

export interface ColumnSchema {
  name: string;
  type: ColumnType;
  /** True when the data had no missing value in this column. */
  required: boolean;
  missingRate: number;
  min?: number;
  max?: number;
  /** The categories seen (categorical and boolean columns with at most 100 values). */
  categories?: string[];
}

export interface DataSchema {
  schemaVersion: number;
  source: string;
  rows: number;
  columns: ColumnSchema[];
}

export type AnomalyKind =
  | 'missing_column'
  | 'new_column'
  | 'wrong_type'
  | 'out_of_range'
  | 'unseen_category'
  | 'missing_value'
  | 'missing_rate_jump';

export interface Anomaly {
  kind: AnomalyKind;
  column: string;
  count: number;
  message: string;
  /** Up to five rows: file line and the cell. */
  examples: { line: number; value: string }[];
}

export interface ValidationReport {
  file: string;
  schema: string;
  rows: number;
  anomalies: Anomaly[];
  valid: boolean;
}

interface Stats {
  present: number;
  missing: number;
  numeric: number;
  min: number;
  max: number;
  distinct: Set<string> | null;
}

const BOOL = new Set(['true', 'false']);

/** Infer a schema from a data file, in one streamed pass. */
export async function inferSchema(file: string): Promise<DataSchema> {
  const t = await openTable(file);
  const stats: Stats[] = t.header.map(() => ({
    present: 0,
    missing: 0,
    numeric: 0,
    min: Infinity,
    max: -Infinity,
    distinct: new Set(),
  }));
  let rows = 0;
  for await (const { cells } of t.rows) {
    rows++;
    for (let k = 0; k < cells.length; k++) {
      const s = stats[k];
      const cell = cells[k].trim();
      if (isMissing(cell)) {
        s.missing++;
        continue;
      }
      s.present++;
      const v = parseNumber(cell);
      if (!Number.isNaN(v)) {
        s.numeric++;
        if (v < s.min) s.min = v;
        if (v > s.max) s.max = v;
      }
      if (s.distinct) {
        s.distinct.add(cell);
        if (s.distinct.size > MAX_DOMAIN) s.distinct = null;
      }
    }
  }
  if (rows === 0) throw new RunlensError(`${file} has a header but no rows: nothing to infer a schema from`);
  const columns = t.header.map((name, k): ColumnSchema => {
    const s = stats[k];
    const lower = s.distinct ? [...s.distinct].map((v) => v.toLowerCase()) : null;
    let type: ColumnType;
    if (
      lower &&
      lower.length > 0 &&
      (lower.every((v) => BOOL.has(v)) || (lower.length <= 2 && lower.every((v) => v === '0' || v === '1')))
    )
      type = 'boolean';
    else if (s.present > 0 && s.numeric / s.present >= NUMERIC_SHARE) type = 'numeric';
    else type = s.present === 0 ? 'numeric' : 'categorical';
    const col: ColumnSchema = { name, type, required: s.missing === 0, missingRate: s.missing / rows };
    if (type === 'numeric' && s.numeric > 0) {
      col.min = s.min;
      col.max = s.max;
    } else if (type !== 'numeric' && s.distinct) {
      col.categories = [...s.distinct].sort();
    }
    return col;
  });
  return { schemaVersion: DATA_SCHEMA_VERSION, source: file, rows, columns };
}

export function writeSchema(out: string, schema: DataSchema): void {
  writeJsonAtomic(out, schema);
}

export function readSchema(file: string): DataSchema {
  let raw: DataSchema;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8')) as DataSchema;
  } catch (e) {
    throw new RunlensError(
      `cannot read schema ${file}: ${errorMessage(e)}`,
      'make one with `runlens schema infer DATA --out schema.json`',
      'io',
    );
  }
  if (typeof raw !== 'object' || raw === null || !Array.isArray(raw.columns)) {
    throw new RunlensError(`${file} is not a Runlens data schema (no "columns" list)`);
  }
  if (raw.schemaVersion > DATA_SCHEMA_VERSION) {
    throw new RunlensError(
      `${file} has schema version ${raw.schemaVersion}, newer than this Runlens understands`,
      'upgrade Runlens',
      'conflict',
    );
  }
  return raw;
}

export interface ValidateOptions {
  /** A column's missing rate may exceed the schema's by at most this much (default 0.1). */
  missingRateTolerance?: number;
}

/** Check a data file against a schema; every anomaly with its count and up to five example rows. */
export async function validateFile(
  file: string,
  schema: DataSchema,
  schemaFile: string,
  o: ValidateOptions = {},
): Promise<ValidationReport> {
  const t = await openTable(file);
  const anomalies = new Map<string, Anomaly>();
  const note = (kind: AnomalyKind, column: string, message: string, line?: number, value?: string): void => {
    const key = `${kind}\u0000${column}`;
    let a = anomalies.get(key);
    if (!a) {
      a = { kind, column, count: 0, message, examples: [] };
      anomalies.set(key, a);
    }
    a.count++;
    if (line !== undefined && a.examples.length < EXAMPLES) a.examples.push({ line, value: value ?? '' });
  };
  const index = new Map(t.header.map((h, i) => [h, i]));
  const known = new Set(schema.columns.map((c) => c.name));
  for (const h of t.header)
    if (!known.has(h)) note('new_column', h, `column "${h}" is not in the schema ${schemaFile}`);
  const checks = schema.columns.filter((c) => {
    if (index.has(c.name)) return true;
    note('missing_column', c.name, `column "${c.name}" of the schema is missing from ${file}`);
    return false;
  });
  const domains = new Map(checks.filter((c) => c.categories).map((c) => [c.name, new Set(c.categories)]));
  const missing = new Map(checks.map((c) => [c.name, 0]));
  let rows = 0;
  for await (const { cells, line } of t.rows) {
    rows++;
    for (const c of checks) {
      const cell = cells[index.get(c.name)!].trim();
      if (isMissing(cell)) {
        missing.set(c.name, missing.get(c.name)! + 1);
        if (c.required)
          note('missing_value', c.name, `column "${c.name}" is required but has missing values`, line, cell);
        continue;
      }
      if (c.type === 'numeric') {
        const v = parseNumber(cell);
        if (Number.isNaN(v)) note('wrong_type', c.name, `column "${c.name}" should be numeric`, line, cell);
        else if ((c.min !== undefined && v < c.min) || (c.max !== undefined && v > c.max)) {
          note('out_of_range', c.name, `column "${c.name}" outside [${c.min}, ${c.max}]`, line, cell);
        }
      } else if (c.type === 'boolean') {
        const l = cell.toLowerCase();
        if (!BOOL.has(l) && l !== '0' && l !== '1')
          note('wrong_type', c.name, `column "${c.name}" should be true/false or 0/1`, line, cell);
      } else {
        const d = domains.get(c.name);
        if (d && !d.has(cell))
          note(
            'unseen_category',
            c.name,
            `column "${c.name}" has categories the schema never saw`,
            line,
            cell,
          );
      }
    }
  }
  if (rows === 0) throw new RunlensError(`${file} has a header but no rows`);
  const tolerance = o.missingRateTolerance ?? 0.1;
  for (const c of checks) {
    const rate = missing.get(c.name)! / rows;
    if (rate > c.missingRate + tolerance) {
      const a: Anomaly = {
        kind: 'missing_rate_jump',
        column: c.name,
        count: missing.get(c.name)!,
        message: `column "${c.name}" is missing in ${(rate * 100).toFixed(1)}% of rows, the schema's rate is ${(c.missingRate * 100).toFixed(1)}%`,
        examples: [],
      };
      anomalies.set(`missing_rate_jump\u0000${c.name}`, a);
    }
  }
  const list = [...anomalies.values()];
  return { file, schema: schemaFile, rows, anomalies: list, valid: list.length === 0 };
}
