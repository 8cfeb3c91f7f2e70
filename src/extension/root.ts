import * as vscode from 'vscode';
import type { RunResult } from '../core/tracking/launcher';
import type { LaunchRequest } from './training/trainingLauncher';
import { CodeLensController } from './lens/codeLensController';
import { registerModelCommands } from './models/register';
import { registerRunCommands } from './runs/register';
import { RunSelection } from './runs/runSelection';
import { registerTrainingCommands } from './training/register';
import { registerReproCommands } from './repro/register';
import { registerWorkspaceCommands } from './workspace/register';
import { DataValidation } from './data/dataValidation';
import { registerDataCommands } from './data/register';
import { DriftCommands } from './drift/driftCommands';
import { registerDriftCommands } from './drift/register';
import { createPipeline } from './pipeline/pipelineTree';
import type { PipelineApi } from './pipeline/pipelineTree';
import { PipelineDiagnostics } from './pipeline/pipelineDiagnostics';
import { Serving } from './serving/serving';
import { registerServingCommands } from './serving/register';
import { registerImportCommands } from './import/register';
import { EvaluationFeature } from './evaluation/evaluationFeature';
import { ExperimentsTree } from './runs/experimentsTree';
import type { ExplorerNode } from './runs/experimentsTree';
import { Commands, ContextKeys, Settings, Views } from './ids';
import { ModelsTree } from './models/modelsTree';
import { registerPanels } from './panels/register';
import type { Panels } from './panels/register';
import { ExtensionSettings } from './settings';
import { StatusBar } from './runs/statusBar';
import { WorkspaceModel } from './workspace/workspaceModel';
import { registerTerminalCli } from './terminal/terminalCli';
import { TeamView } from './team/teamView';
import { registerTeamCommands } from './team/register';
import { TrainingLauncher } from './training/trainingLauncher';

/** What activate() returns: the live services, for integration tests and other extensions. */
export interface RunlensApi {
  model: WorkspaceModel;
  experiments: ExperimentsTree;
  models: ModelsTree;
  launcher: TrainingLauncher;
  /** The chart panels; `panels.metrics.current?.lastRendered` is what the webview last drew. */
  panels: Panels;
  serving: Serving;
  /** The Pipeline view, its shared runner and continuous training. */
  pipeline: PipelineApi;
  /** Drift checks; `drift.panels.current?.lastRendered` is what the drift webview last drew. */
  drift: DriftCommands;
  /** Evaluation and gate panels; `evaluation.evaluation.current?.lastRendered` is what the webview drew. */
  evaluation: EvaluationFeature;
  /** The Team view (a team's MLflow server), Push Runs to MLflow and the mirror. */
  team: TeamView;
}

/** The composition root: the one place that builds the extension's services and wires them. */
export function createRoot(context: vscode.ExtensionContext): {
  disposable: vscode.Disposable;
  api: RunlensApi;
} {
  const disposables: vscode.Disposable[] = [];
  const own = <T extends vscode.Disposable>(d: T): T => {
    disposables.push(d);
    return d;
  };
  registerTerminalCli(context);
  const settings = own(new ExtensionSettings());
  const model = own(new WorkspaceModel(settings));
  const { tree, treeView, models } = createTreeViews(model, settings, own);
  const launcher = own(new TrainingLauncher(settings, pythonInterpreter, notifyFinished));
  own(new StatusBar(model, settings));
  own(new CodeLensController(model, settings));
  const output = own(vscode.window.createOutputChannel('Runlens'));
  for (const d of registerImportCommands(model, settings, output)) own(d);
  const team = own(new TeamView(model, settings, context.secrets, output));
  const data = own(new DataValidation());
  own(new PipelineDiagnostics());
  const pipeline = own(createPipeline(settings, output, model));
  const serving = own(new Serving(model, output));
  const drift = own(new DriftCommands(context.extensionUri, output, () => serving.endpoint));
  const evaluation = own(
    new EvaluationFeature({
      model,
      settings,
      extensionUri: context.extensionUri,
      output,
      memento: context.workspaceState,
    }),
  );
  const { panels, disposables: panelDisposables } = registerPanels({
    model,
    settings,
    treeView,
    extensionUri: context.extensionUri,
    output,
  });
  for (const d of panelDisposables) own(d);
  const runs = new RunSelection(model, treeView);
  for (const d of [
    ...registerWorkspaceCommands(model, context.extensionUri),
    ...registerRunCommands({ model, tree, treeView, runs }),
    ...registerTrainingCommands({ model, launcher, runs, state: context.workspaceState }),
    ...registerReproCommands({ runs, settings }),
    ...registerModelCommands(model, runs),
    ...registerTeamCommands(team),
    ...registerDataCommands(data),
    ...registerServingCommands(serving),
    ...registerDriftCommands(drift),
    ...followWorkspace(model, tree),
  ])
    own(d);
  return {
    disposable: vscode.Disposable.from(...disposables.reverse()),
    api: { model, experiments: tree, models, launcher, panels, serving, pipeline, drift, evaluation, team },
  };
}

