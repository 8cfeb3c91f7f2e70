import * as vscode from 'vscode';
import { Commands } from '../ids';
import type { ExplorerNode } from '../runs/experimentsTree';
import type { RunSelection } from '../runs/runSelection';
import type { ExtensionSettings } from '../settings';
import { registerCommands } from '../shared/registerCommand';
import { CODE_SCHEME, ReproCommands } from './reproCommands';

/** Reproduce Run and What Changed (two runs: a summary, and the code in VS Code's diff editor). */
export function registerReproCommands(deps: {
  runs: RunSelection;
  settings: ExtensionSettings;
}): vscode.Disposable[] {
  const output = vscode.window.createOutputChannel('Runlens Reproduce');
  const c = new ReproCommands(deps.runs, output, deps.settings);
  return [
    output,
    vscode.workspace.registerTextDocumentContentProvider(CODE_SCHEME, c),
    ...registerCommands(
      {
        [Commands.reproduceRun]: (node?: ExplorerNode, _nodes?: ExplorerNode[], options?: { on?: 'local' }) =>
          c.reproduce(node, options),
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
