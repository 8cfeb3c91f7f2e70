import * as path from 'node:path';
import * as vscode from 'vscode';
import { isNotebook } from '../../core/lens/notebook';
import { Slurm } from '../../core/slurm/slurm';
import type { JobResources, ParamValue } from '../../core/store/types';
import { formatParamInput, grid, parseValueList } from '../../core/tracking/params';
import type { ExplorerNode } from '../runs/experimentsTree';
import type { RunNode, RunSelection } from '../runs/runSelection';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import { lastRunOf, orderEntryPoints } from './launchChoices';
import { pickRunTarget } from './pickTarget';
import type { EntryPoint, TrainingLauncher } from './trainingLauncher';

const LAST_TARGET = 'runlens.launch.lastTarget';
const LAST_RESOURCES = 'runlens.launch.lastSlurmResources';

/** Launch, re-run, stop and follow training runs from the editor. */
export class TrainingCommands {
  constructor(
    private readonly model: WorkspaceModel,
    private readonly launcher: TrainingLauncher,
    private readonly runs: RunSelection,
    /** The workspace's memory: the last launch target and the last Slurm resources. */
    private readonly state: vscode.Memento,
  ) {}

  /** Launch Training: an entry point, where it runs, its params. A preset entry (Run Script) runs here at once. */
  async launch(withParams: boolean, preset?: EntryPoint): Promise<void> {
    const entry = preset ?? (await this.pickEntryPoint());
    if (!entry) return;
    const target = preset ? { kind: 'local' as const } : await this.pickTarget(entry);
    if (!target) return;
    const folderRuns = this.model
      .allRuns()
      .filter(({ folder }) => folder.folder === entry.folder)
      .map((r) => r.entry);
    const last = lastRunOf(folderRuns, entry.folder.uri.fsPath, entry.script);
    const defaults = this.launcher.defaultParams(entry, last?.params);
    const combos = withParams ? await this.askSweep(defaults, target.kind === 'slurm') : [defaults];
    if (!combos) return;
    if (target.kind === 'slurm') {
      try {
        await this.launcher.submitToSlurm({ entry, paramSets: combos, resources: target.resources });
      } finally {
        // The runs (and maybe the store) were just written here: show them without waiting for file events.
        this.model.byKey(entry.folder.uri.toString())?.reload();
      }
      return;
    }
    await Promise.all(combos.map((params) => this.launcher.launch({ entry, params })));
  }

  /**
   * Local, or Slurm when `sbatch` is on PATH (one choice per partition from `sinfo`, the last
   * choice first); on Slurm, the job's resources as one editable line, from the runlens.slurm.*
   * settings and the last launch. Undefined when cancelled.
   */
  private async pickTarget(
    entry: EntryPoint,
  ): Promise<{ kind: 'local' } | { kind: 'slurm'; resources: JobResources } | undefined> {
    const picked = await pickRunTarget({
      title: `Launch ${entry.label}: where?`,
      placeHolder: 'Run it on this machine or submit it to the Slurm cluster',
      first: this.state.get<string>(LAST_TARGET),
      resourcesTitle: `Slurm resources of ${entry.label}`,
      startResources: () => ({
        ...this.launcher.slurmDefaults(entry),
        ...(this.state.get<JobResources>(LAST_RESOURCES) ?? {}),
      }),
    });
    if (!picked) return undefined;
    await this.state.update(LAST_TARGET, picked.key);
    if (picked.kind === 'local') return { kind: 'local' };
    // The partition is the target's choice; the rest is remembered for the next launch.
    const { partition: _partition, ...rest } = picked.resources;
    await this.state.update(LAST_RESOURCES, rest);
    return { kind: 'slurm', resources: picked.resources };
  }

