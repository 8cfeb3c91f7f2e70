/** A series as parallel arrays: x (step, time...) and y. */
export interface XY<T extends ArrayLike<number> = ArrayLike<number>> {
  x: T;
  y: T;
}

/**
 * Reduce a series to about `target` points for a chart: the x range is cut into target/2 buckets
 * and each keeps its minimum and maximum (in x order), plus the series' first and last points, so
 * every peak and trough a pixel column can show survives. Non-finite y values (NaN, infinities) are
 * kept as gaps: every one in the input is kept, in place, when there are few, else one per bucket.
 * Already short series are returned as they are (copied).
 */
export function downsample(series: XY, target: number, range?: { min: number; max: number }): XY<number[]> {
  const keep = downsampleIndices(series, target, range);
  return { x: keep.map((i) => series.x[i]), y: keep.map((i) => series.y[i]) };
}

/** The indices, ascending, of the points `downsample` keeps. */
export function downsampleIndices(
  series: XY,
  target: number,
  range?: { min: number; max: number },
): number[] {
  let lo = 0;
  let hi = series.x.length;
  if (range) {
    lo = lowerBound(series.x, range.min);
    hi = upperBound(series.x, range.max);
    // One point either side keeps the line running to the edges of a zoomed chart.
    lo = Math.max(0, lo - 1);
    hi = Math.min(series.x.length, hi + 1);
  }
  const n = hi - lo;
  if (n <= Math.max(target, 2)) return Array.from({ length: n }, (_, k) => lo + k);
  const buckets = Math.max(1, Math.floor((target - 2) / 2));
  const x0 = series.x[lo];
  const span = series.x[hi - 1] - x0 || 1;
  const scale = buckets / span;
  const keep: number[] = [lo];
  let b = 0;
  let minI = -1;
  let maxI = -1;
  let gapI = -1;
  const flush = () => {
    const idx = [minI, maxI, gapI].filter((i) => i > lo && i < hi - 1);
    idx.sort((a, c) => a - c);
    for (let k = 0; k < idx.length; k++) if (k === 0 || idx[k] !== idx[k - 1]) keep.push(idx[k]);
    minI = maxI = gapI = -1;
  };
  for (let i = lo; i < hi; i++) {
    const bucket = Math.min(buckets - 1, Math.floor((series.x[i] - x0) * scale));
    if (bucket !== b) {
      flush();
      b = bucket;
    }
    const v = series.y[i];
    if (!Number.isFinite(v)) {
      if (gapI < 0) gapI = i;
      continue;
    }
    if (minI < 0 || v < series.y[minI]) minI = i;
    if (maxI < 0 || v > series.y[maxI]) maxI = i;
  }
  flush();
  keep.push(hi - 1);
  return keep;
}

function lowerBound(xs: ArrayLike<number>, v: number): number {
  let a = 0;
  let b = xs.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if (xs[m] < v) a = m + 1;
    else b = m;
  }
  return a;
}

function upperBound(xs: ArrayLike<number>, v: number): number {
  let a = 0;
  let b = xs.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if (xs[m] <= v) a = m + 1;
    else b = m;
  }
  return a;
}

/**
 * TensorBoard's smoothing: an exponential moving average debiased for its start (as in
 * TensorBoard's scalar dashboard). Non-finite values pass through unchanged and do not enter the
 * average; a constant series is returned unchanged.
 */
export function smooth(values: number[], weight: number): number[] {
  if (weight <= 0) return values.slice();
  const isConstant = values.every((v) => v === values[0]);
  let last = 0;
  let numAccum = 0;
  return values.map((v) => {
    if (isConstant || !Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    numAccum++;
    const debias = weight === 1 ? 1 : 1 - Math.pow(weight, numAccum);
    return last / debias;
  });
}
