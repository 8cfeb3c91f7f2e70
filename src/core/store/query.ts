import { RunlensError } from '../errors';
import { getOwn } from './records';
import type { RunEntry } from './types';

/**
 * The run query language: one parser for `runlens ls -w/--sort`, the explorer's filter, the Node
 * client's searchRuns and (ported line for line, checked by shared cases) the Python client's
 * search_runs. It reads MLflow's search syntax and Runlens's short forms:
 *
 *   metrics.acc > 0.5 and params.opt = 'adam'     attributes.status = 'FINISHED'
 *   tags.x LIKE '%cv%'    params.opt IN ('adam', 'sgd')    metrics.loss:min < 0.1
 *   params.lr>0.01        status=finished          name~base     (a AND b) OR NOT c
 *
 * A text it does not fully read is an error that shows where reading stopped; nothing is guessed.
 * docs/coming-from-mlflow.md is the reference.
 */

export type CompareOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~' | 'LIKE' | 'ILIKE';

export type Field =
  | { kind: 'metric'; key: string; stat: 'last' | 'min' | 'max' }
  | { kind: 'param'; key: string }
  | { kind: 'tag'; key: string }
  | { kind: 'attr'; name: AttrName }
  /** A bare name that is no attribute: a param of that name, else a metric's last value. */
  | { kind: 'bare'; key: string };

export type Literal = string | number;

export type QueryNode =
  | { type: 'and' | 'or'; items: QueryNode[] }
  | { type: 'not'; item: QueryNode }
  | { type: 'cmp'; field: Field; op: CompareOp; value: Literal }
  | { type: 'in'; field: Field; values: Literal[]; negated: boolean }
  | { type: 'null'; field: Field; negated: boolean };

export type AttrName =
  'id' | 'name' | 'experiment' | 'status' | 'script' | 'starred' | 'gitCommit' | 'start' | 'end' | 'duration';

/** Attribute names, Runlens's and MLflow's (`attributes.` prefix optional). */
const ATTRIBUTES: Record<string, AttrName> = {
  id: 'id',
  run_id: 'id',
  name: 'name',
  run_name: 'name',
  experiment: 'experiment',
  experiment_name: 'experiment',
  experiment_id: 'experiment',
  status: 'status',
  script: 'script',
  starred: 'starred',
  gitCommit: 'gitCommit',
  git_commit: 'gitCommit',
  start: 'start',
  startTime: 'start',
  start_time: 'start',
  end: 'end',
  endTime: 'end',
  end_time: 'end',
  duration: 'duration',
};

const PREFIXES: Record<string, 'metric' | 'param' | 'tag' | 'attr'> = {
  metrics: 'metric',
  metric: 'metric',
  params: 'param',
  param: 'param',
  tags: 'tag',
  tag: 'tag',
  attributes: 'attr',
  attribute: 'attr',
  attr: 'attr',
  run: 'attr',
};

/** MLflow's status names that differ from Runlens's. */
const STATUS_ALIASES: Record<string, string> = { scheduled: 'queued' };

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'LIKE', 'ILIKE', 'IS', 'NULL', 'ASC', 'DESC']);

export const NUMBER_RE = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

// ----------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { t: 'word'; text: string; pos: number; end: number }
  | { t: 'field'; text: string; parts: string[]; pos: number; end: number }
  | { t: 'number'; text: string; value: number; pos: number; end: number }
  | { t: 'string'; value: string; pos: number; end: number }
  | { t: 'op'; text: string; pos: number; end: number }
  | { t: 'punct'; text: '(' | ')' | ','; pos: number; end: number }
  | { t: 'end'; pos: number; end: number };

const WORD_START = /[A-Za-z_]/;
const WORD_CHAR = /[\w.:/-]/;

export class QueryError extends RunlensError {
  constructor(
    readonly what: string,
    readonly text: string,
    readonly position: number,
    readonly problem: string,
    hint?: string,
  ) {
    super(
      `cannot read the ${what} at column ${position + 1}: ${problem}\n  ${text}\n  ${' '.repeat(position)}^`,
      hint ??
        `write FIELD OP VALUE joined by AND/OR, e.g. metrics.acc > 0.5 and params.opt = 'adam' (see docs/coming-from-mlflow.md)`,
      'usage',
    );
    this.name = 'QueryError';
  }
}

