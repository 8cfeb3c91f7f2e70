/** Messages of the baseline gate webview (webview-ui/gate). */
import type { CurveData } from './evaluation';

export type GateVerdict = 'pass' | 'fail' | 'missing';

export interface GateMetricRow {
  metric: string;
  goal: 'min' | 'max' | null;
  candidate: number | null;
  baseline: number | null;
  delta: number | null;
  relative: number | null;
  rule: string;
  verdict: GateVerdict;
  required: boolean;
}

export interface GateSnapshot {
  candidate: { ref: string; run: string; name: string; experiment: string };
  /** `ref` is the baseline as chosen (RUN or MODEL@STAGE); null: the experiment's baseline. */
  baseline: { ref: string | null; run: string; name: string; label: string };
  /** Where the policy came from; null: the default (no metric with a known goal may get worse). */
  policy: string | null;
  /** incomplete: the candidate lacks values the verdict needs (the panel offers to evaluate it). */
  verdict: 'pass' | 'fail' | 'incomplete';
  /** Why the verdict is incomplete. */
  reason?: string;
  metrics: GateMetricRow[];
  /** Both runs' ROC and PR curves, when both have an evaluation. */
  curves: {
    roc: { candidate: CurveData[]; baseline: CurveData[] };
    pr: { candidate: CurveData[]; baseline: CurveData[] };
  } | null;
}

/** Host -> webview. */
export type GateToWebview =
  /** The complete verdict to show; sent after `ready` and when either run changes. */
  | { type: 'snapshot'; snapshot: GateSnapshot }
  /** A short message to show (e.g. "Copied"). */
  | { type: 'notice'; text: string };

/** Webview -> host. */
export type GateFromWebview =
  /** The webview is listening. */
  | { type: 'ready' }
  /** Put the verdict as a Markdown table on the clipboard. */
  | { type: 'copyMarkdown' }
  /** Let the user choose another baseline (the host shows a picker). */
  | { type: 'pickBaseline' }
  /** Evaluate the candidate (its predictions artifact, or a picked file), then judge again. */
  | { type: 'evaluateCandidate' }
  /** What was drawn (for tests and diagnostics). */
  | { type: 'rendered'; verdict: 'pass' | 'fail' | 'incomplete'; rows: number; charts: number };

/** What the webview keeps through getState/setState; the serializer reopens the comparison from it. */
export interface GateViewState {
  candidateRef: string;
  /** RUN or MODEL@STAGE as resolveBaseline takes it; null: the experiment's baseline. */
  baselineRef: string | null;
}
