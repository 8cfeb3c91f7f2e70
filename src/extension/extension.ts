import type * as vscode from 'vscode';
import { createRoot } from './root';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(createRoot(context));
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
