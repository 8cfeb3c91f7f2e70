/** Messages of the metrics chart webview (webview-ui/metrics). */
import type { NonFiniteCode, RunInfo } from './common';

export type XAxis = 'step' | 'wall' | 'relative';

/** One run's line on one chart, already downsampled by the host. */
export interface SeriesData {
  ref: string;
  steps: number[];
  /** Wall time of each point (ms since the epoch). */
  times: number[];
  /** Values; null where the logged value was NaN or infinite (see `nonFinite`). */
  values: (number | null)[];
  /** Index into the arrays -> what was logged there, for the tooltip. */
  nonFinite: [number, NonFiniteCode][];
  /** Points of the full series (before downsampling). */
  total: number;
  /** Time of the run's first point of any key: origin of the relative-time axis. */
  t0: number;
}

export interface ChartData {
  key: string;
  goal: 'min' | 'max' | null;
  series: SeriesData[];
  /** Refs of the shown runs that have no point of this key. */
  missing: string[];
}

export interface MetricsSnapshot {
  runs: RunInfo[];
  /** Every run of the workspace, for the picker inside the panel. */
  available: RunInfo[];
  charts: ChartData[];
  /** The per-series point budget the data was reduced to. */
  points: number;
  /** Things the user should know: deleted runs, unreadable lines. */
  notices: string[];
}

export interface ZoomRange {
  axis: XAxis;
  min: number;
  max: number;
}

/** Host -> webview. */
export type MetricsToWebview =
  /** The complete state to show; sent after `ready` and whenever a shown run changes. */
  | { type: 'snapshot'; snapshot: MetricsSnapshot }
  /** Answer to `zoom`: the series of one chart over the range, at full resolution up to the budget. */
  | { type: 'zoomData'; requestId: number; key: string; range: ZoomRange; series: SeriesData[] }
  /** A short message to show in the panel (e.g. where an export was saved). */
  | { type: 'notice'; text: string };

/** Webview -> host. */
export type MetricsFromWebview =
  /** The webview is listening; `width` is a chart's width in CSS pixels (sets the point budget). */
  | { type: 'ready'; width: number }
  /** The chart width changed enough to change the point budget. */
  | { type: 'resize'; width: number }
  /** Show these runs (from the picker inside the panel). */
  | { type: 'selectRuns'; refs: string[] }
  /** Fetch one chart's series over an x range (after a zoom or pan). */
  | { type: 'zoom'; requestId: number; key: string; range: ZoomRange }
  /** Save a chart as PNG: the canvas as a data: URL. */
  | { type: 'exportPng'; key: string; dataUrl: string }
  /** Save a chart's full-resolution data as CSV. */
  | { type: 'exportCsv'; key: string }
  /** One chart was drawn (charts are drawn one per frame, those in view first). */
  | { type: 'painted'; key: string; index: number; of: number }
  /** Every chart was drawn (for tests and diagnostics): what each chart shows. */
  | { type: 'rendered'; charts: RenderedChart[]; series: number; points: number };

export interface RenderedChart {
  key: string;
  xTitle: string;
  yTitle: string;
  /** Tick labels drawn on the x axis. */
  xTicks: string[];
  lines: number;
  zoomed: boolean;
}

/** What the webview keeps through getState/setState, and the panel serializer restores from. */
export interface MetricsViewState {
  refs: string[];
  xAxis: XAxis;
  smoothing: number;
  logKeys: string[];
  hidden: string[];
  /** The metric-name filter typed above the charts. */
  filter: string;
  /** Collapsed sections: their prefixes, '' for the section of ungrouped metrics. */
  collapsed: string[];
  /** Metric keys whose chart is shown as a table. */
  tables: string[];
}
