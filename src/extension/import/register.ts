import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ImportReport } from '../../core/importers/common';
import { formatWarning } from '../../core/importers/common';
import { importMlflow } from '../../core/importers/mlflow';
import { importTensorboard } from '../../core/importers/tensorboard';
import { Store } from '../../core/store/store';
import { Commands } from '../ids';
import type { ExtensionSettings } from '../settings';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import { failure } from '../shared/commandGuard';
import { registerCommands } from '../shared/registerCommand';

/** "Import MLflow Runs..." and "Import TensorBoard Logs...": the CLI's importers, into a folder's store. */
export function registerImportCommands(
  model: WorkspaceModel,
  settings: ExtensionSettings,
  output: vscode.OutputChannel,
): vscode.Disposable[] {
  const deps = { model, settings, output };
  const uriOf = (uri: unknown) => (uri instanceof vscode.Uri ? uri : undefined);
  return registerCommands({
    [Commands.importMlflow]: (uri?: vscode.Uri) => importRuns(deps, 'mlflow', uriOf(uri)),
    [Commands.importTensorboard]: (uri?: vscode.Uri) => importRuns(deps, 'tensorboard', uriOf(uri)),
  });
}

/** `given`: the source when called with one (from another command or a test), else a dialog asks. */
async function importRuns(
  deps: { model: WorkspaceModel; settings: ExtensionSettings; output: vscode.OutputChannel },
  kind: 'mlflow' | 'tensorboard',
  given?: vscode.Uri,
): Promise<void> {
  const { model, settings, output } = deps;
  const folder = await pickFolder();
  if (!folder) return;
  const source = given?.fsPath ?? (await pickSource(kind, folder));
  if (!source) return;
  const store = Store.open(settings.storeDir(folder), { create: true });
  let report: ImportReport;
  try {
    report = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Runlens: importing ${path.basename(source)}`,
      },
      () => (kind === 'mlflow' ? importMlflow(store, source) : importTensorboard(store, source)),
    );
  } catch (e) {
    throw failure(`could not import ${source}`, e);
  }
  output.appendLine(`import ${kind} ${source}`);
  output.appendLine(
    `  runs: ${report.runs.found} found, ${report.runs.created} created, ${report.runs.updated} updated, ${report.runs.skipped} skipped; ${report.points} metric points`,
  );
  for (const w of report.warnings) output.appendLine(`  warning: ${formatWarning(w)}`);
  model.byKey(folder.uri.toString())?.reload();
  const details = 'Show Details';
  const message = `Runlens: imported ${report.runs.created} new run${report.runs.created === 1 ? '' : 's'} (${report.runs.updated} updated, ${report.runs.skipped} already there)${report.warnings.length ? `, ${report.warnings.length} warnings` : ''}.`;
  void vscode.window.showInformationMessage(message, details).then((c) => {
    if (c === details) output.show(true);
  });
}

async function pickSource(
  kind: 'mlflow' | 'tensorboard',
  folder: vscode.WorkspaceFolder,
): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title:
      kind === 'mlflow'
        ? 'Import MLflow Runs: an mlruns folder or mlflow.db'
        : 'Import TensorBoard Logs: the log folder',
    defaultUri: folder.uri,
    canSelectFolders: true,
    canSelectFiles: kind === 'mlflow',
    filters: kind === 'mlflow' ? { 'MLflow database': ['db', 'sqlite'] } : undefined,
    openLabel: 'Import',
  });
  return picked?.[0]?.fsPath;
}

async function pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    void vscode.window.showWarningMessage(
      'Runlens: open a folder first; the runs are imported into its .runlens store.',
    );
    return undefined;
  }
  if (folders.length === 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Import into the store of which folder?' });
}
