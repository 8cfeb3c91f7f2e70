import * as path from 'node:path';
import type * as vscode from 'vscode';
import { writeCliShim } from './cliShim';

/**
 * `runlens` on PATH in the integrated terminal: a shim in the extension's global storage that runs
 * this extension's dist/cli.js with VS Code's runtime, prepended to PATH through the extension's
 * environment variable collection (terminals opened before activation show a relaunch hint).
 */
export function registerTerminalCli(context: vscode.ExtensionContext): void {
  try {
    const bin = writeCliShim(
      path.join(context.globalStorageUri.fsPath, 'bin'),
      process.execPath,
      path.join(context.extensionPath, 'dist', 'cli.js'),
    );
    const env = context.environmentVariableCollection;
    env.description = 'Puts the `runlens` command on PATH';
    env.prepend('PATH', bin + path.delimiter);
  } catch (e) {
    // Not fatal: the views and commands work without the terminal command.
    console.warn(`Runlens: could not put runlens on the terminal's PATH: ${(e as Error).message}`);
  }
}
