import { RunlensError } from '../errors';

/**
 * `key=value` and `key: value` pairs as Keras, the PyTorch examples and many scripts print them.
 * A value must be a whole number token: `9843/10000`, `12:30:01` and `0s` are not captured.
 */
export const DEFAULT_STDOUT_PATTERN = String.raw`(?<![\w.\-])(?<key>[A-Za-z_][\w./-]*?)\s*[:=]\s*(?<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|NaN|[-+]?inf)(?![\w/.:%])`;

/** Keys that number the steps of the other values on the same line rather than being metrics. */
const STEP_KEYS = new Set(['step', 'epoch', 'iter', 'iteration', 'global_step', 'batch']);

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
 * Turns output lines into metric points. Steps come from a step/epoch key on the same line when
 * there is one, else from how many times the key has been seen.
 */
const EPOCH_LINE = /\bepoch\s*[:=]?\s*(\d+)\s*\/\s*\d+/i;

export class StdoutMetricParser {
  private readonly counts = new Map<string, number>();
  /** Keras prints "Epoch 3/10" on its own line before the epoch's metrics. */
  private epoch: number | undefined;
  private readonly re: RegExp;

  constructor(pattern: string = DEFAULT_STDOUT_PATTERN) {
    this.re = compileStdoutPattern(pattern);
  }

  parseLine(line: string): CapturedPoint[] {
    const found: { key: string; value: number }[] = [];
    const epochLine = EPOCH_LINE.exec(line);
    if (epochLine) this.epoch = Number(epochLine[1]);
    let lineStep: number | undefined = this.epoch;
    this.re.lastIndex = 0;
    for (const m of line.matchAll(this.re)) {
      const key = m.groups?.key;
      const raw = m.groups?.value;
      if (!key || raw === undefined) continue;
      const value = parseNumber(raw);
      if (value === undefined) continue;
      if (STEP_KEYS.has(key.toLowerCase())) {
        lineStep = value;
        continue;
      }
      found.push({ key, value });
    }
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
