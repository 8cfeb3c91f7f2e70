import * as vscode from 'vscode';
import type { RunStatus } from '../../core/store/types';
import { RUN_STATUSES } from '../../core/store/types';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import type { ExperimentsTree, ExplorerNode } from './experimentsTree';
import { filterInputError, parseTagInput, remoteOrigin, sortChoices } from './runChoices';
import type { RunSelection } from './runSelection';

/** The commands that change runs in the store or how the Experiments view shows them. */
export class RunCommands {
  constructor(
    private readonly model: WorkspaceModel,
    private readonly tree: ExperimentsTree,
    private readonly treeView: vscode.TreeView<ExplorerNode>,
    private readonly runs: RunSelection,
  ) {}

  async revealFolder(node?: ExplorerNode): Promise<void> {
    const run = this.runs.selected(node)[0];
    if (run)
      await vscode.commands.executeCommand(
        'revealFileInOS',
        vscode.Uri.file(this.runs.folderOf(run).store!.runDir(run.id)),
      );
  }

  async copyId(node?: ExplorerNode, nodes?: ExplorerNode[]): Promise<void> {
    const ids = this.runs.selected(node, nodes).map((r) => r.id);
    await vscode.env.clipboard.writeText(ids.join('\n'));
    vscode.window.setStatusBarMessage(`Copied ${ids.length === 1 ? ids[0] : `${ids.length} run ids`}`, 3000);
  }

  async rename(node?: ExplorerNode): Promise<void> {
    const run = this.runs.selected(node)[0];
    if (!run) return;
    const f = this.runs.folderOf(run);
    if (refuseRemote(f.entries.get(run.id)?.tags)) return;
    const current = f.entries.get(run.id)?.name ?? '';
    const name = await vscode.window.showInputBox({
      title: 'Rename Run',
      value: current,
      validateInput: (v) => (v.trim() ? undefined : 'A name cannot be empty'),
    });
    if (name && name !== current) await f.store!.updateRun(run.id, (r) => (r.name = name.trim()));
  }

  async tag(node?: ExplorerNode, nodes?: ExplorerNode[]): Promise<void> {
    const runs = this.runs.selected(node, nodes);
    if (runs.some((r) => refuseRemote(this.runs.folderOf(r).entries.get(r.id)?.tags))) return;
    const input = await vscode.window.showInputBox({
      title: `Tag ${runs.length} run${runs.length === 1 ? '' : 's'}`,
      prompt: 'key=value (or just a word)',
      validateInput: (v) => (v.trim() ? undefined : 'Type a tag'),
    });
    if (!input) return;
    const { key, value } = parseTagInput(input);
    for (const run of runs)
      await this.runs.folderOf(run).store!.updateRun(run.id, (r) => (r.tags[key] = value));
  }

  async star(starred: boolean, node?: ExplorerNode, nodes?: ExplorerNode[]): Promise<void> {
    for (const run of this.runs.selected(node, nodes))
      await this.runs.folderOf(run).store!.updateRun(run.id, (r) => (r.starred = starred));
  }

  async delete(node?: ExplorerNode, nodes?: ExplorerNode[]): Promise<void> {
    const runs = this.runs.selected(node, nodes);
    if (!runs.length) return;
    const names = runs.map((r) => this.model.byKey(r.folder)?.entries.get(r.id)?.name ?? r.id);
    const ok = await vscode.window.showWarningMessage(
      `Delete ${runs.length === 1 ? `run "${names[0]}"` : `${runs.length} runs`}? They are moved to the store's trash.`,
      { modal: true },
      'Delete',
    );
    if (ok !== 'Delete') return;
    for (const run of runs) this.runs.folderOf(run).store!.removeRun(run.id);
    this.model.reloadAll();
    const undo = await vscode.window.showInformationMessage(
      `Deleted ${runs.length === 1 ? `"${names[0]}"` : `${runs.length} runs`}.`,
      'Undo',
    );
    if (undo === 'Undo') {
      for (const run of runs) await this.runs.folderOf(run).store!.restoreRun(run.id);
      this.model.reloadAll();
    }
  }

  async filter(): Promise<void> {
    const { tree } = this;
    const text = await vscode.window.showInputBox({
      title: 'Filter Runs (1/3): text',
      prompt:
        "A query (metrics.acc > 0.5 and params.opt = 'adam', status=finished) or text matched in names, ids, params and tags; empty for none",
      value: tree.filter.text ?? '',
      validateInput: filterInputError,
    });
    if (text === undefined) return;
    const statusItems = [...RUN_STATUSES, 'unreadable' as const].map((s) => ({
      label: s,
      picked: tree.filter.statuses?.includes(s) ?? false,
    }));
    const statuses = await vscode.window.showQuickPick(statusItems, {
      title: 'Filter Runs (2/3): status (none picked = all)',
      canPickMany: true,
    });
    if (statuses === undefined) return;
    const extra = await vscode.window.showQuickPick(
      [
        { label: 'All runs', value: 'all' },
        { label: 'Starred only', value: 'starred' },
        { label: 'With a tag…', value: 'tag' },
      ],
      { title: 'Filter Runs (3/3)' },
    );
    if (!extra) return;
    const tag =
      extra.value === 'tag'
        ? await vscode.window.showInputBox({ title: 'Tag (key or key=value)' })
        : undefined;
    tree.setFilter({
      text: text || undefined,
      statuses: statuses.map((s) => s.label as RunStatus),
      starred: extra.value === 'starred' || undefined,
      tag: tag || undefined,
    });
  }

  async sort(): Promise<void> {
    const keys = this.model.folders.flatMap((f) => f.entries.metricKeys());
    const pick = await vscode.window.showQuickPick(sortChoices(keys), { title: 'Sort Runs' });
    if (pick) this.tree.setSort(pick.value);
  }

  async reveal(folder: string, id: string): Promise<void> {
    await this.treeView.reveal({ kind: 'run', folder, id }, { select: true, focus: true, expand: false });
  }
}

/** Runs pulled from a team's MLflow server are read-only copies: say so instead of changing them. */
function refuseRemote(tags: Record<string, string> | undefined): boolean {
  const origin = remoteOrigin(tags);
  if (!origin) return false;
  void vscode.window.showInformationMessage(
    `Runlens: this run was pulled from ${origin} and is read-only here; change it on the server and pull again.`,
  );
  return true;
}
