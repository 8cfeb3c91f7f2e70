import type { MetricSummary } from '../store/types';

export type Goal = 'min' | 'max';

const LOWER =
  /(^|[^a-z])(loss|error|err|mae|mse|rmse|mape|perplexity|ppl|latency|time|duration|size|wer|cer|fpr|fnr)([^a-z]|$)/i;
const HIGHER =
  /(^|[^a-z])(acc|accuracy|auc|roc_auc|f1|f1_score|precision|recall|r2|map|ap|iou|dice|bleu|rouge\w*|score|tpr|tnr|throughput|reward|return)([^a-z]|$)/i;

/**
 * Whether a metric should go down or up: explicit goals first (exact key), then the name:
 * loss/error/mae/rmse... lower is better; acc/auc/f1/precision/recall/r2... higher is better.
 */
export function goalOf(key: string, overrides: Record<string, Goal> = {}): Goal | undefined {
  if (overrides[key]) return overrides[key];
  const last = key.split(/[/.]/).pop() ?? key;
  if (LOWER.test(last)) return 'min';
  if (HIGHER.test(last)) return 'max';
  return undefined;
}

/** The best value of a series by its goal (undefined without a goal). */
export function bestOf(s: MetricSummary, goal: Goal | undefined): number | undefined {
  if (goal === 'min') return s.min;
  if (goal === 'max') return s.max;
  return undefined;
}

export interface Delta {
  absolute: number;
  /** Relative to the baseline's magnitude; undefined when the baseline is 0. */
  relative: number | undefined;
  /** 'better'/'worse' by the goal, 'same' when equal, undefined without a goal. */
  verdict: 'better' | 'worse' | 'same' | undefined;
}

export function delta(value: number, baseline: number, goal: Goal | undefined): Delta {
  const absolute = value - baseline;
  const relative = baseline !== 0 && Number.isFinite(baseline) ? absolute / Math.abs(baseline) : undefined;
  let verdict: Delta['verdict'];
  if (absolute === 0) verdict = 'same';
  else if (goal === 'min') verdict = absolute < 0 ? 'better' : 'worse';
  else if (goal === 'max') verdict = absolute > 0 ? 'better' : 'worse';
  return { absolute, relative, verdict };
}
