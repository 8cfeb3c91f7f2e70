import { npSum } from './numeric';

/** A curve as scikit-learn returns it: parallel arrays. */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}
export interface PrCurve {
  precision: number[];
  recall: number[];
  thresholds: number[];
}
export interface CalibrationCurve {
  probTrue: number[];
  probPred: number[];
  /** Rows in each non-empty bin (same order). */
  counts: number[];
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationMetrics {
  task: 'binary' | 'multiclass';
  n: number;
  labels: string[];
  accuracy: number;
  balancedAccuracy: number;
  perClass: Record<string, ClassScores>;
  macro: Omit<ClassScores, 'support'>;
  micro: Omit<ClassScores, 'support'>;
  weighted: Omit<ClassScores, 'support'>;
  /** Rows: true label, columns: predicted label, both in `labels` order. */
  confusionMatrix: number[][];
  /** Binary: ROC AUC of the positive class; multiclass: one-vs-rest macro average. */
  rocAuc?: number;
  averagePrecision?: number;
  logLoss?: number;
  /** Binary only (scikit-learn 1.2's brier_score_loss is binary). */
  brier?: number;
  positiveLabel?: string;
  /** Binary: one curve under the positive label; multiclass: one per class (one-vs-rest). */
  rocCurves?: Record<string, RocCurve>;
  prCurves?: Record<string, PrCurve>;
  calibration?: CalibrationCurve;
  /** Per class one-vs-rest ROC AUC and average precision (multiclass). */
  perClassAuc?: Record<string, { rocAuc: number; averagePrecision: number }>;
}

/** scikit-learn's labels order: numeric order when every label is a number, else code point order. */
export function sortLabels(labels: Iterable<string>): string[] {
  const all = [...new Set(labels)];
  if (all.length > 0 && all.every((l) => l.trim() !== '' && !Number.isNaN(Number(l)))) {
    return all.sort((a, b) => Number(a) - Number(b));
  }
  return all.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Metrics that need only the true and predicted labels (indices into `labels`). */
export function labelMetrics(
  truth: Uint32Array,
  pred: Uint32Array,
  labels: string[],
): Omit<ClassificationMetrics, 'task'> {
  const k = labels.length;
  const n = truth.length;
  const cm = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    cm[truth[i]][pred[i]]++;
    if (truth[i] === pred[i]) correct++;
  }
  const tp = new Float64Array(k);
  const predSum = new Float64Array(k);
  const trueSum = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    tp[a] = cm[a][a];
    for (let b = 0; b < k; b++) {
      trueSum[a] += cm[a][b];
      predSum[b] += cm[a][b];
    }
  }
  const precision = new Float64Array(k);
  const recall = new Float64Array(k);
  const f1 = new Float64Array(k);
  const perClass: Record<string, ClassScores> = {};
  const recalls: number[] = [];
  for (let a = 0; a < k; a++) {
    precision[a] = predSum[a] === 0 ? 0 : tp[a] / predSum[a];
    recall[a] = trueSum[a] === 0 ? 0 : tp[a] / trueSum[a];
    f1[a] = fScore(precision[a], recall[a]);
    if (trueSum[a] > 0) recalls.push(tp[a] / trueSum[a]);
    perClass[labels[a]] = { precision: precision[a], recall: recall[a], f1: f1[a], support: trueSum[a] };
  }
  const tpAll = npSum(tp);
  const microP = tpAll / npSum(predSum);
  const microR = tpAll / npSum(trueSum);
  const wSum = npSum(trueSum);
  const weighted = (x: Float64Array): number => npSum(x.map((v, i) => v * trueSum[i])) / wSum;
  return {
    n,
    labels,
    accuracy: correct / n,
    balancedAccuracy: npSum(recalls) / recalls.length,
    perClass,
    macro: { precision: npSum(precision) / k, recall: npSum(recall) / k, f1: npSum(f1) / k },
    micro: { precision: microP, recall: microR, f1: fScore(microP, microR) },
    weighted: { precision: weighted(precision), recall: weighted(recall), f1: weighted(f1) },
    confusionMatrix: cm,
  };
}

/** F1 as scikit-learn computes it (zero_division=0: 0 when precision and recall are both 0). */
function fScore(p: number, r: number): number {
  const denom = p + r;
  return (2 * p * r) / (denom === 0 ? 1 : denom);
}

/** Distinct thresholds (descending) with true and false positives at or above each: sklearn's _binary_clf_curve. */
export function binaryClfCurve(
  positive: Uint8Array,
  scores: Float64Array,
): { fps: Float64Array; tps: Float64Array; thresholds: Float64Array } {
  let nPos = 0;
  for (let i = 0; i < positive.length; i++) nPos += positive[i];
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(positive.length - nPos);
  let pi = 0,
    ni = 0;
  for (let i = 0; i < positive.length; i++) {
    if (positive[i]) pos[pi++] = scores[i];
    else neg[ni++] = scores[i];
  }
  // Two typed-array sorts and a merge: a million rows in a fraction of an index sort's time.
  pos.sort();
  neg.sort();
  const fps: number[] = [];
  const tps: number[] = [];
  const thr: number[] = [];
  let i = pos.length - 1;
  let j = neg.length - 1;
  let tp = 0,
    fp = 0;
  while (i >= 0 || j >= 0) {
    const v = i < 0 ? neg[j] : j < 0 ? pos[i] : Math.max(pos[i], neg[j]);
    while (i >= 0 && pos[i] === v) {
      tp++;
      i--;
    }
    while (j >= 0 && neg[j] === v) {
      fp++;
      j--;
    }
    fps.push(fp);
    tps.push(tp);
    thr.push(v);
  }
  return { fps: Float64Array.from(fps), tps: Float64Array.from(tps), thresholds: Float64Array.from(thr) };
}

