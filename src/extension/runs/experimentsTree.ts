import { IMPORT_MARKER_TAG } from '../../core/importers/common';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { goalOf } from '../../core/metrics/goals';
import { ARTIFACTS_DIR } from '../../core/store/layout';
import { pipelineRunStatus } from '../../core/pipeline/stageRuns';
import type { ListedStatus, RunEntry } from '../../core/store/types';
import { formatAge, formatNumber, formatParam } from '../../core/format';
import { importedRunning } from '../../core/importers/mlflow';
import { Commands, ContextKeys, ItemKinds } from '../ids';
import {
  distinguishingParts,
  jobText,
  keyMetric,
  paramRows,
  pipelineRunTooltipMarkdown,
  runTooltipMarkdown,
} from './runLabels';
import type { ExtensionSettings } from '../settings';
import type { FolderStore, WorkspaceModel } from '../workspace/workspaceModel';
import type { RunTable } from '../workspace/runTable';
import { RowsCache, expandedAtFirst, isFiltering, pipelineRunOfRow, sortRows } from './runRows';
import type { ExperimentRows, RunFilter } from './runRows';

export type Section = 'params' | 'metrics' | 'artifacts' | 'inputs' | 'git';

/** Tree elements are plain data: ids into the model, never copies of it. */
export type ExplorerNode =
  | { kind: 'folder'; folder: string }
  | { kind: 'experiment'; folder: string; name: string }
  | { kind: 'run'; folder: string; id: string }
  /** The stage runs one pipeline run started in an experiment (`id` is the pipeline run's). */
  | { kind: 'pipelineRun'; folder: string; experiment: string; id: string }
  | { kind: 'section'; folder: string; id: string; section: Section }
  /** The params of a run whose names start with `prefix` (`model.`, `callbacks/`). */
  | { kind: 'paramGroup'; folder: string; id: string; prefix: string; label: string; count: number }
  | { kind: 'artifact'; folder: string; id: string; rel: string }
  | { kind: 'value'; key: string; label: string; description?: string; tooltip?: string; icon?: string }
  /** More runs than shown: `shown` of `total` (after the filter) are in the tree. */
  | { kind: 'loadMore'; folder: string; experiment: string; shown: number; total: number }
  | { kind: 'error'; folder: string; message: string };

const STATUS_ICONS: Record<ListedStatus, [string, string | undefined]> = {
  running: ['loading~spin', undefined],
  queued: ['clock', 'descriptionForeground'],
  finished: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  killed: ['circle-slash', 'descriptionForeground'],
  crashed: ['warning', 'problemsWarningIcon.foreground'],
  unreadable: ['warning', 'problemsErrorIcon.foreground'],
};

export function statusIcon(status: ListedStatus): vscode.ThemeIcon {
  const [icon, color] = STATUS_ICONS[status];
  return new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
}

