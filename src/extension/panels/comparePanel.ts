import * as vscode from 'vscode';
import { buildCompareSnapshot } from '../../core/charts/compareData';
import { SeriesCache } from '../../core/charts/panelData';
import { errorMessage } from '../../core/errors';
import { diffRuns } from '../../core/repro/diff';
import { whatChangedData, whatChangedPair } from '../../core/repro/diffView';
import { assertNever } from '../../protocol/common';
import type { KnownTypes } from '../../protocol/common';
import type {
  CompareFromWebview,
  CompareToWebview,
  CompareViewState,
  WhatChangedView,
} from '../../protocol/compare';
import { Commands } from '../ids';
import type { ExplorerNode } from '../runs/experimentsTree';
import type { ExtensionSettings } from '../settings';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import type { ResolvedRun } from './runRefs';
import { parseRef, resolveRuns, runsSignature } from './runRefs';
import { HostedPanel, PanelSlot } from './webviewHost';

export const COMPARE_VIEW_TYPE = 'runlens.compareRuns';

const KNOWN: KnownTypes<CompareFromWebview> = {
  ready: true,
  setBaseline: true,
  setStep: true,
  rendered: true,
  setWhatChanged: true,
  openCodeDiff: true,
};

/** What the compare webview last reported drawing. */
export interface CompareRendered {
  rows: number;
  columns: number;
}

/** The comparison of two or more runs: table, parallel coordinates, scatter, what changed. */
export class ComparePanel extends HostedPanel<CompareToWebview, CompareFromWebview, CompareRendered> {
  private readonly cache = new SeriesCache();
  private signature = '';
  /** The pair (and their signature) of the last "What Changed" view, and that view. */
  private whatChanged: { key: string; view: WhatChangedView } | undefined;
  private disposed = false;

  constructor(
    panel: vscode.WebviewPanel,
    private refs: string[],
    private baselineRef: string | null,
    private step: number | null,
    private whatChangedRef: string | null,
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
      panel.onDidDispose(() => (this.disposed = true)),
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
    this.sendWhatChanged(runs);
  }

  /**
   * The "What Changed" section for the pair the runs and the baseline make: the same diff as
   * `runlens diff`, computed again only when the pair or either of its runs changed.
   */
  private sendWhatChanged(runs: ResolvedRun[]): void {
    const pair = whatChangedPair(
      runs.map((r) => ({ ref: r.ref, startTime: r.entry.startTime })),
      this.baselineRef,
      this.whatChangedRef,
    );
    if ('none' in pair) {
      this.whatChanged = undefined;
      this.host.post({ type: 'whatChanged', view: { state: 'none', message: pair.none } });
      return;
    }
    const [ra, rb] = [pair.a, pair.b].map((ref) => runs.find((r) => r.ref === ref)!);
    const key = `${pair.a}\n${pair.b}\n${runsSignature([ra, rb])}`;
    if (this.whatChanged?.key === key) {
      this.host.post({ type: 'whatChanged', view: this.whatChanged.view });
      return;
    }
    const a = { ref: ra.ref, name: ra.entry.name };
    const b = { ref: rb.ref, name: rb.entry.name };
    const post = (view: WhatChangedView) => {
      if (this.disposed || this.whatChanged?.key !== key) return;
      this.whatChanged = { key, view };
      this.host.post({ type: 'whatChanged', view });
    };
    this.whatChanged = { key, view: { state: 'computing', a, b } };
    this.host.post({ type: 'whatChanged', view: this.whatChanged.view });
    const [pa, pb] = [parseRef(a.ref), parseRef(b.ref)];
    const store = this.model.byKey(pa.folder)?.store;
    if (pa.folder !== pb.folder || !store) {
      post({ state: 'error', a, b, message: 'The two runs are in different workspace folders.' });
      return;
    }
    diffRuns(store, pa.id, pb.id).then(
      (d) => post({ state: 'ready', a, b, diff: whatChangedData(d, this.settings.metricGoals()) }),
      (e: unknown) => post({ state: 'error', a, b, message: errorMessage(e) }),
    );
  }

  /** VS Code's diff editor over the code of the two runs, through the What Changed command. */
  private async openCodeDiff(refA: string, refB: string): Promise<void> {
    const nodes = [refA, refB].map((ref): ExplorerNode => ({ kind: 'run', ...parseRef(ref) }));
    await vscode.commands.executeCommand(Commands.whatChanged, nodes[0], nodes, { keepOrder: true });
  }

  protected handle(m: CompareFromWebview): void | Promise<void> {
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
      case 'setWhatChanged':
        this.whatChangedRef = m.ref;
        this.send();
        return;
      case 'openCodeDiff':
        return this.openCodeDiff(m.a, m.b);

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
      const other = typeof state?.whatChangedRef === 'string' ? state.whatChangedRef : null;
      return new ComparePanel(panel, refs, baseline, step, other, model, settings, extensionUri, log);
    });
  }

  /** Compare these runs: in the open panel, or a new one. */
  show(refs: string[]): ComparePanel {
    return this.open((p) => p.show(refs), { refs });
  }
}
