import * as vscode from 'vscode';
import { guardCommand } from './commandGuard';

const host = {
  isTrusted: () => vscode.workspace.isTrusted,
  warn: (m: string) => void vscode.window.showWarningMessage(m),
  error: (m: string) => void vscode.window.showErrorMessage(m),
};

/** vscode.commands.registerCommand through the one command wrapper (trust check, error report). */
export function registerCommand<A extends unknown[]>(
  id: string,
  fn: (...args: A) => unknown,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, guardCommand(id, fn, host) as (...args: unknown[]) => unknown);
}
