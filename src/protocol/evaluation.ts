/** Messages of the model evaluation webview (webview-ui/evaluation). */

/** A curve already reduced by the host to at most a few hundred or thousand points. */
export interface CurveData {
  /** Class the curve is of (binary: the positive class; multiclass: one-vs-rest). */
  label: string;
  x: number[];
  y: number[];
  /** Points before downsampling. */
  total: number;
  /** ROC AUC or average precision of this curve. */
  area: number | null;
}

export interface MetricCard {
  key: string;
  label: string;
  value: number | null;
  goal: 'min' | 'max' | null;
  /** The baseline run's value of the same metric, when it has an evaluation. */
  baseline: number | null;
}

export interface SliceRow {
  value: string;
  n: number;
  /** The slice's value of the snapshot's slice metric (null when not finite). */
  metric: number | null;
  metrics: Record<string, number | null>;
}

export interface EvaluationSnapshot {
  run: { ref: string; id: string; name: string; experiment: string };
  /** The predictions or data file evaluated. */
  file: string;
  task: 'binary' | 'multiclass' | 'regression';
  n: number;
  /** Model, data file and TensorFlow.js backend when a model was evaluated on data. */
  source: { model: string; data: string; backend: string } | null;
  cards: MetricCard[];
  /** Classification: rows are true labels, columns predicted, both in `labels` order. */
  confusion: { labels: string[]; matrix: number[][] } | null;
  roc: CurveData[];
  pr: CurveData[];
  /** The baseline run's curves, overlaid on the ROC and PR charts (when it has an evaluation). */
  baseline: { ref: string; name: string; roc: CurveData[]; pr: CurveData[] } | null;
  calibration: { probPred: number[]; probTrue: number[]; counts: number[] } | null;
  /** Slices sorted worst first by `metric` (by its goal). */
  slices: { column: string; metric: string; goal: 'min' | 'max'; rows: SliceRow[] } | null;
  regression: {
    scatter: { actual: number[]; predicted: number[] };
    residuals: { edges: number[]; counts: number[]; mean: number };
  } | null;
  warnings: string[];
}

/** Host -> webview. */
export type EvaluationToWebview =
  /** The complete state to show; sent after `ready` and when the evaluation file changes. */
  | { type: 'snapshot'; snapshot: EvaluationSnapshot }
  /** The run has no evaluation (any more): a message instead of charts. */
  | { type: 'empty'; text: string };

/** Webview -> host. */
export type EvaluationFromWebview =
  /** The webview is listening. */
  | { type: 'ready' }
  /** What was drawn (for tests and diagnostics). */
  | { type: 'rendered'; cards: number; charts: RenderedEvalChart[]; normalized: boolean };

export interface RenderedEvalChart {
  /** 'confusion', 'roc', 'pr', 'calibration', 'scatter' or 'residuals'. */
  id: string;
  datasets: number;
  points: number;
}

/** What the webview keeps through getState/setState; the serializer reopens the run from `ref`. */
export interface EvaluationViewState {
  ref: string;
  normalized: boolean;
}
