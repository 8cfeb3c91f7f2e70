/**
 * Finds the lines of a training script that log metrics: the calls of the Runlens clients, MLflow,
 * Weights & Biases, TensorBoard, tf.summary, Lightning, DVCLive and Accelerate, and the print /
 * console.log lines whose text has `key: value` or `key=value` pairs. This is the basis of the
 * editor's CodeLens and of `runlens lens FILE`.
 *
 * Pure: no I/O and no `vscode`. A small scanner first blanks comments and the bodies of string
 * literals (keeping every offset, so line numbers and string positions stay valid); call sites are
 * then found with one regular expression on the blanked text, where parentheses, commas and braces
 * inside strings or comments can no longer confuse the bracket matching.
 */

import { looksLikeMetricName } from '../metrics/names';

export type LensLanguage = 'python' | 'javascript' | 'typescript';

export type LensStyle =
  | 'runlens'
  | 'mlflow'
  | 'wandb'
  | 'tensorboard'
  | 'tf.summary'
  | 'lightning'
  | 'dvclive'
  | 'accelerate'
  | 'print';

export interface LensLine {
  /** 1-based line where the call starts (its receiver, e.g. `wandb` in `wandb.log(`). */
  line: number;
  /** Metric names written literally, in the order they appear. */
  keys: string[];
  /** Anchored regular expression sources for names built at run time, e.g. `^(.+)_loss$`. */
  patterns: string[];
  style: LensStyle;
}

/** The language of a script from its file name, or undefined when it is not one we read. */
export function languageOf(fileName: string): LensLanguage | undefined {
  const ext = /\.([A-Za-z]+)$/.exec(fileName)?.[1].toLowerCase();
  switch (ext) {
    case 'py':
      return 'python';
    case 'js':
    case 'mjs':
    case 'cjs':
    case 'jsx':
      return 'javascript';
    case 'ts':
    case 'mts':
    case 'cts':
    case 'tsx':
      return 'typescript';
    default:
      return undefined;
  }
}

const compiled = new Map<string, RegExp | null>();

/** Whether a recorded metric name is one this line logs (a literal key or a pattern match). */
export function matchesKey(line: LensLine, key: string): boolean {
  if (line.keys.includes(key)) return true;
  for (const p of line.patterns) {
    let re = compiled.get(p);
    if (re === undefined) {
      try {
        re = new RegExp(p);
      } catch {
        re = null;
      }
      compiled.set(p, re);
    }
    if (re?.test(key)) return true;
  }
  return false;
}

export function recognizeMetricLines(source: string, language: LensLanguage): LensLine[] {
  const python = language === 'python';
  const s = python ? scanPython(source) : scanJs(source);
  const ctx = new Context(s, python);
  const out: LensLine[] = [];
  const helpers: Helper[] = [];
  CALL.lastIndex = 0;
  for (let m = CALL.exec(s.blank); m !== null; m = CALL.exec(s.blank)) {
    const method = m[1];
    const open = m.index + m[0].length - 1;
    const recv = receiverBefore(s.blank, m.index);
    if (!recv.dotted && isDefinition(s.blank, m.index)) continue;
    const rule = classify(method, recv, ctx);
    if (!rule) continue;
    const { args, close } = splitArgs(s.blank, open, python);
    const acc = new Keys();
    rule.extract(ctx, args, acc, open, close);
    const empty = acc.keys.length === 0 && acc.patterns.length === 0;
    if (empty && rule.keyArg) {
      // `def track(name, v): writer.add_scalar(name, v)`: the names are where `track` is called.
      const h = helperOf(ctx, rule, args, m.index);
      if (h) {
        helpers.push(h);
        continue;
      }
    }
    if (rule.style === 'print' && empty) continue;
    out.push({ line: ctx.lineOf(recv.start), keys: acc.keys, patterns: acc.patterns, style: rule.style });
  }
  if (helpers.length) out.push(...helperCalls(ctx, helpers));
  if (!python) out.push(...epochEndCallbacks(ctx));
  return merged(out);
}

/** One lens per line: lines reported twice (a callback and the print inside it) are merged. */
function merged(lines: LensLine[]): LensLine[] {
  const by = new Map<number, LensLine>();
  for (const l of lines) {
    const had = by.get(l.line);
    if (!had) by.set(l.line, l);
    else {
      for (const k of l.keys) if (!had.keys.includes(k)) had.keys.push(k);
      for (const p of l.patterns) if (!had.patterns.includes(p)) had.patterns.push(p);
    }
  }
  return [...by.values()].sort((a, b) => a.line - b.line);
}

// ---------------------------------------------------------------------------------------------
// Scanning

interface StrToken {
  /** First character, including a Python prefix such as `f` or `rb`. */
  start: number;
  /** After the closing quote (or where an unterminated string stops). */
  end: number;
  bodyStart: number;
  bodyEnd: number;
  /** f-string or JS template literal: `{...}` / `${...}` are interpolations. */
  interp: boolean;
  raw: boolean;
  template: boolean;
}

interface Scanned {
  source: string;
  /** The source with comments, string bodies and regex literal bodies blanked. */
  blank: string;
  strings: StrToken[];
  byStart: Map<number, StrToken>;
}

type Range = [number, number];

const PY_PREFIX = /^(?:[rRuUbBfFtT]|[rR][bBfFtT]|[bBfFtT][rR])$/;

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c > 127;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function lineEnd(src: string, i: number): number {
  const e = src.indexOf('\n', i);
  return e < 0 ? src.length : e;
}

/**
 * String bodies without interpolation, matched natively (a per-character loop in JavaScript is
 * slow until the engine has compiled it, which matters for the first file a process reads).
 */