function tokenize(text: string, what: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (pos: number, problem: string, hint?: string): never => {
    throw new QueryError(what, text, pos, problem, hint);
  };
  const readQuoted = (start: number): { value: string; end: number } => {
    const q = text[start];
    let j = start + 1;
    let value = '';
    for (;;) {
      if (j >= text.length) fail(start, `the text starting here has no closing ${q}`);
      const c = text[j];
      if (c === q) {
        if (text[j + 1] === q) {
          value += q; // a doubled quote is a quote, as in SQL
          j += 2;
          continue;
        }
        return { value, end: j + 1 };
      }
      if (c === '\\' && j + 1 < text.length && (text[j + 1] === q || text[j + 1] === '\\')) {
        value += text[j + 1];
        j += 2;
        continue;
      }
      value += c;
      j++;
    }
  };
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ t: 'punct', text: c, pos: i, end: i + 1 });
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (['>=', '<=', '!=', '<>', '=='].includes(two)) {
      tokens.push({ t: 'op', text: two === '<>' ? '!=' : two === '==' ? '=' : two, pos: i, end: i + 2 });
      i += 2;
      continue;
    }
    if ('=<>~'.includes(c)) {
      tokens.push({ t: 'op', text: c, pos: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const q = readQuoted(i);
      tokens.push({ t: 'string', value: q.value, pos: start, end: q.end });
      i = q.end;
      continue;
    }
    if (c === '`') {
      // A backquoted name: `my metric` after a prefix, or alone.
      const q = readQuoted(i);
      const prev = tokens[tokens.length - 1];
      if (prev?.t === 'field' && prev.end === start && prev.text.endsWith('.')) {
        prev.parts.push(q.value);
        prev.text += text.slice(start, q.end);
        prev.end = q.end;
      } else
        tokens.push({ t: 'field', text: text.slice(start, q.end), parts: [q.value], pos: start, end: q.end });
      i = q.end;
      continue;
    }
    const num = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(text.slice(i));
    if (num && (/[\d.]/.test(c) || ((c === '-' || c === '+') && tokens[tokens.length - 1]?.t === 'op'))) {
      tokens.push({ t: 'number', text: num[0], value: Number(num[0]), pos: i, end: i + num[0].length });
      i += num[0].length;
      continue;
    }
    if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < text.length && WORD_CHAR.test(text[j])) j++;
      const word = text.slice(i, j);
      if (word.endsWith('.') && (text[j] === '"' || text[j] === '`')) {
        // metrics."f1 score" / metrics.`f1 score`
        const q = readQuoted(j);
        tokens.push({
          t: 'field',
          text: text.slice(i, q.end),
          parts: [word.slice(0, -1), q.value],
          pos: i,
          end: q.end,
        });
        i = q.end;
        continue;
      }
      tokens.push({ t: 'word', text: word, pos: i, end: j });
      i = j;
      continue;
    }
    fail(i, `unexpected "${c}"`);
  }
  tokens.push({ t: 'end', pos: text.length, end: text.length });
  return tokens;
}

function describe(tok: Token, text: string): string {
  return tok.t === 'end' ? 'the end of the text' : `"${text.slice(tok.pos, tok.end)}"`;
}

// ----------------------------------------------------------------------------------------------
// Fields

