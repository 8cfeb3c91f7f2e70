import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readManifest } from '../../core/serving/serve';
import type { ModelNode } from './modelsTree';
import type { WorkspaceModel } from '../workspace/workspaceModel';

export type VersionNode = Extract<ModelNode, { kind: 'version' }>;

/** A registered model version chosen from every open store; undefined when cancelled or none. */
export async function pickVersion(
  model: WorkspaceModel,
  title = 'Which model version?',
): Promise<VersionNode | undefined> {
  const items = model.folders.flatMap((f) =>
    f.models.flatMap((m) =>
      m.versions.map((v) => ({
        label: `${m.name} v${v.version}`,
        description: v.stage,
        node: { kind: 'version' as const, folder: f.folder.uri.toString(), name: m.name, version: v.version },
      })),
    ),
  );
  if (!items.length) {
    void vscode.window.showInformationMessage('Runlens: no registered models yet. Register one from a run.');
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { title }))?.node;
}

/** Model packages (folders with a manifest.json) under serving/ of every workspace folder. */
function packageFolders(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).flatMap((f) => {
    const root = path.join(f.uri.fsPath, 'serving');
    if (!fs.existsSync(root)) return [];
    return fs
      .readdirSync(root)
      .map((n) => path.join(root, n))
      .filter((d) => fs.existsSync(path.join(d, 'manifest.json')));
  });
}

/**
 * A model package chosen from serving/ (the one served at `servedEndpoint` first); the only one
 * without asking; undefined when cancelled or when there is none (`none` says what to do).
 */
export async function pickPackage(o: {
  title: string;
  none: string;
  servedEndpoint?: string;
}): Promise<string | undefined> {
  const dirs = packageFolders();
  if (!dirs.length) {
    void vscode.window.showInformationMessage(`Runlens: no model packages in serving/ yet: ${o.none}`);
    return undefined;
  }
  const items = dirs.map((d) => {
    let name = path.basename(d);
    try {
      name = readManifest(d).name;
    } catch {
      // an unreadable manifest still lists the folder; using it reports the problem
    }
    const serving = o.servedEndpoint?.includes(`/v1/models/${name}:`) ?? false;
    return {
      label: path.basename(d),
      description: `${vscode.workspace.asRelativePath(d)}${serving ? ' · serving now' : ''}`,
      d,
      serving,
    };
  });
  items.sort((a, b) => Number(b.serving) - Number(a.serving));
  if (items.length === 1) return items[0].d;
  return (await vscode.window.showQuickPick(items, { title: o.title }))?.d;
}
