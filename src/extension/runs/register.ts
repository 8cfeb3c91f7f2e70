import * as vscode from 'vscode';
import { Commands, ContextKeys } from '../ids';
import { registerCommands } from '../shared/registerCommand';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import type { ExperimentsTree, ExplorerNode } from './experimentsTree';
import { RunCommands } from './runCommands';
import type { RunSelection } from './runSelection';

/** The Experiments view's commands on runs: edit, delete, filter, sort, reveal. */
export function registerRunCommands(deps: {
  model: WorkspaceModel;
  tree: ExperimentsTree;
  treeView: vscode.TreeView<ExplorerNode>;
  runs: RunSelection;
}): vscode.Disposable[] {
  const { tree } = deps;
  const c = new RunCommands(deps.model, tree, deps.treeView, deps.runs);
  type Nodes = [node?: ExplorerNode, nodes?: ExplorerNode[]];
  return [
    ...registerCommands({
      [Commands.revealRunFolder]: (node?: ExplorerNode) => c.revealFolder(node),
      [Commands.copyRunId]: (...n: Nodes) => c.copyId(...n),
      [Commands.renameRun]: (node?: ExplorerNode) => c.rename(node),
      [Commands.tagRun]: (...n: Nodes) => c.tag(...n),
      [Commands.starRun]: (...n: Nodes) => c.star(true, ...n),
      [Commands.unstarRun]: (...n: Nodes) => c.star(false, ...n),
      [Commands.deleteRun]: (...n: Nodes) => c.delete(...n),
      [Commands.filterRuns]: () => c.filter(),
      [Commands.clearFilter]: () => tree.setFilter({}),
      [Commands.sortRuns]: () => c.sort(),
      [Commands.loadMore]: (node: Extract<ExplorerNode, { kind: 'loadMore' }>) => tree.loadMore(node),
      [Commands.revealRun]: (folder: string, id: string) => c.reveal(folder, id),
    }),
    new vscode.Disposable(
      () => void vscode.commands.executeCommand('setContext', ContextKeys.filtered, false),
    ),
  ];
}
