import * as vscode from 'vscode';
import { buildCompareSnapshot } from '../../core/charts/compareData';
import { SeriesCache } from '../../core/charts/panelData';
import { assertNever } from '../../protocol/common';
import type { CompareFromWebview, CompareToWebview, CompareViewState } from '../../protocol/compare';
import type { ExtensionSettings } from '../settings';
import type { WorkspaceModel } from '../storeModel';
import { resolveRuns, runsSignature } from './runRefs';
import { WebviewHost, webviewHtml, webviewOptions } from './webviewHost';

export const COMPARE_VIEW_TYPE = 'runlens.compareRuns';

const KNOWN: CompareFromWebview['type'][] = ['ready', 'setBaseline', 'setStep', 'rendered'];

/** The comparison of two or more runs: table, parallel coordinates, scatter. */
export class ComparePanel implements vscode.Disposable {
  private readonly host: WebviewHost<CompareToWebview, CompareFromWebview>;
  private readonly cache = new SeriesCache();
  private readonly disposables: vscode.Disposable[] = [];
  private signature = '';
  private timer: NodeJS.Timeout | undefined;
  lastRendered: { rows: number; columns: number } | undefined;
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private refs: string[],
    private baselineRef: string | null,
    private step: number | null,
    private readonly model: WorkspaceModel,
    private readonly settings: ExtensionSettings,
    extensionUri: vscode.Uri,
    log: (line: string) => void,
  ) {
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'compare', 'Runlens Compare');
    this.host = new WebviewHost(panel, KNOWN, (m) => this.handle(m), log);
    this.disposables.push(
      this.host,
      model.onDidChange(() => this.schedule()),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  show(refs: string[]): void {
    this.refs = refs;
    if (this.baselineRef && !refs.includes(this.baselineRef)) this.baselineRef = null;
    this.panel.reveal();
    this.send();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (runsSignature(resolveRuns(this.model, this.refs).runs) !== this.signature) this.send();
    }, 150);
  }

  private send(): void {
    if (!this.host.ready) return;
    const { runs, notices } = resolveRuns(this.model, this.refs);
    this.signature = runsSignature(runs);
    const snapshot = buildCompareSnapshot(
      runs.map((r) => ({ ...r, record: r.record() })),
      {
        cache: this.cache,
        baselineRef: this.baselineRef,
        step: this.step,
        goals: this.settings.metricGoals(),
        notices,
      },
    );
    this.panel.title = `Compare ${runs.length} runs`;
    this.host.post({ type: 'snapshot', snapshot });
  }

  private handle(m: CompareFromWebview): void {
    switch (m.type) {
      case 'ready':
        this.send();
        return;
      case 'setBaseline':
        this.baselineRef = m.ref;
        this.send();
        return;
      case 'setStep':
        this.step = m.step;
        this.send();
        return;
      case 'rendered':
        this.lastRendered = { rows: m.rows, columns: m.columns };
        return;
      default:
        assertNever(m, 'compare webview message');
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
    this.panel.dispose();
  }
}

export class ComparePanels implements vscode.Disposable, vscode.WebviewPanelSerializer<CompareViewState> {
  current: ComparePanel | undefined;
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly model: WorkspaceModel,
    private readonly settings: ExtensionSettings,
    private readonly extensionUri: vscode.Uri,
    private readonly log: (line: string) => void,
  ) {
    this.disposables = [vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, this)];
  }

  open(refs: string[]): ComparePanel {
    if (this.current) {
      this.current.show(refs);
      return this.current;
    }
    const panel = vscode.window.createWebviewPanel(
      COMPARE_VIEW_TYPE,
      'Runlens Compare',
      vscode.ViewColumn.Active,
      webviewOptions(this.extensionUri),
    );
    return this.adopt(panel, refs, null, null);
  }

  async deserializeWebviewPanel(
    panel: vscode.WebviewPanel,
    state: CompareViewState | undefined,
  ): Promise<void> {
    this.current?.dispose();
    const refs = Array.isArray(state?.refs) ? state.refs.filter((r) => typeof r === 'string') : [];
    this.adopt(panel, refs, state?.baselineRef ?? null, typeof state?.step === 'number' ? state.step : null);
  }

  private adopt(
    panel: vscode.WebviewPanel,
    refs: string[],
    baseline: string | null,
    step: number | null,
  ): ComparePanel {
    const p = new ComparePanel(
      panel,
      refs,
      baseline,
      step,
      this.model,
      this.settings,
      this.extensionUri,
      this.log,
    );
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
