import type * as vscode from 'vscode';
import { Commands } from '../ids';
import type { ExplorerNode } from '../runs/experimentsTree';
import type { RunSelection } from '../runs/runSelection';
import { registerCommands } from '../shared/registerCommand';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import { ModelCommands } from './modelCommands';
import type { ModelNode } from './modelsTree';

/** The registry's commands: register a run's model, promote a version, pin baselines. */
export function registerModelCommands(model: WorkspaceModel, runs: RunSelection): vscode.Disposable[] {
  const c = new ModelCommands(model, runs);
  return registerCommands({
    [Commands.setBaseline]: (node?: ExplorerNode) => c.setRunBaseline(node),
    [Commands.registerModel]: (node?: ExplorerNode) => c.register(node),
    [Commands.promoteModel]: (node?: ModelNode) => c.promote(node),
    [Commands.setModelBaseline]: (node?: ModelNode) => c.setVersionBaseline(node),
  });
}
