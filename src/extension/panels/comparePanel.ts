import type * as vscode from 'vscode';
import { buildCompareSnapshot } from '../../core/charts/compareData';
import { SeriesCache } from '../../core/charts/panelData';
import { assertNever } from '../../protocol/common';
import type { KnownTypes } from '../../protocol/common';
import type { CompareFromWebview, CompareToWebview, CompareViewState } from '../../protocol/compare';
import type { ExtensionSettings } from '../settings';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import { resolveRuns, runsSignature } from './runRefs';
import { HostedPanel, PanelSlot } from './webviewHost';

export const COMPARE_VIEW_TYPE = 'runlens.compareRuns';

const KNOWN: KnownTypes<CompareFromWebview> = {
  ready: true,
  setBaseline: true,
  setStep: true,
  rendered: true,
};

/** What the compare webview last reported drawing. */
export interface CompareRendered {
  rows: number;
  columns: number;
}

/** The comparison of two or more runs: table, parallel coordinates, scatter. */
export class ComparePanel extends HostedPanel<CompareToWebview, CompareFromWebview, CompareRendered> {
  private readonly cache = new SeriesCache();
  private signature = '';

  constructor(
    panel: vscode.WebviewPanel,
    private refs: string[],
    private baselineRef: string | null,
    private step: number | null,
    private readonly model: WorkspaceModel,
    private readonly settings: ExtensionSettings,
    extensionUri: vscode.Uri,
    log: (line: string) => void,
  ) {
    super(panel, { extensionUri, bundle: 'compare', title: 'Runlens Compare', known: KNOWN, log });
    this.disposables.push(
      model.onDidChange(() =>
        this.debounce(() => {
          if (runsSignature(resolveRuns(this.model, this.refs).runs) !== this.signature) this.send();
        }),
      ),
    );
  }

  show(refs: string[]): void {
    this.refs = refs;
    if (this.baselineRef && !refs.includes(this.baselineRef)) this.baselineRef = null;
    this.send();
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

  protected handle(m: CompareFromWebview): void {
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
        this.rendered({ rows: m.rows, columns: m.columns });
        return;
      default:
        assertNever(m, 'compare webview message');
    }
  }
}

export class ComparePanels extends PanelSlot<ComparePanel, Partial<CompareViewState>> {
  constructor(
    model: WorkspaceModel,
    settings: ExtensionSettings,
    extensionUri: vscode.Uri,
    log: (line: string) => void,
  ) {
    super(COMPARE_VIEW_TYPE, 'Runlens Compare', extensionUri, (panel, state) => {
      const refs = Array.isArray(state?.refs) ? state.refs.filter((r) => typeof r === 'string') : [];
      const step = typeof state?.step === 'number' ? state.step : null;
      const baseline = typeof state?.baselineRef === 'string' ? state.baselineRef : null;
      return new ComparePanel(panel, refs, baseline, step, model, settings, extensionUri, log);
    });
  }

  /** Compare these runs: in the open panel, or a new one. */
  show(refs: string[]): ComparePanel {
    return this.open((p) => p.show(refs), { refs });
  }
}
