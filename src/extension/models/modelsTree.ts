import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import { formatDuration, formatNumber } from '../../core/format';
import { lineageOf } from '../../core/pipeline/lineage';
import type { Stage } from '../../core/store/registry';
import { Commands, ItemKinds } from '../ids';
import { modelVersionMarkdown } from '../shared/markdown';
import type { WorkspaceModel } from '../workspace/workspaceModel';

export type ModelNode =
  | { kind: 'model'; folder: string; name: string }
  | { kind: 'version'; folder: string; name: string; version: number }
  | { kind: 'lineage'; folder: string; name: string; version: number }
  | {
      kind: 'lineageItem';
      folder: string;
      id: string;
      label: string;
      description?: string;
      icon: string;
      tooltip?: string;
      /** A tracked run: a click opens its output. */
      runId?: string;
    };

const LINEAGE_STATE_ICONS: Record<string, string> = {
  succeeded: 'pass',
  skipped: 'check',
  failed: 'error',
  blocked: 'circle-slash',
};

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
    if (node.kind === 'version') return [{ ...node, kind: 'lineage' }];
    if (node.kind === 'lineage') return this.lineageItems(node);
    return [];
  }

  /** What produced a version: its pipeline run, the stage runs, data hashes, params and git commit. */
  private lineageItems(node: { folder: string; name: string; version: number }): ModelNode[] {
    const store = this.model.byKey(node.folder)?.store;
    const key = `lin:${node.folder}:${node.name}:${node.version}`;
    const item = (
      id: string,
      o: Omit<Extract<ModelNode, { kind: 'lineageItem' }>, 'kind' | 'folder' | 'id'>,
    ) => ({ kind: 'lineageItem', folder: node.folder, id: `${key}:${id}`, ...o }) as ModelNode;
    if (!store) return [];
    let l;
    try {
      l = lineageOf(store, node.name, node.version);
    } catch (e) {
      return [item('error', { label: 'lineage unavailable', description: errorMessage(e), icon: 'warning' })];
    }
    const out: ModelNode[] = [];
    out.push(
      l.pipelineRun
        ? item('pipeline', {
            label: `pipeline run ${l.pipelineRun}`,
            description: l.trigger ?? undefined,
            icon: 'run-all',
            tooltip: `Trained by pipeline run ${l.pipelineRun}${l.trigger ? `, triggered by: ${l.trigger}` : ''}`,
          })
        : item('pipeline', {
            label: 'not from a pipeline',
            description: `run ${l.sourceRun}`,
            icon: 'circle-slash',
            runId: l.sourceRun,
          }),
    );
    for (const s of l.stages)
      out.push(
        item(`stage:${s.stage}`, {
          label: s.stage,
          description: [
            s.state === 'skipped' && s.reason === 'up to date' ? 'up to date' : s.state,
            s.runId ? `run ${s.runId}` : '',
            s.state === 'succeeded' ? formatDuration(s.durationMs) : '',
          ]
            .filter(Boolean)
            .join(' · '),
          icon: LINEAGE_STATE_ICONS[s.state] ?? 'circle-outline',
          tooltip: s.reason,
          runId: s.runId,
        }),
      );
    if (!l.pipelineRun || !l.stages.some((s) => s.runId === l.sourceRun))
      out.push(
        item('source', { label: 'source run', description: l.sourceRun, icon: 'beaker', runId: l.sourceRun }),
      );
    for (const d of l.dataHashes)
      out.push(
        item(`data:${d.path}`, {
          label: d.path,
          description: `sha256 ${d.sha256.slice(0, 12)}`,
          icon: 'database',
          tooltip: `${d.path}\nsha256 ${d.sha256}${d.size !== undefined ? `\n${d.size} bytes` : ''}`,
        }),
      );
    const params = Object.entries(l.params);
    if (params.length)
      out.push(
        item('params', {
          label: 'params',
          description: params
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(', '),
          icon: 'settings',
          tooltip: params.map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n'),
        }),
      );
    out.push(
      item('git', {
        label: 'git commit',
        description: l.gitCommit ? l.gitCommit.slice(0, 12) : 'unknown',
        icon: 'git-commit',
        tooltip: l.gitCommit ?? 'no git commit recorded',
      }),
    );
    return out;
  }

  private find(folder: string, name: string) {
    return this.model.byKey(folder)?.models.find((m) => m.name === name);
  }

  getTreeItem(node: ModelNode): vscode.TreeItem {
    if (node.kind === 'lineageItem') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
      item.id = node.id;
      item.description = node.description;
      item.iconPath = new vscode.ThemeIcon(node.icon);
      item.tooltip = node.tooltip;
      item.contextValue = node.runId ? ItemKinds.lineageRun : undefined;
      if (node.runId)
        item.command = {
          command: Commands.showOutput,
          title: 'Show Output',
          arguments: [{ kind: 'run', folder: node.folder, id: node.runId }],
        };
      return item;
    }
    if (node.kind === 'lineage') {
      const item = new vscode.TreeItem('Lineage', vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `lineage:${node.folder}:${node.name}:${node.version}`;
      item.description = 'pipeline run, stages, data, params, git';
      item.iconPath = new vscode.ThemeIcon('git-merge');
      item.contextValue = ItemKinds.lineage;
      return item;
    }
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
    const item = new vscode.TreeItem(`v${node.version}`, vscode.TreeItemCollapsibleState.Collapsed);
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
    const md = new vscode.MarkdownString(modelVersionMarkdown(node.name, v));
    item.tooltip = md;
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
