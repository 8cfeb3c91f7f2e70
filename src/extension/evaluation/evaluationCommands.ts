import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { evaluateFile, evaluationFile, saveEvaluation } from '../../core/eval/evaluate';
import { evaluateModel, isPredictionsFile } from '../../core/eval/modelEval';
import { resolveBaseline } from '../../core/gate/gate';
import type { Store } from '../../core/store/store';
import type { ExplorerNode } from '../runs/experimentsTree';
import type { ModelNode } from '../models/modelsTree';
import type { EvaluationPanels } from '../panels/evaluationPanel';
import type { GatePanels } from '../panels/gatePanel';
import { hasDefaultBaseline, pickBaselineRef } from '../panels/gatePanel';
import { runRef } from '../panels/runRefs';
import type { FolderStore, WorkspaceModel } from '../workspace/workspaceModel';
import type { ChosenColumns, EvaluationColumns } from './evaluationColumns';
import { isMissingTarget } from './evaluationColumns';

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

/** Evaluate Model, Open Evaluation and Compare to Baseline on a run or a model version. */
export class EvaluationCommands {
  constructor(
    private readonly model: WorkspaceModel,
    private readonly panels: { evaluation: EvaluationPanels; gate: GatePanels },
    private readonly columns: EvaluationColumns,
    private readonly log: (line: string) => void,
  ) {}

  private targetOf(node: unknown): Target | undefined {
    const { model } = this;
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
  }

  private async pickTarget(title: string, onlyEvaluated = false): Promise<Target | undefined> {
    const { model } = this;
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
  }

  async evaluate(
    node?: unknown,
    file?: vscode.Uri | string,
    opts?: { show?: boolean },
  ): Promise<EvaluateCommandResult | undefined> {
    const { columns, log } = this;
    const target = this.targetOf(node) ?? (await this.pickTarget('Evaluate which run or model version?'));
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
    const predictions = isPredictionsFile(file_);
    let chosen = await columns.choose(file_, predictions ? 'predictions' : 'data');
    if (!chosen) return undefined;
    const run = (c: ChosenColumns) =>
      vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Runlens: evaluating ${vscode.workspace.asRelativePath(file_, false)}`,
        },
        async () => {
          if (predictions) return { result: await evaluateFile(file_, c), backend: null };
          const e = await evaluateModel(target.store, modelRef, file_, { target: c.labelColumn });
          return { result: e.result, backend: e.backend };
        },
      );
    let out: Awaited<ReturnType<typeof run>>;
    try {
      out = await run(chosen);
    } catch (e) {
      // The model's target column is not in the data: ask which one it is, then try once more.
      if (predictions || !isMissingTarget(e)) throw e;
      chosen = await columns.choose(file_, 'data', true);
      if (!chosen) return undefined;
      out = await run(chosen);
    }
    const { result, backend } = out;
    await saveEvaluation(target.store, runId, result);
    if (backend) log(`Evaluated ${modelRef} on ${file_} (${backend})`);
    for (const w of result.warnings) log(`warning: ${w.message}`);
    const ref = runRef(target.folder.folder.uri.toString(), runId);
    if (opts?.show !== false) this.panels.evaluation.show(ref);
    return { ref, file: evaluationFile(target.store, runId), metrics: result.metrics, backend };
  }

  async open(node?: unknown): Promise<string | undefined> {
    const target = this.targetOf(node) ?? (await this.pickTarget('Open the evaluation of which run?', true));
    if (!target) return undefined;
    const runId = target.kind === 'run' ? target.id : target.run;
    const ref = runRef(target.folder.folder.uri.toString(), runId);
    this.panels.evaluation.show(ref);
    return ref;
  }

  async compare(node?: unknown, baselineRef?: string): Promise<string | undefined> {
    const { model } = this;
    const target =
      this.targetOf(node) ?? (await this.pickTarget('Compare which candidate run with its baseline?'));
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
    this.panels.gate.show(ref, baseline);
    return ref;
  }
}
