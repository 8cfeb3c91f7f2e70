import * as vscode from 'vscode';
import { formatNumber } from '../../core/format';
import { Commands } from '../ids';
import type { ExtensionSettings } from '../settings';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import { keyMetric, trainingNow } from './runLabels';

/** Running runs and the newest one's key metric; a click reveals it in the explorer. */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'runlens.status',
    vscode.StatusBarAlignment.Left,
    50,
  );
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly model: WorkspaceModel,
    private readonly settings: ExtensionSettings,
  ) {
    this.item.name = 'Runlens';
    this.subscription = model.onDidChange(() => this.update());
    this.update();
  }

  update(): void {
    // Only queued and running runs can show here: the others stay columns (see RunTable).
    const all = this.model.openRuns();
    const running = trainingNow(all);
    const cluster = all.filter(
      (r) => r.entry.job && (r.entry.status === 'running' || r.entry.status === 'queued'),
    );
    const queued = cluster.filter((r) => r.entry.status === 'queued').length;
    if (running.length === 0 && queued === 0) {
      this.item.hide();
      return;
    }
    if (running.length === 0) {
      this.item.text = `$(server) ${queued} queued on Slurm`;
      this.item.tooltip = `Runlens: ${queued} cluster run${queued === 1 ? '' : 's'} waiting for the scheduler.`;
      this.item.command = undefined;
      this.item.show();
      return;
    }
    const newest = running.sort((a, b) => b.entry.startTime - a.entry.startTime)[0];
    const km = keyMetric(newest.entry, this.settings.metricGoals());
    const metric = km ? ` ${km} ${formatNumber(newest.entry.metrics[km].last)}` : '';
    const onSlurm = cluster.length
      ? ` · Slurm ${cluster.length - queued} running${queued ? `, ${queued} queued` : ''}`
      : '';
    this.item.text = `$(loading~spin) ${running.length} running · ${newest.entry.name}${metric}${onSlurm}`;
    this.item.tooltip = `Runlens: ${running.length} run${running.length === 1 ? '' : 's'} training${onSlurm ? ` (cluster: ${cluster.length - queued} running, ${queued} queued)` : ''}. Click to reveal ${newest.entry.name}.`;
    this.item.command = {
      command: Commands.revealRun,
      title: 'Reveal Run',
      arguments: [newest.folder.folder.uri.toString(), newest.entry.id],
    };
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
