import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { Commands } from '../ids';
import { registerCommands } from '../shared/registerCommand';
import type { WorkspaceModel } from './workspaceModel';

/** Commands on the workspace's stores as a whole: re-read them, open their folder, the quickstart. */
export function registerWorkspaceCommands(
  model: WorkspaceModel,
  extensionUri: vscode.Uri,
): vscode.Disposable[] {
  return registerCommands({
    [Commands.refresh]: () => model.reloadAll(),
    [Commands.openStoreFolder]: () => openStoreFolder(model),
    [Commands.openArtifact]: async (uri: vscode.Uri) => {
      await vscode.commands.executeCommand('vscode.open', uri);
    },
    [Commands.openQuickstart]: () => openQuickstart(extensionUri),
  });
}

async function openStoreFolder(model: WorkspaceModel): Promise<void> {
  const f = model.withStore[0] ?? model.folders[0];
  if (!f) throw new Error('open a folder first');
  await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(f.storeDir));
}

/** The README of the extension, shown as its quickstart. */
async function openQuickstart(extensionUri: vscode.Uri): Promise<void> {
  const readme = vscode.Uri.joinPath(extensionUri, 'README.md');
  if (fs.existsSync(readme.fsPath)) await vscode.commands.executeCommand('markdown.showPreview', readme);
}
