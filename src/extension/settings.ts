import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadPolicy } from '../core/gate/gate';
import type { Goal } from '../core/metrics/goals';
import { STORE_DIR_NAME } from '../core/store/layout';
import type { JobResources } from '../core/store/types';
import { workspaceStoreDir } from '../core/store/resolve';
import { SETTINGS_SECTION, Settings } from './ids';

export interface EntryPointSetting {
  name?: string;
  command: string;
  args?: string[];
  params?: Record<string, unknown>;
  experiment?: string;
}

/** Typed reads of the runlens.* settings, always current; the gate policy's goals are cached until a runlens.yaml changes. */
export class ExtensionSettings implements vscode.Disposable {
  private get config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SETTINGS_SECTION);
  }

  storePath(folder: vscode.WorkspaceFolder): string {
    return vscode.workspace
      .getConfiguration(SETTINGS_SECTION, folder)
      .get<string>(Settings.storePath, STORE_DIR_NAME);
  }

  /** The store folder of a workspace folder, by the one rule of core/store/resolve.ts. */
  storeDir(folder: vscode.WorkspaceFolder): string {
    return workspaceStoreDir(folder.uri.fsPath, this.storePath(folder));
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
    // Asked for by every tree item and lens: reading the setting each time cost about 0.1 ms (a
    // tenth of a second for a tree of 1,000 runs). Kept until a setting or a runlens.yaml changes.
    if (this.goals) return this.goals;
    const goals = { ...this.config.get<Record<string, Goal>>(Settings.metricGoals, {}) };
    for (const folder of vscode.workspace.workspaceFolders ?? [])
      Object.assign(goals, this.policyGoals(folder.uri.fsPath));
    this.goals = goals;
    return goals;
  }

  private goals: Record<string, Goal> | undefined;

  private readonly policyCache = new Map<string, Record<string, Goal>>();
  // Goals are asked for on every tree item and lens: the policy is read once, again only after
  // a runlens.yaml changed.
  private readonly policyWatcher = vscode.workspace.createFileSystemWatcher('**/runlens.yaml');
  private readonly policyWatch = [
    this.policyWatcher,
    this.policyWatcher.onDidChange(() => this.policyChanged()),
    this.policyWatcher.onDidCreate(() => this.policyChanged()),
    this.policyWatcher.onDidDelete(() => this.policyChanged()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SETTINGS_SECTION)) this.goals = undefined;
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => (this.goals = undefined)),
  ];

  private policyChanged(): void {
    this.policyCache.clear();
    this.goals = undefined;
  }

  /** Goals named in the gate policy of the workspace folder's runlens.yaml. */
  private policyGoals(workspace: string): Record<string, Goal> {
    const cached = this.policyCache.get(workspace);
    if (cached) return cached;
    const goals: Record<string, Goal> = {};
    if (fs.existsSync(path.join(workspace, 'runlens.yaml'))) {
      try {
        for (const [k, rule] of Object.entries(loadPolicy(workspace).metrics))
          if (rule.goal) goals[k] = rule.goal;
      } catch {
        // A broken runlens.yaml is reported by its diagnostics; the setting's goals still apply.
      }
    }
    this.policyCache.set(workspace, goals);
    return goals;
  }

  dispose(): void {
    for (const d of this.policyWatch) d.dispose();
  }

  sweepConcurrency(): number {
    return Math.max(1, this.config.get<number>(Settings.sweepConcurrency, 2));
  }

  /** Launched runs sample CPU, memory and GPUs as system/ metrics every 5 s (runlens.systemMetrics.enabled). */
  systemMetrics(): boolean {
    return this.config.get<boolean>(Settings.systemMetrics, true);
  }

  /** The runlens.slurm.* settings of a folder: the resources a launch on the cluster starts from. */
  slurmResources(folder: vscode.WorkspaceFolder): JobResources {
    const c = vscode.workspace.getConfiguration(SETTINGS_SECTION, folder);
    const text = (k: string) => c.get<string>(k)?.trim() || undefined;
    const count = (k: string) => {
      const n = c.get<number | null>(k);
      return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : undefined;
    };
    const extra = (c.get<string[]>(Settings.slurmSbatch) ?? []).filter(
      (x) => typeof x === 'string' && x.trim(),
    );
    const r: JobResources = {
      partition: text(Settings.slurmPartition),
      time: text(Settings.slurmTime),
      cpus: count(Settings.slurmCpus),
      mem: text(Settings.slurmMem),
      gpus: count(Settings.slurmGpus),
      gpuType: text(Settings.slurmGpuType),
      account: text(Settings.slurmAccount),
      qos: text(Settings.slurmQos),
      extra: extra.length ? extra : undefined,
    };
    return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as JobResources;
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
