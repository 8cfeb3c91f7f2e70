import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Slurm } from '../../core/slurm/slurm';
import { errorMessage } from '../../core/errors';
import { isQueryText, parseFilter } from '../../core/store/query';
import { Registry, STAGES } from '../../core/store/registry';
import type { Stage } from '../../core/store/registry';
import type { ParamValue, RunStatus } from '../../core/store/types';
import { RUN_STATUSES } from '../../core/store/types';
import type { ExperimentsTree, ExplorerNode } from './experimentsTree';
import { Commands, ContextKeys } from '../ids';
import type { ModelNode } from '../models/modelsTree';
import type { FolderStore, WorkspaceModel } from '../workspace/workspaceModel';
import type { EntryPoint, TrainingLauncher } from '../training/trainingLauncher';
import { grid, parseParamInput } from '../training/trainingLauncher';
import { pickVersion } from '../models/pickers';
import { registerCommand } from '../shared/registerCommand';

type RunNode = Extract<ExplorerNode, { kind: 'run' }>;

export interface CommandDeps {
  model: WorkspaceModel;
  tree: ExperimentsTree;
  treeView: vscode.TreeView<ExplorerNode>;
  launcher: TrainingLauncher;
  extensionUri: vscode.Uri;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { model, tree, treeView, launcher } = deps;
  const reg = (id: string, fn: (...args: never[]) => unknown) => registerCommand(id, fn);

  /** The runs a command applies to: the clicked one plus the multi-selection, else the selection. */
  const selectedRuns = (node?: ExplorerNode, nodes?: ExplorerNode[]): RunNode[] => {
    const picked = nodes?.length ? nodes : node ? [node] : [...treeView.selection];
    return picked.filter((n): n is RunNode => n.kind === 'run');
  };
  const folderOf = (n: { folder: string }): FolderStore => {
    const f = model.byKey(n.folder);
    if (!f?.store) throw new Error('the store of this run is not open');
    return f;
  };
  const pickRun = async (title: string): Promise<RunNode | undefined> => {
    const items = model.allRuns().map(({ folder, entry }) => ({
      label: entry.name,
      description: `${entry.experiment} · ${entry.status}`,
      detail: entry.id,
      node: { kind: 'run', folder: folder.folder.uri.toString(), id: entry.id } as RunNode,
    }));
    if (!items.length) {
      void vscode.window.showInformationMessage('Runlens: there are no runs yet.');
      return undefined;
    }
    return (
      await vscode.window.showQuickPick(items, { title, matchOnDescription: true, matchOnDetail: true })
    )?.node;
  };

