import * as fs from 'node:fs';
import type * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import { evaluationFile, readEvaluation } from '../../core/eval/evaluate';
import { evaluationSnapshot } from '../../core/eval/view';
import { Registry } from '../../core/store/registry';
import { assertNever } from '../../protocol/common';
import type { KnownTypes } from '../../protocol/common';
import type {
  EvaluationFromWebview,
  EvaluationToWebview,
  EvaluationViewState,
  RenderedEvalChart,
} from '../../protocol/evaluation';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import { parseRef, runRef } from './runRefs';
import { HostedPanel, PanelSlot } from './webviewHost';

export const EVALUATION_VIEW_TYPE = 'runlens.evaluation';

const KNOWN: KnownTypes<EvaluationFromWebview> = { ready: true, rendered: true };

/** What the webview last reported drawing: for integration tests and diagnostics. */
export interface EvaluationRendered {
  ref: string;
  cards: number;
  charts: RenderedEvalChart[];
  normalized: boolean;
}

function mtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** One run's evaluation (evaluation.json): metric cards, confusion matrix, curves, slices. */
export class EvaluationPanel extends HostedPanel<
  EvaluationToWebview,
  EvaluationFromWebview,
  EvaluationRendered
> {
  private signature = '';

  constructor(
    panel: vscode.WebviewPanel,
    private ref: string,
    private readonly model: WorkspaceModel,
    extensionUri: vscode.Uri,
    log: (line: string) => void,
  ) {
    super(panel, { extensionUri, bundle: 'evaluation', title: 'Runlens Evaluation', known: KNOWN, log });
    this.disposables.push(
      // A new evaluation of the run (or of its baseline) is written by the CLI or a pipeline too.
      model.onDidChange(() =>
        this.debounce(() => {
          if (this.currentSignature() !== this.signature) this.send();
        }),
      ),
    );
  }

  get runRef(): string {
    return this.ref;
  }

  show(ref: string): void {
    this.ref = ref;
    this.signature = '';
    this.send();
  }

  private resolve() {
    const { id, folder } = parseRef(this.ref);
    const f = this.model.byKey(folder);
    const entry = f?.entries.get(id);
    const store = f?.store;
    if (!f || !store || !entry) return undefined;
    let baselineId: string | undefined;
    try {
      baselineId = new Registry(store).baselineRun(entry.experiment);
    } catch {
      baselineId = undefined;
    }
    return { f, store, entry, baselineId: baselineId === id ? undefined : baselineId };
  }

  private currentSignature(): string {
    const r = this.resolve();
    if (!r) return 'gone';
    const base = r.baselineId ? `${r.baselineId}:${mtime(evaluationFile(r.store, r.baselineId))}` : '';
    return `${this.ref}:${mtime(evaluationFile(r.store, r.entry.id))}:${r.entry.name}:${base}`;
  }

  private send(): void {
    if (!this.host.ready) return;
    this.signature = this.currentSignature();
    const r = this.resolve();
    if (!r) {
      this.host.post({
        type: 'empty',
        text: `Run ${parseRef(this.ref).id} is no longer in the store (deleted or moved).`,
      });
      return;
    }
    this.panel.title = `Evaluation: ${r.entry.name}`;
    let result;
    try {
      result = readEvaluation(r.store, r.entry.id);
    } catch (e) {
      this.host.post({ type: 'empty', text: errorMessage(e) });
      return;
    }
    if (!result) {
      this.host.post({
        type: 'empty',
        text: `Run ${r.entry.name} has no evaluation yet: run "Runlens: Evaluate Model..." on it, or \`runlens eval FILE --run ${r.entry.id}\`.`,
      });
      return;
    }
    let baseline;
    if (r.baselineId) {
      try {
        const b = readEvaluation(r.store, r.baselineId);
        const name = r.f.entries.get(r.baselineId)?.name ?? r.baselineId;
        if (b) baseline = { ref: runRef(r.f.folder.uri.toString(), r.baselineId), name, result: b };
      } catch {
        // A damaged baseline evaluation only loses the overlay.
      }
    }
    const snapshot = evaluationSnapshot(
      { ref: this.ref, id: r.entry.id, name: r.entry.name, experiment: r.entry.experiment },
      result,
      baseline,
    );
    this.host.post({ type: 'snapshot', snapshot });
  }

  protected handle(m: EvaluationFromWebview): void {
    switch (m.type) {
      case 'ready':
        this.send();
        return;
      case 'rendered':
        this.rendered({ ref: this.ref, cards: m.cards, charts: m.charts, normalized: m.normalized });
        return;
      default:
        assertNever(m, 'evaluation webview message');
    }
  }
}

/** Opens, reuses and restores the evaluation panel; the serializer brings it back after a reload. */
export class EvaluationPanels extends PanelSlot<EvaluationPanel, Partial<EvaluationViewState>> {
  constructor(model: WorkspaceModel, extensionUri: vscode.Uri, log: (line: string) => void) {
    super(EVALUATION_VIEW_TYPE, 'Runlens Evaluation', extensionUri, (panel, state) => {
      const ref = typeof state?.ref === 'string' ? state.ref : '';
      return new EvaluationPanel(panel, ref, model, extensionUri, log);
    });
  }

  show(ref: string): EvaluationPanel {
    return this.open((p) => p.show(ref), { ref });
  }
}