export class ExperimentsTree implements vscode.TreeDataProvider<ExplorerNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ExplorerNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  filter: RunFilter = {};
  sort = '-start';
  private readonly shown = new Map<string, number>();
  private readonly rows = new RowsCache();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly model: WorkspaceModel,
    private readonly settings: ExtensionSettings,
  ) {
    this.subscription = model.onDidChange(() => {
      // a table replaced by a newer one is let go at once, also while the view is hidden
      const tables = new Set(model.folders.map((f) => f.entries));
      this.rows.retain(tables);
      for (const [k, h] of this.expanded) if (!tables.has(h.table)) this.expanded.delete(k);
      this.emitter.fire(undefined);
    });
    // The extension activates when the window opens on a store, usually well before the view is
    // shown: the experiments' first pages are made then, not when the user opens the view (at
    // 100,000 runs, sorting each experiment's rows and building the shown entries took about 0.3 s).
    this.warmTimer = setTimeout(() => this.warm(), 0);
  }

  private readonly warmTimer: ReturnType<typeof setTimeout>;

  /** What opening the view computes first: each experiment's rows, and the first page of those expanded. */
  private warm(): void {
    try {
      for (const folder of this.model.withStore)
        for (const experiment of folder.entries.experiments())
          if (this.startsExpanded(folder, experiment)) this.runsOf(folder, experiment);
    } catch {
      // the view computes them again when shown, and reports what fails then
    }
  }

  setFilter(filter: RunFilter): void {
    this.filter = filter;
    void vscode.commands.executeCommand(
      'setContext',
      ContextKeys.filtered,
      Object.values(filter).some((v) => v !== undefined && v !== ''),
    );
    this.emitter.fire(undefined);
  }

  setSort(sort: string): void {
    this.sort = sort;
    this.emitter.fire(undefined);
  }

  loadMore(node: Extract<ExplorerNode, { kind: 'loadMore' }>): void {
    const key = `${node.folder}/${node.experiment}`;
    this.shown.set(key, (this.shown.get(key) ?? this.settings.pageSize()) + this.settings.pageSize());
    this.emitter.fire(undefined);
  }

  getChildren(node?: ExplorerNode): ExplorerNode[] {
    if (!node) {
      const folders = this.model.withStore;
      if (folders.length > 1)
        return folders.map((f) => ({ kind: 'folder', folder: f.folder.uri.toString() }));
      return folders.length === 1 ? this.folderChildren(folders[0]) : [];
    }
    const folder = 'folder' in node ? this.model.byKey(node.folder) : undefined;
    if (!folder) return [];
    switch (node.kind) {
      case 'folder':
        return this.folderChildren(folder);
      case 'experiment':
        return this.runsOf(folder, node.name);
      case 'pipelineRun': {
        const runs = this.stageRunsOf(folder, node.experiment, node.id);
        this.tellApart(
          folder,
          runs.map((e) => e.id),
        );
        return runs.map((e) => ({ kind: 'run', folder: node.folder, id: e.id }));
      }
      case 'run': {
        const t = folder.entries;
        const nested = t.listing
          ? sortRows(t, t.childrenOf(node.id), this.sort).map((i) => t.listing!.id(i))
          : [];
        this.tellApart(folder, nested);
        return [
          ...nested.map((id): ExplorerNode => ({
            kind: 'run',
            folder: node.folder,
            id,
          })),
          ...(['params', 'metrics', 'artifacts', 'inputs', 'git'] as const).map((section): ExplorerNode => ({
            kind: 'section',
            folder: node.folder,
            id: node.id,
            section,
          })),
        ];
      }
      case 'section':
        return this.sectionChildren(folder, node);
      case 'paramGroup':
        return this.paramChildren(folder, node.id, node.prefix);
      default:
        return [];
    }
  }

  private folderChildren(folder: FolderStore): ExplorerNode[] {
    const key = folder.folder.uri.toString();
    if (folder.error) return [{ kind: 'error', folder: key, message: folder.error }];
    return folder.entries.experiments().map((name) => ({ kind: 'experiment', folder: key, name }));
  }

  /**
   * The runs of an experiment after filter and sort, as rows of the folder's table (runRows.ts):
   * computed over the columns, once per table, filter and sort.
   */
  private rowsOf(folder: FolderStore, experiment: string): ExperimentRows {
    return this.rows.of(
      folder.folder.uri.toString(),
      folder.entries,
      experiment,
      this.filter,
      this.sort,
      folder.pipelineStageRuns,
    );
  }

  /** Whether an experiment starts expanded (see expandedAtFirst); VS Code keeps what the user chose after. */
  private startsExpanded(folder: FolderStore, experiment: string): boolean {
    const key = folder.folder.uri.toString();
    const t = folder.entries;
    const page = this.settings.pageSize();
    let held = this.expanded.get(key);
    if (
      !held ||
      held.table !== t ||
      held.filter !== this.filter ||
      held.sort !== this.sort ||
      held.page !== page
    ) {
      const names = t.experiments();
      const n = expandedAtFirst(
        names.map((name) => this.rowsOf(folder, name).items.length),
        page,
      );
      held = { table: t, filter: this.filter, sort: this.sort, page, names: new Set(names.slice(0, n)) };
      this.expanded.set(key, held);
    }
    return held.names.has(experiment);
  }

  /** Per folder: the experiments that start expanded, for one table, filter, sort and page size. */
  private readonly expanded = new Map<
    string,
    { table: RunTable; filter: RunFilter; sort: string; page: number; names: ReadonlySet<string> }
  >();

  /** An experiment's runs, the stage runs of each pipeline run grouped under one node; paged. */
  private runsOf(folder: FolderStore, experiment: string): ExplorerNode[] {
    const key = folder.folder.uri.toString();
    const t = folder.entries;
    const { items } = this.rowsOf(folder, experiment);
    const limit = this.shown.get(`${key}/${experiment}`) ?? this.settings.pageSize();
    const nodes = items
      .slice(0, limit)
      .map((g): ExplorerNode =>
        g.kind === 'run'
          ? { kind: 'run', folder: key, id: t.listing!.id(g.row) }
          : { kind: 'pipelineRun', folder: key, experiment, id: g.id },
      );
    this.tellApart(
      folder,
      nodes.flatMap((n) => (n.kind === 'run' ? [n.id] : [])),
    );
    if (items.length > limit)
      nodes.push({ kind: 'loadMore', folder: key, experiment, shown: limit, total: items.length });
    return nodes;
  }

  /**
   * The stage runs of pipeline run `id` in an experiment, in the order they started (none while a
   * filter is on: runs are then listed flat; unreadable runs are not grouped).
   */
  private stageRunsOf(folder: FolderStore, experiment: string, id: string): RunEntry[] {
    if (isFiltering(this.filter)) return [];
    const t = folder.entries;
    const rows = this.rowsOf(folder, experiment).groups.get(id) ?? [];
    return rows.filter((i) => t.listing!.status(i) !== 'unreadable').map((i) => t.at(i));
  }

  /** What tells each of these runs, shown together, apart from the others (see distinguishingParts). */
  private readonly distinct = new Map<string, string>();
  private tellApart(folder: FolderStore, ids: string[]): void {
    const key = folder.folder.uri.toString();
    const runs = ids.flatMap((id) => folder.entries.get(id) ?? []);
    const parts = distinguishingParts(runs);
    for (const id of ids) {
      const part = parts.get(id);
      if (part) this.distinct.set(`${key}:${id}`, part);
      else this.distinct.delete(`${key}:${id}`);
    }
  }

  private sectionChildren(
    folder: FolderStore,
    node: Extract<ExplorerNode, { kind: 'section' }>,
  ): ExplorerNode[] {
    const entry = folder.entries.get(node.id);
    if (!entry) return [];
    const goals = this.settings.metricGoals();
    const v = (key: string, label: string, description?: string, tooltip?: string): ExplorerNode => ({
      kind: 'value',
      key: `${node.id}/${node.section}/${key}`,
      label,
      description,
      tooltip,
    });
    if (node.section === 'params') {
      return Object.keys(entry.params).length
        ? this.paramChildren(folder, node.id, '')
        : [v('none', 'no params')];
    }
    if (node.section === 'metrics') {
      const metrics = Object.entries(entry.metrics).sort(([a], [b]) => a.localeCompare(b));
      if (!metrics.length) return [v('none', 'no metrics yet')];
      return metrics.map(([k, s]) => {
        const goal = goalOf(k, goals);
        const best = goal === 'min' ? s.min : goal === 'max' ? s.max : undefined;
        const desc = `${formatNumber(s.last)} @ ${s.lastStep}${best !== undefined ? `  best ${formatNumber(best)}` : ''}`;
        return v(
          k,
          k,
          desc,
          `${k}: last ${formatNumber(s.last)} at step ${s.lastStep}, min ${formatNumber(s.min)}, max ${formatNumber(s.max)}, ${s.count} points${s.source ? ' (from the output)' : ''}`,
        );
      });
    }
    const details = folder.getDetails(node.id);
    if (!details) return [v('loading', 'loading…')];
    if (node.section === 'artifacts') {
      return details.artifacts.length
        ? details.artifacts.map((rel) => ({ kind: 'artifact', folder: node.folder, id: node.id, rel }))
        : [v('none', 'no artifacts')];
    }
    if (node.section === 'inputs') {
      return details.run.inputs.length
        ? details.run.inputs.map((i) =>
            v(i.path, i.path, `${i.size.toLocaleString('en-US')} bytes`, `sha256 ${i.sha256}`),
          )
        : [v('none', 'no inputs declared')];
    }
    const git = details.run.git;
    if (!git) return [v('none', 'not in a git repository')];
    return [
      v('commit', 'commit', git.commit.slice(0, 12), git.commit),
      v('branch', 'branch', git.branch ?? '(detached)'),
      v('dirty', 'uncommitted changes', git.dirty ? `yes (${git.diffArtifact})` : 'no'),
    ];
  }

  /** A run's params under `prefix`: those sharing a longer prefix are grouped (collapsible). */
  private paramChildren(folder: FolderStore, id: string, prefix: string): ExplorerNode[] {
    const entry = folder.entries.get(id);
    if (!entry) return [];
    const key = folder.folder.uri.toString();
    return paramRows(Object.keys(entry.params), prefix).map((row): ExplorerNode =>
      row.kind === 'group'
        ? {
            kind: 'paramGroup',
            folder: key,
            id,
            prefix: row.prefix,
            label: row.prefix.slice(prefix.length),
            count: row.count,
          }
        : {
            kind: 'value',
            key: `${id}/params/${row.key}`,
            label: row.label,
            description: formatParam(entry.params[row.key]),
            tooltip: `${row.key} = ${formatParam(entry.params[row.key])}`,
          },
    );
  }

  /** A run's tooltip, made when VS Code asks for it (the row is hovered), not for every row shown. */
  resolveTreeItem(item: vscode.TreeItem, node: ExplorerNode): vscode.TreeItem {
    if (node.kind === 'run' && item.tooltip === undefined) {
      const e = this.model.byKey(node.folder)?.entries.get(node.id);
      if (e) item.tooltip = runTooltip(e);
    }
    return item;
  }

  getTreeItem(node: ExplorerNode): vscode.TreeItem {
    switch (node.kind) {
      case 'folder': {
        const f = this.model.byKey(node.folder);
        const item = new vscode.TreeItem(
          f?.folder.name ?? node.folder,
          vscode.TreeItemCollapsibleState.Expanded,
        );
        item.id = `folder:${node.folder}`;
        item.iconPath = vscode.ThemeIcon.Folder;
        item.contextValue = ItemKinds.workspaceFolder;
        return item;
      }
      case 'experiment': {
        const f = this.model.byKey(node.folder);
        const count = f ? this.rowsOf(f, node.name).rows.length : 0;
        const item = new vscode.TreeItem(
          node.name,
          f && !this.startsExpanded(f, node.name)
            ? vscode.TreeItemCollapsibleState.Collapsed
            : vscode.TreeItemCollapsibleState.Expanded,
        );
        item.id = `exp:${node.folder}:${node.name}`;
        item.description = `${count} run${count === 1 ? '' : 's'}`;
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.contextValue = ItemKinds.experiment;
        return item;
      }
      case 'run':
        return this.runItem(node);
      case 'pipelineRun':
        return this.pipelineRunItem(node);
      case 'section': {
        const labels: Record<Section, [string, string]> = {
          params: ['Params', 'symbol-property'],
          metrics: ['Metrics', 'graph-line'],
          artifacts: ['Artifacts', 'file-zip'],
          inputs: ['Inputs', 'database'],
          git: ['Git', 'git-commit'],
        };
        const item = new vscode.TreeItem(labels[node.section][0], vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `sec:${node.folder}:${node.id}:${node.section}`;
        item.iconPath = new vscode.ThemeIcon(labels[node.section][1]);
        item.contextValue = ItemKinds.section;
        return item;
      }
      case 'paramGroup': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `pgrp:${node.folder}:${node.id}:${node.prefix}`;
        item.description = `${node.count} params`;
        item.tooltip = `The params whose names start with ${node.prefix}`;
        item.iconPath = new vscode.ThemeIcon('symbol-namespace');
        item.contextValue = ItemKinds.section;
        return item;
      }
      case 'artifact': {
        const f = this.model.byKey(node.folder);
        const uri = vscode.Uri.file(path.join(f?.store?.runDir(node.id) ?? '', ARTIFACTS_DIR, node.rel));
        const item = new vscode.TreeItem(uri, vscode.TreeItemCollapsibleState.None);
        item.id = `art:${node.folder}:${node.id}:${node.rel}`;
        item.label = node.rel;
        item.contextValue = ItemKinds.artifact;
        item.command = { command: Commands.openArtifact, title: 'Open Artifact', arguments: [uri] };
        return item;
      }
      case 'value': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = `val:${node.key}`;
        item.description = node.description;
        item.tooltip = node.tooltip;
        item.contextValue = ItemKinds.value;
        return item;
      }
      case 'loadMore': {
        const item = new vscode.TreeItem(
          `Load more (${node.shown.toLocaleString('en-US')} of ${node.total.toLocaleString('en-US')})`,
          vscode.TreeItemCollapsibleState.None,
        );
        item.id = `more:${node.folder}:${node.experiment}`;
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.contextValue = ItemKinds.loadMore;
        item.command = { command: Commands.loadMore, title: 'Load More', arguments: [node] };
        return item;
      }
      case 'error': {
        const item = new vscode.TreeItem('The store cannot be read', vscode.TreeItemCollapsibleState.None);
        item.id = `err:${node.folder}`;
        item.description = node.message;
        item.tooltip = `${node.message}\n\nThe view recovers by itself once the store is fixed.`;
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
        item.contextValue = ItemKinds.error;
        return item;
      }
    }
  }

  private runItem(node: Extract<ExplorerNode, { kind: 'run' }>): vscode.TreeItem {
    const f = this.model.byKey(node.folder);
    const e = f?.entries.get(node.id);
    const item = new vscode.TreeItem(e?.name ?? node.id, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `run:${node.folder}:${node.id}`;
    if (!e) return item;
    const goals = this.settings.metricGoals();
    const sortKey = this.sort.replace(/^-/, '').replace(/^metrics\./, '');
    const km = keyMetric(e, goals, sortKey);
    const age = e.startTime ? formatAge(e.startTime) : '';
    item.description = [
      this.distinct.get(`${node.folder}:${node.id}`) ?? '',
      importedRunning(e) ? 'RUNNING in MLflow' : '',
      km ? `${km} ${formatNumber(e.metrics[km].last)}` : '',
      jobText(e),
      age,
    ]
      .filter(Boolean)
      .join(' · ');
    const stale = importedRunning(e);
    item.iconPath =
      e.starred && (e.status !== 'running' || stale)
        ? new vscode.ThemeIcon('star-full', new vscode.ThemeColor('charts.yellow'))
        : stale
          ? new vscode.ThemeIcon('circle-large-outline', new vscode.ThemeColor('descriptionForeground'))
          : statusIcon(e.status);
    const kind =
      (e.status === 'running' && !stale) || e.status === 'queued'
        ? ItemKinds.runRunning
        : e.starred
          ? ItemKinds.runStarred
          : ItemKinds.run;
    // A run with an evaluation (its eval/* metrics) also offers Open Evaluation.
    const evaluated = Object.keys(e.metrics).some((k) => k.startsWith('eval/'));
    // A run pulled from a team's server (runlens.origin) is read-only: no rename or tag.
    const remote = e.tags['runlens.origin'] ? ' remote' : '';
    // An imported run (MLflow, TensorBoard) has no command to run again and no output.
    const imported = e.tags[IMPORT_MARKER_TAG] !== undefined ? ' imported' : '';
    item.contextValue = (evaluated ? `${kind} ${ItemKinds.evaluatedSuffix}` : kind) + remote + imported;
    // The tooltip (markdown: params, metrics, job, git) is made when the row is hovered, in
    // resolveTreeItem: made for every row shown, it was a quarter of the time the view took to open.
    item.accessibilityInformation = {
      label: `${e.name}, ${e.status}${km ? `, ${km} ${formatNumber(e.metrics[km].last)}` : ''}`,
    };
    return item;
  }

  private pipelineRunItem(node: Extract<ExplorerNode, { kind: 'pipelineRun' }>): vscode.TreeItem {
    const f = this.model.byKey(node.folder);
    const runs = f ? this.stageRunsOf(f, node.experiment, node.id) : [];
    const record = f?.pipelineRuns.get(node.id);
    const item = new vscode.TreeItem('pipeline run', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `pipe:${node.folder}:${node.experiment}:${node.id}`;
    const status = pipelineRunStatus(runs, record);
    item.iconPath = statusIcon(status);
    const start = record?.startTime ?? runs[0]?.startTime;
    item.description = [
      record && record.trigger !== 'manual' ? record.trigger : '',
      status === 'finished' ? '' : status,
      `${runs.length} stage run${runs.length === 1 ? '' : 's'}`,
      start ? formatAge(start) : '',
    ]
      .filter(Boolean)
      .join(' · ');
    item.tooltip = new vscode.MarkdownString(pipelineRunTooltipMarkdown(node.id, record, runs));
    item.contextValue = ItemKinds.pipelineRun;
    item.accessibilityInformation = {
      label: `pipeline run, ${status}, ${runs.length} stage run${runs.length === 1 ? '' : 's'}`,
    };
    return item;
  }

  getParent(node: ExplorerNode): ExplorerNode | undefined {
    if (node.kind === 'run') {
      const f = this.model.byKey(node.folder);
      const t = f?.entries;
      const row = t?.rowOf(node.id);
      if (!f || !t || row === undefined) return undefined;
      const parent = t.parentOf(row);
      if (parent) return { kind: 'run', folder: node.folder, id: parent };
      const experiment = t.experimentOf(row);
      const pipelineRun =
        isFiltering(this.filter) || t.listing!.status(row) === 'unreadable'
          ? undefined
          : pipelineRunOfRow(t, row, f.pipelineStageRuns);
      if (pipelineRun) return { kind: 'pipelineRun', folder: node.folder, experiment, id: pipelineRun };
      return { kind: 'experiment', folder: node.folder, name: experiment };
    }
    if (node.kind === 'pipelineRun')
      return { kind: 'experiment', folder: node.folder, name: node.experiment };
    if (node.kind === 'experiment' && this.model.withStore.length > 1)
      return { kind: 'folder', folder: node.folder };
    if (node.kind === 'section') return { kind: 'run', folder: node.folder, id: node.id };
    return undefined;
  }

  dispose(): void {
    clearTimeout(this.warmTimer);
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

export function runTooltip(e: RunEntry): vscode.MarkdownString {
  return new vscode.MarkdownString(runTooltipMarkdown(e), true);
}
