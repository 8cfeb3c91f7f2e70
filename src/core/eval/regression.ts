import { FLOAT64_EPS } from './classification';
import { npSum } from './numeric';

export interface RegressionMetrics {
  task: 'regression';
  n: number;
  mae: number;
  mse: number;
  rmse: number;
  r2: number;
  mape: number;
  /** At most MAX_POINTS (actual, predicted) pairs, evenly spaced over the rows, for a scatter plot. */
  predictedVsActual: { actual: number[]; predicted: number[] };
  /** Histogram of residuals (actual - predicted). */
  residuals: { edges: number[]; counts: number[]; mean: number };
}

const MAX_POINTS = 2000;
const RESIDUAL_BINS = 30;

/** MAE, MSE, RMSE, R2, MAPE as scikit-learn 1.2 computes them (mean_absolute_percentage_error divides by max(|y|, eps)). */
export function regressionMetrics(y: Float64Array, p: Float64Array): RegressionMetrics {
  const n = y.length;
  const abs = new Float64Array(n);
  const sq = new Float64Array(n);
  const ape = new Float64Array(n);
  const resid = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = y[i] - p[i];
    resid[i] = d;
    abs[i] = Math.abs(d);
    sq[i] = d * d;
    ape[i] = Math.abs(p[i] - y[i]) / Math.max(Math.abs(y[i]), FLOAT64_EPS);
  }
  const mean = npSum(y) / n;
  const dev = new Float64Array(n);
  for (let i = 0; i < n; i++) dev[i] = (y[i] - mean) ** 2;
  const num = npSum(sq);
  const den = npSum(dev);
  const mse = num / n;
  let r2: number;
  if (den !== 0) r2 = 1 - num / den;
  else r2 = num === 0 ? 1 : 0;
  const step = Math.max(1, Math.ceil(n / MAX_POINTS));
  const actual: number[] = [];
  const predicted: number[] = [];
  for (let i = 0; i < n; i += step) {
    actual.push(y[i]);
    predicted.push(p[i]);
  }
  return {
    task: 'regression',
    n,
    mae: npSum(abs) / n,
    mse,
    rmse: Math.sqrt(mse),
    r2,
    mape: npSum(ape) / n,
    predictedVsActual: { actual, predicted },
    residuals: { ...histogram(resid, RESIDUAL_BINS), mean: npSum(resid) / n },
  };
}

/** Equal-width histogram over [min, max] (numpy.histogram's edges and right-closed last bin). */
export function histogram(
  values: ArrayLike<number>,
  bins: number,
  range?: [number, number],
): { edges: number[]; counts: number[] } {
  let lo = Infinity,
    hi = -Infinity;
  if (range) [lo, hi] = range;
  else {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { edges: [], counts: [] };
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges: number[] = [];
  const width = (hi - lo) / bins;
  for (let i = 0; i <= bins; i++) edges.push(i === bins ? hi : lo + i * width);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= lo && v <= hi)) continue;
    let b = Math.floor((v - lo) / width);
    if (b >= bins) b = bins - 1;
    if (b > 0 && v < edges[b]) b--;
    else if (b < bins - 1 && v >= edges[b + 1]) b++;
    counts[b]++;
  }
  return { edges, counts };
}
