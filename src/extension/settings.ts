import * as vscode from 'vscode';
import type { Goal } from '../core/metrics/goals';
import { SETTINGS_SECTION, Settings } from './ids';

export interface EntryPointSetting {
  name?: string;
  command: string;
  args?: string[];
  params?: Record<string, unknown>;
  experiment?: string;
}

/** Typed reads of the runlens.* settings, always current (no caching across changes). */
export class ExtensionSettings {
  private get config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SETTINGS_SECTION);
  }

  storePath(folder: vscode.WorkspaceFolder): string {
    return vscode.workspace
      .getConfiguration(SETTINGS_SECTION, folder)
      .get<string>(Settings.storePath, '.runlens');
  }

  pythonPath(): string | undefined {
    return this.config.get<string>(Settings.pythonPath) || undefined;
  }

  codeLensEnabled(): boolean {
    return this.config.get<boolean>(Settings.codeLensEnabled, true);
  }

  stdoutPattern(): string | undefined {
    return this.config.get<string>(Settings.stdoutPattern) || undefined;
  }

  metricGoals(): Record<string, Goal> {
    return this.config.get<Record<string, Goal>>(Settings.metricGoals, {});
  }

  sweepConcurrency(): number {
    return Math.max(1, this.config.get<number>(Settings.sweepConcurrency, 2));
  }

  entryPoints(folder: vscode.WorkspaceFolder): EntryPointSetting[] {
    return vscode.workspace
      .getConfiguration(SETTINGS_SECTION, folder)
      .get<EntryPointSetting[]>(Settings.entryPoints, []);
  }

  pageSize(): number {
    return Math.max(10, this.config.get<number>(Settings.pageSize, 100));
  }

  static affects(e: vscode.ConfigurationChangeEvent, key: string): boolean {
    return e.affectsConfiguration(`${SETTINGS_SECTION}.${key}`);
  }
}
