import * as vscode from 'vscode';
import type { ModelNode } from './modelsTree';
import type { WorkspaceModel } from './storeModel';

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
