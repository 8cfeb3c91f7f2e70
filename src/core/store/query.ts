import { RunlensError } from '../errors';
import type { RunEntry } from './types';

export type WhereOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~';

export interface WhereClause {
  field: string;
  op: WhereOp;
  value: string;
}

const WHERE_RE = /^\s*([A-Za-z_][\w./:-]*)\s*(!=|>=|<=|=|>|<|~)\s*(.*?)\s*$/;

/**
 * `params.lr>0.01`, `metrics.acc>=0.9`, `status=finished`, `tags.team=cv`, `name~baseline`.
 * A bare name is looked up in params, then metrics.
 */
export function parseWhere(text: string): WhereClause {
  const m = WHERE_RE.exec(text);
  if (!m) {
    throw new RunlensError(
      `cannot read the filter "${text}"`,
      'write FIELD OP VALUE, e.g. params.lr>0.01, metrics.acc>=0.9, status=finished, tags.team=cv, name~base',
      'usage',
    );
  }
  return { field: m[1], op: m[2] as WhereOp, value: m[3] };
}

/** The value of a field of an index entry: a top-level field, params.X, tags.X, metrics.X (latest). */
export function fieldValue(e: RunEntry, field: string): string | number | boolean | null | undefined {
  const dot = field.indexOf('.');
  const head = dot < 0 ? field : field.slice(0, dot);
  const rest = dot < 0 ? '' : field.slice(dot + 1);
  switch (head) {
    case 'params':
      return e.params[rest];
    case 'tags':
      return e.tags[rest];
    case 'metrics': {
      const [key, stat] = splitStat(rest);
      const s = e.metrics[key];
      return s ? s[stat] : undefined;
    }
    case 'id':
    case 'name':
    case 'experiment':
    case 'status':
    case 'script':
    case 'starred':
    case 'gitCommit':
      return e[head];
    case 'start':
    case 'startTime':
      return e.startTime;
    case 'end':
    case 'endTime':
      return e.endTime;
    case 'duration':
      return e.endTime !== null ? e.endTime - e.startTime : null;
    default:
      if (field in e.params) return e.params[field];
      if (field in e.metrics) return e.metrics[field].last;
      return undefined;
  }
}

function splitStat(key: string): [string, 'last' | 'min' | 'max'] {
  for (const stat of ['min', 'max', 'last'] as const) {
    if (key.endsWith(':' + stat)) return [key.slice(0, -stat.length - 1), stat];
  }
  return [key, 'last'];
}

export function matches(e: RunEntry, w: WhereClause): boolean {
  const v = fieldValue(e, w.field);
  if (v === undefined || v === null) return w.op === '!=';
  if (w.op === '~') return String(v).toLowerCase().includes(w.value.toLowerCase());
  const num = Number(w.value);
  const bothNumbers = typeof v === 'number' && w.value !== '' && !Number.isNaN(num);
  const a: number | string = bothNumbers ? (v as number) : String(v);
  const b: number | string = bothNumbers ? num : w.value;
  switch (w.op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
  }
}

/** Sort by a field; `-field` or `field:desc` for descending. Missing values sort last. */
export function sortEntries(entries: RunEntry[], spec: string): RunEntry[] {
  let field = spec.trim();
  let desc = false;
  if (field.startsWith('-')) {
    desc = true;
    field = field.slice(1);
  } else if (field.endsWith(':desc')) {
    desc = true;
    field = field.slice(0, -5);
  } else if (field.endsWith(':asc')) {
    field = field.slice(0, -4);
  }
  const keyed = entries.map((e) => ({ e, v: fieldValue(e, field) }));
  keyed.sort((x, y) => {
    const a = x.v;
    const b = y.v;
    const aMissing = a === undefined || a === null || (typeof a === 'number' && Number.isNaN(a));
    const bMissing = b === undefined || b === null || (typeof b === 'number' && Number.isNaN(b));
    if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
    const c = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
    return desc ? -c : c;
  });
  return keyed.map((k) => k.e);
}
