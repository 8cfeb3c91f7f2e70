import * as path from 'node:path';
import * as vscode from 'vscode';
import { PIPELINE_FILE } from '../../core/pipeline/parse';
import { Commands, ContextKeys, ItemKinds, Views } from '../ids';
import { ContinuousTraining } from './continuousTraining';
import type { PipelineSnapshot, StageStatus } from './pipelineRunner';
import { PipelineRunner } from './pipelineRunner';
import { STAGE_LABELS, clock, isStale, stageDescription } from './stageLabels';
import { registerPipelineCommands } from './register';
import type { ExtensionSettings } from '../settings';
import type { WorkspaceModel } from '../workspace/workspaceModel';

export type PipelineNode = { kind: 'stage'; name: string } | { kind: 'error'; message: string };

const ICONS: Record<StageStatus['state'], [string, string | undefined]> = {
  idle: ['circle-large-outline', 'descriptionForeground'],
  pending: ['clock', 'descriptionForeground'],
  running: ['sync~spin', 'charts.blue'],
  succeeded: ['pass', 'testing.iconPassed'],
  skipped: ['check', 'descriptionForeground'],
  failed: ['error', 'testing.iconFailed'],
  blocked: ['circle-slash', 'testing.iconSkipped'],
};

/**
 * The Pipeline view: the stages of the workspace's runlens.yaml in dependency order with their
 * state, live during a run (the shared PipelineRunner) and the last recorded state when idle.
 * A click opens the output of the tracked run the stage produced.
 */
