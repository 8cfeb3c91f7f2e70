import type * as vscode from 'vscode';
import { Commands } from '../ids';
import { registerCommands } from '../shared/registerCommand';
import type { DataValidation } from './dataValidation';

/** Infer Data Schema and Validate Data (the active file, or the one the command was invoked on). */
export function registerDataCommands(data: DataValidation): vscode.Disposable[] {
  return registerCommands({
    [Commands.inferSchema]: (uri?: vscode.Uri) => data.infer(uri),
    [Commands.validateData]: (uri?: vscode.Uri) => data.validate(uri),
  });
}