/** Read a field name: `metrics.acc`, `metrics.acc:max`, `params.lr`, `attributes.status`, `status`. */
export function parseField(
  raw: string,
  parts?: string[],
  fail?: (problem: string, hint?: string) => never,
): Field {
  const bad =
    fail ??
    ((problem: string, hint?: string): never => {
      throw new RunlensError(problem, hint, 'usage');
    });
  let head: string;
  let rest: string | undefined;
  if (parts && parts.length === 2) [head, rest] = parts;
  else if (parts && parts.length === 1 && raw.startsWith('`')) return { kind: 'bare', key: parts[0] };
  else {
    const dot = raw.indexOf('.');
    head = dot < 0 ? raw : raw.slice(0, dot);
    rest = dot < 0 ? undefined : raw.slice(dot + 1);
  }
  const prefix = PREFIXES[head];
  if (prefix && rest !== undefined) {
    if (rest === '') bad(`"${raw}" names no ${head} key`, `write ${head}.KEY`);
    switch (prefix) {
      case 'metric': {
        const m = /^(.*):(min|max|last)$/.exec(rest);
        return m
          ? { kind: 'metric', key: m[1], stat: m[2] as 'min' | 'max' | 'last' }
          : { kind: 'metric', key: rest, stat: 'last' };
      }
      case 'param':
        return { kind: 'param', key: rest };
      case 'tag':
        if (rest === 'mlflow.runName') return { kind: 'attr', name: 'name' };
        return { kind: 'tag', key: rest };
      case 'attr': {
        const a = ATTRIBUTES[rest];
        if (!a) {
          bad(
            `"${rest}" is not a run attribute`,
            `attributes: ${closeNames(rest, Object.keys(ATTRIBUTES)).join(', ') || Object.keys(ATTRIBUTES).join(', ')}`,
          );
        }
        return { kind: 'attr', name: a };
      }
    }
  }
  const a = ATTRIBUTES[raw];
  if (a) return { kind: 'attr', name: a };
  return { kind: 'bare', key: raw };
}

export function fieldName(f: Field): string {
  switch (f.kind) {
    case 'metric':
      return `metrics.${f.key}${f.stat === 'last' ? '' : ':' + f.stat}`;
    case 'param':
      return `params.${f.key}`;
    case 'tag':
      return `tags.${f.key}`;
    case 'attr':
      return f.name;
    case 'bare':
      return f.key;
  }
}

/** The value of a field of an index entry. */
export function valueOf(e: RunEntry, f: Field): string | number | boolean | null | undefined {
  switch (f.kind) {
    case 'metric': {
      const s = getOwn(e.metrics, f.key);
      return s ? s[f.stat] : undefined;
    }
    case 'param':
      return getOwn(e.params, f.key);
    case 'tag':
      return getOwn(e.tags, f.key);
    case 'bare': {
      const p = getOwn(e.params, f.key);
      if (p !== undefined) return p;
      return getOwn(e.metrics, f.key)?.last;
    }
    case 'attr':
      switch (f.name) {
        case 'start':
          return e.startTime;
        case 'end':
          return e.endTime;
        case 'duration':
          return e.endTime !== null ? e.endTime - e.startTime : null;
        default:
          return e[f.name];
      }
  }
}

/** Kept for callers of the earlier API: the value of `params.X`, `metrics.X`, `status`, ... */
export function fieldValue(e: RunEntry, field: string): string | number | boolean | null | undefined {
  return valueOf(e, parseField(field));
}

// ----------------------------------------------------------------------------------------------
// Filters

