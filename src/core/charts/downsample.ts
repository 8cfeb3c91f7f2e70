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
  // One loop over typed arrays only: with a mix of plain and typed arrays the loop would not be
  // specialised, and it is the hot path of every chart.
  return bucketExtremes(asFloat64(series.x), asFloat64(series.y), lo, hi, buckets);
}

function asFloat64(a: ArrayLike<number>): Float64Array {
  return a instanceof Float64Array ? a : Float64Array.from(a);
}

function bucketExtremes(x: Float64Array, y: Float64Array, lo: number, hi: number, buckets: number): number[] {
  const x0 = x[lo];
  const span = x[hi - 1] - x0 || 1;
  const scale = buckets / span;
  const last = hi - 1;
  const keep: number[] = [lo];
  const push = (i: number) => {
    if (i > lo && i < last && i !== keep[keep.length - 1]) keep.push(i);
  };
  let b = 0;
  let minI = -1;
  let maxI = -1;
  let gapI = -1;
  let minV = 0;
  let maxV = 0;
  const flush = () => {
    // The bucket's minimum, maximum and first gap, in x order, each once.
    let a = minI;
    let c = maxI;
    let d = gapI;
    if (a > c) [a, c] = [c, a];
    if (c > d) [c, d] = [d, c];
    if (a > c) [a, c] = [c, a];
    if (a >= 0) push(a);
    if (c >= 0) push(c);
    if (d >= 0) push(d);
    minI = maxI = gapI = -1;
  };
  for (let i = lo; i < hi; i++) {
    const bucket = Math.min(buckets - 1, Math.floor((x[i] - x0) * scale));
    if (bucket !== b) {
      flush();
      b = bucket;
    }
    const v = y[i];
    if (v !== v || v === Infinity || v === -Infinity) {
      if (gapI < 0) gapI = i;
      continue;
    }
    if (minI < 0 || v < minV) {
      minI = i;
      minV = v;
    }
    if (maxI < 0 || v > maxV) {
      maxI = i;
      maxV = v;
    }
  }
  flush();
  keep.push(last);
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
