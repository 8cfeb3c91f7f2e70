/** Messages of the run comparison webview (webview-ui/compare). */
import type { RunInfo } from './common';

export type Stat = 'last' | 'best' | 'min' | 'max' | 'atStep';
export const STATS: readonly Stat[] = ['last', 'best', 'min', 'max', 'atStep'];

export interface DeltaData {
  absolute: number | null;
  /** Relative to the baseline's magnitude; null when the baseline is 0 or not finite. */
  relative: number | null;
  verdict: 'better' | 'worse' | 'same' | null;
}

/** One statistic of one metric of one run. Values are null where NaN or infinite (see `text`). */
export interface StatCell {
  value: number | null;
  /** The value as text when it is not finite ("NaN", "Infinity"). */
  text?: string;
  delta?: DeltaData;
  /** Best of the compared runs for this statistic, by the metric's goal. */
  isBest: boolean;
}

export interface CompareRunRow extends RunInfo {
  durationMs: number | null;
  gitCommit: string | null;
  inputs: string[];
  isBaseline: boolean;
}

export interface CompareSnapshot {
  runs: CompareRunRow[];
  params: { key: string; values: (string | number | boolean | null)[]; differs: boolean }[];
  /** Per metric, per statistic, one cell per run (null: the run has no such metric). */
  metrics: {
    key: string;
    goal: 'min' | 'max' | null;
    stats: Record<Stat, (StatCell | null)[]>;
  }[];
  baselineRef: string | null;
  /** The step of the `atStep` statistic. */
  step: number | null;
  notices: string[];
}

/** Host -> webview. */
export type CompareToWebview =
  /** The complete state to show; sent after `ready` and whenever a compared run changes. */
  { type: 'snapshot'; snapshot: CompareSnapshot } | { type: 'notice'; text: string };

/** Webview -> host. */
export type CompareFromWebview =
  | { type: 'ready' }
  /** Compare against this run (null: no baseline). */
  | { type: 'setBaseline'; ref: string | null }
  /** Read every metric's value at this step (the last point at or before it). */
  | { type: 'setStep'; step: number | null }
  | { type: 'rendered'; rows: number; columns: number };

export interface CompareViewState {
  refs: string[];
  baselineRef: string | null;
  step: number | null;
  onlyDiffering: boolean;
  stat: Stat;
  sort: { column: string; descending: boolean } | null;
  /** The metric the parallel coordinates end on and the importance column correlates with. */
  parallelMetric: string | null;
  scatter: { param: string | null; metric: string | null };
  /** Params as rows of their own table (runs as columns); null: when more than a dozen are shown. */
  paramsAsRows?: boolean | null;
  /** Param groups (key prefixes) folded in the params table. */
  collapsed?: string[];
  /** The parallel-coordinates axes the user chose; null: the default choice. */
  axes?: string[] | null;
}