  const launchFlow = async (withParams: boolean, preset?: EntryPoint) => {
    const entry = preset ?? (await pickEntryPoint(launcher));
    if (!entry) return;
    const last = model
      .allRuns()
      .filter(
        ({ folder, entry: e }) =>
          folder.folder === entry.folder &&
          entry.script &&
          e.script === path.relative(entry.folder.uri.fsPath, entry.script).split(path.sep).join('/'),
      )
      .sort((a, b) => b.entry.startTime - a.entry.startTime)[0]?.entry;
    const defaults = launcher.defaultParams(entry, last?.params);
    let combos: Record<string, ParamValue>[] = [defaults];
    if (withParams) {
      const values: Record<string, ParamValue[]> = {};
      const keys = Object.keys(defaults);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        const input = await vscode.window.showInputBox({
          title: `Parameters (${i + 1}/${keys.length})`,
          prompt: `${k} — separate several values with commas to queue a sweep over every combination`,
          value: String(defaults[k]),
          ignoreFocusOut: true,
        });
        if (input === undefined) return;
        values[k] = input.split(',').map(parseParamInput);
      }
      combos = grid(values);
      if (combos.length > 1) {
        const ok = await vscode.window.showInformationMessage(
          `Queue a sweep of ${combos.length} runs (at most ${vscode.workspace.getConfiguration('runlens').get('sweep.concurrency', 2)} at a time)?`,
          { modal: true },
          'Queue Sweep',
        );
        if (ok !== 'Queue Sweep') return;
      }
    }
    await Promise.all(combos.map((params) => launcher.launch({ entry, params })));
  };

  return [
    reg(Commands.launchTraining, () => launchFlow(false)),
    reg(Commands.launchTrainingWithParams, () => launchFlow(true)),
    reg(Commands.runScript, async (uri?: vscode.Uri) => {
      const target = uri ?? vscode.window.activeTextEditor?.document.uri;
      const folder = target && vscode.workspace.getWorkspaceFolder(target);
      if (!target || !folder) throw new Error('open a training script inside a workspace folder first');
      await launchFlow(false, {
        label: vscode.workspace.asRelativePath(target),
        folder,
        script: target.fsPath,
        source: 'detected',
      });
    }),
    reg(Commands.rerun, async (node?: ExplorerNode) => {
      const run = selectedRuns(node)[0] ?? (await pickRun('Re-run which run?'));
      if (!run) return;
      const f = folderOf(run);
      const record = f.store!.getRun(run.id);
      if (!record.command?.length)
        throw new Error(`run ${record.name} was not launched by Runlens (no command to repeat)`);
      await launcher.launch({
        entry: {
          label: record.name,
          folder: f.folder,
          command: record.command[0],
          args: record.command.slice(1),
          experiment: record.experiment,
          source: 'settings',
          script: record.script ? path.join(f.folder.uri.fsPath, record.script) : undefined,
        },
        params: record.params,
      });
    }),
    reg(Commands.stopRun, async (node?: ExplorerNode) => {
      const runs = selectedRuns(node);
      const targets = runs.length
        ? runs
        : [await pickRun('Stop which run?')].filter((r): r is RunNode => r !== undefined);
      for (const run of targets) {
        if (launcher.stop(run.id)) continue;
        const record = folderOf(run).store!.getRun(run.id);
        if (record.job && !record.job.settled) {
          // A cluster job: Slurm stops it; the store's watcher records it killed.
          await new Slurm().cancel([record.job.id]);
          continue;
        }
        if (record.status !== 'running' || record.pid === null)
          throw new Error(`run ${record.name} is not running`);
        // Launched elsewhere (a terminal's `runlens run`): its launcher forwards SIGTERM and marks it killed.
        process.kill(record.pid, 'SIGTERM');
      }
    }),
    reg(Commands.refresh, () => model.reloadAll()),
    reg(Commands.showOutput, async (node?: ExplorerNode) => {
      const run = selectedRuns(node)[0] ?? (await pickRun('Show the output of which run?'));
      if (!run || launcher.showTerminal(run.id)) return;
      await vscode.window.showTextDocument(vscode.Uri.file(folderOf(run).store!.outputFile(run.id)), {
        preview: true,
      });
    }),
    reg(Commands.openStoreFolder, async () => {
      const f = model.withStore[0] ?? model.folders[0];
      if (!f) throw new Error('open a folder first');
      await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(f.storeDir));
    }),
    reg(Commands.revealRunFolder, async (node?: ExplorerNode) => {
      const run = selectedRuns(node)[0];
      if (run)
        await vscode.commands.executeCommand(
          'revealFileInOS',
          vscode.Uri.file(folderOf(run).store!.runDir(run.id)),
        );
    }),
    reg(Commands.copyRunId, async (node?: ExplorerNode, nodes?: ExplorerNode[]) => {
      const ids = selectedRuns(node, nodes).map((r) => r.id);
      await vscode.env.clipboard.writeText(ids.join('\n'));
      vscode.window.setStatusBarMessage(
        `Copied ${ids.length === 1 ? ids[0] : `${ids.length} run ids`}`,
        3000,
      );
    }),
    reg(Commands.renameRun, async (node?: ExplorerNode) => {
      const run = selectedRuns(node)[0];
      if (!run) return;
      const f = folderOf(run);
      if (refuseRemote(f.entries.get(run.id)?.tags)) return;
      const current = f.entries.get(run.id)?.name ?? '';
      const name = await vscode.window.showInputBox({
        title: 'Rename Run',
        value: current,
        validateInput: (v) => (v.trim() ? undefined : 'A name cannot be empty'),
      });
      if (name && name !== current) await f.store!.updateRun(run.id, (r) => (r.name = name.trim()));
    }),
    reg(Commands.tagRun, async (node?: ExplorerNode, nodes?: ExplorerNode[]) => {
      const runs = selectedRuns(node, nodes);
      if (runs.some((r) => refuseRemote(folderOf(r).entries.get(r.id)?.tags))) return;
      const input = await vscode.window.showInputBox({
        title: `Tag ${runs.length} run${runs.length === 1 ? '' : 's'}`,
        prompt: 'key=value (or just a word)',
        validateInput: (v) => (v.trim() ? undefined : 'Type a tag'),
      });
      if (!input) return;
      const [k, ...rest] = input.split('=');
      for (const run of runs)
        await folderOf(run).store!.updateRun(run.id, (r) => (r.tags[k.trim()] = rest.join('=').trim()));
    }),
    reg(Commands.starRun, async (node?: ExplorerNode, nodes?: ExplorerNode[]) => {
      for (const run of selectedRuns(node, nodes))
        await folderOf(run).store!.updateRun(run.id, (r) => (r.starred = true));
    }),
    reg(Commands.unstarRun, async (node?: ExplorerNode, nodes?: ExplorerNode[]) => {
      for (const run of selectedRuns(node, nodes))
        await folderOf(run).store!.updateRun(run.id, (r) => (r.starred = false));
    }),
    reg(Commands.deleteRun, async (node?: ExplorerNode, nodes?: ExplorerNode[]) => {
      const runs = selectedRuns(node, nodes);
      if (!runs.length) return;
      const names = runs.map((r) => model.byKey(r.folder)?.entries.get(r.id)?.name ?? r.id);
      const ok = await vscode.window.showWarningMessage(
        `Delete ${runs.length === 1 ? `run "${names[0]}"` : `${runs.length} runs`}? They are moved to the store's trash.`,
        { modal: true },
        'Delete',
      );
      if (ok !== 'Delete') return;
      for (const run of runs) folderOf(run).store!.removeRun(run.id);
      model.reloadAll();
      const undo = await vscode.window.showInformationMessage(
        `Deleted ${runs.length === 1 ? `"${names[0]}"` : `${runs.length} runs`}.`,
        'Undo',
      );
      if (undo === 'Undo') {
        for (const run of runs) await folderOf(run).store!.restoreRun(run.id);
        model.reloadAll();
      }
    }),
    reg(Commands.openArtifact, async (uri: vscode.Uri) => {
      await vscode.commands.executeCommand('vscode.open', uri);
    }),
    reg(Commands.filterRuns, async () => {
      const text = await vscode.window.showInputBox({
        title: 'Filter Runs (1/3): text',
        prompt:
          "A query (metrics.acc > 0.5 and params.opt = 'adam', status=finished) or text matched in names, ids, params and tags; empty for none",
        value: tree.filter.text ?? '',
        validateInput: (v) => {
          if (!isQueryText(v)) return undefined;
          try {
            parseFilter(v);
            return undefined;
          } catch (e) {
            return errorMessage(e).split('\n')[0];
          }
        },
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
    }),
    reg(Commands.clearFilter, () => tree.setFilter({})),
    reg(Commands.sortRuns, async () => {
      const keys = [...new Set(model.allRuns().flatMap((r) => Object.keys(r.entry.metrics)))].sort();
      const items = [
        { label: 'Newest first', value: '-start' },
        { label: 'Oldest first', value: 'start' },
        { label: 'Name', value: 'name' },
        ...keys.flatMap((k) => [
          { label: `${k} (highest first)`, value: `-metrics.${k}` },
          { label: `${k} (lowest first)`, value: `metrics.${k}` },
        ]),
      ];
      const pick = await vscode.window.showQuickPick(items, { title: 'Sort Runs' });
      if (pick) tree.setSort(pick.value);
    }),
    reg(Commands.loadMore, (node: Extract<ExplorerNode, { kind: 'loadMore' }>) => tree.loadMore(node)),
    reg(Commands.revealRun, async (folder: string, id: string) => {
      await treeView.reveal({ kind: 'run', folder, id }, { select: true, focus: true, expand: false });
    }),
    reg(Commands.setBaseline, async (node?: ExplorerNode) => {
      const run = selectedRuns(node)[0] ?? (await pickRun('Pin which run as its experiment baseline?'));
      if (!run) return;
      const f = folderOf(run);
      const entry = f.entries.get(run.id)!;
      await new Registry(f.store!).setBaseline(entry.experiment, { run: run.id });
      void vscode.window.showInformationMessage(
        `Runlens: "${entry.name}" is the baseline of experiment "${entry.experiment}".`,
      );
    }),
    reg(Commands.registerModel, async (node?: ExplorerNode) => {
      const run = selectedRuns(node)[0] ?? (await pickRun('Register the model of which run?'));
      if (!run) return;
      const f = folderOf(run);
      const registry = new Registry(f.store!);
      const existing = registry.listModels().map((m) => m.name);
      const entry = f.entries.get(run.id)!;
      const name = await vscode.window.showInputBox({
        title: 'Register Model',
        prompt: existing.length ? `A new name, or an existing model: ${existing.join(', ')}` : 'Model name',
        value: existing[0] ?? entry.experiment.replace(/[^\w.-]/g, '-'),
        validateInput: (v) =>
          /^[A-Za-z0-9][\w.-]{0,99}$/.test(v) ? undefined : 'Letters, digits, ".", "_" and "-"',
      });
      if (!name) return;
      const mv = await registry.register(name, run.id);
      f.refresh(false);
      void vscode.window.showInformationMessage(
        `Runlens: registered ${name} version ${mv.version} (${mv.files.length} files).`,
      );
    }),
    reg(Commands.promoteModel, async (node?: ModelNode) => {
      const target = node?.kind === 'version' ? node : await pickVersion(model);
      if (!target) return;
      const f = model.byKey(target.folder)!;
      const stage = await vscode.window.showQuickPick(
        STAGES.map((s) => ({ label: s })),
        { title: `Promote ${target.name} v${target.version} to` },
      );
      if (!stage) return;
      const mv = await new Registry(f.store!).promote(target.name, target.version, stage.label as Stage);
      f.refresh(false);
      void vscode.window.showInformationMessage(
        `Runlens: ${target.name} v${mv.version} is now in ${mv.stage}.`,
      );
    }),
    reg(Commands.setModelBaseline, async (node?: ModelNode) => {
      const target = node?.kind === 'version' ? node : await pickVersion(model);
      if (!target) return;
      const f = model.byKey(target.folder)!;
      const registry = new Registry(f.store!);
      const mv = registry.getVersion(target.name, target.version);
      await registry.setBaseline(mv.experiment, { run: mv.sourceRun });
      void vscode.window.showInformationMessage(
        `Runlens: ${target.name} v${mv.version} (run ${mv.sourceRun}) is the baseline of "${mv.experiment}".`,
      );
    }),
    reg(Commands.openQuickstart, async () => {
      const readme = vscode.Uri.joinPath(deps.extensionUri, 'README.md');
      if (fs.existsSync(readme.fsPath)) await vscode.commands.executeCommand('markdown.showPreview', readme);
    }),
    new vscode.Disposable(
      () => void vscode.commands.executeCommand('setContext', ContextKeys.filtered, false),
    ),
  ];
}

