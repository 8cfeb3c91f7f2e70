/**
 * What the evaluation and gate webviews show, built from evaluation.json files: curves thinned to
 * at most MAX_CURVE_POINTS, metric cards, slices sorted worst first. The webviews only draw it.
 */
import type { CurveData, EvaluationSnapshot, MetricCard, SliceRow } from '../../protocol/evaluation';
import type { GateSnapshot } from '../../protocol/gate';
import type { GateResult } from '../gate/gate';
import { goalOf } from '../metrics/goals';
import type { EvaluationResult } from './evaluate';

export const MAX_CURVE_POINTS = 1000;

/**
 * At most `max` points of a curve, spaced evenly along its length (in the unit square of the two
 * axes' ranges), so the steps of a ROC curve keep their shape; the first and last points stay.
 */
export function thinCurve(x: number[], y: number[], max = MAX_CURVE_POINTS): { x: number[]; y: number[] } {
  const n = x.length;
  if (n <= max) return { x: x.slice(), y: y.slice() };
  const span = (a: number[]) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of a) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return hi - lo || 1;
  };
  const sx = span(x);
  const sy = span(y);
  const seg = new Float64Array(n);
  let total = 0;
  for (let i = 1; i < n; i++) {
    seg[i] = Math.hypot((x[i] - x[i - 1]) / sx, (y[i] - y[i - 1]) / sy);
    total += seg[i];
  }
  const step = total / (max - 1);
  const ox = [x[0]];
  const oy = [y[0]];
  let since = 0;
  for (let i = 1; i < n - 1 && ox.length < max - 1; i++) {
    since += seg[i];
    if (since >= step) {
      ox.push(x[i]);
      oy.push(y[i]);
      since = 0;
    }
  }
  ox.push(x[n - 1]);
  oy.push(y[n - 1]);
  return { x: ox, y: oy };
}

function finite(v: number | undefined | null): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function curves(r: EvaluationResult | undefined, kind: 'roc' | 'pr', max: number): CurveData[] {
  const c = r?.classification;
  if (!c) return [];
  const out: CurveData[] = [];
  if (kind === 'roc') {
    for (const [label, k] of Object.entries(c.rocCurves ?? {})) {
      const t = thinCurve(k.fpr, k.tpr, max);
      const area = c.perClassAuc?.[label]?.rocAuc ?? (c.task === 'binary' ? c.rocAuc : undefined);
      out.push({ label, ...t, total: k.fpr.length, area: finite(area) });
    }
  } else {
    for (const [label, k] of Object.entries(c.prCurves ?? {})) {
      const t = thinCurve(k.recall, k.precision, max);
      const area =
        c.perClassAuc?.[label]?.averagePrecision ?? (c.task === 'binary' ? c.averagePrecision : undefined);
      out.push({ label, ...t, total: k.recall.length, area: finite(area) });
    }
  }
  return out;
}

const CARD_ORDER: [string, string][] = [
  ['eval/accuracy', 'Accuracy'],
  ['eval/balanced_accuracy', 'Balanced accuracy'],
  ['eval/roc_auc', 'ROC AUC'],
  ['eval/average_precision', 'Average precision'],
  ['eval/f1_macro', 'F1 (macro)'],
  ['eval/precision_macro', 'Precision (macro)'],
  ['eval/recall_macro', 'Recall (macro)'],
  ['eval/log_loss', 'Log loss'],
  ['eval/brier', 'Brier score'],
  ['eval/mae', 'MAE'],
  ['eval/rmse', 'RMSE'],
  ['eval/r2', 'R²'],
  ['eval/mape', 'MAPE'],
  ['eval/mse', 'MSE'],
];

/** The slice metric: what a reader checks first (accuracy; RMSE for regression). */
function sliceMetric(r: EvaluationResult): { key: string; goal: 'min' | 'max' } {
  return r.task === 'regression' ? { key: 'eval/rmse', goal: 'min' } : { key: 'eval/accuracy', goal: 'max' };
}

