import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../core/errors';
import { loadPipeline } from '../core/pipeline/parse';
import { runPipeline } from '../core/pipeline/run';
import type { PipelineRunResult } from '../core/pipeline/types';
import { Store } from '../core/store/store';
import { Commands } from './ids';
import type { ExtensionSettings } from './settings';

/**
 * "Run Pipeline": the workspace's runlens.yaml through the same core runner as `runlens pipeline
 * run`; each stage's state and output go to the Runlens output channel, the result to a notification.
 */
export function registerPipelineCommand(
  settings: ExtensionSettings,
  output: vscode.OutputChannel,
): vscode.Disposable {
  return vscode.commands.registerCommand(
    Commands.runPipeline,
    async (options?: { force?: boolean; stage?: string }): Promise<PipelineRunResult | undefined> => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (!folder) throw new Error('open a folder with a runlens.yaml first');
      const file = path.join(folder.uri.fsPath, 'runlens.yaml');
      let result: PipelineRunResult;
      try {
        const pipeline = loadPipeline(file);
        const store = Store.open(path.join(folder.uri.fsPath, settings.storePath(folder)), { create: true });
        output.show(true);
        output.appendLine(`pipeline ${vscode.workspace.asRelativePath(file)}`);
        result = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: 'Runlens pipeline' },
          (progress) =>
            runPipeline(store, pipeline, {
              force: options?.force,
              stage: options?.stage,
              trigger: 'VS Code',
              onEvent: (e) => {
                progress.report({ message: `${e.stage}: ${e.state}` });
                output.appendLine(`[${e.stage}] ${e.state}${e.reason ? ` (${e.reason})` : ''}`);
              },
              onOutput: (stage, chunk) => output.append(chunk.toString('utf8').replace(/^/gm, `[${stage}] `)),
            }),
        );
      } catch (e) {
        void vscode.window.showErrorMessage(`Runlens: the pipeline could not run: ${errorMessage(e)}`);
        return undefined;
      }
      const ran = result.stages.length;
      const message = result.ok
        ? `Runlens: pipeline done: ${ran} stages in ${(result.durationMs / 1000).toFixed(1)} s.`
        : `Runlens: pipeline failed at ${result.failed.join(', ')}.`;
      void (result.ok ? vscode.window.showInformationMessage : vscode.window.showErrorMessage)(message);
      return result;
    },
  );
}
