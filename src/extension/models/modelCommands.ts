import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PIPELINE_FILE, loadPipeline } from '../../core/pipeline/parse';
import { pipelineModels } from '../../core/pipeline/stageRuns';
import type { PipelineModel } from '../../core/pipeline/stageRuns';
import { Registry, STAGES } from '../../core/store/registry';
import type { Stage } from '../../core/store/registry';
import type { ExplorerNode } from '../runs/experimentsTree';
import type { RunSelection } from '../runs/runSelection';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import { modelNameError, suggestedModelName } from './modelChoices';
import type { ModelNode } from './modelsTree';
import { pickVersion } from './pickers';

/** Register, promote and pin models and baselines in a store's registry. */
export class ModelCommands {
  constructor(
    private readonly model: WorkspaceModel,
    private readonly runs: RunSelection,
  ) {}

  async setRunBaseline(node?: ExplorerNode): Promise<void> {
    const run = await this.runs.one(node, 'Pin which run as its experiment baseline?');
    if (!run) return;
    const f = this.runs.folderOf(run);
    const entry = f.entries.get(run.id)!;
    await new Registry(f.store!).setBaseline(entry.experiment, { run: run.id });
    void vscode.window.showInformationMessage(
      `Runlens: "${entry.name}" is the baseline of experiment "${entry.experiment}".`,
    );
  }

  async register(node?: ExplorerNode): Promise<void> {
    const run = await this.runs.one(node, 'Register the model of which run?');
    if (!run) return;
    const f = this.runs.folderOf(run);
    const registry = new Registry(f.store!);
    const models = registry.listModels();
    const existing = models.map((m) => m.name);
    const entry = f.entries.get(run.id)!;
    const pipeline = workspacePipelineModels(f.folder.uri.fsPath);
    const fromPipeline = pipeline.find((m) => m.experiment === entry.experiment);
    const name = await vscode.window.showInputBox({
      title: 'Register Model',
      prompt: [
        fromPipeline ? `The pipeline's ${fromPipeline.stage} stage registers ${fromPipeline.model}.` : '',
        existing.length ? `A new name, or an existing model: ${existing.join(', ')}` : 'Model name',
      ]
        .filter(Boolean)
        .join(' '),
      value: suggestedModelName({ experiment: entry.experiment, existing: models, pipeline }),
      validateInput: modelNameError,
    });
    if (!name) return;
    const mv = await registry.register(name, run.id);
    f.refresh(false);
    void vscode.window.showInformationMessage(
      `Runlens: registered ${name} version ${mv.version} (${mv.files.length} files).`,
    );
  }

  async promote(node?: ModelNode): Promise<void> {
    const target = node?.kind === 'version' ? node : await pickVersion(this.model);
    if (!target) return;
    const f = this.model.byKey(target.folder)!;
    const stage = await vscode.window.showQuickPick(
      STAGES.map((s) => ({ label: s })),
      { title: `Promote ${target.name} v${target.version} to` },
    );
    if (!stage) return;
    const mv = await new Registry(f.store!).promote(target.name, target.version, stage.label as Stage);
    f.refresh(false);
    void vscode.window.showInformationMessage(
      `Runlens: ${target.name} v${mv.version} is now in ${mv.stage}.`,
    );
  }

  async setVersionBaseline(node?: ModelNode): Promise<void> {
    const target = node?.kind === 'version' ? node : await pickVersion(this.model);
    if (!target) return;
    const f = this.model.byKey(target.folder)!;
    const registry = new Registry(f.store!);
    const mv = registry.getVersion(target.name, target.version);
    await registry.setBaseline(mv.experiment, { run: mv.sourceRun });
    void vscode.window.showInformationMessage(
      `Runlens: ${target.name} v${mv.version} (run ${mv.sourceRun}) is the baseline of "${mv.experiment}".`,
    );
  }
}

/** The models the workspace folder's runlens.yaml registers; none when there is none or it does not parse. */
function workspacePipelineModels(folder: string): PipelineModel[] {
  const file = path.join(folder, PIPELINE_FILE);
  if (!fs.existsSync(file)) return [];
  try {
    return pipelineModels(loadPipeline(file));
  } catch {
    return []; // the Pipeline view and the Problems panel report what is wrong with the file
  }
}
