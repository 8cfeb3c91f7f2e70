import type * as vscode from 'vscode';
import { Commands } from '../ids';
import { EvaluationPanels } from '../panels/evaluationPanel';
import { GatePanels } from '../panels/gatePanel';
import type { ExtensionSettings } from '../settings';
import { registerCommands } from '../shared/registerCommand';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import { EvaluationColumns } from './evaluationColumns';
import { EvaluationCommands } from './evaluationCommands';

/**
 * "Evaluate Model...", "Open Evaluation" and "Compare to Baseline...", with their two panels.
 * The commands take the explorer node they were invoked on (or nothing: then they ask), and
 * evaluateModel also a file (vscode.Uri or path) so that tests and other code need no dialog.
 */
export class EvaluationFeature implements vscode.Disposable {
  readonly evaluation: EvaluationPanels;
  readonly gate: GatePanels;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(deps: {
    model: WorkspaceModel;
    settings: ExtensionSettings;
    extensionUri: vscode.Uri;
    output: vscode.OutputChannel;
    /** Where the columns chosen for each evaluated file are remembered (workspace state). */
    memento: vscode.Memento;
  }) {
    const { model, settings, extensionUri, output } = deps;
    const log = (line: string) => output.appendLine(line);
    this.evaluation = new EvaluationPanels(model, extensionUri, log);
    this.gate = new GatePanels(model, settings, extensionUri, log);
    const c = new EvaluationCommands(model, this, new EvaluationColumns(deps.memento), log);
    this.disposables.push(
      this.evaluation,
      this.gate,
      ...registerCommands(
        {
          [Commands.evaluateModel]: (node?: unknown, file?: vscode.Uri | string, opts?: { show?: boolean }) =>
            c.evaluate(node, file, opts),
          [Commands.openEvaluation]: (node?: unknown) => c.open(node),
          [Commands.compareToBaseline]: (node?: unknown, baselineRef?: string) =>
            c.compare(node, baselineRef),
        },
        { log },
      ),
    );
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }
}
