import * as vscode from 'vscode';
import { guardCommand } from './commandGuard';

const host = {
  isTrusted: () => vscode.workspace.isTrusted,
  warn: (m: string) => void vscode.window.showWarningMessage(m),
  error: (m: string) => void vscode.window.showErrorMessage(m),
};

/** A command handler as VS Code calls it: the arguments depend on where the command is invoked. */
export type CommandHandler = (...args: never[]) => unknown;

export interface CommandOptions {
  /** Also write a reported error here (the feature's output channel). */
  log?: (line: string) => void;
}

/** vscode.commands.registerCommand through the one command wrapper (trust check, error report). */
export function registerCommand<A extends unknown[]>(
  id: string,
  fn: (...args: A) => unknown,
  options: CommandOptions = {},
): vscode.Disposable {
  const guarded = guardCommand(id, fn, { ...host, log: options.log });
  return vscode.commands.registerCommand(id, guarded as (...args: unknown[]) => unknown);
}

/** A feature's command table (command id -> handler), each registered through the one wrapper. */
export function registerCommands(
  table: Readonly<Record<string, CommandHandler>>,
  options: CommandOptions = {},
): vscode.Disposable[] {
  return Object.entries(table).map(([id, fn]) => registerCommand(id, fn, options));
}