/** Parse a filter. An empty text is no filter (every run matches). */
export function parseFilter(text: string): QueryNode | undefined {
  const what = 'filter';
  const tokens = tokenize(text, what);
  let k = 0;
  const peek = () => tokens[k];
  const fail = (tok: Token, problem: string, hint?: string): never => {
    throw new QueryError(what, text, tok.pos, problem, hint);
  };
  const isKw = (tok: Token, kw: string) => tok.t === 'word' && tok.text.toUpperCase() === kw;
  if (peek().t === 'end') return undefined;

  const parseOr = (): QueryNode => {
    const items = [parseAnd()];
    while (isKw(peek(), 'OR')) {
      k++;
      items.push(parseAnd());
    }
    return items.length === 1 ? items[0] : { type: 'or', items };
  };
  const parseAnd = (): QueryNode => {
    const items = [parseUnary()];
    while (isKw(peek(), 'AND')) {
      k++;
      items.push(parseUnary());
    }
    return items.length === 1 ? items[0] : { type: 'and', items };
  };
  const parseUnary = (): QueryNode => {
    const tok = peek();
    if (isKw(tok, 'NOT')) {
      k++;
      return { type: 'not', item: parseUnary() };
    }
    if (tok.t === 'punct' && tok.text === '(') {
      k++;
      const inner = parseOr();
      const close = peek();
      if (!(close.t === 'punct' && close.text === ')'))
        fail(close, `expected ")" to close the "(" at column ${tok.pos + 1}, found ${describe(close, text)}`);
      k++;
      return inner;
    }
    return parseComparison();
  };
  const parseLiteral = (field: Field): Literal => {
    const tok = peek();
    let v: Literal;
    if (tok.t === 'number') v = tok.value;
    else if (tok.t === 'string') v = tok.value;
    else if (tok.t === 'word' && !KEYWORDS.has(tok.text.toUpperCase())) v = tok.text;
    else
      return fail(
        tok,
        `expected a value (a number, 'quoted text' or a word) after ${fieldName(field)}, found ${describe(tok, text)}`,
      );
    k++;
    if (field.kind === 'attr' && field.name === 'status' && typeof v === 'string') {
      const s = v.toLowerCase();
      v = STATUS_ALIASES[s] ?? s;
    }
    return v;
  };
  const parseComparison = (): QueryNode => {
    const tok = peek();
    if (tok.t !== 'word' && tok.t !== 'field')
      return fail(
        tok,
        `expected a field (metrics.KEY, params.KEY, tags.KEY or an attribute), found ${describe(tok, text)}`,
      );
    if (tok.t === 'word' && KEYWORDS.has(tok.text.toUpperCase()))
      return fail(tok, `expected a field, found the keyword ${tok.text.toUpperCase()}`);
    k++;
    const field = parseField(
      tok.t === 'word' ? tok.text : tok.text,
      tok.t === 'field' ? tok.parts : undefined,
      (p, h) => fail(tok, p, h),
    );
    const opTok = peek();
    if (opTok.t === 'op') {
      k++;
      return { type: 'cmp', field, op: opTok.text as CompareOp, value: parseLiteral(field) };
    }
    let negated = false;
    if (isKw(opTok, 'NOT')) {
      negated = true;
      k++;
    }
    const kw = peek();
    if (isKw(kw, 'LIKE') || isKw(kw, 'ILIKE')) {
      k++;
      const node: QueryNode = {
        type: 'cmp',
        field,
        op: (kw as { text: string }).text.toUpperCase() as CompareOp,
        value: String(parseLiteral(field)),
      };
      return negated ? { type: 'not', item: node } : node;
    }
    if (isKw(kw, 'IN')) {
      k++;
      const open = peek();
      if (!(open.t === 'punct' && open.text === '('))
        fail(open, `expected "(" after IN, found ${describe(open, text)}`, "write IN ('a', 'b')");
      k++;
      const values = [parseLiteral(field)];
      for (;;) {
        const sep = peek();
        if (sep.t === 'punct' && sep.text === ',') {
          k++;
          values.push(parseLiteral(field));
          continue;
        }
        if (sep.t === 'punct' && sep.text === ')') {
          k++;
          break;
        }
        fail(sep, `expected "," or ")" in the IN list, found ${describe(sep, text)}`);
      }
      return { type: 'in', field, values, negated };
    }
    if (!negated && isKw(kw, 'IS')) {
      k++;
      let neg = false;
      if (isKw(peek(), 'NOT')) {
        neg = true;
        k++;
      }
      if (!isKw(peek(), 'NULL'))
        fail(peek(), `expected NULL after IS${neg ? ' NOT' : ''}, found ${describe(peek(), text)}`);
      k++;
      return { type: 'null', field, negated: neg };
    }
    return fail(
      negated ? kw : opTok,
      `expected an operator (=, !=, >, >=, <, <=, ~, LIKE, ILIKE, IN, IS NULL) after ${fieldName(field)}, found ${describe(negated ? kw : opTok, text)}`,
    );
  };

  const node = parseOr();
  const rest = peek();
  if (rest.t !== 'end') {
    const extra =
      rest.t === 'word' && tokens[k - 1]?.t === 'number'
        ? ` (the value ended at "${text.slice(tokens[k - 1].pos, tokens[k - 1].end)}"; quote text values: '...')`
        : '';
    fail(rest, `expected AND, OR or the end, found ${describe(rest, text)}${extra}`);
  }
  return node;
}

