import * as vscode from 'vscode';
import type { FolderStore, WorkspaceModel } from '../workspace/workspaceModel';
import type { ExplorerNode } from './experimentsTree';
import { runPickItems } from './runChoices';
import { stageRowsOf } from './runRows';

export type RunNode = Extract<ExplorerNode, { kind: 'run' }>;

/** Which runs a command applies to: the tree's selection, or a run picked from a list. */
export class RunSelection {
  constructor(
    private readonly model: WorkspaceModel,
    private readonly treeView: vscode.TreeView<ExplorerNode>,
  ) {}

  /**
   * The runs a command applies to: the clicked one plus the multi-selection, else the selection; a
   * pipeline run stands for its stage runs.
   */
  selected(node?: ExplorerNode, nodes?: ExplorerNode[]): RunNode[] {
    const picked = nodes?.length ? nodes : node ? [node] : [...this.treeView.selection];
    const runs = picked.flatMap((n): RunNode[] => {
      if (n.kind === 'run') return [n];
      if (n.kind !== 'pipelineRun') return [];
      const f = this.model.byKey(n.folder);
      if (!f) return [];
      return stageRowsOf(f.entries, n.experiment, n.id, f.pipelineStageRuns).map((i) => ({
        kind: 'run',
        folder: n.folder,
        id: f.entries.listing!.id(i),
      }));
    });
    return runs.filter((r, i) => runs.findIndex((o) => o.folder === r.folder && o.id === r.id) === i);
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
