// Shared by the suites that need a real model: the quickstart's training script, run through the
// CLI into the workspace store as a tracked run, then registered.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';

// This file runs as out/test/integration/suite/quickstart.js.
export const repo = path.resolve(__dirname, '../../../..');

/** The runlens CLI of this checkout, in the first workspace folder, with the extension host's Node. */
export function runlens(...args: string[]): string {
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!ws) throw new Error('no workspace folder open');
  return execFileSync(process.env.RUNLENS_NODE || 'node', [path.join(repo, 'bin/runlens.js'), ...args], {
    cwd: ws,
    encoding: 'utf8',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', RUNLENS_STORE: '' },
    timeout: 180_000,
  });
}

/** Train the quickstart model (5 epochs) in `experiment` and register it as version 1 of `model`. */
export function trainQuickstartModel(experiment: string, model: string): void {
  runlens(
    'run',
    '-e',
    experiment,
    '-n',
    'qs',
    '-p',
    'epochs=5',
    '--',
    'node',
    path.join(repo, 'examples/quickstart/train.js'),
  );
  const runs = JSON.parse(runlens('ls', '-e', experiment, '--json')) as { id: string }[];
  runlens('model', 'register', model, '--run', runs[0].id);
}
