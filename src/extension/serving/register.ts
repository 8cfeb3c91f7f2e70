import type * as vscode from 'vscode';
import { Commands } from '../ids';
import type { VersionNode } from '../models/pickers';
import { registerCommands } from '../shared/registerCommand';
import type { Serving } from './serving';

/** Package Model for Serving, Serve Model Locally, Stop Serving. */
export function registerServingCommands(serving: Serving): vscode.Disposable[] {
  return registerCommands({
    [Commands.packageModel]: (node?: VersionNode, force?: boolean) => serving.package(node, force === true),
    [Commands.serveModel]: (dir?: vscode.Uri) => serving.serve(dir),
    [Commands.stopServing]: () => serving.stop(),
  });
}
