import type { Delta, Goal } from '../metrics/goals';
import { delta, goalOf } from '../metrics/goals';
import type { ParamValue, RunRecord, RunEntry } from '../store/types';

export interface CompareRun {
  entry: RunEntry;
  run?: RunRecord;
}

export interface MetricCell {
  last: number;
  best: number | undefined;
  min: number;
  max: number;
  /** Value at the chosen step (the last point at or before it). */
  atStep?: number;
  /** Delta of `last` to the baseline's last. */
  delta?: Delta;
  /** This run has the best `last` value of the compared runs for this metric. */
  isBest: boolean;
}

export interface CompareTable {
  runs: {
    id: string;
    name: string;
    status: string;
    durationMs: number | null;
    gitCommit: string | null;
    inputs: string[];
    isBaseline: boolean;
  }[];
  params: { key: string; values: (ParamValue | undefined)[]; differs: boolean }[];
  metrics: { key: string; goal: Goal | undefined; cells: (MetricCell | undefined)[] }[];
  baselineId: string | undefined;
}

/**
 * The comparison of two or more runs: params (marked where they differ), per metric the latest,
 * best, min and max, the best run marked by the metric's goal, and deltas to the baseline run.
 */
export function buildCompareTable(
  runs: CompareRun[],
  options: {
    baselineId?: string;
    goals?: Record<string, Goal>;
    valuesAtStep?: Map<string, Record<string, number>>;
  } = {},
): CompareTable {
  const goals = options.goals ?? {};
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.entry.params)))].sort();
  const params = paramKeys.map((key) => {
    const values = runs.map((r) => r.entry.params[key]);
    const differs = new Set(values.map((v) => JSON.stringify(v ?? null))).size > 1;
    return { key, values, differs };
  });
  const baseline = runs.find((r) => r.entry.id === options.baselineId)?.entry;
  const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.entry.metrics)))].sort();
  const metrics = metricKeys.map((key) => {
    const goal = goalOf(key, goals);
    const lasts = runs
      .map((r) => r.entry.metrics[key]?.last)
      .filter((v): v is number => v !== undefined && Number.isFinite(v));
    const bestLast = goal === 'min' ? Math.min(...lasts) : goal === 'max' ? Math.max(...lasts) : undefined;
    const cells = runs.map((r): MetricCell | undefined => {
      const s = r.entry.metrics[key];
      if (!s) return undefined;
      const base = baseline?.metrics[key];
      return {
        last: s.last,
        best: goal === 'min' ? s.min : goal === 'max' ? s.max : undefined,
        min: s.min,
        max: s.max,
        atStep: options.valuesAtStep?.get(r.entry.id)?.[key],
        delta: base && r.entry.id !== baseline?.id ? delta(s.last, base.last, goal) : undefined,
        isBest: bestLast !== undefined && lasts.length > 1 && s.last === bestLast,
      };
    });
    return { key, goal, cells };
  });
  return {
    runs: runs.map((r) => ({
      id: r.entry.id,
      name: r.entry.name,
      status: r.entry.status,
      durationMs: r.entry.endTime !== null && r.entry.startTime ? r.entry.endTime - r.entry.startTime : null,
      gitCommit: r.entry.gitCommit,
      inputs: (r.run?.inputs ?? []).map((i) => `${i.path} ${i.sha256.slice(0, 12)}`),
      isBaseline: r.entry.id === baseline?.id,
    })),
    params,
    metrics,
    baselineId: baseline?.id,
  };
}
