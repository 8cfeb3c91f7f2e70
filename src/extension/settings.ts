import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadPolicy } from '../core/gate/gate';
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

  /**
   * The goal of each metric: the runlens.metricGoals setting, overridden by the goals of the gate
   * policy in the workspace's runlens.yaml, so lenses, charts and the compare panel judge a delta
   * the way `runlens compare` does.
   */
  metricGoals(): Record<string, Goal> {
    const goals = { ...this.config.get<Record<string, Goal>>(Settings.metricGoals, {}) };
    for (const folder of vscode.workspace.workspaceFolders ?? [])
      Object.assign(goals, this.policyGoals(folder.uri.fsPath));
    return goals;
  }

  private readonly policyCache = new Map<string, { mtimeMs: number; goals: Record<string, Goal> }>();

  /** Goals named in runlens.yaml's gate policy, read again only when the file changed. */
  private policyGoals(workspace: string): Record<string, Goal> {
    let mtimeMs = -1;
    try {
      mtimeMs = fs.statSync(path.join(workspace, 'runlens.yaml')).mtimeMs;
    } catch {
      // no pipeline file: no policy goals
    }
    const cached = this.policyCache.get(workspace);
    if (cached?.mtimeMs === mtimeMs) return cached.goals;
    const goals: Record<string, Goal> = {};
    if (mtimeMs >= 0) {
      try {
        for (const [k, rule] of Object.entries(loadPolicy(workspace).metrics))
          if (rule.goal) goals[k] = rule.goal;
      } catch {
        // A broken runlens.yaml is reported by its diagnostics; the setting's goals still apply.
      }
    }
    this.policyCache.set(workspace, { mtimeMs, goals });
    return goals;
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
