/**
 * One typed validator per document that Runlens reads from disk (run.json is migrated and checked
 * in runFile.ts; index entries, model.json, store.json and baselines.json here). Hand-written: the
 * documents are small and no schema library is a dependency. Each throws a RunlensError naming the
 * file and the field, or (for index entries, a cache) returns the reason to skip the entry.
 */
import { RunlensError } from '../errors';
import { decodeValue } from './metrics';
import { isRunId } from './ids';
import type { RunEntry } from './types';
import { RUN_STATUSES } from './types';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const isNum = (v: unknown): v is number => typeof v === 'number';
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNumOrNull = (v: unknown) => v === null || isNum(v);
const isStrOrNull = (v: unknown) => v === null || isStr(v);

/**
 * A summary record (metric key -> statistics) as JSON holds it: "NaN"/"Infinity" strings are
 * decoded into numbers in place. Returns the reason it is not one, or undefined when it is.
 */
export function checkSummaries(raw: unknown): string | undefined {
  if (!isRecord(raw)) return 'is not an object';
  for (const [key, s] of Object.entries(raw)) {
    if (!isRecord(s)) return `.${key} is not a metric summary object`;
    for (const f of ['last', 'min', 'max'] as const) {
      // null is how a plain JSON.stringify wrote NaN before.
      const v = s[f] === null ? NaN : decodeValue(s[f]);
      if (v === undefined) return `.${key}.${f} is not a number`;
      s[f] = v;
    }
    for (const f of ['lastStep', 'count', 'lastTime'] as const) {
      if (!isNum(s[f])) return `.${key}.${f} is not a number`;
    }
    for (const f of ['minStep', 'maxStep'] as const) {
      if (s[f] !== undefined && !isNum(s[f])) return `.${key}.${f} is not a number`;
    }
  }
  return undefined;
}

const STATUSES: readonly string[] = [...RUN_STATUSES, 'unreadable'];

/** An index entry (index.json or a journal line): the entry, or why it is skipped. */
export function checkIndexEntry(raw: unknown): RunEntry | string {
  if (!isRecord(raw)) return 'not an object';
  const e = raw;
  if (!isStr(e.id)) return 'no id';
  const bad = (field: string) => `field "${field}" has the wrong type`;
  if (!isStr(e.experiment)) return bad('experiment');
  if (!isStr(e.name)) return bad('name');
  if (!isStr(e.status) || !STATUSES.includes(e.status)) return bad('status');
  if (!isStrOrNull(e.script)) return bad('script');
  if (!isRecord(e.params)) return bad('params');
  if (!isRecord(e.tags) || !Object.values(e.tags).every(isStr)) return bad('tags');
  if (typeof e.starred !== 'boolean') return bad('starred');
  if (!isNum(e.startTime)) return bad('startTime');
  if (!isNumOrNull(e.endTime)) return bad('endTime');
  if (!isStrOrNull(e.gitCommit)) return bad('gitCommit');
  if (!isNum(e.metricsBytes)) return bad('metricsBytes');
  if (!isNum(e.updatedAt)) return bad('updatedAt');
  if (e.runFileMtime !== undefined && !isNum(e.runFileMtime)) return bad('runFileMtime');
  if (e.error !== undefined && !isStr(e.error)) return bad('error');
  const why = checkSummaries(e.metrics);
  if (why !== undefined) return `field "metrics"${why.startsWith('.') ? why : ' ' + why}`;
  return e as unknown as RunEntry;
}

/** store.json: an object with a numeric schemaVersion. */
export function checkStoreMeta(raw: unknown, file: string): { schemaVersion: number } {
  const hint = 'fix or delete store.json; it is recreated';
  if (!isRecord(raw)) throw new RunlensError(`${file} is not a JSON object`, hint);
  if (!isNum(raw.schemaVersion)) throw new RunlensError(`${file} has no schemaVersion`, hint);
  return raw as { schemaVersion: number };
}

const STAGE_NAMES: readonly string[] = ['none', 'staging', 'production', 'archived'];

/** model.json of a registered model. Throws naming the file and the first wrong field. */
export function checkModelDocument<T>(raw: unknown, file: string): T {
  const fail = (what: string): never => {
    throw new RunlensError(
      `${file}: ${what}`,
      'fix the file, or restore it from a backup (the version folders next to it are intact)',
    );
  };
  if (!isRecord(raw)) return fail('model.json is not a JSON object');
  if (!isNum(raw.schemaVersion)) fail('field "schemaVersion" is not a number');
  if (!isStr(raw.name)) fail('field "name" is not text');
  if (!isNum(raw.createdAt)) fail('field "createdAt" is not a number');
  if (!Array.isArray(raw.versions)) return fail('field "versions" is not a list');
  raw.versions.forEach((v: unknown, i: number) => {
    const at = `versions[${i}]`;
    if (!isRecord(v)) return fail(`${at} is not an object`);
    if (!Number.isInteger(v.version)) fail(`${at}.version is not an integer`);
    if (!isNum(v.createdAt)) fail(`${at}.createdAt is not a number`);
    if (!isStr(v.sourceRun)) fail(`${at}.sourceRun is not text`);
    if (!isStr(v.experiment)) fail(`${at}.experiment is not text`);
    if (!Array.isArray(v.files) || !v.files.every(isStr)) fail(`${at}.files is not a list of paths`);
    if (!isRecord(v.metrics)) fail(`${at}.metrics is not an object`);
    if (!isRecord(v.params)) fail(`${at}.params is not an object`);
    if (!Array.isArray(v.dataHashes)) fail(`${at}.dataHashes is not a list`);
    if (!isStrOrNull(v.gitCommit)) fail(`${at}.gitCommit is not text`);
    if (!isStr(v.stage) || !STAGE_NAMES.includes(v.stage)) fail(`${at}.stage is not a known stage`);
    if (!Array.isArray(v.stageHistory)) fail(`${at}.stageHistory is not a list`);
    if (v.description !== undefined && !isStrOrNull(v.description)) fail(`${at}.description is not text`);
  });
  return raw as T;
}

/** baselines.json: experiments maps a name to a run or a model-stage baseline. */
export function checkBaselines<T>(raw: unknown, file: string): T {
  const fail = (what: string): never => {
    throw new RunlensError(`${file}: ${what}`, 'fix the file, or delete it and set the baselines again');
  };
  if (!isRecord(raw)) return fail('baselines.json is not a JSON object');
  if (!isNum(raw.schemaVersion)) fail('field "schemaVersion" is not a number');
  if (!isRecord(raw.experiments)) return fail('field "experiments" is not an object');
  for (const [name, b] of Object.entries(raw.experiments)) {
    const at = `experiments[${JSON.stringify(name)}]`;
    if (!isRecord(b)) return fail(`${at} is not an object`);
    if (b.kind === 'run') {
      if (!isRunId(b.run)) fail(`${at}.run is not a run id`);
    } else if (b.kind === 'model') {
      if (!isStr(b.model)) fail(`${at}.model is not text`);
      if (!isStr(b.stage) || !STAGE_NAMES.includes(b.stage)) fail(`${at}.stage is not a known stage`);
    } else fail(`${at}.kind is neither "run" nor "model"`);
    if (!isNum(b.setAt)) fail(`${at}.setAt is not a number`);
  }
  return raw as T;
}
