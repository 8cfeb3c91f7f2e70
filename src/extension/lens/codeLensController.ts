import * as vscode from 'vscode';
import { Settings } from '../ids';
import { ExtensionSettings } from '../settings';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import { MetricLensProvider } from './metricLensProvider';
import { PullThrottle } from './pullThrottle';

/** The training scripts the lenses are offered on. */
const SELECTOR: vscode.DocumentSelector = [
  { language: 'python', scheme: 'file' },
  { language: 'javascript', scheme: 'file' },
  { language: 'typescript', scheme: 'file' },
  // the code cells of Jupyter notebooks (VS Code's notebook editor, with or without the Jupyter extension)
  { notebookType: 'jupyter-notebook', language: 'python' },
];

/** How often the files of a running run shown by lenses are checked for new points (ms). */
const FOLLOW_MS = 200;

/** Registers the providers while the setting is on; refreshes lenses when the store changes. */
export class CodeLensController implements vscode.Disposable {
  private registration: vscode.Disposable | undefined;
  private readonly provider: MetricLensProvider;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly throttle: PullThrottle;
  private readonly poll: ReturnType<typeof setInterval>;

  constructor(model: WorkspaceModel, settings: ExtensionSettings) {
    this.provider = new MetricLensProvider(model, settings);
    this.throttle = new PullThrottle(() => this.provider.refresh());
    this.provider.onProvide = () => this.throttle.pulled();
    this.apply(settings.codeLensEnabled());
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (ExtensionSettings.affects(e, Settings.codeLensEnabled)) this.apply(settings.codeLensEnabled());
        if (ExtensionSettings.affects(e, Settings.metricGoals)) this.provider.refresh();
      }),
      model.onDidChange(() => this.throttle.changed()),
      vscode.window.onDidChangeVisibleTextEditors(() => this.throttle.editorsChanged()),
      vscode.window.onDidChangeActiveTextEditor(() => this.throttle.editorsChanged()),
    );
    // A running run shown by lenses is followed on disk, not only through the model's events (a
    // debounce and a once-a-second poll behind its files).
    this.poll = setInterval(() => {
      if (this.provider.following && this.provider.changedOnDisk()) this.throttle.changed();
    }, FOLLOW_MS);
  }

  private apply(enabled: boolean): void {
    this.registration?.dispose();
    this.registration = enabled
      ? vscode.Disposable.from(
          vscode.languages.registerCodeLensProvider(SELECTOR, this.provider),
          vscode.languages.registerHoverProvider(SELECTOR, this.provider),
        )
      : undefined;
  }

  dispose(): void {
    clearInterval(this.poll);
    this.throttle.dispose();
    this.registration?.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
