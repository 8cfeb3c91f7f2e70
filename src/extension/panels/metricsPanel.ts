import type * as vscode from 'vscode';
import {
  SeriesCache,
  buildMetricsSnapshot,
  pointBudget,
  seriesCsv,
  zoomSeries,
} from '../../core/charts/panelData';
import { assertNever } from '../../protocol/common';
import type { KnownTypes } from '../../protocol/common';
import type {
  MetricsFromWebview,
  MetricsToWebview,
  MetricsViewState,
  RenderedChart,
} from '../../protocol/metrics';
import type { ExtensionSettings } from '../settings';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import { allRuns, resolveRuns, runsSignature } from './runRefs';
import { HostedPanel, PanelSlot, safeFileName, saveWithDialog } from './webviewHost';

export const METRICS_VIEW_TYPE = 'runlens.metricsChart';

const KNOWN: KnownTypes<MetricsFromWebview> = {
  ready: true,
  resize: true,
  selectRuns: true,
  zoom: true,
  exportPng: true,
  exportCsv: true,
  painted: true,
  rendered: true,
};

/** What the webview last reported drawing: for integration tests and diagnostics. */
export interface MetricsRendered {
  charts: RenderedChart[];
  series: number;
  points: number;
}

/** The metrics chart panel: one chart per metric key, one line per shown run, live while runs train. */
export class MetricsPanel extends HostedPanel<MetricsToWebview, MetricsFromWebview, MetricsRendered> {
  private readonly cache = new SeriesCache();
  private width = 600;
  private signature = '';

  constructor(
    panel: vscode.WebviewPanel,
    private refs: string[],
    private readonly model: WorkspaceModel,
    private readonly settings: ExtensionSettings,
    extensionUri: vscode.Uri,
    log: (line: string) => void,
  ) {
    super(panel, { extensionUri, bundle: 'metrics', title: 'Runlens Metrics', known: KNOWN, log });
    this.disposables.push(
      model.onDidChange(() =>
        this.debounce(() => {
          // Only a shown run's new points, status or name (or its deletion) needs a new snapshot.
          if (runsSignature(resolveRuns(this.model, this.refs).runs) !== this.signature) this.sendSnapshot();
        }),
      ),
    );
  }

  show(refs: string[]): void {
    this.refs = refs;
    this.signature = '';
    this.sendSnapshot();
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

  protected async handle(m: MetricsFromWebview): Promise<void> {
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
      case 'painted':
        return;
      case 'rendered':
        this.rendered({ charts: m.charts, series: m.series, points: m.points });
        return;
      default:
        assertNever(m, 'metrics webview message');
    }
  }
}

/** Opens, reuses and restores the metrics panel; the serializer brings it back after a reload. */
export class MetricsPanels extends PanelSlot<MetricsPanel, Partial<MetricsViewState>> {
  constructor(
    model: WorkspaceModel,
    settings: ExtensionSettings,
    extensionUri: vscode.Uri,
    log: (line: string) => void,
  ) {
    super(METRICS_VIEW_TYPE, 'Runlens Metrics', extensionUri, (panel, state) => {
      const refs = Array.isArray(state?.refs) ? state.refs.filter((r) => typeof r === 'string') : [];
      return new MetricsPanel(panel, refs, model, settings, extensionUri, log);
    });
  }

  /** Chart these runs: in the open panel, or a new one. */
  show(refs: string[]): MetricsPanel {
    return this.open((p) => p.show(refs), { refs });
  }
}
