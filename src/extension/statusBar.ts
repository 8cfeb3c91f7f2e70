import * as vscode from 'vscode';
import { formatNumber } from '../core/format';
import { Commands } from './ids';
import type { ExtensionSettings } from './settings';
import type { WorkspaceModel } from './storeModel';
import { keyMetric } from './experimentsTree';

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
    const running = this.model.allRuns().filter((r) => r.entry.status === 'running');
    if (running.length === 0) {
      this.item.hide();
      return;
    }
    const newest = running.sort((a, b) => b.entry.startTime - a.entry.startTime)[0];
    const km = keyMetric(newest.entry, this.settings.metricGoals());
    const metric = km ? ` ${km} ${formatNumber(newest.entry.metrics[km].last)}` : '';
    this.item.text = `$(loading~spin) ${running.length} running · ${newest.entry.name}${metric}`;
    this.item.tooltip = `Runlens: ${running.length} run${running.length === 1 ? '' : 's'} training. Click to reveal ${newest.entry.name}.`;
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
