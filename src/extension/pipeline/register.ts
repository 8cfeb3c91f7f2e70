import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { PipelineRunResult } from '../../core/pipeline/types';
import { Commands } from '../ids';
import { failure } from '../shared/commandGuard';
import { registerCommands } from '../shared/registerCommand';
import type { ContinuousTraining } from './continuousTraining';
import type { PipelineRunner, RunRequest } from './pipelineRunner';
import { notifyResult, templateFor } from './pipelineRunner';

/** Run Pipeline (also forced, or one stage), Create runlens.yaml, Show Pipeline Log, Start/Stop Continuous Training. */
export function registerPipelineCommands(
  runner: PipelineRunner,
  continuousTraining: ContinuousTraining,
): vscode.Disposable[] {
  return registerCommands({
    [Commands.runPipeline]: (options?: RunRequest) => runFromEditor(runner, options ?? {}),
    [Commands.runPipelineForce]: () => runFromEditor(runner, { force: true }),
    [Commands.runPipelineStage]: async (node?: { name?: string }) => {
      const stage = node?.name || (await pickStage(runner));
      return stage ? runFromEditor(runner, { stage }) : undefined;
    },
    [Commands.createPipelineFile]: () => createPipelineFile(runner),
    [Commands.showPipelineLog]: () => runner.output.show(),
    [Commands.startContinuousTraining]: () => continuousTraining.start(),
    [Commands.stopContinuousTraining]: () => continuousTraining.stop(),
  });
}

async function runFromEditor(
  runner: PipelineRunner,
  request: RunRequest,
): Promise<PipelineRunResult | undefined> {
  if (runner.running)
    vscode.window.setStatusBarMessage('Runlens: a pipeline is running; this run starts after it', 4000);
  runner.output.show(true);
  let result: PipelineRunResult;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Runlens pipeline' },
      (progress) => {
        const sub = runner.onDidChange(() => {
          const r = runner.snapshot().stages.find((s) => s.state === 'running');
          if (r) progress.report({ message: `${r.name}: running` });
        });
        return runner.run({ ...request, trigger: request.trigger ?? 'VS Code' }).finally(() => sub.dispose());
      },
    );
  } catch (e) {
    throw failure('the pipeline could not run', e);
  }
  notifyResult(result);
  return result;
}

async function pickStage(runner: PipelineRunner): Promise<string | undefined> {
  const names = runner.snapshot().stages.map((s) => s.name);
  if (!names.length) throw new Error('no stages: open a folder with a runlens.yaml');
  return vscode.window.showQuickPick(names, {
    placeHolder: 'Run which stage (and the stages it depends on)?',
  });
}

async function createPipelineFile(runner: PipelineRunner): Promise<void> {
  const ctx = runner.context();
  if (!ctx) throw new Error('open a folder first');
  if (!fs.existsSync(ctx.file))
    fs.writeFileSync(ctx.file, templateFor(ctx.folder.uri.fsPath), { flag: 'wx' });
  runner.invalidate();
  await vscode.window.showTextDocument(vscode.Uri.file(ctx.file));
}
