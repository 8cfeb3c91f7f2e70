import * as vscode from 'vscode';
import { codeChanges } from '../../core/repro/codeVersions';
import { diffRuns } from '../../core/repro/diff';
import type { ReproduceResult } from '../../core/repro/reproduce';
import { reproduceRun } from '../../core/repro/reproduce';
import { diffText, reproduceReportText } from '../../core/repro/text';
import { SlurmLauncher } from '../../core/slurm/launcher';
import type { RunRecord } from '../../core/store/types';
import type { Launcher } from '../../core/tracking/launcher';
import type { ExplorerNode } from '../runs/experimentsTree';
import type { RunSelection } from '../runs/runSelection';
import type { ExtensionSettings } from '../settings';
import { targetKey } from '../training/launchChoices';
import { pickRunTarget } from '../training/pickTarget';

/** The scheme of the read-only documents that hold one run's version of a code file. */
export const CODE_SCHEME = 'runlens-code';

/** Reproduce Run and What Changed: the editor's face of `runlens reproduce` and `runlens diff`. */
export class ReproCommands implements vscode.TextDocumentContentProvider {
  /** Contents of the runlens-code: documents, by URI. */
  private readonly code = new Map<string, string>();

  constructor(
    private readonly runs: RunSelection,
    private readonly output: vscode.OutputChannel,
    private readonly settings: ExtensionSettings,
  ) {}

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.code.get(uri.toString()) ?? '';
  }

  /** `options.on`: where it runs, without asking (callers other than the menus). */
  async reproduce(node?: ExplorerNode, options?: { on?: 'local' }): Promise<void> {
    const run = await this.runs.one(node, 'Reproduce which run?');
    if (!run) return;
    const folder = this.runs.folderOf(run);
    const store = folder.store!;
    const original = store.getRun(run.id);
    const name = original.name;
    const where = options?.on === 'local' ? {} : await this.pickTarget(original, folder.folder);
    if (!where) return;
    const out = this.output;
    out.show(true);
    out.appendLine(`Reproducing run ${name} (${run.id})${where.launcher ? ' on Slurm' : ''}`);
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Reproducing ${name}${where.launcher ? ' on Slurm' : ''}`,
        cancellable: true,
      },
      (progress, token): Promise<ReproduceResult> =>
        reproduceRun(store, run.id, {
          detached: true,
          onOutput: (chunk) => out.append(chunk.toString('utf8')),
          onProgress: (m) => {
            out.appendLine(m);
            progress.report({ message: m });
          },
          onInputsChanged: async (changed) =>
            (await vscode.window.showWarningMessage(
              `Input data of ${name} changed since it ran: ${changed.map((c) => c.path).join(', ')}`,
              {
                modal: true,
                detail:
                  'Its sha256 differs from the record. Reproducing with other data can give other results.',
              },
              'Go On',
            )) === 'Go On',
          onLaunched: (launched) => token.onCancellationRequested(() => launched.stop()),
          launcher: where.launcher,
        }),
    );
    out.appendLine(reproduceReportText(result));
    const differing = result.metrics.filter((m) => !m.within).map((m) => m.metric);
    const message =
      result.verdict === 'reproduced'
        ? `Runlens: ${name} reproduced: ${result.metrics.length} metric(s) within tolerance.`
        : `Runlens: ${name} NOT reproduced: ${result.reason ?? `${differing.join(', ')} differ(s)`}.`;
    const show =
      result.verdict === 'reproduced'
        ? vscode.window.showInformationMessage
        : vscode.window.showWarningMessage;
    // Not awaited: the command ends with the reproduction, not when the notification is closed.
    void show(message, 'Show Report').then((pick) => pick === 'Show Report' && out.show());
  }

  /** `keepOrder`: the first run is A (the compare panel's reference run), else the earlier one. */
  /**
   * Here, or on the Slurm cluster when `sbatch` is on PATH, as Launch Training offers it (one choice
   * per partition; where the original ran comes first), then the job's resources as one editable
   * line: the original job's, else the runlens.slurm.* settings. Undefined when cancelled.
   */
  private async pickTarget(
    original: RunRecord,
    folder: vscode.WorkspaceFolder,
  ): Promise<{ launcher?: Launcher } | undefined> {
    const picked = await pickRunTarget({
      title: `Reproduce ${original.name}: where?`,
      placeHolder: `Run it again on this machine or as a Slurm job (it ran ${original.job ? 'on Slurm' : 'here'})`,
      first: original.job
        ? targetKey({ kind: 'slurm', partition: original.job.resources.partition })
        : 'local',
      resourcesTitle: `Slurm resources of the reproduction of ${original.name}`,
      startResources: () => original.job?.resources ?? this.settings.slurmResources(folder),
    });
    if (!picked) return undefined;
    if (picked.kind === 'local') return {};
    return { launcher: new SlurmLauncher({ resources: picked.resources, slurm: picked.slurm }) };
  }

  async whatChanged(
    node?: ExplorerNode,
    nodes?: ExplorerNode[],
    options?: { keepOrder?: boolean },
  ): Promise<void> {
    const picked = this.runs.selected(node, nodes).slice(0, 2);
    while (picked.length < 2) {
      const r = await this.runs.pick(
        picked.length ? 'What changed: pick the other run' : 'What changed: pick the first run',
      );
      if (!r) return;
      picked.push(r);
    }
    if (picked[0].folder !== picked[1].folder)
      throw new Error('the two runs are in different workspace folders');
    const store = this.runs.folderOf(picked[0]).store!;
    // The earlier run is A: the diff reads as what changed since then.
    const records = picked.map((n) => store.getRun(n.id));
    const [a, b] = options?.keepOrder ? records : records.sort((x, y) => x.startTime - y.startTime);
    const d = await diffRuns(store, a.id, b.id);
    const doc = await vscode.workspace.openTextDocument({
      content: diffText(d, false),
      language: 'plaintext',
    });
    await vscode.window.showTextDocument(doc, { preview: false });
    const { changes, reason } = codeChanges(store, d);
    if (reason) {
      void vscode.window.showInformationMessage(`Runlens: ${reason}`);
      return;
    }
    if (!changes.length) return;
    const uri = (run: { id: string }, file: string) =>
      vscode.Uri.from({ scheme: CODE_SCHEME, path: `/${run.id}/${file}` });
    const resources = changes.map((c) => {
      const [left, right] = [uri(a, c.file), uri(b, c.file)];
      this.code.set(left.toString(), c.a);
      this.code.set(right.toString(), c.b);
      return [right, left, right];
    });
    await vscode.commands.executeCommand('vscode.changes', `Code: ${a.name} ↔ ${b.name}`, resources);
  }
}
