import * as vscode from 'vscode';
import { Watcher } from '../../core/pipeline/watch';
import { Commands, ContextKeys } from '../ids';
import type { PipelineRunner } from './pipelineRunner';
import { notifyResult } from './pipelineRunner';
import { clock } from './stageLabels';
import { failure } from '../shared/commandGuard';

const REASON_CHARS = 40;

/**
 * Continuous training in the extension host: the core Watcher with the triggers of runlens.yaml
 * (watched data, cron, drift of served requests) runs the pipeline through the shared runner, so
 * the Pipeline view shows those runs live. A status bar item says whether it is running or watching.
 */
export class ContinuousTraining implements vscode.Disposable {
  private watcher?: Watcher;
  private readonly item = vscode.window.createStatusBarItem(
    'runlens.continuousTraining',
    vscode.StatusBarAlignment.Left,
    49,
  );
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly runner: PipelineRunner) {
    this.item.name = 'Runlens Continuous Training';
    this.item.command = { command: Commands.showPipelineLog, title: 'Show Pipeline Log' };
    this.subscriptions.push(runner.onDidChange(() => this.update()));
    void vscode.commands.executeCommand('setContext', ContextKeys.watching, false);
  }

  get watching(): boolean {
    return this.watcher !== undefined;
  }

  /** The running watcher (its watched paths, last trigger and last drift check). */
  get current(): Watcher | undefined {
    return this.watcher;
  }

  /** The status bar text, for tests. */
  get statusText(): string | undefined {
    return this.watcher ? this.item.text : undefined;
  }

  start(): boolean {
    if (this.watcher) return true;
    const ctx = this.runner.context();
    const store = this.runner.openStore(true);
    if (!ctx || !store) {
      void vscode.window.showErrorMessage(
        'Runlens: open a folder with a runlens.yaml to start continuous training.',
      );
      return false;
    }
    const out = this.runner.output;
    let watcher: Watcher;
    try {
      watcher = new Watcher(store, ctx.file, {
        run: (reason) => this.runner.run({ trigger: reason }),
        log: (line) => {
          out.appendLine(line);
          // A data file removed or renamed under the watcher: it keeps watching the others.
          if (/disappeared|cannot watch/.test(line))
            void vscode.window.showWarningMessage(`Runlens: ${line}`);
        },
        onRunDone: (r) => {
          // Quiet when it worked: the view and the status bar show it. Said when something needs a look.
          if (!r.ok) notifyResult(r, 'Runlens continuous training: ');
          this.update();
        },
      });
      watcher.start();
    } catch (e) {
      throw failure('cannot start continuous training', e);
    }
    this.watcher = watcher;
    void vscode.commands.executeCommand('setContext', ContextKeys.watching, true);
    const what = [
      watcher.watched.map((w) => w.rel).join(', '),
      watcher.cron ? `cron "${watcher.cron}"` : '',
      watcher.driftPackage ? `drift of ${watcher.driftPackage}` : '',
    ].filter(Boolean);
    vscode.window.setStatusBarMessage(`Runlens: continuous training watches ${what.join('; ')}`, 5000);
    this.update();
    return true;
  }

  stop(): void {
    if (!this.watcher) return;
    this.watcher.stop();
    this.watcher = undefined;
    this.runner.output.appendLine('runlens watch: stopped');
    void vscode.commands.executeCommand('setContext', ContextKeys.watching, false);
    this.update();
  }

  private update(): void {
    const w = this.watcher;
    if (!w) {
      this.item.hide();
      return;
    }
    const last = w.lastTrigger;
    const reason = last?.reason ?? '';
    if (this.runner.running) {
      this.item.text = '$(sync~spin) CT: running';
    } else {
      const short = reason.length > REASON_CHARS ? `${reason.slice(0, REASON_CHARS - 1)}…` : reason;
      this.item.text = last
        ? `$(eye) CT: watching · last: ${short} ${clock(last.time)}`
        : '$(eye) CT: watching';
    }
    const lines = [
      `Runlens continuous training: ${this.runner.running ? 'a pipeline is running' : 'watching'}.`,
      `Triggers: ${[w.watched.map((x) => x.rel).join(', '), w.cron ? `cron "${w.cron}"` : '', w.driftPackage ? `drift of ${w.driftPackage}` : ''].filter(Boolean).join('; ')}.`,
      last
        ? `Last trigger: ${reason} at ${clock(last.time)}${last.ok === undefined ? '' : last.ok ? ' (succeeded)' : ' (failed)'}.`
        : '',
      w.lastDriftCheck ? `Last drift check: ${w.lastDriftCheck.reason}.` : '',
      'Click to show the pipeline log.',
    ];
    this.item.tooltip = lines.filter(Boolean).join('\n');
    this.item.accessibilityInformation = { label: this.item.tooltip };
    this.item.show();
  }

  dispose(): void {
    this.watcher?.stop();
    this.watcher = undefined;
    this.item.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