/**
 * The explorer's filter box: a text with a comparison (an operator, or the words LIKE, ILIKE, IN,
 * IS outside quotes) is a query and must read whole; any other text is searched for in names, ids,
 * params and tags.
 */
export function isQueryText(text: string): boolean {
  const unquoted = text.replace(/'(?:[^']|'')*'?|"(?:[^"]|"")*"?|`[^`]*`?/g, '_');
  return /[=<>~]|!=/.test(unquoted) || /\S\s+(like|ilike|in|is)\s+\S/i.test(unquoted);
}

/** Several filters (repeated `-w`) that must all hold. */
export function parseFilters(texts: readonly string[]): QueryNode | undefined {
  const nodes = texts.map(parseFilter).filter((n): n is QueryNode => n !== undefined);
  return nodes.length === 0 ? undefined : nodes.length === 1 ? nodes[0] : { type: 'and', items: nodes };
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMBER_RE.test(v.trim())) return Number(v);
  return undefined;
}

function compare(v: string | number | boolean, op: CompareOp, lit: Literal): boolean {
  if (op === '~') return String(v).toLowerCase().includes(String(lit).toLowerCase());
  if (op === 'LIKE' || op === 'ILIKE') return likeRegex(String(lit), op === 'ILIKE').test(String(v));
  const a = asNumber(v);
  const b = asNumber(lit);
  const [x, y]: [number | string, number | string] =
    a !== undefined && b !== undefined ? [a, b] : [String(v), String(lit)];
  switch (op) {
    case '=':
      return x === y;
    case '!=':
      return x !== y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
  }
}

const likeCache = new Map<string, RegExp>();
function likeRegex(pattern: string, insensitive: boolean): RegExp {
  const key = (insensitive ? 'i' : 's') + pattern;
  let re = likeCache.get(key);
  if (!re) {
    const body = [...pattern]
      .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, insensitive ? 'is' : 's');
    if (likeCache.size > 1000) likeCache.clear();
    likeCache.set(key, re);
  }
  return re;
}

/** A field's value for one run, as `valueOf` reads it from an index entry. */
export type FieldValue = string | number | boolean | null | undefined;

/**
 * Does a run match? A run without the field matches only `!=`, `NOT IN`, `NOT LIKE` and `IS NULL`
 * comparisons; values compare as numbers when both sides read as numbers, else as text.
 */
export function evaluate(node: QueryNode | undefined, e: RunEntry): boolean {
  return evaluateWith(node, (f) => valueOf(e, f));
}

/** `evaluate` over any run representation: `get` gives a field's value (the listing index's columns). */
export function evaluateWith(node: QueryNode | undefined, get: (f: Field) => FieldValue): boolean {
  if (!node) return true;
  switch (node.type) {
    case 'and':
      return node.items.every((n) => evaluateWith(n, get));
    case 'or':
      return node.items.some((n) => evaluateWith(n, get));
    case 'not':
      return !evaluateWith(node.item, get);
    case 'null': {
      const v = get(node.field);
      return (v === undefined || v === null) !== node.negated;
    }
    case 'in': {
      const v = get(node.field);
      if (v === undefined || v === null) return node.negated;
      return node.values.some((l) => compare(v, '=', l)) !== node.negated;
    }
    case 'cmp': {
      const v = get(node.field);
      if (v === undefined || v === null) return node.op === '!=';
      return compare(v, node.op, node.value);
    }
  }
}

/** The fields a filter reads. */
export function filterFields(node: QueryNode | undefined): Field[] {
  if (!node) return [];
  switch (node.type) {
    case 'and':
    case 'or':
      return node.items.flatMap(filterFields);
    case 'not':
      return filterFields(node.item);
    default:
      return [node.field];
  }
}

