import * as vscode from 'vscode';
import type { FolderStore, WorkspaceModel } from '../workspace/workspaceModel';
import type { ExplorerNode } from './experimentsTree';
import { runPickItems } from './runChoices';

export type RunNode = Extract<ExplorerNode, { kind: 'run' }>;

/** Which runs a command applies to: the tree's selection, or a run picked from a list. */
export class RunSelection {
  constructor(
    private readonly model: WorkspaceModel,
    private readonly treeView: vscode.TreeView<ExplorerNode>,
  ) {}

  /** The runs a command applies to: the clicked one plus the multi-selection, else the selection. */
  selected(node?: ExplorerNode, nodes?: ExplorerNode[]): RunNode[] {
    const picked = nodes?.length ? nodes : node ? [node] : [...this.treeView.selection];
    return picked.filter((n): n is RunNode => n.kind === 'run');
  }

  /** The clicked or selected run, else one picked from every run of the workspace. */
  async one(node: ExplorerNode | undefined, title: string): Promise<RunNode | undefined> {
    return this.selected(node)[0] ?? (await this.pick(title));
  }

  folderOf(n: { folder: string }): FolderStore {
    const f = this.model.byKey(n.folder);
    if (!f?.store) throw new Error('the store of this run is not open');
    return f;
  }

  async pick(title: string): Promise<RunNode | undefined> {
    const items = runPickItems(
      this.model.allRuns().map(({ folder, entry }) => ({ folder: folder.folder.uri.toString(), entry })),
    );
    if (!items.length) {
      void vscode.window.showInformationMessage('Runlens: there are no runs yet.');
      return undefined;
    }
    return (
      await vscode.window.showQuickPick(items, { title, matchOnDescription: true, matchOnDetail: true })
    )?.node;
  }
}
