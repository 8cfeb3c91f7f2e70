import type { Chart } from 'chart.js';
import type { NonFiniteCode, RunInfo } from '../../src/protocol/common';
import type {
  ChartData,
  MetricsFromWebview,
  MetricsSnapshot,
  MetricsToWebview,
  MetricsViewState,
  SeriesData,
  ZoomRange,
} from '../../src/protocol/metrics';
import { connectHost } from '../shared/host';
import { readTheme } from '../shared/theme';
import type { ThemeColors } from '../shared/theme';

export const host = connectHost<MetricsViewState, MetricsToWebview, MetricsFromWebview>('metrics', {
  snapshot: true,
  zoomData: true,
  notice: true,
});

/** What the view keeps across reloads (setState). */
export const state: MetricsViewState = {
  refs: host.saved?.refs ?? [],
  xAxis: host.saved?.xAxis ?? 'step',
  smoothing: host.saved?.smoothing ?? 0.6,
  logKeys: host.saved?.logKeys ?? [],
  hidden: host.saved?.hidden ?? [],
  filter: typeof host.saved?.filter === 'string' ? host.saved.filter : '',
  collapsed: host.saved?.collapsed ?? [],
  tables: host.saved?.tables ?? [],
};

/** The last snapshot from the host and the current theme. */
export const view: { snapshot: MetricsSnapshot | undefined; theme: ThemeColors } = {
  snapshot: undefined,
  theme: readTheme(),
};

/** The chart cards shown, by metric key. */
export const views = new Map<string, ChartView>();

export function saveState(): void {
  host.save(state);
}

export interface Point {
  x: number;
  y: number | null;
}

/** One line: its points on the current axis and the codes of its non-finite values. */
export interface Line {
  run: RunInfo;
  points: Point[];
  raw: (number | null)[];
  flags: Map<number, NonFiniteCode>;
}

export interface ChartView {
  key: string;
  card: HTMLElement;
  canvas: HTMLCanvasElement;
  chart: Chart<'line', Point[]>;
  footer: HTMLElement;
  logButton: HTMLButtonElement;
  tableButton: HTMLButtonElement;
  /** The plot's box (the canvas's parent) and the table's scrollable box, one of them shown. */
  plot: HTMLElement;
  tableBox: HTMLElement;
  /** The header's buttons, in order: with the shown body they are the card's keyboard stops. */
  buttons: HTMLButtonElement[];
  data: ChartData;
  /** Series fetched for the zoomed range; undefined when not zoomed. */
  zoomed: { range: ZoomRange; series: SeriesData[] } | undefined;
  lines: Line[];
  pendingZoom: number;
  zoomTimer: number | undefined;
  hoverX: number | undefined;
}
