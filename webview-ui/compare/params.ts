// What the table and the charts agree on for the current snapshot and view state: the params shown,
// the metric they are correlated with, each param's importance and the parallel axes.
import { defaultAxes, importance } from '../../src/core/charts/paramView';
import type { CompareSnapshot } from '../../src/protocol/compare';
import { state } from './state';

/** More params than this are shown as rows of their own table unless the user chose otherwise. */
export const ROWS_ABOVE = 12;
/** Parallel axes chosen by default (the user may add more). */
export const MAX_AXES = 8;
/** Characters of a param value shown before it is cut in the middle. */
export const VALUE_CHARS = 32;
/** The same in the params table, where each run is a column: more runs fit side by side. */
export const ROW_VALUE_CHARS = 24;

export type Param = CompareSnapshot['params'][number];

export function shownParams(s: CompareSnapshot): Param[] {
  return s.params.filter((p) => p.differs || !state.onlyDiffering);
}

export function paramsAsRows(s: CompareSnapshot): boolean {
  return state.paramsAsRows ?? shownParams(s).length > ROWS_ABOVE;
}

/** The chosen metric: the saved one if these runs have it, else the first with a goal, else the first. */
export function chosenMetric(s: CompareSnapshot): CompareSnapshot['metrics'][number] | undefined {
  return (
    s.metrics.find((m) => m.key === state.parallelMetric) ??
    s.metrics.find((m) => m.goal !== null) ??
    s.metrics[0]
  );
}

/** The chosen metric's values at the chosen statistic, one per run. */
export function metricValues(s: CompareSnapshot): (number | null)[] {
  const m = chosenMetric(s);
  return m ? m.stats[state.stat].map((c) => c?.value ?? null) : s.runs.map(() => null);
}

export function importances(s: CompareSnapshot): Map<string, number | null> {
  const ys = metricValues(s);
  return new Map(s.params.map((p) => [p.key, importance(p, ys)]));
}

/** The parallel axes: the user's (those these runs have), else the default choice. */
export function axes(s: CompareSnapshot): string[] {
  const keys = new Set(s.params.map((p) => p.key));
  if (state.axes) return state.axes.filter((k) => keys.has(k));
  return defaultAxes(s.params, metricValues(s), MAX_AXES);
}
