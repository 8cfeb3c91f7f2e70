import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import { packageModel } from '../../core/serving/package';
import type { ServerHandle, SmokeResult } from '../../core/serving/serve';
import { smokeTest, startServer } from '../../core/serving/serve';
import { Commands } from '../ids';
import { pickPackage, pickVersion } from '../models/pickers';
import type { VersionNode } from '../models/pickers';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import { failure } from '../shared/commandGuard';

/**
 * Package Model for Serving (Models view), Serve Model Locally (a package folder: started as a
 * child process on 127.0.0.1, then smoke-tested against in-process predictions), Stop Serving.
 * The status bar shows the endpoint while a model is served.
 */
export class Serving implements vscode.Disposable {
  private server: ServerHandle | undefined;
  private readonly status = vscode.window.createStatusBarItem(
    'runlens.serving',
    vscode.StatusBarAlignment.Left,
    9,
  );
  private readonly subscriptions: vscode.Disposable[] = [];
  lastSmoke: SmokeResult | undefined;

  constructor(
    private readonly model: WorkspaceModel,
    private readonly output: vscode.OutputChannel,
  ) {
    this.status.name = 'Runlens Serving';
    this.subscriptions.push(this.status);
  }

  get endpoint(): string | undefined {
    return this.server?.predictUrl;
  }

  async package(node: VersionNode | undefined, force = false): Promise<string | undefined> {
    const target = node ?? (await pickVersion(this.model, 'Package which model version?'));
    if (!target) return undefined;
    const folder = this.model.byKey(target.folder);
    if (!folder?.store) throw new Error('the store of this model is not open');
    const out = path.join(folder.folder.uri.fsPath, 'serving', target.name);
    try {
      const r = await packageModel(folder.store, `${target.name}@${target.version}`, { out, force });
      const serve = 'Serve Locally';
      void vscode.window
        .showInformationMessage(
          `Runlens: packaged ${target.name} v${target.version} in ${vscode.workspace.asRelativePath(r.dir)} (${r.files.length} files, ${r.ms} ms).`,
          serve,
        )
        .then((c) =>
          c === serve
            ? vscode.commands.executeCommand(Commands.serveModel, vscode.Uri.file(r.dir))
            : undefined,
        );
      return r.dir;
    } catch (e) {
      const message = errorMessage(e);
      if (/gate verdict is fail/.test(message) && !force) {
        const anyway = 'Package Anyway';
        const c = await vscode.window.showWarningMessage(`Runlens: ${message}`, { modal: true }, anyway);
        return c === anyway ? this.package(target, true) : undefined;
      }
      throw failure(`could not package ${target.name} v${target.version}`, e);
    }
  }

  async serve(dir?: vscode.Uri): Promise<SmokeResult | undefined> {
    const target =
      dir?.fsPath ??
      (await pickPackage({
        title: 'Serve which package?',
        none: 'use "Package Model for Serving" on a model version.',
      }));
    if (!target) return undefined;
    await this.stop();
    try {
      this.server = await startServer(target, {
        port: 0,
        // the extension host may be Electron: run the server as plain Node
        env: { ELECTRON_RUN_AS_NODE: '1' },
        onStderr: (line) => this.output.appendLine(`[serve] ${line}`),
      });
    } catch (e) {
      throw failure(`could not serve ${target}`, e);
    }
    const server = this.server;
    void server.exited.then(() => {
      if (this.server === server) {
        this.server = undefined;
        this.status.hide();
      }
    });
    this.status.text = `$(broadcast) ${server.model} on ${new URL(server.url).host}`;
    this.status.tooltip = `Runlens is serving ${server.model} (${server.backendDescription})\n${server.predictUrl}\nClick to stop.`;
    this.status.command = Commands.stopServing;
    this.status.show();
    const smoke = await smokeTest(server).catch((e: unknown) => {
      this.output.appendLine(`[serve] smoke test: ${errorMessage(e)}`);
      return undefined;
    });
    this.lastSmoke = smoke;
    const summary = smoke
      ? `smoke test ${smoke.ok ? 'passed' : 'FAILED'}: ${smoke.rows} rows, largest difference ${smoke.maxDifference}, ${smoke.labelMismatches} label mismatches (${smoke.servedBackend})`
      : 'smoke test could not run (see the Runlens output)';
    this.output.appendLine(`[serve] ${server.predictUrl}: ${summary}`);
    const notify = smoke?.ok ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
    void notify(`Runlens: serving ${server.model} at ${server.predictUrl}; ${summary}.`);
    return smoke;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.status.hide();
    if (server) await server.stop();
  }

  dispose(): void {
    void this.stop();
    for (const s of this.subscriptions) s.dispose();
  }
}
