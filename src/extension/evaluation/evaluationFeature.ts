import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { evaluateFile, evaluationFile, saveEvaluation } from '../../core/eval/evaluate';
import { openTable } from '../../core/data/table';
import { evaluateModel, isPredictionsFile } from '../../core/eval/modelEval';
import { resolveBaseline } from '../../core/gate/gate';
import type { Store } from '../../core/store/store';
import type { ExplorerNode } from '../runs/experimentsTree';
import { Commands } from '../ids';
import type { ModelNode } from '../models/modelsTree';
import { EvaluationPanels } from '../panels/evaluationPanel';
import { GatePanels, hasDefaultBaseline, pickBaselineRef } from '../panels/gatePanel';
import { runRef } from '../panels/runRefs';
import type { ExtensionSettings } from '../settings';
import type { FolderStore, WorkspaceModel } from '../workspace/workspaceModel';
import { registerCommands } from '../shared/registerCommand';

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
    /** Where the columns chosen for each evaluated file are remembered (workspace state). */
    memento: vscode.Memento;
  }) {
    const { model, settings, extensionUri, output } = deps;
    const log = (line: string) => output.appendLine(line);
    this.evaluation = new EvaluationPanels(model, extensionUri, log);
    this.gate = new GatePanels(model, settings, extensionUri, log);
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

    const columns = new EvaluationColumns(deps.memento);
    const evaluate = async (
      node?: unknown,
      file?: vscode.Uri | string,
      opts?: { show?: boolean },
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
      if (opts?.show !== false) this.evaluation.show(ref);
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
      ...registerCommands(
        {
          [Commands.evaluateModel]: evaluate,
          [Commands.openEvaluation]: open,
          [Commands.compareToBaseline]: compare,
        },
        { log },
      ),
    );
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }
}

/** The columns of an evaluated file: label (or the model's target), prediction and score. */
interface ChosenColumns {
  labelColumn?: string;
  predictionColumn?: string;
  scoreColumn?: string;
}

function isMissingTarget(e: unknown): boolean {
  return e instanceof Error && /: no column ".*" \(the true (label|value)\)/.test(e.message);
}

async function headerOf(file: string): Promise<string[]> {
  const t = await openTable(file);
  const it = t.rows[Symbol.asyncIterator]();
  await it.return?.();
  return t.header;
}

/**
 * Which column of a file holds the label (prediction, score): the usual names when the file has
 * them, else a pick among the file's columns, remembered per file for the next evaluation.
 */
class EvaluationColumns {
  constructor(private readonly memento: vscode.Memento) {}

  private key(file: string): string {
    return `runlens.evaluationColumns:${file}`;
  }

  async choose(
    file: string,
    kind: 'predictions' | 'data',
    askTarget = false,
  ): Promise<ChosenColumns | undefined> {
    const remembered = this.memento.get<ChosenColumns>(this.key(file));
    const header = await headerOf(file);
    const usable = (c: ChosenColumns | undefined) =>
      c !== undefined &&
      [c.labelColumn, c.predictionColumn, c.scoreColumn].every((x) => !x || header.includes(x));
    if (!askTarget && usable(remembered)) return remembered;
    const chosen: ChosenColumns = {};
    if (kind === 'data' && !askTarget) return {};
    if (kind === 'data' || !header.includes('label')) {
      const label = await pickColumn(
        header,
        `Which column of ${baseName(file)} holds the true label?`,
        false,
      );
      if (label === undefined) return undefined;
      chosen.labelColumn = label ?? undefined;
    }
    if (kind !== 'data') {
      const rest = header.filter((c) => c !== (chosen.labelColumn ?? 'label'));
      const hasPrediction = header.includes('prediction');
      const hasScore = header.includes('score') || header.some((c) => /^score_./.test(c));
      if (!hasPrediction && !hasScore) {
        const p = await pickColumn(rest, 'Which column holds the predicted label?', true);
        if (p === undefined) return undefined;
        if (p) chosen.predictionColumn = p;
        const sc = await pickColumn(
          rest.filter((c) => c !== p),
          'Which column holds the score (probability of the positive class)?',
          true,
        );
        if (sc === undefined) return undefined;
        if (sc) chosen.scoreColumn = sc;
      }
    }
    await this.memento.update(this.key(file), chosen);
    return chosen;
  }
}

function baseName(file: string): string {
  return vscode.workspace.asRelativePath(file, false);
}

/** A column of the header; null when the user chose "none" (only offered when optional). */
async function pickColumn(
  header: string[],
  title: string,
  optional: boolean,
): Promise<string | null | undefined> {
  const items: (vscode.QuickPickItem & { column: string | null })[] = header.map((c) => ({
    label: c,
    column: c,
  }));
  if (optional) items.push({ label: '(none)', description: 'the file has no such column', column: null });
  const picked = await vscode.window.showQuickPick(items, { title, ignoreFocusOut: true });
  return picked === undefined ? undefined : picked.column;
}
