/** A series as parallel arrays: x (step, time...) and y. */
export interface XY<T extends ArrayLike<number> = ArrayLike<number>> {
  x: T;
  y: T;
}

/**
 * Reduce a series to at most about `target` points for a chart, keeping every peak and trough a
 * pixel column can show: the series' first and last points, and per bucket of x its minimum and
 * maximum (in x order). Non-finite y values (NaN, infinities) are kept as gaps: every one in the
 * input is kept, in place, when there are few, else the first of each bucket. Already short series
 * are returned as they are (copied).
 *
 * The whole series is cut by `ExtremaBuckets` (fixed power-of-two widths from the first x, so a
 * training run's new points only touch the last bucket); a zoomed `range` is cut into target/2
 * equal buckets of its own.
 */
export function downsample(series: XY, target: number, range?: { min: number; max: number }): XY<number[]> {
  const keep = downsampleIndices(series, target, range);
  return { x: keep.map((i) => series.x[i]), y: keep.map((i) => series.y[i]) };
}

/** Buckets for a point budget: each keeps about two points (its minimum and maximum). */
export function bucketsFor(target: number): number {
  return Math.max(1, Math.floor((target - 2) / 2));
}

/** The indices, ascending, of the points `downsample` keeps (x must not decrease). */
export function downsampleIndices(
  series: XY,
  target: number,
  range?: { min: number; max: number },
): number[] {
  if (!range) {
    const n = series.x.length;
    if (n <= Math.max(target, 2)) return Array.from({ length: n }, (_, k) => k);
    return ExtremaBuckets.of(asFloat64(series.x), asFloat64(series.y), bucketsFor(target)).indices();
  }
  // One point either side keeps the line running to the edges of a zoomed chart.
  const lo = Math.max(0, lowerBound(series.x, range.min) - 1);
  const hi = Math.min(series.x.length, upperBound(series.x, range.max) + 1);
  const n = hi - lo;
  if (n <= Math.max(target, 2)) return Array.from({ length: n }, (_, k) => lo + k);
  // One loop over typed arrays only: with a mix of plain and typed arrays the loop would not be
  // specialised, and it is the hot path of every chart.
  return bucketExtremes(asFloat64(series.x), asFloat64(series.y), lo, hi, bucketsFor(target));
}

/** The narrowest bucket: steps logged at fractions of an epoch still get buckets of their own. */
const MIN_WIDTH = 2 ** -24;

/**
 * The extrema of a growing series (x never decreasing) in at most `buckets` buckets of one width
 * w = 2^k, bucket j holding x0 + j*w <= x < x0 + (j+1)*w, x0 the first x. w is the narrowest power
 * of two (at least MIN_WIDTH) that needs no more than `buckets` buckets for the x range so far:
 * between half and all of them are used. When an appended point lies past the last bucket, w
 * doubles until it fits and neighbouring buckets merge pairwise, which gives exactly the buckets a
 * cut from scratch would (floor(d / 2w) = floor(floor(d / w) / 2), and powers of two scale floats
 * exactly). Appending costs only the new points; the result does not depend on how the series
 * arrived in pieces.
 *
 * Each bucket keeps the index of its first minimum, first maximum (finite values) and first
 * non-finite value; merging two keeps the earlier on ties, as a scan from scratch does.
 */
export class ExtremaBuckets {
  private x0 = 0;
  private width = MIN_WIDTH;
  private used = 0;
  private n = 0;
  private readonly minI: Int32Array;
  private readonly maxI: Int32Array;
  private readonly gapI: Int32Array;
  private readonly minV: Float64Array;
  private readonly maxV: Float64Array;

  constructor(readonly buckets: number) {
    this.minI = new Int32Array(buckets).fill(-1);
    this.maxI = new Int32Array(buckets).fill(-1);
    this.gapI = new Int32Array(buckets).fill(-1);
    this.minV = new Float64Array(buckets);
    this.maxV = new Float64Array(buckets);
  }