/** Filter runs: `texts` are ANDed (repeated `-w`). */
export function filterEntries(entries: RunEntry[], texts: readonly string[]): RunEntry[] {
  const node = parseFilters(texts);
  return node ? entries.filter((e) => evaluate(node, e)) : entries;
}

// ----------------------------------------------------------------------------------------------
// Sorting

export interface SortKey {
  field: Field;
  desc: boolean;
}

/**
 * `-metrics.acc`, `metrics.acc:desc`, `metrics.acc DESC`, `params.lr ASC, -start`: one or more keys
 * separated by commas.
 */
export function parseOrderBy(text: string): SortKey[] {
  const keys: SortKey[] = [];
  let offset = 0;
  for (const part of text.split(',')) {
    const lead = part.length - part.trimStart().length;
    let item = part.trim();
    const pos = offset + lead;
    offset += part.length + 1;
    if (item === '') throw new QueryError('sort order', text, pos, 'expected a field name');
    let desc = false;
    const word = /\s+(ASC|DESC)$/i.exec(item);
    if (word) {
      desc = word[1].toUpperCase() === 'DESC';
      item = item.slice(0, word.index).trim();
    } else if (item.startsWith('-')) {
      desc = true;
      item = item.slice(1);
    } else if (/:(asc|desc)$/i.test(item)) {
      desc = /:desc$/i.test(item);
      item = item.slice(0, -(desc ? 5 : 4));
    }
    const m = /^(`[^`]*`|[A-Za-z_][\w.:/-]*(\.("[^"]*"|`[^`]*`))?)$/.exec(item);
    if (!m) {
      const bad = /\s/.exec(item);
      throw new QueryError(
        'sort order',
        text,
        pos + (part.trim().startsWith('-') ? 1 : 0) + (bad ? bad.index : 0),
        bad
          ? `expected ASC, DESC or "," after the field, found "${item.slice(bad.index).trim()}"`
          : `"${item}" is not a field name`,
        'write FIELD [ASC|DESC] or -FIELD, e.g. "metrics.acc DESC" or -metrics.acc',
      );
    }
    const quoted = /^(.*)\.("([^"]*)"|`([^`]*)`)$/.exec(item);
    const field = quoted
      ? parseField(item, [quoted[1], quoted[3] ?? quoted[4]])
      : item.startsWith('`')
        ? parseField(item, [item.slice(1, -1)])
        : parseField(item);
    keys.push({ field, desc });
  }
  return keys;
}

/** Sort by one or more keys; missing values (and NaN) sort last in either direction. */
export function sortBy(entries: RunEntry[], keys: SortKey[]): RunEntry[] {
  return sortOrder(entries.length, keys, (i, f) => valueOf(entries[i], f)).map((i) => entries[i]);
}

/**
 * The order of `n` runs by `keys` (indices 0..n-1; ties keep their order), reading values through
 * `get`: one comparison for index entries and the listing index's columns alike. `column`, when
 * given, reads a key's values for all n runs at once as doubles (NaN: missing), or answers
 * undefined for a key that is not always a number.
 */
export function sortOrder(
  n: number,
  keys: SortKey[],
  get: (i: number, f: Field) => FieldValue,
  column?: (f: Field) => Float64Array | undefined,
): number[] {
  if (keys.length === 0) return Array.from({ length: n }, (_, i) => i);
  const numbers: (Float64Array | undefined)[] = [];
  /** The values read one by one, of the keys read so. */
  const values: (FieldValue[] | undefined)[] = [];
  for (const k of keys) {
    const whole = column?.(k.field);
    if (whole) {
      numbers.push(whole);
      values.push(undefined);
      continue;
    }
    const col: FieldValue[] = new Array<FieldValue>(n);
    for (let i = 0; i < n; i++) col[i] = get(i, k.field);
    numbers.push(numericColumn(col));
    values.push(col);
  }
  if (numbers.every((c) => c !== undefined)) {
    // Every key a number (or missing): the same order, by the doubles' bits (NaN: missing).
    return numberOrder(
      n,
      numbers as Float64Array[],
      keys.map((k) => k.desc),
    );
  }
  const all = values.map((v, i) => v ?? Array.from(numbers[i]!, (x): FieldValue => x));
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((x, y) => {
    for (let i = 0; i < keys.length; i++) {
      const a = all[i][x];
      const b = all[i][y];
      const aMissing = a === undefined || a === null || (typeof a === 'number' && Number.isNaN(a));
      const bMissing = b === undefined || b === null || (typeof b === 'number' && Number.isNaN(b));
      if (aMissing || bMissing) {
        if (aMissing === bMissing) continue;
        return aMissing ? 1 : -1;
      }
      const c =
        typeof a === 'number' && typeof b === 'number'
          ? a === b
            ? 0 // Infinity - Infinity is NaN, which sort() takes as a tie of every key
            : a - b
          : String(a) < String(b)
            ? -1
            : String(a) > String(b)
              ? 1
              : 0;
      if (c !== 0) return keys[i].desc ? -c : c;
    }
    return 0;
  });
  return order;
}