const PY_BODY: Record<string, RegExp> = {
  '"': /(?:[^"\\\n]+|\\[\s\S])*/y,
  "'": /(?:[^'\\\n]+|\\[\s\S])*/y,
  '"""': /(?:[^"\\]+|\\[\s\S]|"(?!""))*/y,
  "'''": /(?:[^'\\]+|\\[\s\S]|'(?!''))*/y,
};

/** End of a Python string whose opening quote is at `q`. */
function pyStringEnd(
  src: string,
  q: number,
  interp: boolean,
): { bodyStart: number; bodyEnd: number; end: number } {
  const n = src.length;
  const quote = src[q];
  const triple = src[q + 1] === quote && src[q + 2] === quote;
  let i = q + (triple ? 3 : 1);
  const bodyStart = i;
  if (!interp) {
    const closing = triple ? quote + quote + quote : quote;
    const body = PY_BODY[closing];
    body.lastIndex = bodyStart;
    body.test(src);
    i = body.lastIndex;
    if (src.startsWith(closing, i)) return { bodyStart, bodyEnd: i, end: i + closing.length };
    return { bodyStart, bodyEnd: i, end: i }; // unterminated: at the line break or the end
  }
  while (i < n) {
    const ch = src[i];
    if (ch === '\\') {
      i += 2;
    } else if (ch === quote) {
      if (!triple) return { bodyStart, bodyEnd: i, end: i + 1 };
      if (src[i + 1] === quote && src[i + 2] === quote) return { bodyStart, bodyEnd: i, end: i + 3 };
      i++;
    } else if (ch === '\n' && !triple) {
      return { bodyStart, bodyEnd: i, end: i };
    } else if (ch === '{') {
      i = src[i + 1] === '{' ? i + 2 : pyFieldEnd(src, i + 1, triple);
    } else {
      i++;
    }
  }
  return { bodyStart, bodyEnd: n, end: n };
}

/** After the `}` closing an f-string replacement field whose expression starts at `i`. */
function pyFieldEnd(src: string, i: number, multiline: boolean): number {
  const n = src.length;
  let depth = 0;
  while (i < n) {
    const ch = src[i];
    if (ch === '\n' && !multiline) return i;
    if (ch === '"' || ch === "'") {
      i = pyStringEnd(src, i, prefixBefore(src, i).includes('f')).end;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === '}') {
      if (depth === 0) return i + 1;
      depth--;
    }
    i++;
  }
  return n;
}

/** The lower-cased Python string prefix written just before a quote at `q` ('' if none). */
function prefixBefore(src: string, q: number): string {
  let a = q;
  while (a > 0 && q - a < 3 && isIdentPart(src.charCodeAt(a - 1))) a--;
  const p = src.slice(a, q);
  return PY_PREFIX.test(p) ? p.toLowerCase() : '';
}

const PY_NEXT = /[#"']/g;

function scanPython(src: string): Scanned {
  const strings: StrToken[] = [];
  const blanks: Range[] = [];
  let i = 0;
  for (;;) {
    PY_NEXT.lastIndex = i;
    if (!PY_NEXT.test(src)) break;
    const at = PY_NEXT.lastIndex - 1;
    if (src.charCodeAt(at) === 35 /* # */) {
      const e = lineEnd(src, at);
      blanks.push([at, e]);
      i = e;
    } else {
      const prefix = prefixBefore(src, at);
      i = addPyString(src, at - prefix.length, at, prefix, strings, blanks);
    }
  }
  return finish(src, strings, blanks);
}

function addPyString(
  src: string,
  start: number,
  q: number,
  prefix: string,
  strings: StrToken[],
  blanks: Range[],
): number {
  const interp = prefix.includes('f') || prefix.includes('t');
  const { bodyStart, bodyEnd, end } = pyStringEnd(src, q, interp);
  strings.push({ start, end, bodyStart, bodyEnd, interp, raw: prefix.includes('r'), template: false });
  if (bodyEnd > bodyStart) blanks.push([bodyStart, bodyEnd]);
  return Math.max(end, q + 1);
}

/** Keywords after which a `/` starts a regular expression literal rather than a division. */
const JS_EXPR_KEYWORDS = new Set(
  'return typeof instanceof in of new delete void throw case do else yield await'.split(' '),
);

const JS_BODY: Record<string, RegExp> = {
  '"': /(?:[^"\\\n]+|\\[\s\S])*/y,
  "'": /(?:[^'\\\n]+|\\[\s\S])*/y,
};
const JS_TEMPLATE_BODY = /(?:[^`\\$]+|\\[\s\S]|\$(?!\{))*/y;

function jsStringEnd(src: string, q: number): number {
  const quote = src[q];
  const body = JS_BODY[quote];
  body.lastIndex = q + 1;
  body.test(src);
  const i = body.lastIndex;
  return src[i] === quote ? i + 1 : i;
}

function jsTemplateEnd(src: string, q: number): number {
  const n = src.length;
  let i = q + 1;
  for (;;) {
    JS_TEMPLATE_BODY.lastIndex = i;
    JS_TEMPLATE_BODY.test(src);
    i = JS_TEMPLATE_BODY.lastIndex;
    const ch = src[i];
    if (ch === '`') return i + 1;
    if (ch !== '$') return n; // a lone backslash at the end
    i = jsBracedEnd(src, i + 2);
  }
}

/** After the `}` matching an already opened `${` or `{`, skipping strings and comments. */
function jsBracedEnd(src: string, i: number): number {
  const n = src.length;
  let depth = 0;
  while (i < n) {
    const ch = src[i];
    if (ch === '"' || ch === "'") i = jsStringEnd(src, i);
    else if (ch === '`') i = jsTemplateEnd(src, i);
    else if (ch === '/' && src[i + 1] === '/') i = lineEnd(src, i);
    else if (ch === '/' && src[i + 1] === '*') {
      const e = src.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
    } else {
      if (ch === '{') depth++;
      else if (ch === '}') {
        if (depth === 0) return i + 1;
        depth--;
      }
      i++;
    }
  }
  return n;
}

/** End of a regular expression literal starting at `i`, or -1 when this `/` is not one. */
function jsRegexEnd(src: string, i: number): number {
  const n = src.length;
  let j = i + 1;
  let inClass = false;
  while (j < n) {
    const ch = src[j];
    if (ch === '\\') j += 2;
    else if (ch === '\n') return -1;
    else if (ch === '[' || ch === ']') {
      inClass = ch === '[';
      j++;
    } else if (ch === '/' && !inClass) {
      j++;
      while (j < n && isIdentPart(src.charCodeAt(j))) j++;
      return j;
    } else j++;
  }
  return -1;
}

/** Whether a `/` at `at` starts a regular expression literal (judged by what comes before it). */
function regexAllowedAt(src: string, at: number): boolean {
  let j = at - 1;
  while (j >= 0 && isSpace(src[j])) j--;
  if (j < 0) return true;
  const c = src.charCodeAt(j);
  if (c === 41 || c === 93 || c === 125 || c === 34 || c === 39 || c === 96) return false; // ) ] } ' " `
  if (!isIdentPart(c)) return true;
  let k = j;
  while (k >= 0 && isIdentPart(src.charCodeAt(k))) k--;
  return JS_EXPR_KEYWORDS.has(src.slice(k + 1, j + 1));
}

const JS_NEXT = /[/"'`]/g;

function scanJs(src: string): Scanned {
  const n = src.length;
  const strings: StrToken[] = [];
  const blanks: Range[] = [];
  let i = 0;
  for (;;) {
    JS_NEXT.lastIndex = i;
    if (!JS_NEXT.test(src)) break;
    const at = JS_NEXT.lastIndex - 1;
    const c = src.charCodeAt(at);
    if (c === 47 /* / */) {
      const next = src.charCodeAt(at + 1);
      if (next === 47) {
        const e = lineEnd(src, at);
        blanks.push([at, e]);
        i = e;
      } else if (next === 42) {
        const e0 = src.indexOf('*/', at + 2);
        const e = e0 < 0 ? n : e0 + 2;
        blanks.push([at, e]);
        i = e;
      } else {
        const e = regexAllowedAt(src, at) ? jsRegexEnd(src, at) : -1;
        if (e > 0) blanks.push([at + 1, src.lastIndexOf('/', e - 1)]);
        i = e > 0 ? e : at + 1;
      }
    } else {
      const template = c === 96;
      const end = template ? jsTemplateEnd(src, at) : jsStringEnd(src, at);
      const bodyEnd = end - 1 > at && src.charCodeAt(end - 1) === c ? end - 1 : end;
      strings.push({ start: at, end, bodyStart: at + 1, bodyEnd, interp: template, raw: false, template });
      if (bodyEnd > at + 1) blanks.push([at + 1, bodyEnd]);
      i = Math.max(end, at + 1);
    }
  }
  return finish(src, strings, blanks);
}

/** The source with the ranges (in order, not overlapping) turned to spaces, `\n` kept. */
function blankRanges(src: string, ranges: Range[]): string {
  if (ranges.length === 0) return src;
  const parts: string[] = [];
  let last = 0;
  for (const [a, b] of ranges) {
    parts.push(src.slice(last, a));
    const nl = src.indexOf('\n', a);
    if (nl < 0 || nl >= b) parts.push(' '.repeat(b - a));
    else
      parts.push(
        src
          .slice(a, b)
          .split('\n')
          .map((l) => ' '.repeat(l.length))
          .join('\n'),
      );
    last = b;
  }
  parts.push(src.slice(last));
  return parts.join('');
}

function finish(src: string, strings: StrToken[], blanks: Range[]): Scanned {
  const byStart = new Map<number, StrToken>();
  for (const t of strings) byStart.set(t.start, t);
  return { source: src, blank: blankRanges(src, blanks), strings, byStart };
}

// ---------------------------------------------------------------------------------------------
// Call sites

const CALL =
  /(?<![\w$])(log|log_metric|log_metrics|log_dict|add_scalar|add_scalars|scalar|print|info|[A-Z]\w*Meter)\s*\(/g;

interface Receiver {
  /** Segments before the method, outermost first: identifiers, '()' for a call, '[]' for an index. */
  segs: string[];
  /** Whether the method is called on something (`x.log(`) rather than bare (`print(`). */
  dotted: boolean;
  /** Offset where the whole call expression starts. */
  start: number;
}

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\\';
}

/** The dotted receiver written before a method name at `at`, read backwards. */
function receiverBefore(blank: string, at: number): Receiver {
  const segs: string[] = []; // collected backwards
  let start = at;
  let i = at - 1;
  while (i >= 0 && isSpace(blank[i])) i--;
  if (blank[i] !== '.') return { segs, dotted: false, start };
  for (;;) {
    i--; // past the dot
    while (i >= 0 && isSpace(blank[i])) i--;
    let read = false;
    // `f(x).log` / `a[0].log`: call and index suffixes, read backwards
    while (blank[i] === ')' || blank[i] === ']') {
      const o = openerBefore(blank, i);
      if (o < 0) return { segs: segs.reverse(), dotted: true, start };
      segs.push(blank[i] === ')' ? '()' : '[]');
      start = o;
      i = o - 1;
      read = true;
    }
    if (i >= 0 && isIdentPart(blank.charCodeAt(i))) {
      const e = i + 1;
      while (i >= 0 && isIdentPart(blank.charCodeAt(i))) i--;
      segs.push(blank.slice(i + 1, e));
      start = i + 1;
      read = true;
    }
    if (!read) break;
    let j = i;
    while (j >= 0 && isSpace(blank[j])) j--;
    if (blank[j] !== '.') break;
    i = j;
  }
  return { segs: segs.reverse(), dotted: true, start };
}

/** The opening bracket matching the closer at `i`, or -1. */
function openerBefore(blank: string, i: number): number {
  let depth = 0;
  for (let j = i; j >= 0 && i - j < 4000; j--) {
    depth -= bracket(blank.charCodeAt(j));
    if (depth === 0) return j;
  }
  return -1;
}

/** `def print(` / `function log(`: a definition, not a call. */
function isDefinition(blank: string, at: number): boolean {
  const before = blank.slice(Math.max(0, at - 12), at);
  return /\b(?:def|function|class)\s+$/.test(before);
}

class Context {
  private readonly lineStarts: number[] = [0];
  readonly importsRunlens: boolean;
  readonly importsWandb: boolean;
  readonly importsMlflow: boolean;

  constructor(
    readonly s: Scanned,
    readonly python: boolean,
  ) {
    const src = s.source;
    for (let i = src.indexOf('\n'); i >= 0; i = src.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    // an import in a comment or a string does not count
    const imports = (name: string) => {
      if (python) return new RegExp(`^[ \\t]*(?:import|from)[ \\t]+${name}\\b`, 'm').test(s.blank);
      const re = new RegExp(
        `(?:\\brequire\\s*\\(\\s*|\\bfrom\\s*|\\bimport\\s*)['"](?:[^'"\\n]*/)?${name}(?:/[^'"\\n]*)?['"]`,
        'g',
      );
      for (const m of src.matchAll(re)) if (s.blank[m.index] === src[m.index]) return true;
      return false;
    };
    this.importsRunlens = imports('runlens');
    this.importsWandb = imports(python ? 'wandb' : '(?:@wandb/sdk|wandb)');
    this.importsMlflow = python && imports('mlflow');
  }

  lineOf(offset: number): number {
    const a = this.lineStarts;
    let lo = 0;
    let hi = a.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (a[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** The style of a `run.log(...)` call: the client the file imports. */
  runStyle(segs: string[]): LensStyle {
    if (segs.some((x) => /wandb/i.test(x))) return 'wandb';
    if (this.importsRunlens) return 'runlens';
    return this.importsWandb ? 'wandb' : 'runlens';
  }
}

// ---------------------------------------------------------------------------------------------
// Arguments

interface Arg {
  /** Trimmed span of the whole argument. */
  start: number;
  end: number;
  /** Python keyword (`step` in `step=3`), '*' / '**' for unpacking, '' when positional. */
  kw: string;
  /** Trimmed span of the value. */
  valueStart: number;
}

/** +1 for an opening bracket, -1 for a closing one, else 0. */
function bracket(c: number): number {
  if (c === 40 || c === 91 || c === 123) return 1; // ( [ {
  if (c === 41 || c === 93 || c === 125) return -1; // ) ] }
  return 0;
}

/** The parts of [a, b) separated by `sep` at bracket depth 0 (strings are blanked already). */
function splitTop(blank: string, a: number, b: number, sep: string): Range[] {
  const parts: Range[] = [];
  const sepCode = sep.charCodeAt(0);
  let depth = 0;
  let from = a;
  for (let i = a; i < b; i++) {
    const c = blank.charCodeAt(i);
    const d = bracket(c);
    if (d) depth = Math.max(0, depth + d);
    else if (c === sepCode && depth === 0) {
      parts.push([from, i]);
      from = i + 1;
    }
  }
  parts.push([from, b]);
  return parts;
}

function findTop(blank: string, a: number, b: number, ch: string): number {
  const code = ch.charCodeAt(0);
  let depth = 0;
  for (let i = a; i < b; i++) {
    const c = blank.charCodeAt(i);
    const d = bracket(c);
    if (d) depth += d;
    else if (c === code && depth === 0) return i;
  }
  return -1;
}

/** The closer matching the opener at `open`, or the limit when there is none. */
function matchClose(blank: string, open: number, limit = blank.length): number {
  let depth = 0;
  for (let i = open; i < limit; i++) {
    const d = bracket(blank.charCodeAt(i));
    if (d) {
      depth += d;
      if (depth === 0) return i;
    }
  }
  return limit;
}

/** The comma-separated parts inside the bracket opened at `open`, and its closer, in one pass. */
function splitInside(blank: string, open: number, limit = blank.length): { parts: Range[]; close: number } {
  const parts: Range[] = [];
  let depth = 0;
  let from = open + 1;
  for (let i = from; i < limit; i++) {
    const c = blank.charCodeAt(i);
    const d = bracket(c);
    if (d) {
      depth += d;
      if (depth < 0) {
        parts.push([from, i]);
        return { parts, close: i };
      }
    } else if (c === 44 /* , */ && depth === 0) {
      parts.push([from, i]);
      from = i + 1;
    }
  }
  parts.push([from, limit]);
  return { parts, close: limit };
}

function trim(blank: string, a: number, b: number): Range {
  while (a < b && isSpace(blank[a])) a++;
  while (b > a && isSpace(blank[b - 1])) b--;
  return [a, b];
}

const KEYWORD_ARG = /([A-Za-z_]\w*)\s*=(?!=)/y;

function splitArgs(blank: string, open: number, python: boolean): { args: Arg[]; close: number } {
  const { parts, close } = splitInside(blank, open);
  const args: Arg[] = [];
  for (const [a0, b0] of parts) {
    const [a, b] = trim(blank, a0, b0);
    if (a >= b) continue;
    let kw = '';
    let valueStart = a;
    if (blank[a] === '*') {
      kw = blank[a + 1] === '*' ? '**' : '*';
      valueStart = a + kw.length;
    } else if (python) {
      KEYWORD_ARG.lastIndex = a;
      const m = KEYWORD_ARG.exec(blank);
      if (m && m.index + m[0].length <= b) {
        kw = m[1];
        valueStart = trim(blank, a + m[0].length, b)[0];
      }
    }
    args.push({ start: a, end: b, kw, valueStart });
  }
  return { args, close };
}

/** The argument at positional index `pos`, or the one passed by one of the keyword names. */
function pick(args: Arg[], pos: number, kws: string[]): Arg | undefined {
  const positional = args.filter((x) => x.kw === '');
  return positional[pos] ?? args.find((x) => kws.includes(x.kw));
}

// ---------------------------------------------------------------------------------------------
// String texts and keys

/** Markers (private-use characters) for an interpolated value formatted as a number, and any other. */
const NUM = '\uE000';
const ANY = '\uE001';
/** An interpolated setting (`{args.lr}`, `${config.batchSize}`): printed, but not a measurement. */
const SET = '\uE002';
const MARKERS = /[\uE000\uE001\uE002]+/g;
/** Expressions that read a setting: argparse args, configs, hyperparameters. */
const SETTING_EXPR =
  /^\s*(?:self\.|this\.)?(?:args|opt|opts|options|config|cfg|conf|hparams|hp|hps|params|flags|FLAGS|settings|training_args)\s*(?:\.|\[)/;

type Mode = 'plain' | 'percent' | 'brace' | 'console';

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', v: '\v' };

/** The text of a string literal, with interpolations (and format specifiers) as markers. */
function tokenText(src: string, t: StrToken, mode: Mode): string {
  let out = '';
  const braces = t.interp || mode === 'brace';
  let i = t.bodyStart;
  const b = t.bodyEnd;
  while (i < b) {
    const ch = src[i];
    if (ch === '\\' && !t.raw) {
      const next = src[i + 1] ?? '';
      if (next === '\n') i += 2;
      else if (next === '\r') i += src[i + 2] === '\n' ? 3 : 2;
      else {
        out += ESCAPES[next] ?? next;
        i += 2;
      }
    } else if (t.template && ch === '$' && src[i + 1] === '{') {
      const e = Math.min(jsBracedEnd(src, i + 2), b);
      const expr = src.slice(i + 2, e - 1);
      out += SETTING_EXPR.test(expr)
        ? SET
        : /\.to(?:Fixed|Precision|Exponential)\s*\(/.test(expr)
          ? NUM
          : ANY;
      i = e;
    } else if (!t.template && braces && ch === '{') {
      if (src[i + 1] === '{') {
        out += '{';
        i += 2;
      } else {
        const e = Math.min(pyFieldEnd(src, i + 1, true), b);
        out += pyField(src.slice(i + 1, e - 1), t.interp);
        i = e;
      }
    } else if (!t.template && braces && ch === '}' && src[i + 1] === '}') {
      out += '}';
      i += 2;
    } else {
      out += ch;
      i++;
    }
  }
  if (mode === 'percent') {
    out = out.replace(
      /%(?:\([^)]*\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g,
      (_m, type: string) => (type === '%' ? '%' : 'diouxXeEfFgG'.includes(type) ? NUM : ANY),
    );
  } else if (mode === 'console') {
    out = out.replace(/%([sdifoOjc%])/g, (_m, type: string) =>
      type === '%' ? '%' : type === 'c' ? '' : 'dif'.includes(type) ? NUM : ANY,
    );
  }
  return out;
}

/** The marker for one replacement field `{expr!r:spec}` (f-string) or `{0:.4f}` (str.format). */
function pyField(inner: string, fstring: boolean): string {
  let depth = 0;
  let cut = inner.length;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (ch === '"' || ch === "'") {
      i = pyStringEnd(inner, i, false).end - 1;
    } else if (bracket(inner.charCodeAt(i))) depth += bracket(inner.charCodeAt(i));
    else if (depth === 0 && (ch === ':' || (ch === '!' && inner[i + 1] !== '='))) {
      cut = i;
      break;
    }
  }
  const expr = inner.slice(0, cut);
  const spec = inner.slice(cut);
  const marker = SETTING_EXPR.test(expr) ? SET : /:[^{}]*[eEfFgGdn%xXob]$/.test(spec) ? NUM : ANY;
  // f"{loss=}" prints "loss=<value>"
  if (fstring && /[^=!<>]=\s*$/.test(expr)) return expr.trimStart() + marker;
  return marker;
}

/** String tokens written one after the other from `a` (implicit concatenation), and the end. */
function stringRun(s: Scanned, a: number, b: number): { tokens: StrToken[]; end: number } | undefined {
  const tokens: StrToken[] = [];
  let i = a;
  let end = a;
  for (;;) {
    const t = s.byStart.get(i);
    if (!t || t.end > b) break;
    tokens.push(t);
    end = t.end;
    i = end;
    while (i < b && isSpace(s.blank[i])) i++;
  }
  return tokens.length ? { tokens, end } : undefined;
}

/**
 * A metric name from an expression: a string literal, an f-string or template (interpolations
 * become markers), `"..." % x`, `"...".format(...)`, or `"prefix_" + name` concatenations.
 * Undefined when the expression holds no string literal.
 */
function keyExpr(s: Scanned, a0: number, b0: number): string | undefined {
  const [a, b] = trim(s.blank, a0, b0);
  if (a >= b) return undefined;
  const parts = splitTop(s.blank, a, b, '+');
  if (parts.length > 1) {
    let text = '';
    let literal = false;
    for (const [pa, pb] of parts) {
      const k = keyExpr(s, pa, pb);
      if (k === undefined) text += ANY;
      else {
        text += k;
        literal = true;
      }
    }
    return literal ? text : undefined;
  }
  const run = stringRun(s, a, b);
  if (!run) return undefined;
  let mode: Mode = 'plain';
  if (run.end < b) {
    const rest = s.blank.slice(run.end, b);
    if (/^\s*%/.test(rest)) mode = 'percent';
    else if (/^\s*\.\s*format\s*\(/.test(rest)) mode = 'brace';
    else return undefined;
  }
  return run.tokens.map((t) => tokenText(s.source, t, mode)).join('');
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

class Keys {
  readonly keys: string[] = [];
  readonly patterns: string[] = [];

  /** Adds a name whose markers stand for any text; a name that is only markers says nothing. */
  add(text: string | undefined): void {
    if (text === undefined) return;
    if (!/[\uE000\uE001\uE002]/.test(text)) {
      if (text !== '' && !this.keys.includes(text)) this.keys.push(text);
      return;
    }
    const literal = text.split(MARKERS);
    if (literal.every((x) => x === '')) return;
    const p = '^' + literal.map(escapeRegex).join('(.+)') + '$';
    if (!this.patterns.includes(p)) this.patterns.push(p);
  }
}

// ---------------------------------------------------------------------------------------------
// Mappings: Python dict literals and dict(k=v), JavaScript object literals

const JS_KEY = /^(?:[A-Za-z_$][\w$]*|\d+(?:\.\d+)?)$/;

/** The names in a mapping expression; calls `each` with the key text (markers allowed). */
function mappingKeys(ctx: Context, a0: number, b0: number, each: (key: string | undefined) => void): void {
  const { s, python } = ctx;
  const blank = s.blank;
  const [a, b] = trim(blank, a0, b0);
  if (a >= b) return;
  if (blank[a] === '{') {
    for (const [e0, e1] of splitInside(blank, a, b).parts) {
      const [ea, eb] = trim(blank, e0, e1);
      if (ea >= eb) continue;
      const spread = blank.startsWith('**', ea) ? 2 : blank.startsWith('...', ea) ? 3 : 0;
      if (spread) {
        mappingKeys(ctx, ea + spread, eb, each); // {**{"a": 1}, ...}: only literal mappings say something
        continue;
      }
      if (!python && blank[ea] === '[') {
        const c = matchClose(blank, ea, eb);
        if (/^\s*:/.test(blank.slice(c + 1, eb))) each(keyExpr(s, ea + 1, c));
        continue;
      }
      const colon = findTop(blank, ea, eb, ':');
      if (python) {
        if (colon >= 0) each(keyExpr(s, ea, colon));
        continue;
      }
      const [ka, kb] = trim(blank, ea, colon < 0 ? eb : colon);
      const bare = blank.slice(ka, kb);
      if (colon < 0) {
        if (/^[A-Za-z_$][\w$]*$/.test(bare)) each(bare); // shorthand { loss }
      } else if (JS_KEY.test(bare)) each(bare);
      else each(keyExpr(s, ka, kb));
    }
    return;
  }
  if (python && /^dict\s*\($/.test(blank.slice(a, blank.indexOf('(', a) + 1))) {
    const open = blank.indexOf('(', a);
    for (const arg of splitArgs(blank, open, true).args) {
      if (arg.kw && arg.kw !== '*' && arg.kw !== '**') each(arg.kw);
    }
  }
}

function isMapping(ctx: Context, arg: Arg): boolean {
  const text = ctx.s.blank.slice(arg.valueStart, arg.end);
  return text[0] === '{' || (ctx.python && /^dict\s*\(/.test(text));
}

// ---------------------------------------------------------------------------------------------
// Print lines

/** Counters printed next to metrics; the run output reader does not record them as metrics. */
const PRINT_SKIPPED = new Set(['step', 'iter', 'iteration', 'global_step', 'epoch', 'batch', 'v_num']);
/** Names that print settings or paths rather than measurements (`device: cuda`), unless number-formatted. */
const PRINT_NOT_METRICS = new Set(
  `device path dir file filename checkpoint name model mode dtype backend
   url run run_id experiment config version status dataset split seed args params`.split(/\s+/),
);

/** Words before a value that say where or what it is, not what it measures. */
const PRINT_CONNECTIVES = new Set('to from at in into of for with on by as is was are'.split(' '));
/** `label <value>` with a space only (`loss {l:.3f} top1 {t:.2f}`), kept when the label names a measurement. */
const SPACED_PAIR = /(?<![\w.\-@\uE000-\uE002])([A-Za-z_][\w./\-@]*)[ \t]+([\uE000\uE001])(?![\w/.:%])/g;

/** `key: <value>` / `key=<value>` where the value is interpolated, as the output reader reads it. */
const PRINTED_PAIR =
  /(?<![\w.\-\uE000\uE001])([A-Za-z_\uE000\uE001][\w./\-\uE000\uE001]*?)\s*[:=]\s*([\uE000\uE001])(?![\w/.:%])/g;

function nextNonSpace(blank: string, i: number, limit: number): number {
  while (i < limit && isSpace(blank[i])) i++;
  return i;
}

function printedKeys(
  ctx: Context,
  open: number,
  close: number,
  console: boolean,
  acc: Keys,
  logger = false,
): void {
  const { s, python } = ctx;
  const { blank, strings } = s;
  // first string token inside the call
  let lo = 0;
  let hi = strings.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (strings[mid].start <= open) lo = mid + 1;
    else hi = mid;
  }
  const firstArg = nextNonSpace(blank, open + 1, close);
  for (let k = lo; k < strings.length && strings[k].start < close; k++) {
    const t = strings[k];
    const after = nextNonSpace(blank, t.end, close);
    let mode: Mode = 'plain';
    if (!t.interp && python && blank[after] === '%' && blank[after + 1] !== '=') mode = 'percent';
    else if (!t.interp && python && /^\.\s*format\s*\(/.test(blank.slice(after, after + 12))) mode = 'brace';
    else if (!t.interp && console && t.start === firstArg) mode = 'console';
    let text = tokenText(s.source, t, mode);
    if (blank[after] === '+' && blank[after + 1] !== '=') {
      if (!s.byStart.has(nextNonSpace(blank, after + 1, close))) text += ANY; // 'loss: ' + x
    } else if (blank[after] === ',' && mode !== 'console') {
      const v = nextNonSpace(blank, after + 1, close); // print("loss:", x)
      KEYWORD_ARG.lastIndex = v;
      const kw = python && KEYWORD_ARG.test(blank);
      if (v < close && !s.byStart.has(v) && !kw)
        text += SETTING_EXPR.test(blank.slice(v, v + 40)) ? SET : ANY;
    } else if (blank[after] === ',' && mode === 'console' && !/[\uE000\uE001]/.test(text)) {
      const v = nextNonSpace(blank, after + 1, close); // console.log('loss:', x)
      if (v < close && !s.byStart.has(v)) text += ANY;
    }
    if (logger && t.start === firstArg) text = loggerText(ctx, t, close);
    // "Hyperparameters: lr=%s", "config: ...": a line that says it prints settings
    if (/hyper-?param|\bconfig|\bsettings?\b|\barguments\b/i.test(text)) continue;
    PRINTED_PAIR.lastIndex = 0;
    for (const m of text.matchAll(PRINTED_PAIR)) {
      const key = m[1];
      if (!/[A-Za-z]/.test(key)) continue;
      const lower = key.toLowerCase();
      if (PRINT_SKIPPED.has(lower)) continue;
      // `device: {d}`, `Downloading: {url}`, `saved to: {path}`: status text, not a measurement
      if (
        m[2] === ANY &&
        (PRINT_NOT_METRICS.has(lower) || /ing$/.test(lower) || PRINT_CONNECTIVES.has(lower))
      )
        continue;
      acc.add(key);
    }
    for (const m of text.matchAll(SPACED_PAIR)) {
      if (!PRINT_SKIPPED.has(m[1].toLowerCase()) && looksLikeMetricName(m[1])) acc.add(m[1]);
    }
    if (t.interp) for (const name of interpolatedNames(s.source, t)) dictKeysOf(ctx, name, acc);
  }
  // print("epoch 3:", scores) / logger.info("%s", scores): the names of a dict built in this file
  for (const a of splitArgs(blank, open, python).args) {
    const v = blank.slice(a.valueStart, a.end);
    if (a.kw === '' && /^[A-Za-z_$][\w$]*$/.test(v)) dictKeysOf(ctx, v, acc);
  }
}

/** `logger.info("loss: %.3f", x)`: the format string with its %-specifiers as markers. */
function loggerText(ctx: Context, t: StrToken, close: number): string {
  const after = nextNonSpace(ctx.s.blank, t.end, close);
  return ctx.s.blank[after] === ','
    ? tokenText(ctx.s.source, t, 'percent')
    : tokenText(ctx.s.source, t, 'plain');
}

/** The plain names interpolated in an f-string or template: `{scores}`, `${logs}`. */
function interpolatedNames(src: string, t: StrToken): string[] {
  const body = src.slice(t.bodyStart, t.bodyEnd);
  const re = t.template ? /\$\{\s*([A-Za-z_$][\w$]*)\s*\}/g : /(?<!\{)\{\s*([A-Za-z_]\w*)\s*(?:![rs])?\s*\}/g;
  return [...body.matchAll(re)].map((m) => m[1]);
}

/**
 * The names of a mapping built in this file under `name`: `name = {"f1": ...}`, `name = dict(f1=...)`,
 * `name["f1"] = ...`, `name.update({...})`. Nothing when the mapping comes from elsewhere.
 */
function dictKeysOf(ctx: Context, name: string, acc: Keys): void {
  if (PRINT_SKIPPED.has(name.toLowerCase())) return;
  const { blank } = ctx.s;
  const esc = escapeRegex(name);
  const assign = new RegExp(
    `(?<![\\w$.])${esc}\\s*(?::[^=\\n]*)?=(?!=)\\s*(?=\\{|dict\\s*\\()|(?<![\\w$.])${esc}\\s*\\.\\s*update\\s*\\(\\s*(?=\\{|dict\\s*\\()|(?<![\\w$.])${esc}\\s*\\[(?=\\s*['"])`,
    'g',
  );
  let n = 0;
  for (const m of blank.matchAll(assign)) {
    if (++n > 20) break;
    const at = m.index + m[0].length;
    if (m[0].endsWith('[')) {
      const c = matchClose(blank, at - 1);
      if (/^\s*=(?!=)/.test(blank.slice(c + 1, c + 4))) acc.add(keyExpr(ctx.s, at, c));
      continue;
    }
    const end = blank[at] === '{' ? matchClose(blank, at) + 1 : matchClose(blank, blank.indexOf('(', at)) + 1;
    mappingKeys(ctx, at, end, (k) => acc.add(k));
  }
}

// ---------------------------------------------------------------------------------------------
// Rules

interface Rule {
  style: LensStyle;
  extract: (ctx: Context, args: Arg[], acc: Keys, open: number, close: number) => void;
  /** The argument that holds the name (or the mapping of names), and which of the two it is. */
  keyArg?: (args: Arg[]) => Arg | undefined;
  keyKind?: 'name' | 'mapping';
}

/** A call whose metric name is one argument. */
function nameRule(style: LensStyle, pos: number, kws: string[]): Rule {
  return {
    style,
    keyArg: (args) => pick(args, pos, kws),
    keyKind: 'name',
    extract: (ctx, args, acc) => {
      const arg = pick(args, pos, kws);
      if (arg) acc.add(keyExpr(ctx.s, arg.valueStart, arg.end));
    },
  };
}

/** A call given a mapping of names to values. */
function dictRule(style: LensStyle, pos: number, kws: string[]): Rule {
  return {
    style,
    keyArg: (args) => pick(args, pos, kws),
    keyKind: 'mapping',
    extract: (ctx, args, acc) => {
      const arg = pick(args, pos, kws);
      if (arg) mappingKeys(ctx, arg.valueStart, arg.end, (k) => acc.add(k));
    },
  };
}

/** Lightning's `self.log("name", value)`, also given a dict by some code. */
const lightningLog: Rule = {
  style: 'lightning',
  keyArg: (args) => pick(args, 0, ['name']),
  keyKind: 'name',
  extract: (ctx, args, acc) => {
    const arg = pick(args, 0, ['name']);
    if (!arg) return;
    if (isMapping(ctx, arg)) mappingKeys(ctx, arg.valueStart, arg.end, (k) => acc.add(k));
    else acc.add(keyExpr(ctx.s, arg.valueStart, arg.end));
  },
};

/** `writer.add_scalars("main", {"a": x, "b": y})` logs main/a and main/b. */
const addScalars: Rule = {
  style: 'tensorboard',
  extract: (ctx, args, acc) => {
    const mainArg = pick(args, 0, ['main_tag']);
    const dictArg = pick(args, 1, ['tag_scalar_dict']);
    const main = (mainArg && keyExpr(ctx.s, mainArg.valueStart, mainArg.end)) ?? ANY;
    let any = false;
    if (dictArg)
      mappingKeys(ctx, dictArg.valueStart, dictArg.end, (k) => {
        any = true;
        acc.add(`${main}/${k ?? ANY}`);
      });
    if (!any && main !== ANY) acc.add(`${main}/${ANY}`);
  },
};

function printRule(console: boolean): Rule {
  return {
    style: 'print',
    extract: (ctx, _args, acc, open, close) => printedKeys(ctx, open, close, console, acc),
  };
}

const PY_PRINT = printRule(false);
const JS_PRINT = printRule(true);
/** `logger.info("epoch %d: %s", e, scores)`: arguments formatted into the first string. */
const PY_LOGGER: Rule = {
  style: 'print',
  extract: (ctx, _args, acc, open, close) => printedKeys(ctx, open, close, false, acc, true),
};
/** `AverageMeter('Loss', ':.4e')`: a meter prints its values under the name it was built with. */
const METER: Rule = {
  style: 'print',
  extract: (ctx, args, acc) => {
    const arg = pick(args, 0, ['name']);
    const name = arg && keyExpr(ctx.s, arg.valueStart, arg.end);
    // as the output reader keeps it: `Loss 1.04e+00`, `Acc@1 74.22`, not `Time 0.101`
    if (name && !/[\uE000-\uE002]/.test(name) && looksLikeMetricName(name)) acc.add(name);
  },
};

function classify(method: string, recv: Receiver, ctx: Context): Rule | undefined {
  const { segs, dotted } = recv;
  // `run().log(`: the name of a called function stands for its result
  let end = segs.length;
  while (end > 0 && segs[end - 1] === '()') end--;
  const last = segs[end - 1] ?? '';
  const has = (name: string) => segs.includes(name);
  const lightningSelf = ctx.python && segs.length === 1 && (last === 'self' || last === 'pl_module');
  if (/^[A-Z]\w*Meter$/.test(method)) return METER;
  switch (method) {
    case 'info':
      return ctx.python && dotted && /^(?:_?logger|log|logging|LOGGER|LOG)$/.test(last)
        ? PY_LOGGER
        : undefined;
    case 'print':
      // print(...), Lightning's self.print(...), Accelerate's accelerator.print(...)
      if (!ctx.python) return undefined;
      return !dotted || (segs.length === 1 && last === 'self') || /accelerator$/i.test(last)
        ? PY_PRINT
        : undefined;
    case 'log':
      if (!dotted) return undefined;
      if (!ctx.python && segs.length === 1 && last === 'console') return JS_PRINT;
      if (lightningSelf) return lightningLog;
      if (/accelerator$/i.test(last)) return dictRule('accelerate', 0, ['values']);
      if (last === 'wandb') return dictRule('wandb', 0, ['data']);
      if (last === 'runlens') return dictRule('runlens', 0, ['metrics']);
      if (/run$/i.test(last)) return dictRule(ctx.runStyle(segs), 0, ['metrics', 'data']);
      return undefined;
    case 'log_metric':
      if (!dotted) return undefined;
      if (has('mlflow')) return nameRule('mlflow', 0, ['key']);
      if (ctx.importsMlflow && /client$/i.test(last)) return nameRule('mlflow', 1, ['key']);
      return nameRule('dvclive', 0, ['name']);
    case 'log_metrics':
      if (has('mlflow')) return dictRule('mlflow', 0, ['metrics']);
      if (ctx.python && /logger$/i.test(last)) return dictRule('lightning', 0, ['metrics']);
      return undefined;
    case 'log_dict':
      return lightningSelf ? dictRule('lightning', 0, ['dictionary']) : undefined;
    case 'add_scalar':
      return dotted ? nameRule('tensorboard', 0, ['tag']) : undefined;
    case 'add_scalars':
      return dotted ? addScalars : undefined;
    case 'scalar':
      if (last === 'summary') return nameRule('tf.summary', 0, ['name']);
      if (/writer$/i.test(last)) return nameRule(ctx.python ? 'tensorboard' : 'tf.summary', 0, ['name']);
      return undefined;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers defined in the same file, and tfjs epoch callbacks

/** A function of this file that passes one of its parameters on as a metric name (or mapping). */
interface Helper {
  name: string;
  /** Position among the arguments a caller writes (after `self`/`cls` for a method). */
  index: number;
  param: string;
  kind: 'name' | 'mapping';
  style: LensStyle;
  method: boolean;
}

const PY_DEF = /(?:^|\n)[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(/g;
const JS_DEF =
  /(?:\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)\s*\(|\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?(?:function\s*\*?\s*)?\(|(?:^|\n)[ \t]*(?:async\s+)?([A-Za-z_$][\w$]*)\s*\((?=[^)\n]*\)\s*(?::[^{\n]*)?\{))/g;

/** The function (its name and parameters) whose definition is the last one before `at`. */
function enclosingFunction(ctx: Context, at: number): { name: string; params: string[] } | undefined {
  const { blank } = ctx.s;
  const from = Math.max(0, at - 6000);
  const re = ctx.python ? PY_DEF : JS_DEF;
  re.lastIndex = from;
  let found: { name: string; open: number } | undefined;
  for (let m = re.exec(blank); m !== null && m.index < at; m = re.exec(blank)) {
    const name = m[1] ?? m[2] ?? m[3];
    if (!name || ['if', 'for', 'while', 'switch', 'catch', 'return'].includes(name)) continue;
    found = { name, open: m.index + m[0].length - 1 };
  }
  if (!found) return undefined;
  const close = matchClose(blank, found.open);
  if (close > at) return undefined;
  const params = splitInside(blank, found.open, close + 1).parts.map(([a, b]) =>
    blank
      .slice(a, b)
      .replace(/[:=][\s\S]*$/, '')
      .replace(/^\s*\*{0,2}|\.\.\./g, '')
      .trim(),
  );
  return { name: found.name, params: params.filter((x) => x !== '') };
}

function helperOf(ctx: Context, rule: Rule, args: Arg[], at: number): Helper | undefined {
  const arg = rule.keyArg?.(args);
  if (!arg) return undefined;
  const ident = ctx.s.blank.slice(arg.valueStart, arg.end);
  if (!/^[A-Za-z_$][\w$]*$/.test(ident)) return undefined;
  const fn = enclosingFunction(ctx, at);
  if (!fn) return undefined;
  const i = fn.params.indexOf(ident);
  if (i < 0) return undefined;
  const method = ctx.python && (fn.params[0] === 'self' || fn.params[0] === 'cls');
  return {
    name: fn.name,
    index: method ? i - 1 : i,
    param: ident,
    kind: rule.keyKind ?? 'name',
    style: rule.style,
    method,
  };
}

/** The calls of the helpers, each a metric line with the names written at the call. */
function helperCalls(ctx: Context, helpers: Helper[]): LensLine[] {
  const { blank } = ctx.s;
  const byName = new Map(helpers.map((h) => [h.name, h]));
  const re = new RegExp(`(?<![\\w$])(${[...byName.keys()].map(escapeRegex).join('|')})\\s*\\(`, 'g');
  const out: LensLine[] = [];
  for (const m of blank.matchAll(re)) {
    const h = byName.get(m[1])!;
    const recv = receiverBefore(blank, m.index);
    if (!recv.dotted && isDefinition(blank, m.index)) continue;
    if (recv.dotted && !(recv.segs.length === 1 && ['self', 'this'].includes(recv.segs[0]))) continue;
    const { args } = splitArgs(blank, m.index + m[0].length - 1, ctx.python);
    const arg = pick(args, h.index, [h.param]);
    if (!arg) continue;
    const acc = new Keys();
    if (h.kind === 'mapping' || isMapping(ctx, arg))
      mappingKeys(ctx, arg.valueStart, arg.end, (k) => acc.add(k));
    else acc.add(keyExpr(ctx.s, arg.valueStart, arg.end));
    if (acc.keys.length === 0 && acc.patterns.length === 0) continue;
    out.push({ line: ctx.lineOf(recv.start), keys: acc.keys, patterns: acc.patterns, style: h.style });
  }
  return out;
}

const EPOCH_END =
  /\bonEpochEnd\s*(?::\s*(?:async\s*)?(?:function\s*)?)?\(\s*([A-Za-z_$][\w$]*)\s*(?::[^,)]*)?,\s*([A-Za-z_$][\w$]*)\s*(?::[^,)]*)?\)\s*(?::[^={]*)?(=>)?\s*/g;

/**
 * tfjs `onEpochEnd(epoch, logs)` callbacks that print or log `logs` whole: the keys are tfjs's
 * (loss, and `acc` for the accuracy metric), each also with `val_`, for the metrics this file compiles.
 */
function epochEndCallbacks(ctx: Context): LensLine[] {
  const { blank, source } = ctx.s;
  const out: LensLine[] = [];
  for (const m of blank.matchAll(EPOCH_END)) {
    const logs = m[2];
    const start = m.index + m[0].length;
    const end =
      blank[start] === '{'
        ? matchClose(blank, start)
        : m[3]
          ? Math.min(lineEnd(blank, start), start + 400)
          : start;
    const body = blank.slice(start, end + 1);
    if (!new RegExp(`(?<![\\w$.])${escapeRegex(logs)}(?![\\w$])(?!\\s*[.[])`).test(body)) continue;
    const names = ['loss'];
    const compiled = /\bmetrics\s*:\s*\[([^\]]*)\]/.exec(blank);
    if (compiled) {
      const inner = source.slice(compiled.index, compiled.index + compiled[0].length);
      for (const q of inner.matchAll(/['"]([A-Za-z_]\w*)['"]/g))
        names.push(q[1] === 'accuracy' ? 'acc' : q[1]);
    }
    const keys = [...names, ...names.map((n) => `val_${n}`)];
    out.push({ line: ctx.lineOf(m.index), keys, patterns: [], style: 'print' });
  }
  return out;
}
