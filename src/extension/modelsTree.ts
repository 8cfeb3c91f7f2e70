import * as vscode from 'vscode';
import { formatNumber, formatTime } from '../core/format';
import type { Stage } from '../core/store/registry';
import { ItemKinds } from './ids';
import type { WorkspaceModel } from './storeModel';

export type ModelNode =
  | { kind: 'model'; folder: string; name: string }
  | { kind: 'version'; folder: string; name: string; version: number };

const STAGE_ICONS: Record<Stage, [string, string | undefined]> = {
  production: ['rocket', 'charts.green'],
  staging: ['beaker', 'charts.blue'],
  none: ['circle-outline', undefined],
  archived: ['archive', 'descriptionForeground'],
};

export class ModelsTree implements vscode.TreeDataProvider<ModelNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ModelNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly model: WorkspaceModel) {
    this.subscription = model.onDidChange(() => this.emitter.fire(undefined));
  }

  getChildren(node?: ModelNode): ModelNode[] {
    if (!node) {
      return this.model.folders.flatMap((f) =>
        f.models.map((m) => ({ kind: 'model' as const, folder: f.folder.uri.toString(), name: m.name })),
      );
    }
    if (node.kind === 'model') {
      const m = this.find(node.folder, node.name);
      return (m?.versions ?? [])
        .slice()
        .reverse()
        .map((v) => ({ kind: 'version', folder: node.folder, name: node.name, version: v.version }));
    }
    return [];
  }

  private find(folder: string, name: string) {
    return this.model.byKey(folder)?.models.find((m) => m.name === name);
  }

  getTreeItem(node: ModelNode): vscode.TreeItem {
    const m = this.find(node.folder, node.name);
    if (node.kind === 'model') {
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `model:${node.folder}:${node.name}`;
      const prod = m?.versions.filter((v) => v.stage === 'production').at(-1);
      const count = m?.versions.length ?? 0;
      item.description = `${count} version${count === 1 ? '' : 's'}${prod ? ` · production v${prod.version}` : ''}`;
      item.iconPath = new vscode.ThemeIcon('package');
      item.contextValue = ItemKinds.model;
      return item;
    }
    const v = m?.versions.find((x) => x.version === node.version);
    const item = new vscode.TreeItem(`v${node.version}`, vscode.TreeItemCollapsibleState.None);
    item.id = `mv:${node.folder}:${node.name}:${node.version}`;
    if (!v) return item;
    const metrics = Object.entries(v.metrics).slice(0, 3);
    item.description = [
      v.stage === 'none' ? '' : v.stage,
      ...metrics.map(([k, x]) => `${k} ${formatNumber(x)}`),
    ]
      .filter(Boolean)
      .join(' · ');
    const [icon, color] = STAGE_ICONS[v.stage];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.contextValue = `${ItemKinds.modelVersion}.${v.stage}`;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${node.name} v${v.version}** — stage *${v.stage}*\n\n`);
    md.appendMarkdown(
      `from run \`${v.sourceRun}\` (${v.experiment}) · registered ${formatTime(v.createdAt)}\n\n`,
    );
    if (metrics.length)
      md.appendMarkdown(
        Object.entries(v.metrics)
          .map(([k, x]) => `${k} ${formatNumber(x)}`)
          .join(', ') + '\n\n',
      );
    if (v.gitCommit) md.appendMarkdown(`git ${v.gitCommit.slice(0, 12)}\n\n`);
    md.appendMarkdown(`stages: ${v.stageHistory.map((h) => `${h.stage} (${formatTime(h.at)})`).join(' → ')}`);
    item.tooltip = md;
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
