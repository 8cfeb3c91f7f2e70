import * as vscode from 'vscode';
import {
  SeriesCache,
  buildMetricsSnapshot,
  pointBudget,
  seriesCsv,
  zoomSeries,
} from '../../core/charts/panelData';
import { assertNever } from '../../protocol/common';
import type {
  MetricsFromWebview,
  MetricsToWebview,
  MetricsViewState,
  RenderedChart,
} from '../../protocol/metrics';
import type { ExtensionSettings } from '../settings';
import type { WorkspaceModel } from '../storeModel';
import { allRuns, resolveRuns, runsSignature } from './runRefs';
import { WebviewHost, safeFileName, saveWithDialog, webviewHtml, webviewOptions } from './webviewHost';

export const METRICS_VIEW_TYPE = 'runlens.metricsChart';

const KNOWN: MetricsFromWebview['type'][] = [
  'ready',
  'resize',
  'selectRuns',
  'zoom',
  'exportPng',
  'exportCsv',
  'rendered',
];
const UPDATE_DEBOUNCE_MS = 150;

/** What the webview last reported drawing: for integration tests and diagnostics. */
export interface MetricsRendered {
  charts: RenderedChart[];
  series: number;
  points: number;
}

/** The metrics chart panel: one chart per metric key, one line per shown run, live while runs train. */
export class MetricsPanel implements vscode.Disposable {
  private readonly host: WebviewHost<MetricsToWebview, MetricsFromWebview>;
  private readonly cache = new SeriesCache();
  private readonly disposables: vscode.Disposable[] = [];
  private width = 600;
  private signature = '';
  private timer: NodeJS.Timeout | undefined;
  lastRendered: MetricsRendered | undefined;
  private readonly renderedEmitter = new vscode.EventEmitter<MetricsRendered>();
  readonly onDidRender = this.renderedEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private refs: string[],
    private readonly model: WorkspaceModel,
    private readonly settings: ExtensionSettings,
    extensionUri: vscode.Uri,
    log: (line: string) => void,
  ) {
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'metrics', 'Runlens Metrics');
    this.host = new WebviewHost(panel, KNOWN, (m) => this.handle(m), log);
    this.disposables.push(
      this.host,
      this.renderedEmitter,
      model.onDidChange(() => this.schedule()),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  show(refs: string[]): void {
    this.refs = refs;
    this.signature = '';
    this.panel.reveal();
    this.sendSnapshot();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const { runs } = resolveRuns(this.model, this.refs);
      // Only a shown run's new points, status or name (or its deletion) needs a new snapshot.
      if (runsSignature(runs) !== this.signature) this.sendSnapshot();
    }, UPDATE_DEBOUNCE_MS);
  }

  private sendSnapshot(): void {
    if (!this.host.ready) return;
    const { runs, notices } = resolveRuns(this.model, this.refs);
    this.signature = runsSignature(runs);
    const snapshot = buildMetricsSnapshot(runs, {
      cache: this.cache,
      points: pointBudget(this.width),
      available: allRuns(this.model),
      goals: this.settings.metricGoals(),
      notices,
    });
    this.panel.title = runs.length === 1 ? `Metrics: ${runs[0].entry.name}` : `Metrics: ${runs.length} runs`;
    this.host.post({ type: 'snapshot', snapshot });
  }

  private async handle(m: MetricsFromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
      case 'resize':
        this.width = m.width;
        this.sendSnapshot();
        return;
      case 'selectRuns':
        this.refs = m.refs;
        this.sendSnapshot();
        return;
      case 'zoom': {
        const { runs } = resolveRuns(this.model, this.refs);
        const series = zoomSeries(runs, m.key, m.range, {
          cache: this.cache,
          points: pointBudget(this.width),
        });
        this.host.post({ type: 'zoomData', requestId: m.requestId, key: m.key, range: m.range, series });
        return;
      }
      case 'exportPng': {
        const match = /^data:image\/png;base64,(.*)$/.exec(m.dataUrl);
        if (!match) throw new Error('the chart image is not a PNG');
        const saved = await saveWithDialog(
          `${safeFileName(m.key)}.png`,
          { 'PNG image': ['png'] },
          Buffer.from(match[1], 'base64'),
        );
        if (saved) this.host.post({ type: 'notice', text: `Saved ${saved}` });
        return;
      }
      case 'exportCsv': {
        const { runs } = resolveRuns(this.model, this.refs);
        const csv = seriesCsv(runs, m.key, this.cache);
        const saved = await saveWithDialog(
          `${safeFileName(m.key)}.csv`,
          { CSV: ['csv'] },
          Buffer.from(csv, 'utf8'),
        );
        if (saved) this.host.post({ type: 'notice', text: `Saved ${saved}` });
        return;
      }
      case 'rendered':
        this.lastRendered = { charts: m.charts, series: m.series, points: m.points };
        this.renderedEmitter.fire(this.lastRendered);
        return;
      default:
        assertNever(m, 'metrics webview message');
    }
  }

  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
    this.panel.dispose();
  }
}

/** Opens, reuses and restores the metrics panel; the serializer brings it back after a reload. */
export class MetricsPanels implements vscode.Disposable, vscode.WebviewPanelSerializer<MetricsViewState> {
  current: MetricsPanel | undefined;
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly model: WorkspaceModel,
    private readonly settings: ExtensionSettings,
    private readonly extensionUri: vscode.Uri,
    private readonly log: (line: string) => void,
  ) {
    this.disposables = [vscode.window.registerWebviewPanelSerializer(METRICS_VIEW_TYPE, this)];
  }

  open(refs: string[]): MetricsPanel {
    if (this.current) {
      this.current.show(refs);
      return this.current;
    }
    const panel = vscode.window.createWebviewPanel(
      METRICS_VIEW_TYPE,
      'Runlens Metrics',
      vscode.ViewColumn.Active,
      webviewOptions(this.extensionUri),
    );
    return this.adopt(panel, refs);
  }

  async deserializeWebviewPanel(
    panel: vscode.WebviewPanel,
    state: MetricsViewState | undefined,
  ): Promise<void> {
    this.current?.dispose();
    this.adopt(panel, Array.isArray(state?.refs) ? state.refs.filter((r) => typeof r === 'string') : []);
  }

  private adopt(panel: vscode.WebviewPanel, refs: string[]): MetricsPanel {
    const p = new MetricsPanel(panel, refs, this.model, this.settings, this.extensionUri, this.log);
    this.current = p;
    p.onDidDispose(() => {
      if (this.current === p) this.current = undefined;
    });
    return p;
  }

  dispose(): void {
    this.current?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