  /** Every combination of the values typed per parameter; undefined when cancelled. */
  private async askSweep(
    defaults: Record<string, ParamValue>,
    onSlurm: boolean,
  ): Promise<Record<string, ParamValue>[] | undefined> {
    const values: Record<string, ParamValue[]> = {};
    const keys = Object.keys(defaults);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const input = await vscode.window.showInputBox({
        title: `Parameters (${i + 1}/${keys.length})`,
        prompt: `${k} — separate several values with commas to queue a sweep over every combination`,
        value: formatParamInput(defaults[k]),
        ignoreFocusOut: true,
      });
      if (input === undefined) return undefined;
      values[k] = parseValueList(input);
    }
    const combos = grid(values);
    if (combos.length > 1) {
      const limit = this.launcher.concurrency();
      const ok = await vscode.window.showInformationMessage(
        onSlurm
          ? `Submit a sweep of ${combos.length} runs as one Slurm job array (at most ${limit} at a time)?`
          : `Queue a sweep of ${combos.length} runs (at most ${limit} at a time)?`,
        { modal: true },
        onSlurm ? 'Submit Sweep' : 'Queue Sweep',
      );
      if (ok !== (onSlurm ? 'Submit Sweep' : 'Queue Sweep')) return undefined;
    }
    return combos;
  }

  async runScript(uri?: vscode.Uri): Promise<void> {
    let target =
      uri ?? vscode.window.activeNotebookEditor?.notebook.uri ?? vscode.window.activeTextEditor?.document.uri;
    // a notebook cell's document stands for its notebook (same path, the cell in the fragment)
    if (target?.scheme === 'vscode-notebook-cell') target = target.with({ scheme: 'file', fragment: '' });
    const folder = target && vscode.workspace.getWorkspaceFolder(target);
    if (!target || !folder) throw new Error('open a training script inside a workspace folder first');
    await this.launch(false, {
      label: vscode.workspace.asRelativePath(target),
      folder,
      script: target.fsPath,
      source: 'detected',
    });
  }

  async rerun(node?: ExplorerNode): Promise<void> {
    const run = await this.runs.one(node, 'Re-run which run?');
    if (!run) return;
    const f = this.runs.folderOf(run);
    const record = f.store!.getRun(run.id);
    if (!record.command?.length)
      throw new Error(`run ${record.name} was not launched by Runlens (no command to repeat)`);
    if (record.script && isNotebook(record.script)) {
      // A notebook runs again as a notebook: a new executed copy in the new run's artifacts.
      await this.launcher.launch({
        entry: {
          label: record.name,
          folder: f.folder,
          experiment: record.experiment,
          source: 'detected',
          script: path.join(f.store!.root, record.script),
        },
        params: record.params,
      });
      return;
    }
    await this.launcher.launch({
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
  }

  async stop(node?: ExplorerNode): Promise<void> {
    const runs = this.runs.selected(node);
    const targets = runs.length
      ? runs
      : [await this.runs.pick('Stop which run?')].filter((r): r is RunNode => r !== undefined);
    for (const run of targets) {
      if (this.launcher.stop(run.id)) continue;
      const record = this.runs.folderOf(run).store!.getRun(run.id);
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
  }

  async showOutput(node?: ExplorerNode): Promise<void> {
    const run = await this.runs.one(node, 'Show the output of which run?');
    if (!run || this.launcher.showTerminal(run.id)) return;
    await vscode.window.showTextDocument(vscode.Uri.file(this.runs.folderOf(run).store!.outputFile(run.id)), {
      preview: true,
    });
  }

  private async pickEntryPoint(): Promise<EntryPoint | undefined> {
    const entries = await this.launcher.entryPoints();
    if (!entries.length) {
      void vscode.window.showInformationMessage(
        'Runlens: no training scripts found. Name a script train*.py / train*.js, or list entry points in the runlens.entryPoints setting.',
      );
      return undefined;
    }
    const ordered = orderEntryPoints(entries, vscode.window.activeTextEditor?.document.uri.fsPath);
    const pick = await vscode.window.showQuickPick(
      ordered.map(({ entry, active }) => ({
        label: entry.label,
        description: `${entry.source === 'settings' ? 'configured' : 'detected'}${active ? ' · active editor' : ''}`,
        entry,
      })),
      { title: 'Launch Training: choose an entry point', matchOnDescription: true },
    );
    return pick?.entry;
  }
}
