// How the compare panel shows many params: grouping by prefix, each param's correlation with a
// metric, the parallel-coordinates axes chosen by default, and long values shortened in the middle.
// Pure and browser-safe (the compare webview imports it): no node modules.

export type ParamValue = string | number | boolean | null;

export interface ParamColumn {
  key: string;
  values: ParamValue[];
  differs: boolean;
}

/** `text` cut in the middle to at most `max` characters ("…" included); unchanged when it fits. */
export function middleEllipsis(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 1) return '…';
  const keep = max - 1;
  // The end of a path or a class name tells values apart more often than its start: keep more of it.
  const head = Math.floor(keep * 0.4);
  const tail = keep - head;
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - tail).join('')}`;
}

/** The group of a param: its key up to the first `/` or `.` ("" for a key with neither). */
export function paramGroup(key: string): string {
  const i = key.search(/[/.]/);
  return i > 0 ? key.slice(0, i) : '';
}

/**
 * Params grouped by prefix, groups in order of first appearance; params whose prefix no other param
 * shares stay in the ungrouped group (""), which comes first.
 */
export function groupParams<T extends { key: string }>(params: T[]): { name: string; params: T[] }[] {
  const byGroup = new Map<string, T[]>();
  for (const p of params) {
    const g = paramGroup(p.key);
    byGroup.set(g, [...(byGroup.get(g) ?? []), p]);
  }
  const loose: T[] = [];
  const groups: { name: string; params: T[] }[] = [];
  for (const [name, members] of byGroup) {
    if (name === '' || members.length < 2) loose.push(...members);
    else groups.push({ name, params: members });
  }
  const order = new Map(params.map((p, i) => [p, i]));
  loose.sort((a, b) => order.get(a)! - order.get(b)!);
  return loose.length ? [{ name: '', params: loose }, ...groups] : groups;
}

function pearsonOf(x: number[], y: number[]): number | null {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/** Ranks from 1, ties given their average rank (as scipy.stats.rankdata's default). */
export function ranks(x: number[]): number[] {
  const order = x.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const out = new Array<number>(x.length);
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && order[end + 1].v === order[start].v) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) out[order[k].i] = rank;
    start = end + 1;
  }
  return out;
}

/** The pairs where both values are finite numbers. */
function finitePairs(x: (number | null)[], y: (number | null)[]): [number[], number[]] {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const a = x[i];
    const b = y[i];
    if (typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b)) {
      xs.push(a);
      ys.push(b);
    }
  }
  return [xs, ys];
}

/** Pearson's r over the runs where both are finite; null below 3 such runs or when one is constant. */
export function pearson(x: (number | null)[], y: (number | null)[]): number | null {
  const [xs, ys] = finitePairs(x, y);
  return xs.length < 3 ? null : pearsonOf(xs, ys);
}

/** Spearman's rank correlation (Pearson's r of average ranks, as scipy.stats.spearmanr); null as `pearson`. */
export function spearman(x: (number | null)[], y: (number | null)[]): number | null {
  const [xs, ys] = finitePairs(x, y);
  return xs.length < 3 ? null : pearsonOf(ranks(xs), ranks(ys));
}

/** How the importance column is computed, for its header. */
export const IMPORTANCE_METHOD =
  "Spearman's rank correlation of the param with the metric over the runs that have both (−1 to 1); n/a for text params, fewer than 3 runs, or a constant param or metric";

const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * A param's values as numbers, or null when any value is not one. Text that spells a number counts:
 * MLflow stores params as Python's str(), and a float sweep logs `0.0` (kept as text by the importer,
 * which keeps only exact round trips as numbers) next to `0.1`.
 */
export function numericValues(values: ParamValue[]): (number | null)[] | null {
  const out: (number | null)[] = [];
  for (const v of values) {
    if (v === null) out.push(null);
    else if (typeof v === 'number') out.push(v);
    else if (typeof v === 'string' && NUMBER_TEXT.test(v.trim())) out.push(Number(v));
    else return null;
  }
  return out;
}

/** Each param's importance for the metric: Spearman's rho, null where it cannot be computed. */
export function importance(param: ParamColumn, metric: (number | null)[]): number | null {
  const nums = numericValues(param.values);
  return nums && param.differs ? spearman(nums, metric) : null;
}

/**
 * The parallel-coordinates axes shown by default: the numeric params that vary, by |importance| for
 * the metric (those with none last, then by key), at most `max`, leaving out a param that orders the
 * runs exactly as (or exactly against) one already chosen: Hydra logs `hydra/job/num` and
 * `hydra/sweep/subdir`, Lightning `model/params/total` and `.../trainable`, and such twins would
 * take two of the few axes. When fewer than two numeric params vary, differing text params with few
 * distinct values fill up to `max`.
 */
export function defaultAxes(params: ParamColumn[], metric: (number | null)[], max = 8): string[] {
  const numeric = params
    .filter((p) => p.differs && numericValues(p.values))
    .map((p) => ({
      key: p.key,
      nums: numericValues(p.values)!,
      score: Math.abs(importance(p, metric) ?? -1),
    }))
    .sort((a, b) => b.score - a.score || a.key.localeCompare(b.key));
  const chosen: typeof numeric = [];
  for (const a of numeric) {
    if (chosen.length >= max) break;
    const twin = chosen.some((c) => Math.abs(spearman(c.nums, a.nums) ?? 0) > 1 - 1e-12);
    if (!twin) chosen.push(a);
  }
  const keys = chosen.map((a) => a.key);
  if (keys.length >= 2) return keys;
  const categorical = params
    .filter((p) => p.differs && !numericValues(p.values))
    .filter((p) => new Set(p.values.map(String)).size <= Math.max(2, Math.ceil(p.values.length / 2)))
    .map((p) => p.key);
  return [...keys, ...categorical].slice(0, max);
}