/** sklearn.metrics.roc_curve(drop_intermediate=True), 1.2: the first threshold is max score + 1. */
export function rocCurve(positive: Uint8Array, scores: Float64Array): RocCurve {
  let { fps, tps, thresholds } = binaryClfCurve(positive, scores);
  if (fps.length > 2) {
    const keep: number[] = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      if (fps[i + 1] - 2 * fps[i] + fps[i - 1] !== 0 || tps[i + 1] - 2 * tps[i] + tps[i - 1] !== 0)
        keep.push(i);
    }
    keep.push(fps.length - 1);
    fps = Float64Array.from(keep, (i) => fps[i]);
    tps = Float64Array.from(keep, (i) => tps[i]);
    thresholds = Float64Array.from(keep, (i) => thresholds[i]);
  }
  const fLast = fps[fps.length - 1];
  const tLast = tps[tps.length - 1];
  const fpr = [0];
  const tpr = [0];
  for (let i = 0; i < fps.length; i++) {
    fpr.push(fLast > 0 ? fps[i] / fLast : NaN);
    tpr.push(tLast > 0 ? tps[i] / tLast : NaN);
  }
  return { fpr, tpr, thresholds: [thresholds[0] + 1, ...thresholds] };
}

/** numpy.trapz(y, x), as sklearn.metrics.auc uses it. */
export function trapezoid(x: number[], y: number[]): number {
  const parts = new Float64Array(x.length - 1);
  for (let i = 0; i < parts.length; i++) parts[i] = ((x[i + 1] - x[i]) * (y[i + 1] + y[i])) / 2;
  return npSum(parts);
}

export function rocAuc(positive: Uint8Array, scores: Float64Array): { auc: number; curve: RocCurve } {
  const curve = rocCurve(positive, scores);
  return { auc: trapezoid(curve.fpr, curve.tpr), curve };
}

/** sklearn.metrics.precision_recall_curve (1.2: the full curve, ending at recall 0, precision 1). */
export function prCurve(positive: Uint8Array, scores: Float64Array): PrCurve {
  const { fps, tps, thresholds } = binaryClfCurve(positive, scores);
  const m = tps.length;
  const tLast = tps[m - 1];
  const precision: number[] = [];
  const recall: number[] = [];
  const thr: number[] = [];
  for (let i = m - 1; i >= 0; i--) {
    const ps = tps[i] + fps[i];
    precision.push(ps !== 0 ? tps[i] / ps : 0);
    recall.push(tLast === 0 ? 1 : tps[i] / tLast);
    thr.push(thresholds[i]);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall, thresholds: thr };
}

/** sklearn's average_precision_score: the step sum -sum(diff(recall) * precision[:-1]). */
export function averagePrecision(curve: PrCurve): number {
  const parts = new Float64Array(curve.recall.length - 1);
  for (let i = 0; i < parts.length; i++)
    parts[i] = (curve.recall[i + 1] - curve.recall[i]) * curve.precision[i];
  return -npSum(parts);
}

export const FLOAT64_EPS = 2.220446049250313e-16;

/**
 * sklearn 1.2's log_loss with eps="auto": clip each probability to [eps, 1-eps], renormalise each
 * row by its sum, then the mean of -log(p of the true class). `probs` is row-major n x k.
 */
export function logLoss(truth: Uint32Array, probs: Float64Array, k: number): number {
  const n = truth.length;
  const losses = new Float64Array(n);
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const p = probs[i * k + c];
      row[c] = p < FLOAT64_EPS ? FLOAT64_EPS : p > 1 - FLOAT64_EPS ? 1 - FLOAT64_EPS : p;
      sum += row[c];
    }
    losses[i] = -Math.log(row[truth[i]] / sum);
  }
  return npSum(losses) / n;
}

/** Binary log loss from the positive class's probability (sklearn appends 1 - p as class 0). */
export function binaryLogLoss(positive: Uint8Array, scores: Float64Array): number {
  const n = positive.length;
  const losses = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = Math.min(Math.max(scores[i], FLOAT64_EPS), 1 - FLOAT64_EPS);
    const q = 1 - p;
    const sum = q + p;
    losses[i] = -Math.log((positive[i] ? p : q) / sum);
  }
  return npSum(losses) / n;
}

export function brier(positive: Uint8Array, scores: Float64Array): number {
  const sq = new Float64Array(positive.length);
  for (let i = 0; i < sq.length; i++) sq[i] = (positive[i] - scores[i]) ** 2;
  return npSum(sq) / sq.length;
}

/** sklearn.calibration.calibration_curve(n_bins, strategy="uniform"): edges i/n_bins as numpy.linspace makes them. */
export function calibrationCurve(positive: Uint8Array, scores: Float64Array, nBins = 10): CalibrationCurve {
  const step = 1 / nBins;
  const inner: number[] = [];
  for (let i = 1; i < nBins; i++) inner.push(i * step);
  const sums = new Float64Array(nBins);
  const trues = new Float64Array(nBins);
  const totals = new Float64Array(nBins);
  for (let r = 0; r < scores.length; r++) {
    const p = scores[r];
    let lo = 0,
      hi = inner.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (inner[mid] < p) lo = mid + 1;
      else hi = mid;
    }
    sums[lo] += p;
    trues[lo] += positive[r];
    totals[lo]++;
  }
  const out: CalibrationCurve = { probTrue: [], probPred: [], counts: [] };
  for (let b = 0; b < nBins; b++) {
    if (totals[b] === 0) continue;
    out.probTrue.push(trues[b] / totals[b]);
    out.probPred.push(sums[b] / totals[b]);
    out.counts.push(totals[b]);
  }
  return out;
}
