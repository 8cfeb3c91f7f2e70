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

/** One file of a code diff with its added and removed lines (null: a binary file). */
export interface WhatChangedFile {
  file: string;
  added: number | null;
  removed: number | null;
}

/** One recorded version of an input file. */
export interface WhatChangedInputVersion {
  sha256: string;
  size: number;
}

export interface WhatChangedTableShape {
  rows: number;
  columns: number;
}

/** What changed between run A (the reference) and run B, as `runlens diff` computes it. */
export interface WhatChangedDiff {
  /** Params that differ; values as text, null where the run did not set the param. */
  params: { key: string; a: string | null; b: string | null }[];
  code: {
    a: { commit: string | null; dirty: boolean };
    b: { commit: string | null; dirty: boolean };
    /** Same commit and the same (or no) uncommitted diff. */
    same: boolean;
    /** Files changed between the two commits (empty: same commit; null: see `reason`). */
    commits: WhatChangedFile[] | null;
    /** Why the diff between the commits is not available. */
    reason: string | null;
    /** The files of the uncommitted diffs recorded with A and with B. */
    workingA: WhatChangedFile[];
    workingB: WhatChangedFile[];
  };
  inputs: {
    path: string;
    status: 'same' | 'changed' | 'added' | 'removed';
    a: WhatChangedInputVersion | null;
    b: WhatChangedInputVersion | null;
    /** CSV/JSONL inputs whose two versions could be read. */
    table?: {
      a: WhatChangedTableShape;
      b: WhatChangedTableShape;
      addedColumns: string[];
      removedColumns: string[];
      typeChanges: { column: string; a: string; b: string }[];
      drift: { datasetDrift: boolean; drifted: string[]; tested: number; driftShare: number } | null;
    };
    note?: string;
  }[];
  environment: { what: string; a: string | null; b: string | null }[];
  /** Final metrics; `verdict` by the metric's goal (null: no goal known, or a value missing). */
  metrics: {
    key: string;
    a: number | null;
    b: number | null;
    delta: number | null;
    relative: number | null;
    verdict: 'better' | 'worse' | 'same' | null;
  }[];
}

export interface WhatChangedRun {
  ref: string;
  name: string;
}

/** The "What Changed" section: between the reference run A and run B. */
export type WhatChangedView =
  /** Nothing to show, and why (fewer than two runs; more than two and no baseline chosen). */
  | { state: 'none'; message: string }
  | { state: 'computing'; a: WhatChangedRun; b: WhatChangedRun }
  | { state: 'ready'; a: WhatChangedRun; b: WhatChangedRun; diff: WhatChangedDiff }
  | { state: 'error'; a: WhatChangedRun; b: WhatChangedRun; message: string };

/** Host -> webview. */
export type CompareToWebview =
  /** The complete state to show; sent after `ready` and whenever a compared run changes. */
  | { type: 'snapshot'; snapshot: CompareSnapshot }
  | { type: 'notice'; text: string }
  /** The complete "What Changed" section; sent after each snapshot and when its runs change. */
  | { type: 'whatChanged'; view: WhatChangedView };

/** Webview -> host. */
export type CompareFromWebview =
  | { type: 'ready' }
  /** Compare against this run (null: no baseline). */
  | { type: 'setBaseline'; ref: string | null }
  /** Read every metric's value at this step (the last point at or before it). */
  | { type: 'setStep'; step: number | null }
  | { type: 'rendered'; rows: number; columns: number }
  /** Show what changed between the reference run and this run (when more than two are compared). */
  | { type: 'setWhatChanged'; ref: string }
  /** Open the code of the two runs of "What Changed" in VS Code's diff editor. */
  | { type: 'openCodeDiff'; a: string; b: string };

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
  /** The run "What Changed" compares with the reference run (when more than two are compared). */
  whatChangedRef?: string | null;
}
