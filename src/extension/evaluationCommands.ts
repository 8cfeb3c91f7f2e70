import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { errorMessage } from '../core/errors';
import { evaluateFile, evaluationFile, saveEvaluation } from '../core/eval/evaluate';
import { evaluateModel, isPredictionsFile } from '../core/eval/modelEval';
import { resolveBaseline } from '../core/gate/gate';
import type { Store } from '../core/store/store';
import type { ExplorerNode } from './experimentsTree';
import { Commands } from './ids';
import type { ModelNode } from './modelsTree';
import { EvaluationPanels } from './panels/evaluationPanel';
import { GatePanels, hasDefaultBaseline, pickBaselineRef } from './panels/gatePanel';
import { runRef } from './panels/runRefs';
import type { ExtensionSettings } from './settings';
import type { FolderStore, WorkspaceModel } from './storeModel';

type Target =
  | { kind: 'run'; folder: FolderStore; store: Store; id: string }
  | { kind: 'version'; folder: FolderStore; store: Store; model: string; version: number; run: string };

/** What `runlens.evaluateModel` returns (for tests and other extensions). */
export interface EvaluateCommandResult {
  /** The run the evaluation was saved with (runRef form). */
  ref: string;
  /** Its evaluation.json. */
  file: string;
  metrics: Record<string, number>;
  /** The TensorFlow.js backend that predicted, when a model was evaluated on a data file. */
  backend: string | null;
}

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
  }) {
    const { model, settings, extensionUri, output } = deps;
    const log = (line: string) => output.appendLine(line);
    this.evaluation = new EvaluationPanels(model, extensionUri, log);
    this.gate = new GatePanels(model, settings, extensionUri, log);
    const guard =
      <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R | undefined> => {
        try {
          return await fn(...args);
        } catch (e) {
          log(`Runlens: ${errorMessage(e)}`);
          void vscode.window.showErrorMessage(`Runlens: ${errorMessage(e)}`);
          return undefined;
        }
      };

    const targetOf = (node: unknown): Target | undefined => {
      const n = node as ExplorerNode | ModelNode | undefined;
      if (!n || typeof n !== 'object') return undefined;
      const folder = 'folder' in n && typeof n.folder === 'string' ? model.byKey(n.folder) : undefined;
      const store = folder?.store;
      if (!folder || !store) return undefined;
      if (n.kind === 'run') return { kind: 'run', folder, store, id: n.id };
      if (n.kind === 'version') {
        const m = folder.models.find((x) => x.name === n.name);
        const v = m?.versions.find((x) => x.version === n.version);
        if (v) return { kind: 'version', folder, store, model: n.name, version: n.version, run: v.sourceRun };
      }
      return undefined;
    };

    const pickTarget = async (title: string, onlyEvaluated = false): Promise<Target | undefined> => {
      type Item = vscode.QuickPickItem & { target: Target };
      const items: Item[] = [];
      for (const f of model.folders) {
        const store = f.store;
        if (!store) continue;
        if (!onlyEvaluated)
          for (const m of f.models)
            for (const v of m.versions)
              items.push({
                label: `$(package) ${m.name} v${v.version}`,
                description: v.stage,
                detail: `model version · run ${v.sourceRun}`,
                target: {
                  kind: 'version',
                  folder: f,
                  store,
                  model: m.name,
                  version: v.version,
                  run: v.sourceRun,
                },
              });
        for (const e of [...f.entries.values()].sort((a, b) => b.startTime - a.startTime)) {
          if (onlyEvaluated && !fs.existsSync(evaluationFile(store, e.id))) continue;
          items.push({
            label: e.name,
            description: `${e.experiment} · ${e.status}`,
            detail: e.id,
            target: { kind: 'run', folder: f, store, id: e.id },
          });
        }
      }
      if (!items.length) {
        void vscode.window.showInformationMessage(
          onlyEvaluated
            ? 'Runlens: no run has an evaluation yet. Use "Runlens: Evaluate Model..." first.'
            : 'Runlens: there are no runs yet.',
        );
        return undefined;
      }
      return (
        await vscode.window.showQuickPick(items, { title, matchOnDescription: true, matchOnDetail: true })
      )?.target;
    };

    const evaluate = async (
      node?: unknown,
      file?: vscode.Uri | string,
    ): Promise<EvaluateCommandResult | undefined> => {
      const target = targetOf(node) ?? (await pickTarget('Evaluate which run or model version?'));
      if (!target) return undefined;
      let path = typeof file === 'string' ? file : file?.fsPath;
      if (!path) {
        const picked = await vscode.window.showOpenDialog({
          title: 'A predictions file (label, prediction, score…) or a data file for the model to predict',
          defaultUri: target.folder.folder.uri,
          canSelectMany: false,
          filters: { 'CSV or JSON Lines': ['csv', 'jsonl', 'ndjson'], 'All files': ['*'] },
          openLabel: 'Evaluate',
        });
        path = picked?.[0]?.fsPath;
        if (!path) return undefined;
      }
      const runId = target.kind === 'run' ? target.id : target.run;
      const modelRef = target.kind === 'run' ? target.id : `${target.model}@v${target.version}`;
      const file_ = path;
      const { result, backend } = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Runlens: evaluating ${file_}` },
        async () => {
          if (isPredictionsFile(file_)) return { result: await evaluateFile(file_), backend: null };
          const e = await evaluateModel(target.store, modelRef, file_);
          return { result: e.result, backend: e.backend };
        },
      );
      await saveEvaluation(target.store, runId, result);
      if (backend) log(`Evaluated ${modelRef} on ${file_} (${backend})`);
      for (const w of result.warnings) log(`warning: ${w.message}`);
      const ref = runRef(target.folder.folder.uri.toString(), runId);
      this.evaluation.show(ref);
      return { ref, file: evaluationFile(target.store, runId), metrics: result.metrics, backend };
    };

    const open = async (node?: unknown): Promise<string | undefined> => {
      const target = targetOf(node) ?? (await pickTarget('Open the evaluation of which run?', true));
      if (!target) return undefined;
      const runId = target.kind === 'run' ? target.id : target.run;
      const ref = runRef(target.folder.folder.uri.toString(), runId);
      this.evaluation.show(ref);
      return ref;
    };

    const compare = async (node?: unknown, baselineRef?: string): Promise<string | undefined> => {
      const target = targetOf(node) ?? (await pickTarget('Compare which candidate run with its baseline?'));
      if (!target) return undefined;
      const runId = target.kind === 'run' ? target.id : target.run;
      const folderKey = target.folder.folder.uri.toString();
      let baseline: string | null = baselineRef ?? null;
      if (baseline === null) {
        const experiment = target.store.getRun(runId).experiment;
        if (!hasDefaultBaseline(target.store, experiment)) {
          const chosen = await pickBaselineRef(model, folderKey, runId);
          if (chosen === undefined) return undefined;
          baseline = chosen;
        }
      } else {
        // Fail here, with the reason, rather than in an empty panel.
        resolveBaseline(target.store, target.store.getRun(runId).experiment, baseline);
      }
      const ref = runRef(folderKey, runId);
      this.gate.show(ref, baseline);
      return ref;
    };

    this.disposables.push(
      this.evaluation,
      this.gate,
      vscode.commands.registerCommand(Commands.evaluateModel, guard(evaluate)),
      vscode.commands.registerCommand(Commands.openEvaluation, guard(open)),
      vscode.commands.registerCommand(Commands.compareToBaseline, guard(compare)),
    );
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }
}
