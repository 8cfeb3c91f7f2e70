import type * as vscode from 'vscode';
import type { RunlensApi } from './root';
import { createRoot } from './root';

export function activate(context: vscode.ExtensionContext): RunlensApi {
  const { disposable, api } = createRoot(context);
  context.subscriptions.push(disposable);
  return api;
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
