import * as vscode from 'vscode';
import { Commands } from '../ids';
import type { ExplorerNode } from '../runs/experimentsTree';
import type { RunSelection } from '../runs/runSelection';
import { registerCommands } from '../shared/registerCommand';
import { CODE_SCHEME, ReproCommands } from './reproCommands';

/** Reproduce Run and What Changed (two runs: a summary, and the code in VS Code's diff editor). */
export function registerReproCommands(deps: { runs: RunSelection }): vscode.Disposable[] {
  const output = vscode.window.createOutputChannel('Runlens Reproduce');
  const c = new ReproCommands(deps.runs, output);
  return [
    output,
    vscode.workspace.registerTextDocumentContentProvider(CODE_SCHEME, c),
    ...registerCommands(
      {
        [Commands.reproduceRun]: (node?: ExplorerNode) => c.reproduce(node),
        [Commands.whatChanged]: (
          node?: ExplorerNode,
          nodes?: ExplorerNode[],
          options?: { keepOrder?: boolean },
        ) => c.whatChanged(node, nodes, options),
      },
      { log: (line) => output.appendLine(line) },
    ),
  ];
}
