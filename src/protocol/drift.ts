/** Messages of the drift webview (webview-ui/drift): data drift of two files, or of a served model. */

/** How a column's values are compared: read from the data or given by the user. */
export type ColumnType = 'numeric' | 'categorical' | 'boolean';
/** The drift test or distance applied to a column. */
export type DriftMethod = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi';

export interface Histogram {
  /** Numeric: bin edges (bins + 1); categorical: the categories. */
  edges?: number[];
  categories?: string[];
  reference: number[];
  current: number[];
}

/** What the report was computed from; the panel recomputes from it after a reload. */
export type DriftSource =
  | { kind: 'files'; reference: string; current: string; by?: string }
  | { kind: 'serving'; dir: string; window: 'hour' | 'day'; feedback?: string };

export interface DriftColumnView {
  column: string;
  type: ColumnType;
  method: DriftMethod;
  /** The test's statistic or distance; null when the column was not tested. */
  statistic: number | null;
  pValue: number | null;
  threshold: number;
  drifted: boolean;
  severity: number;
  missingRateShift: number;
  referenceMissingRate: number;
  currentMissingRate: number;
  histogram: Histogram;
  /** Why the column was not tested. */
  skipped?: string;
}

export interface DriftWindowView {
  window: string;
  rows: number;
  drifted: number;
  tested: number;
  share: number;
  datasetDrift: boolean;
  /** Drift of each column in this window, in the order of the snapshot's `columns`. */
  columns: { column: string; drifted: boolean; statistic: number | null; pValue: number | null }[];
}

export interface OnlineAccuracyView {
  metric: 'accuracy' | 'mae';
  value: number | null;
  joined: number;
  feedbackRows: number;
  unmatchedFeedback: number;
  unlabeledPredictions: number;
  windows: { window: string; joined: number; value: number }[];
}

export interface DriftSnapshot {
  title: string;
  source: DriftSource;
  /** Short names of the compared data, for the summary and legends. */
  referenceLabel: string;
  currentLabel: string;
  referenceRows: number;
  currentRows: number;
  drifted: number;
  tested: number;
  share: number;
  driftShare: number;
  datasetDrift: boolean;
  /** Set when no column was tested: why, so the verdict says "nothing compared" and never passes. */
  nothingCompared?: string;
  /** Which tests ran and on how many columns. */
  tests: { method: DriftMethod; columns: number }[];
  /** Most severe first. */
  columns: DriftColumnView[];
  timeline?: { by: string; windows: DriftWindowView[] };
  online?: OnlineAccuracyView;
  /** Warnings of the drift engine and the feedback join, and other things to know. */
  notices: string[];
  /** When the report was computed (ms since the epoch). */
  computedAt: number;
}

/** Host -> webview. */
export type DriftToWebview =
  /** The complete report to show. */
  | { type: 'snapshot'; snapshot: DriftSnapshot }
  /** The report is being computed (or recomputed after a reload). */
  | { type: 'progress'; text: string }
  /** Computing failed: what went wrong. */
  | { type: 'error'; text: string }
  /** A short message (e.g. where the report was saved). */
  | { type: 'notice'; text: string };

/** Webview -> host. */
export type DriftFromWebview =
  /** The webview is listening. */
  | { type: 'ready' }
  /** The user chose a column: its histogram is shown. */
  | { type: 'selectColumn'; column: string }
  /** Save the report as JSON where the user chooses. */
  | { type: 'saveReport' }
  /** Compute the report again from its source (files may have changed, requests arrived). */
  | { type: 'refresh' }
  /** What was drawn (for tests and diagnostics). */
  | { type: 'rendered'; rendered: DriftRendered };

export interface DriftRendered {
  columns: number;
  /** Column names in table order. */
  order: string[];
  selected: string | null;
  /** Bars (or bins) in the histogram of the selected column. */
  histogramBins: number;
  timelineWindows: number;
  accuracyWindows: number;
  datasetDrift: boolean;
}

/** `drifted` sorts by severity: how far past its threshold each column is. */
export type DriftSortKey =
  'column' | 'type' | 'method' | 'statistic' | 'threshold' | 'pValue' | 'drifted' | 'missingRateShift';

/** What the webview keeps through getState/setState, and the panel serializer restores from. */
export interface DriftViewState {
  source: DriftSource | null;
  selected: string | null;
  sort: { key: DriftSortKey; descending: boolean };
}