export interface RunLabel {
  ref: string;
  id: string;
  name: string;
  experiment: string;
}

/** The evaluation webview's snapshot of one run's evaluation, with a baseline's curves overlaid. */
export function evaluationSnapshot(
  run: RunLabel,
  r: EvaluationResult,
  baseline?: { ref: string; name: string; result: EvaluationResult },
  max = MAX_CURVE_POINTS,
): EvaluationSnapshot {
  const cards: MetricCard[] = [];
  const known = new Set(CARD_ORDER.map(([k]) => k));
  const add = (key: string, label: string) =>
    cards.push({
      key,
      label,
      value: finite(r.metrics[key]),
      goal: goalOf(key, { 'eval/brier': 'min' }) ?? null,
      baseline: baseline ? finite(baseline.result.metrics[key]) : null,
    });
  for (const [key, label] of CARD_ORDER) if (key in r.metrics) add(key, label);
  for (const key of Object.keys(r.metrics))
    if (!known.has(key) && !/_(micro|weighted)$/.test(key)) add(key, key.replace(/^eval\//, ''));
  const c = r.classification;
  const reg = r.regression;
  let slices: EvaluationSnapshot['slices'] = null;
  if (r.slices) {
    const { key, goal } = sliceMetric(r);
    const rows: SliceRow[] = r.slices.slices.map((s) => ({
      value: s.value,
      n: s.n,
      metric: finite(s.metrics[key]),
      metrics: Object.fromEntries(Object.entries(s.metrics).map(([k, v]) => [k, finite(v)])),
    }));
    // Worst first; a slice without a value (e.g. one class only) last.
    rows.sort((a, b) => {
      if (a.metric === null || b.metric === null) return a.metric === null ? (b.metric === null ? 0 : 1) : -1;
      return goal === 'max' ? a.metric - b.metric : b.metric - a.metric;
    });
    slices = { column: r.slices.column, metric: key, goal, rows };
  }
  return {
    run,
    file: r.file,
    task: r.task,
    n: r.n,
    source: r.source ?? null,
    cards,
    confusion: c ? { labels: c.labels, matrix: c.confusionMatrix } : null,
    roc: curves(r, 'roc', max),
    pr: curves(r, 'pr', max),
    baseline:
      baseline && baseline.result.classification
        ? {
            ref: baseline.ref,
            name: baseline.name,
            roc: curves(baseline.result, 'roc', max),
            pr: curves(baseline.result, 'pr', max),
          }
        : null,
    calibration: c?.calibration ?? null,
    slices,
    regression: reg
      ? {
          scatter: reg.predictedVsActual,
          residuals: reg.residuals,
        }
      : null,
    warnings: r.warnings.map((w) => w.message),
  };
}

/** The gate webview's snapshot: the verdict, and both runs' curves when both have evaluations. */
export function gateSnapshot(
  refs: { candidate: string; baseline: string | null },
  g: GateResult,
  evaluations: { candidate?: EvaluationResult; baseline?: EvaluationResult },
  max = MAX_CURVE_POINTS,
): GateSnapshot {
  const both = evaluations.candidate?.classification && evaluations.baseline?.classification;
  return {
    candidate: { ref: refs.candidate, ...g.candidate },
    baseline: { ref: refs.baseline, run: g.baseline.run, name: g.baseline.name, label: g.baseline.ref },
    policy: g.policy,
    verdict: g.verdict,
    ...(g.reason ? { reason: g.reason } : {}),
    metrics: g.metrics.map((m) => ({ ...m })),
    curves: both
      ? {
          roc: {
            candidate: curves(evaluations.candidate, 'roc', max),
            baseline: curves(evaluations.baseline, 'roc', max),
          },
          pr: {
            candidate: curves(evaluations.candidate, 'pr', max),
            baseline: curves(evaluations.baseline, 'pr', max),
          },
        }
      : null,
  };
}
