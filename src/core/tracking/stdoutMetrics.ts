import { RunlensError } from '../errors';
import { looksLikeMetricName } from '../metrics/names';

/**
 * `key=value` and `key: value` pairs as Keras, the PyTorch examples and many scripts print them.
 * A value must be a whole number token: `9843/10000`, `12:30:01` and `0s` are not captured.
 */
export const DEFAULT_STDOUT_PATTERN = String.raw`(?<![\w./\-])['"]?(?<key>[A-Za-z_][\w./-]*)['"]?\s*[:=]\s*(?<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|nan|NaN|[-+]?inf)(?![\w/.:%])`;

/**
 * `label value` with only spaces between (`loss 0.25 top1 91.2`, AverageMeter's `Acc@1  74.22`),
 * read with the default pattern and kept when the label names a measurement (looksLikeMetricName).
 * Linear like the default: a label starts only where a run of label characters starts, and spaces
 * are not label characters.
 */
export const SPACED_STDOUT_PATTERN = String.raw`(?<![\w./@\-])(?<key>[A-Za-z_][\w./@-]*)[ 	]+(?<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|nan|NaN|[-+]?inf)(?![\w/.:%])`;

/**
 * Only this many characters of an output line are searched for metrics, so that one enormous line
 * (a dumped array, a progress bar never ended) costs a bounded time whatever the pattern.
 */
export const MAX_PARSED_LINE = 8192;

/** Keys that number the steps of the other values on the same line rather than being metrics. */
const STEP_KEYS = new Set(['step', 'iter', 'iteration', 'global_step']);
/** Counters that are not metrics; an epoch may be printed many times (once per logged batch). */
const SKIPPED_KEYS = new Set(['epoch', 'batch', 'v_num']);

export interface CapturedPoint {
  key: string;
  value: number;
  step: number;
}

export function compileStdoutPattern(source: string): RegExp {
  let re: RegExp;
  try {
    re = new RegExp(source, 'g');
  } catch (e) {
    throw new RunlensError(
      `invalid metric pattern: ${(e as Error).message}`,
      'fix the regular expression',
      'usage',
    );
  }
  if (!source.includes('(?<key>') || !source.includes('(?<value>')) {
    throw new RunlensError(
      'a metric pattern needs the named groups (?<key>...) and (?<value>...)',
      `for example ${DEFAULT_STDOUT_PATTERN}`,
      'usage',
    );
  }
  return re;
}

/**
 * Turns output lines into metric points. A point's step is the `step=`/`iter=` value on the same
 * line when there is one, else how many times the key has been printed before (0, 1, 2, ...).
 */
export class StdoutMetricParser {
  private readonly counts = new Map<string, number>();
  private readonly re: RegExp;
  private readonly spaced: RegExp | undefined;

  constructor(pattern: string = DEFAULT_STDOUT_PATTERN) {
    this.re = compileStdoutPattern(pattern);
    this.spaced = pattern === DEFAULT_STDOUT_PATTERN ? new RegExp(SPACED_STDOUT_PATTERN, 'g') : undefined;
  }

  parseLine(line: string): CapturedPoint[] {
    if (line.length > MAX_PARSED_LINE) line = line.slice(0, MAX_PARSED_LINE);
    const found: { key: string; value: number; at?: number }[] = [];
    let lineStep: number | undefined;
    this.re.lastIndex = 0;
    for (const m of line.matchAll(this.re)) {
      const key = m.groups?.key;
      const raw = m.groups?.value;
      if (!key || raw === undefined) continue;
      const value = parseNumber(raw);
      if (value === undefined) continue;
      const lower = key.toLowerCase();
      if (STEP_KEYS.has(lower)) {
        lineStep = value;
        continue;
      }
      if (SKIPPED_KEYS.has(lower)) continue;
      found.push({ key, value, at: m.index });
    }
    if (this.spaced)
      for (const m of line.matchAll(this.spaced)) {
        const key = m.groups!.key;
        const value = parseNumber(m.groups!.value);
        if (value === undefined || SKIPPED_KEYS.has(key.toLowerCase()) || !looksLikeMetricName(key)) continue;
        found.push({ key, value, at: m.index });
      }
    found.sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
    return found.map(({ key, value }) => {
      const n = this.counts.get(key) ?? 0;
      this.counts.set(key, n + 1);
      return { key, value, step: lineStep ?? n };
    });
  }
}

function parseNumber(raw: string): number | undefined {
  const t = raw.toLowerCase();
  if (t === 'nan') return NaN;
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  const v = Number(raw);
  return Number.isNaN(v) ? undefined : v;
}
