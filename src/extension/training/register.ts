import type * as vscode from 'vscode';
import { Commands } from '../ids';
import type { ExplorerNode } from '../runs/experimentsTree';
import type { RunSelection } from '../runs/runSelection';
import { registerCommands } from '../shared/registerCommand';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import { TrainingCommands } from './trainingCommands';
import type { TrainingLauncher } from './trainingLauncher';

/** Launch (one run or a sweep), run the open script, re-run, stop, show a run's output. */
export function registerTrainingCommands(deps: {
  model: WorkspaceModel;
  launcher: TrainingLauncher;
  runs: RunSelection;
  state: vscode.Memento;
}): vscode.Disposable[] {
  const c = new TrainingCommands(deps.model, deps.launcher, deps.runs, deps.state);
  return registerCommands({
    [Commands.launchTraining]: () => c.launch(false),
    [Commands.launchTrainingWithParams]: () => c.launch(true),
    [Commands.runScript]: (uri?: vscode.Uri) => c.runScript(uri),
    [Commands.rerun]: (node?: ExplorerNode) => c.rerun(node),
    [Commands.stopRun]: (node?: ExplorerNode) => c.stop(node),
    [Commands.showOutput]: (node?: ExplorerNode) => c.showOutput(node),
  });
}