/** The Experiments and Models views. */
function createTreeViews(
  model: WorkspaceModel,
  settings: ExtensionSettings,
  own: <T extends vscode.Disposable>(d: T) => T,
): { tree: ExperimentsTree; treeView: vscode.TreeView<ExplorerNode>; models: ModelsTree } {
  const tree = own(new ExperimentsTree(model, settings));
  const treeView = own(
    vscode.window.createTreeView<ExplorerNode>(Views.experiments, {
      treeDataProvider: tree,
      canSelectMany: true,
      showCollapseAll: true,
    }),
  );
  const models = own(new ModelsTree(model));
  own(vscode.window.createTreeView(Views.models, { treeDataProvider: models, showCollapseAll: true }));
  return { tree, treeView, models };
}

/** The context keys that follow the stores (menus, welcome views) and the settings that re-read them. */
function followWorkspace(model: WorkspaceModel, tree: ExperimentsTree): vscode.Disposable[] {
  const updateContext = () => {
    void vscode.commands.executeCommand('setContext', ContextKeys.hasStore, model.withStore.length > 0);
    void vscode.commands.executeCommand(
      'setContext',
      ContextKeys.running,
      model.openRuns().some((r) => r.entry.status === 'running'),
    );
  };
  updateContext();
  return [
    model.onDidChange(updateContext),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (ExtensionSettings.affects(e, Settings.storePath)) model.reloadAll();
      else if (
        ExtensionSettings.affects(e, Settings.metricGoals) ||
        ExtensionSettings.affects(e, Settings.pageSize)
      )
        tree.setSort(tree.sort);
    }),
  ];
}

function notifyFinished(result: RunResult, request: LaunchRequest): void {
  const { run, status, exitCode } = result;
  const show = 'Show Output';
  const charts = 'Open Charts';
  const message = `Runlens: run "${run.name}" ${status}${status === 'finished' ? '' : ` (exit code ${exitCode})`}.`;
  const notify =
    status === 'finished' ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
  void notify(message, charts, show).then((choice) => {
    if (choice === charts)
      void vscode.commands.executeCommand(Commands.openMetricsChart, {
        kind: 'run',
        folder: request.entry.folder.uri.toString(),
        id: run.id,
      });
    if (choice === show)
      void vscode.commands.executeCommand(Commands.showOutput, {
        kind: 'run',
        folder: request.entry.folder.uri.toString(),
        id: run.id,
      });
  });
}

/** The interpreter chosen in the Python extension, when it is installed. */
async function pythonInterpreter(resource: vscode.Uri): Promise<string | undefined> {
  const python = vscode.extensions.getExtension('ms-python.python');
  if (!python) return undefined;
  try {
    const api = (python.isActive ? python.exports : await python.activate()) as {
      environments?: { getActiveEnvironmentPath(r?: vscode.Uri): { path: string } };
    };
    return api.environments?.getActiveEnvironmentPath(resource)?.path;
  } catch {
    return undefined;
  }
}