export class PipelineTree implements vscode.TreeDataProvider<PipelineNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<PipelineNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  readonly view: vscode.TreeView<PipelineNode>;
  private readonly disposables: vscode.Disposable[] = [];
  private ticker?: NodeJS.Timeout;

  constructor(
    private readonly runner: PipelineRunner,
    model: WorkspaceModel,
  ) {
    this.view = vscode.window.createTreeView(Views.pipeline, { treeDataProvider: this });
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${PIPELINE_FILE}`);
    // An edited stage input or params file: the idle view says which stages the next run redoes.
    const inputs = vscode.workspace.createFileSystemWatcher('**/*', true, false, false);
    this.disposables.push(
      this.view,
      this.emitter,
      watcher,
      inputs,
      watcher.onDidCreate(() => runner.invalidate()),
      watcher.onDidChange(() => runner.invalidate()),
      watcher.onDidDelete(() => runner.invalidate()),
      inputs.onDidChange((u) => this.inputChanged(u)),
      inputs.onDidDelete((u) => this.inputChanged(u)),
      model.onDidChange(() => {
        if (!runner.running) runner.invalidateIfRecorded();
      }),
      runner.onDidChange(() => this.refresh()),
    );
    this.refresh();
  }

  private inputTimer?: NodeJS.Timeout;

  private inputChanged(uri: vscode.Uri): void {
    if (this.runner.running) return;
    const snap = this.runner.snapshot();
    if (!snap.folder || !snap.file) return;
    const rel = path.relative(path.dirname(snap.file), uri.fsPath).split(path.sep).join('/');
    const under = (p: string) => rel === p || rel.startsWith(`${p.replace(/\/$/, '')}/`);
    const watched = [
      ...snap.stages.flatMap((s) => [...s.deps, ...s.outs]),
      ...(snap.paramsFile ? [snap.paramsFile] : []),
    ];
    if (!watched.some(under)) return;
    clearTimeout(this.inputTimer);
    this.inputTimer = setTimeout(() => this.runner.invalidate(), 300);
  }

  private refresh(): void {
    const snap = this.runner.snapshot();
    void vscode.commands.executeCommand('setContext', ContextKeys.hasPipeline, !snap.missing);
    this.view.description = describeRun(snap);
    this.view.message = snap.error ? `runlens.yaml has errors: ${snap.error}` : undefined;
    // A running stage's duration counts up.
    const running = snap.stages.some((s) => s.state === 'running');
    if (running && !this.ticker) this.ticker = setInterval(() => this.emitter.fire(undefined), 1000);
    if (!running && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
    this.emitter.fire(undefined);
  }

  getChildren(node?: PipelineNode): PipelineNode[] {
    if (node) return [];
    const snap = this.runner.snapshot();
    if (snap.missing) return [];
    if (!snap.stages.length && snap.error) return [{ kind: 'error', message: snap.error }];
    return snap.stages.map((s) => ({ kind: 'stage', name: s.name }));
  }

  /** The stage's current status (for tests and the tree item). */
  status(name: string): StageStatus | undefined {
    return this.runner.snapshot().stages.find((s) => s.name === name);
  }

  getTreeItem(node: PipelineNode): vscode.TreeItem {
    if (node.kind === 'error') {
      const item = new vscode.TreeItem(node.message);
      item.iconPath = new vscode.ThemeIcon(
        'warning',
        new vscode.ThemeColor('problemsWarningIcon.foreground'),
      );
      item.command = { command: Commands.createPipelineFile, title: 'Open runlens.yaml' };
      return item;
    }
    const snap = this.runner.snapshot();
    const s = snap.stages.find((x) => x.name === node.name);
    const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
    item.id = `stage:${node.name}`;
    if (!s) return item;
    item.description = stageDescription(s);
    const stale = isStale(s);
    const [icon, color] = stale
      ? ['diff-modified', 'gitDecoration.modifiedResourceForeground']
      : ICONS[s.state];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.contextValue = `${ItemKinds.pipelineStage}.${s.state}`;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(
      `**${node.name}** — ${stale ? 'last run ' : ''}${STAGE_LABELS[s.state]}${s.reason ? ` (${s.reason})` : ''}\n\n`,
    );
    if (stale) md.appendMarkdown(`The next run reruns it: ${s.stale}.\n\n`);
    md.appendCodeblock(s.kind, 'text');
    if (s.deps.length) md.appendMarkdown(`deps: ${s.deps.map((d) => `\`${d}\``).join(', ')}\n\n`);
    if (s.outs.length) md.appendMarkdown(`outs: ${s.outs.map((d) => `\`${d}\``).join(', ')}\n\n`);
    if (s.runId)
      md.appendMarkdown(
        `${s.state === 'skipped' ? 'up to date with' : 'tracked'} run \`${s.runId}\` — click to open its output`,
      );
    item.tooltip = md;
    item.accessibilityInformation = {
      label: `stage ${node.name}: ${STAGE_LABELS[s.state]}, ${stageDescription(s)}`,
    };
    if (s.runId && snap.folder)
      item.command = {
        command: Commands.showOutput,
        title: 'Show Output',
        arguments: [{ kind: 'run', folder: snap.folder.uri.toString(), id: s.runId }],
      };
    return item;
  }

  dispose(): void {
    clearInterval(this.ticker);
    clearTimeout(this.inputTimer);
    for (const d of this.disposables.reverse()) d.dispose();
  }
}

function describeRun(snap: PipelineSnapshot): string | undefined {
  const r = snap.pipelineRun;
  if (!r) return snap.file ? path.basename(snap.file) : undefined;
  if (r.live) return `running · ${r.trigger}`;
  const outcome = r.ok === null ? 'interrupted' : r.ok ? 'ok' : 'failed';
  return `last: ${outcome} · ${r.trigger} · ${clock(r.startTime)}`;
}

/** What activate() exposes of the pipeline: the runner, the view and continuous training. */
export interface PipelineApi {
  runner: PipelineRunner;
  view: PipelineTree;
  continuousTraining: ContinuousTraining;
}

/** The Pipeline view, its commands and continuous training over one shared runner. */
export function createPipeline(
  settings: ExtensionSettings,
  output: vscode.OutputChannel,
  model: WorkspaceModel,
): PipelineApi & vscode.Disposable {
  const runner = new PipelineRunner(settings, output);
  const view = new PipelineTree(runner, model);
  const continuousTraining = new ContinuousTraining(runner);
  const commands = registerPipelineCommands(runner, continuousTraining);
  return {
    runner,
    view,
    continuousTraining,
    dispose: () => {
      continuousTraining.dispose();
      for (const c of commands) c.dispose();
      view.dispose();
      runner.dispose();
    },
  };
}