async function pickEntryPoint(launcher: TrainingLauncher): Promise<EntryPoint | undefined> {
  const entries = await launcher.entryPoints();
  if (!entries.length) {
    void vscode.window.showInformationMessage(
      'Runlens: no training scripts found. Name a script train*.py / train*.js, or list entry points in the runlens.entryPoints setting.',
    );
    return undefined;
  }
  // The script in the active editor first, so Enter launches what the user is looking at.
  const active = vscode.window.activeTextEditor?.document.uri.fsPath;
  const isActive = (e: EntryPoint) =>
    active !== undefined && e.script !== undefined && path.resolve(e.script) === active;
  const ordered = [...entries.filter(isActive), ...entries.filter((e) => !isActive(e))];
  const pick = await vscode.window.showQuickPick(
    ordered.map((e) => ({
      label: e.label,
      description: `${e.source === 'settings' ? 'configured' : 'detected'}${isActive(e) ? ' · active editor' : ''}`,
      entry: e,
    })),
    { title: 'Launch Training: choose an entry point', matchOnDescription: true },
  );
  return pick?.entry;
}

/** Runs pulled from a team's MLflow server are read-only copies: say so instead of changing them. */
function refuseRemote(tags: Record<string, string> | undefined): boolean {
  const origin = tags?.['runlens.origin'];
  if (!origin) return false;
  void vscode.window.showInformationMessage(
    `Runlens: this run was pulled from ${origin} and is read-only here; change it on the server and pull again.`,
  );
  return true;
}
