/**
 * Parameter values as people type them (`runlens run -p`, `runlens sweep -p`, the editor's launch
 * boxes), parsed by one rule, and the grid a sweep runs over.
 *
 * The rule: `true`, `false` and `null` are those values; a decimal number (`32`, `-0.5`, `1e-3`,
 * `.5`) is a number; a value in double or single quotes is the text inside them (`"1e-3"` stays
 * text); anything else is text as typed. Keywords and numbers may have spaces around them.
 * `Infinity`, `NaN` and `0x10` are text: run.json is JSON, which has no infinities, and a hex
 * literal is more often a name or a seed than a number.
 */
import { RunlensError } from '../errors';
import type { ParamValue } from '../store/types';

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const QUOTED = /^\s*(["'])(.*)\1\s*$/s;

/** One typed value, by the rule above. */
export function parseParamValue(raw: string): ParamValue {
  const t = raw.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null') return null;
  if (DECIMAL.test(t)) return Number(t);
  const quoted = QUOTED.exec(raw);
  if (quoted) return quoted[2];
  return raw;
}

/** `key=value` of an option (`-p`, `-t`): the key and the value as typed. */
function splitKeyValue(text: string, option: string, what: string, example: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) {
    throw new RunlensError(
      `${option} ${text}: a ${what} needs the form key=value`,
      `for example: ${example}`,
      'usage',
    );
  }
  return [text.slice(0, eq).trim(), text.slice(eq + 1)];
}

/** `key=value` (the `-p` option): the key and the parsed value. */
export function parseParam(text: string): [string, ParamValue] {
  const [key, value] = splitKeyValue(text, '-p', 'parameter', '-p lr=0.01 -p optimizer=adam');
  return [key, parseParamValue(value)];
}

/** `key=value` (the `-t` option): tags are text, kept as typed (`-t v=1.0` is "1.0"). */
export function parseTag(text: string): [string, string] {
  return splitKeyValue(text, '-t', 'tag', '-t team=vision');
}

/**
 * The text of a value that parses back to it by the rule above (the editor's launch boxes): text
 * that would read as a number, keyword or list, or has quotes at its ends, is quoted.
 */
export function formatParamInput(v: ParamValue): string {
  if (typeof v !== 'string') return String(v);
  const plain = parseValueList(v);
  return plain.length === 1 && plain[0] === v ? v : `"${v}"`;
}

/** Comma-separated values, each parsed by the rule; a comma inside quotes belongs to the value. */
export function parseValueList(raw: string): ParamValue[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const ch of raw) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === ',') {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current);
  return parts.map(parseParamValue);
}

/** `-p key=v1,v2` options of a sweep: the values each parameter takes, in the order given. */
export function parseSweep(specs: string[]): Record<string, ParamValue[]> {
  const out: Record<string, ParamValue[]> = {};
  for (const spec of specs) {
    const [key] = parseParam(spec);
    out[key] = parseValueList(spec.slice(spec.indexOf('=') + 1));
  }
  return out;
}

/** Every combination of the values given per parameter (a grid sweep), in the order given. */
export function grid(values: Record<string, ParamValue[]>): Record<string, ParamValue>[] {
  let out: Record<string, ParamValue>[] = [{}];
  for (const [k, vs] of Object.entries(values)) out = out.flatMap((p) => vs.map((v) => ({ ...p, [k]: v })));
  return out;
}
