import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { computeDrift } from '../../core/drift/compute';
import { openTable } from '../../core/data/table';
import type { DriftSource } from '../../protocol/drift';
import { SETTINGS_SECTION } from '../ids';
import { pickPackage } from '../models/pickers';
import { DriftPanels } from '../panels/driftPanel';
import type { DriftPanel } from '../panels/driftPanel';
import { failure } from '../shared/commandGuard';

const DATA_FILTERS = { 'CSV or JSON Lines': ['csv', 'jsonl', 'ndjson'] };

/**
 * Check Data Drift... (two files, optional windows by a column), Check Drift Against... (Explorer,
 * on a CSV: it is the current data), Check Serving Drift (a package's logged requests against its
 * training data, with online accuracy when there is feedback). Reports open in the drift panel.
 */
export class DriftCommands implements vscode.Disposable {
  readonly panels: DriftPanels;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    extensionUri: vscode.Uri,
    private readonly output: vscode.OutputChannel,
    /** The predict URL of the model served now, if any: its package is offered first. */
    private readonly servedEndpoint: () => string | undefined,
  ) {
    this.panels = new DriftPanels(extensionUri, (l) => output.appendLine(l));
    this.subscriptions.push(this.panels);
  }

  /**
   * Both files given as arguments are used as they are (no dialogs; windows only by the given `by`);
   * otherwise file dialogs for what is missing, then a pick of the `by` column.
   */
  async checkData(
    reference?: vscode.Uri,
    current?: vscode.Uri,
    by?: string,
  ): Promise<DriftPanel | undefined> {
    let ref = reference instanceof vscode.Uri ? reference : undefined;
    let cur = current instanceof vscode.Uri ? current : undefined;
    const fromArguments = ref !== undefined && cur !== undefined;
    ref ??= await this.pickFile(
      cur
        ? `Reference data to compare ${path.basename(cur.fsPath)} with`
        : 'Reference data (e.g. the training data)',
      'Use as Reference',
    );
    if (!ref) return undefined;
    cur ??= await this.pickFile(`Current data to compare with ${path.basename(ref.fsPath)}`, 'Compare');
    if (!cur) return undefined;
    if (!fromArguments && by === undefined) {
      const picked = await this.pickBy(cur.fsPath);
      if (picked === null) return undefined;
      by = picked;
    }
    return this.run({
      kind: 'files',
      reference: ref.fsPath,
      current: cur.fsPath,
      ...(by ? { by } : {}),
    });
  }

  async checkServing(
    dir?: vscode.Uri,
    feedback?: vscode.Uri,
    window: 'hour' | 'day' = 'hour',
  ): Promise<DriftPanel | undefined> {
    const target =
      dir?.fsPath ??
      (await pickPackage({
        title: 'Check the drift of which served model?',
        none: 'package a model version and serve it first.',
        servedEndpoint: this.servedEndpoint(),
      }));
    if (!target) return undefined;
    const fb = feedback?.fsPath ?? this.feedbackFile(target);
    return this.run({ kind: 'serving', dir: target, window, ...(fb ? { feedback: fb } : {}) });
  }

  private async run(source: DriftSource): Promise<DriftPanel | undefined> {
    const what =
      source.kind === 'files'
        ? `${path.basename(source.current)} against ${path.basename(source.reference)}`
        : `the requests logged by ${path.basename(source.dir)}`;
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Runlens: checking the drift of ${what}…` },
        () => computeDrift(source, (f) => vscode.workspace.asRelativePath(f, false)),
      );
      const s = result.snapshot;
      this.output.appendLine(
        `[drift] ${what}: ${s.drifted}/${s.tested} columns drifted, dataset drift ${s.datasetDrift ? 'yes' : 'no'}`,
      );
      return this.panels.show(result);
    } catch (e) {
      throw failure(`could not check drift of ${what}`, e);
    }
  }

  private async pickFile(title: string, openLabel: string): Promise<vscode.Uri | undefined> {
    const picked = await vscode.window.showOpenDialog({
      title,
      openLabel,
      canSelectMany: false,
      filters: DATA_FILTERS,
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    return picked?.[0];
  }

  /** A column to split the current data into windows by: undefined for none, null when cancelled. */
  private async pickBy(file: string): Promise<string | undefined | null> {
    const t = await openTable(file);
    const header = t.header;
    // Only the header is needed: stop reading (closes the file).
    for await (const _row of t.rows) break;
    const none = { label: 'No windows', description: 'compare the whole files', column: undefined };
    const chosen = await vscode.window.showQuickPick(
      [none, ...header.map((c) => ({ label: c, description: 'one window per value', column: c }))],
      { title: 'Split the current data into windows by a column? (a drift timeline)' },
    );
    if (!chosen) return null;
    return chosen.column;
  }

  /** runlens.monitor.feedbackFile (relative to the package), else feedback.csv/.jsonl in the package. */
  private feedbackFile(dir: string): string | undefined {
    const setting = vscode.workspace
      .getConfiguration(SETTINGS_SECTION)
      .get<string>('monitor.feedbackFile', '')
      .trim();
    const candidates = setting
      ? [path.resolve(dir, setting)]
      : ['feedback.csv', 'feedback.jsonl'].map((f) => path.join(dir, f));
    const found = candidates.find((f) => fs.existsSync(f));
    if (setting && !found) this.output.appendLine(`[drift] feedback file ${candidates[0]} does not exist`);
    return found;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