  /** A whole series cut in one pass: the width is set from its x range first, nothing merges. */
  static of(x: ArrayLike<number>, y: ArrayLike<number>, buckets: number): ExtremaBuckets {
    const b = new ExtremaBuckets(buckets);
    if (x.length) {
      b.x0 = x[0];
      const span = x[x.length - 1] - b.x0;
      while (Math.floor(span / b.width) >= buckets) b.width *= 2;
    }
    b.append(x, y);
    return b;
  }

  /** Points taken in so far. */
  get length(): number {
    return this.n;
  }

  /** Take in the points from `length` up to `end` (the same series, grown; earlier points unchanged). */
  append(x: ArrayLike<number>, y: ArrayLike<number>, end = x.length): void {
    if (this.n === 0 && end > 0) this.x0 = x[0];
    const { minI, maxI, gapI, minV, maxV } = this;
    for (let i = this.n; i < end; i++) {
      const d = x[i] - this.x0;
      let b = Math.floor(d / this.width);
      if (b >= this.buckets) {
        this.widen(d);
        b = Math.floor(d / this.width);
      }
      if (!(b >= 0)) b = 0;
      if (b >= this.used) this.used = b + 1;
      const v = y[i];
      if (v !== v || v === Infinity || v === -Infinity) {
        if (gapI[b] < 0) gapI[b] = i;
        continue;
      }
      if (minI[b] < 0 || v < minV[b]) {
        minI[b] = i;
        minV[b] = v;
      }
      if (maxI[b] < 0 || v > maxV[b]) {
        maxI[b] = i;
        maxV[b] = v;
      }
    }
    if (end > this.n) this.n = end;
  }

  /** Double the width until offset `d` falls in a bucket, merging the buckets in place. */
  private widen(d: number): void {
    let f = 2;
    while (Math.floor(d / (this.width * f)) >= this.buckets) f *= 2;
    const { minI, maxI, gapI, minV, maxV } = this;
    // Bucket i goes to floor(i / f) <= i: every target slot was read before anything lands in it.
    for (let i = 0; i < this.used; i++) {
      const a = minI[i];
      const av = minV[i];
      const c = maxI[i];
      const cv = maxV[i];
      const g = gapI[i];
      minI[i] = maxI[i] = gapI[i] = -1;
      const j = Math.floor(i / f);
      if (a >= 0 && (minI[j] < 0 || av < minV[j])) {
        minI[j] = a;
        minV[j] = av;
      }
      if (c >= 0 && (maxI[j] < 0 || cv > maxV[j])) {
        maxI[j] = c;
        maxV[j] = cv;
      }
      if (g >= 0 && gapI[j] < 0) gapI[j] = g;
    }
    this.used = this.used > 0 ? Math.floor((this.used - 1) / f) + 1 : 0;
    this.width *= f;
  }

  /** The kept indices, ascending: the first point, each bucket's minimum, maximum and first gap, the last. */
  indices(): number[] {
    if (this.n === 0) return [];
    const last = this.n - 1;
    const keep: number[] = [0];
    for (let b = 0; b < this.used; b++) pushOrdered(keep, this.minI[b], this.maxI[b], this.gapI[b], 0, last);
    if (last > 0) keep.push(last);
    return keep;
  }
}

/** Push a bucket's kept indices (-1: none) in ascending order, each once, strictly between `lo` and `last`. */
function pushOrdered(keep: number[], a: number, c: number, d: number, lo: number, last: number): void {
  if (a > c) [a, c] = [c, a];
  if (c > d) [c, d] = [d, c];
  if (a > c) [a, c] = [c, a];
  if (a > lo && a < last && a !== keep[keep.length - 1]) keep.push(a);
  if (c > lo && c < last && c !== keep[keep.length - 1]) keep.push(c);
  if (d > lo && d < last && d !== keep[keep.length - 1]) keep.push(d);
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
  let b = 0;
  let minI = -1;
  let maxI = -1;
  let gapI = -1;
  let minV = 0;
  let maxV = 0;
  const flush = () => {
    // The bucket's minimum, maximum and first gap, in x order, each once.
    pushOrdered(keep, minI, maxI, gapI, lo, last);
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