/**
 * Indices 0..n-1 stably sorted by numeric keys, the first key first, missing values (NaN) last in
 * either direction, -0 equal to 0. Each key's doubles are made into 64-bit unsigned integers that
 * order like them; the low bits of each integer are replaced by the run's position in the order so
 * far, and the engine's native sort of a BigUint64Array (no comparison callback) orders them: ties
 * keep their order, which makes the passes (the last key first) stable. Values that differ only in
 * the replaced bits (a relative difference below about 2^-35 at 100,000 runs) are put in order
 * afterwards among themselves.
 */
function numberOrder(n: number, cols: Float64Array[], desc: boolean[]): number[] {
  if (n < 2) return Array.from({ length: n }, (_, i) => i);
  let order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let next = new Int32Array(n);
  const posBits = Math.max(1, Math.ceil(Math.log2(n)));
  const mask = posBits >= 32 ? 0xffffffff : 2 ** posBits - 1;
  const keys = new ArrayBuffer(8 * n);
  const words = new Uint32Array(keys); // little-endian: [low word, high word] of each key
  const sorted = new BigUint64Array(keys);
  const low = new Uint32Array(n); // each position's whole low word, for the ties of the rest
  const bits = new Float64Array(1);
  const parts = new Uint32Array(bits.buffer);
  for (let c = cols.length - 1; c >= 0; c--) {
    const col = cols[c];
    const negate = desc[c];
    for (let j = 0; j < n; j++) {
      const v = col[order[j]];
      let h: number;
      let l: number;
      if (v !== v) {
        h = 0xffffffff;
        l = 0xffffffff;
      } else {
        bits[0] = (negate ? -v : v) + 0; // + 0: -0 becomes 0
        h = parts[1];
        // negative numbers: every bit flipped (larger magnitude, smaller key); others: the sign bit set
        if (h & 0x80000000) {
          h = ~h >>> 0;
          l = ~parts[0] >>> 0;
        } else {
          h = (h | 0x80000000) >>> 0;
          l = parts[0];
        }
      }
      low[j] = l;
      words[2 * j] = ((l & ~mask) | j) >>> 0;
      words[2 * j + 1] = h;
    }
    sorted.sort();
    for (let j = 0; j < n; j++) next[j] = words[2 * j] & mask;
    // runs of keys equal but for the replaced bits: in order of those bits (a stable sort)
    for (let a = 0; a < n;) {
      let b = a + 1;
      while (b < n && words[2 * b + 1] === words[2 * a + 1] && ((words[2 * b] ^ words[2 * a]) & ~mask) === 0)
        b++;
      if (b - a > 1) {
        const tied = Array.from(next.subarray(a, b));
        tied.sort((x, y) => (low[x] & mask) - (low[y] & mask));
        next.set(tied, a);
      }
      a = b;
    }
    for (let j = 0; j < n; j++) next[j] = order[next[j]];
    [order, next] = [next, order];
  }
  const out = new Array<number>(n); // filled by a loop: Array.from of a typed array is several times slower
  for (let j = 0; j < n; j++) out[j] = order[j];
  return out;
}

