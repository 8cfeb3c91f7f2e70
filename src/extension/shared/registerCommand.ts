import * as vscode from 'vscode';
import { guardCommand } from './commandGuard';

const host = {
  isTrusted: () => vscode.workspace.isTrusted,
  warn: (m: string) => void vscode.window.showWarningMessage(m),
  error: (m: string) => void vscode.window.showErrorMessage(m),
};

/** A command handler as VS Code calls it: the arguments depend on where the command is invoked. */
export type CommandHandler = (...args: never[]) => unknown;

/** vscode.commands.registerCommand through the one command wrapper (trust check, error report). */
export function registerCommand<A extends unknown[]>(
  id: string,
  fn: (...args: A) => unknown,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, guardCommand(id, fn, host) as (...args: unknown[]) => unknown);
}

/** A feature's command table (command id -> handler), each registered through the one wrapper. */
export function registerCommands(table: Readonly<Record<string, CommandHandler>>): vscode.Disposable[] {
  return Object.entries(table).map(([id, fn]) => registerCommand(id, fn));
}