/** A column of numbers and missing values as doubles (NaN: missing); undefined if it holds others. */
function numericColumn(col: FieldValue[]): Float64Array | undefined {
  const out = new Float64Array(col.length);
  for (let i = 0; i < col.length; i++) {
    const v = col[i];
    if (typeof v === 'number') out[i] = v;
    else if (v === undefined || v === null) out[i] = NaN;
    else return undefined;
  }
  return out;
}

/** Sort by a spec (see parseOrderBy); unknown fields are not checked here (see checkFields). */
export function sortEntries(entries: RunEntry[], spec: string): RunEntry[] {
  return sortBy(entries, parseOrderBy(spec));
}

// ----------------------------------------------------------------------------------------------
// Field names the runs have

/** The names of the params, metrics and tags the runs have, as `params.X`, `metrics.X`, `tags.X`. */
export function knownFieldNames(entries: Iterable<RunEntry>): Set<string> {
  const names = new Set<string>();
  for (const e of entries) {
    for (const k of Object.keys(e.params)) names.add('params.' + k);
    for (const k of Object.keys(e.metrics)) names.add('metrics.' + k);
    for (const k of Object.keys(e.tags)) names.add('tags.' + k);
  }
  return names;
}

/**
 * Fields no run has (attributes always exist), each with the close names it may have meant.
 * Nothing is reported when there are no runs.
 */
export function unknownFields(fields: Field[], entries: RunEntry[]): { field: string; close: string[] }[] {
  if (entries.length === 0) return [];
  return unknownFieldsIn(fields, knownFieldNames(entries));
}

/** `unknownFields` against the field names the runs have (`knownFieldNames`). */
export function unknownFieldsIn(
  fields: Field[],
  names: ReadonlySet<string>,
): { field: string; close: string[] }[] {
  const out: { field: string; close: string[] }[] = [];
  for (const f of fields) {
    if (f.kind === 'attr') continue;
    const full = f.kind === 'metric' ? `metrics.${f.key}` : fieldName(f);
    const known =
      f.kind === 'bare' ? names.has('params.' + f.key) || names.has('metrics.' + f.key) : names.has(full);
    if (known) continue;
    const pool = [...names, ...Object.keys(ATTRIBUTES)];
    out.push({ field: fieldName(f), close: closeNames(full, pool) });
  }
  return out;
}

/** Names within a small edit distance of `name` (or sharing its key), closest first, at most 5. */
export function closeNames(name: string, pool: Iterable<string>): string[] {
  const lower = name.toLowerCase();
  const key = lower.slice(lower.indexOf('.') + 1);
  const scored: [number, string][] = [];
  for (const cand of new Set(pool)) {
    const c = cand.toLowerCase();
    const d = editDistance(lower, c);
    const ckey = c.slice(c.indexOf('.') + 1);
    const limit = Math.max(2, Math.floor(name.length / 4));
    if (d <= limit || (key.length >= 2 && ckey === key) || editDistance(key, ckey) <= 1)
      scored.push([d, cand]);
  }
  return scored
    .sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]))
    .slice(0, 5)
    .map(([, n]) => n);
}

function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** Throw a clear error for sort fields no run has. */
export function checkSortFields(keys: SortKey[], entries: RunEntry[], spec: string): void {
  throwUnknownSort(
    unknownFields(
      keys.map((k) => k.field),
      entries,
    ),
    spec,
  );
}

/** `checkSortFields` against the field names the runs have; `runs` is how many there are. */
export function checkSortFieldsIn(
  keys: SortKey[],
  names: ReadonlySet<string>,
  runs: number,
  spec: string,
): void {
  if (runs === 0) return;
  throwUnknownSort(
    unknownFieldsIn(
      keys.map((k) => k.field),
      names,
    ),
    spec,
  );
}

function throwUnknownSort(unknown: { field: string; close: string[] }[], spec: string): void {
  if (unknown.length === 0) return;
  const u = unknown[0];
  throw new RunlensError(
    `cannot sort by "${u.field}" (in "${spec}"): no run has it`,
    u.close.length ? `close names: ${u.close.join(', ')}` : 'list the fields with `runlens ls --json`',
    'usage',
  );
}
