import * as vscode from 'vscode';
import { RunlensError, errorMessage } from '../../core/errors';
import { formatNumber } from '../../core/format';
import { Store } from '../../core/store/store';
import type { RunEntry } from '../../core/store/types';
import type { MlflowExperimentInfo } from '../../core/sync/client';
import { MlflowClient } from '../../core/sync/client';
import type { RemoteAuth, RemoteConfig } from '../../core/sync/config';
import { findRemote } from '../../core/sync/config';
import { MirrorSyncer } from '../../core/sync/mirror';
import type { PullReport } from '../../core/sync/pull';
import { listRemoteExperiments, pullRuns } from '../../core/sync/pull';
import { ORIGIN_TAG, pushRuns } from '../../core/sync/push';
import type { ExplorerNode } from '../runs/experimentsTree';
import { Commands, SETTINGS_SECTION, Settings, Views } from '../ids';
import type { ExtensionSettings } from '../settings';
import type { FolderStore, WorkspaceModel } from '../workspace/workspaceModel';

const TEAM_VIEW = Views.team;
const SECRET_KEY = 'runlens.mlflow.credentials';
const URI_SETTING = Settings.remoteMlflowUri;

export type TeamNode =
  | { kind: 'message'; text: string; tooltip?: string }
  | { kind: 'experiment'; folder: string; experiment: MlflowExperimentInfo }
  | { kind: 'run'; folder: string; id: string };

/**
 * The Team view: the experiments of the team's MLflow server; expanding one pulls its runs into the
 * folder's store (read-only copies marked runlens.origin) and lists them. Also "Push Runs to MLflow",
 * "Set MLflow Credentials" (kept in SecretStorage, never in settings), and the mirror when
 * runlens.yaml says `remote.mirror: true`.
 */
export class TeamView implements vscode.TreeDataProvider<TeamNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TeamNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  private readonly mirrors = new Map<string, { syncer: MirrorSyncer; client: MlflowClient }>();
  /** The last pull of each experiment (by folder and experiment id), for tests and the tooltip. */
  readonly pulls = new Map<string, PullReport>();
  private warned = new Set<string>();

  constructor(
    private readonly model: WorkspaceModel,
    private readonly settings: ExtensionSettings,
    private readonly secrets: vscode.SecretStorage,
    private readonly output: vscode.OutputChannel,
  ) {
    this.disposables.push(
      vscode.window.createTreeView(TEAM_VIEW, { treeDataProvider: this, showCollapseAll: true }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SETTINGS_SECTION}.${URI_SETTING}`)) this.refresh();
      }),
      this.model.onDidChange(() => this.emitter.fire(undefined)),
    );
    void this.startMirrors();
  }

  refresh(): void {
    void this.startMirrors();
    this.emitter.fire(undefined);
  }

  /** The server of a folder (runlens.yaml, the setting, MLFLOW_TRACKING_URI) with the stored credentials. */
  async remote(folder: FolderStore): Promise<RemoteConfig | undefined> {
    const saved = await this.secrets.get(SECRET_KEY);
    const secrets = saved ? (JSON.parse(saved) as RemoteAuth) : undefined;
    const remote = findRemote({
      root: folder.folder.uri.fsPath,
      settingUri:
        vscode.workspace.getConfiguration(SETTINGS_SECTION, folder.folder).get<string>(URI_SETTING) ||
        undefined,
      secrets,
    });
    for (const w of remote?.warnings ?? []) {
      if (this.warned.has(w)) continue;
      this.warned.add(w);
      this.output.appendLine(`warning: ${w}`);
      void vscode.window.showWarningMessage(`Runlens: ${w}`);
    }
    return remote;
  }

  private folders(): FolderStore[] {
    return this.model.folders;
  }

  async getChildren(node?: TeamNode): Promise<TeamNode[]> {
    if (!node) {
      const out: TeamNode[] = [];
      for (const f of this.folders()) {
        let remote: RemoteConfig | undefined;
        try {
          remote = await this.remote(f);
        } catch (e) {
          out.push({ kind: 'message', text: errorMessage(e) });
          continue;
        }
        if (!remote) continue;
        const client = new MlflowClient(remote);
        try {
          const exps = await listRemoteExperiments(client);
          out.push(
            ...exps.map((experiment): TeamNode => ({
              kind: 'experiment',
              folder: f.folder.uri.toString(),
              experiment,
            })),
          );
          if (exps.length === 0) out.push({ kind: 'message', text: `No experiments on ${client.server}` });
        } catch (e) {
          out.push({
            kind: 'message',
            text: errorMessage(e),
            tooltip: e instanceof RunlensError ? e.hint : undefined,
          });
        } finally {
          client.close();
        }
      }
      if (out.length === 0) {
        out.push({
          kind: 'message',
          text: 'No MLflow server: set runlens.remote.mlflowUri, remote.mlflow in runlens.yaml, or MLFLOW_TRACKING_URI',
        });
      }
      return out;
    }
    if (node.kind !== 'experiment') return [];
    const folder = this.model.byKey(node.folder);
    if (!folder) return [];
    const remote = await this.remote(folder);
    if (!remote) return [];
    const client = new MlflowClient(remote);
    try {
      const store = Store.open(this.settings.storeDir(folder.folder), { create: true });
      const report = await vscode.window.withProgress(
        { location: { viewId: TEAM_VIEW }, title: `Pulling ${node.experiment.name}` },
        () => pullRuns(store, client, { experiments: [node.experiment.name] }),
      );
      this.pulls.set(`${node.folder}|${node.experiment.experiment_id}`, report);
      this.output.appendLine(
        `pull ${node.experiment.name} from ${report.server}: ${report.runs.created} new, ${report.runs.updated} updated, ${report.runs.skipped} unchanged, ${report.points} points`,
      );
      folder.reload();
      const runs = store
        .listRuns()
        .entries.filter(
          (e) =>
            e.tags[ORIGIN_TAG] === client.server &&
            e.tags['mlflow.experiment_id'] === node.experiment.experiment_id,
        )
        .sort((a, b) => b.startTime - a.startTime);
      if (runs.length === 0) return [{ kind: 'message', text: 'No runs' }];
      return runs.map((e) => ({ kind: 'run', folder: node.folder, id: e.id }));
    } catch (e) {
      return [
        { kind: 'message', text: errorMessage(e), tooltip: e instanceof RunlensError ? e.hint : undefined },
      ];
    } finally {
      client.close();
    }
  }

  getTreeItem(node: TeamNode): vscode.TreeItem {
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(node.text);
      item.tooltip = node.tooltip ?? node.text;
      item.iconPath = new vscode.ThemeIcon('info');
      return item;
    }
    if (node.kind === 'experiment') {
      const item = new vscode.TreeItem(node.experiment.name, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `team:${node.folder}:${node.experiment.experiment_id}`;
      item.description = 'MLflow';
      item.tooltip = `Experiment ${node.experiment.experiment_id} on the team's MLflow server; expand to pull its runs`;
      item.iconPath = new vscode.ThemeIcon('organization');
      item.contextValue = 'teamExperiment';
      return item;
    }
    const entry: RunEntry | undefined = this.model.byKey(node.folder)?.entries.get(node.id);
    const item = new vscode.TreeItem(entry?.name ?? node.id);
    item.id = `team:${node.folder}:${node.id}`;
    const summary = Object.entries(entry?.metrics ?? {})
      .slice(0, 3)
      .map(([k, s]) => `${k}=${formatNumber(s.last)}`)
      .join(' ');
    item.description = `${entry?.status ?? ''} ${summary}`.trim();
    item.tooltip = `Pulled from ${entry?.tags[ORIGIN_TAG] ?? 'the server'} (read-only)`;
    item.iconPath = new vscode.ThemeIcon('cloud');
    // Same shape as a run of the Experiments view, so charts and compare take it.
    item.contextValue = 'run.remote';
    item.command = {
      command: Commands.openMetricsChart,
      title: 'Open Metrics Chart',
      arguments: [{ kind: 'run', folder: node.folder, id: node.id }],
    };
    return item;
  }

  /** "Push Runs to MLflow" on runs or experiments of the Experiments view (all runs of the folder otherwise). */
  async push(node?: ExplorerNode, nodes?: ExplorerNode[]): Promise<void> {
    const picked = nodes && nodes.length > 0 ? nodes : node ? [node] : [];
    const byFolder = new Map<string, Set<string>>();
    for (const f of this.folders()) {
      const ids = new Set<string>();
      for (const n of picked) {
        if (!('folder' in n) || n.folder !== f.folder.uri.toString()) continue;
        if (n.kind === 'run') ids.add(n.id);
        if (n.kind === 'experiment')
          for (const e of f.entries.values()) if (e.experiment === n.name) ids.add(e.id);
        if (n.kind === 'folder') for (const e of f.entries.values()) ids.add(e.id);
      }
      if (picked.length === 0) for (const e of f.entries.values()) ids.add(e.id);
      for (const id of ids) if (f.entries.get(id)?.tags[ORIGIN_TAG]) ids.delete(id);
      if (ids.size > 0) byFolder.set(f.folder.uri.toString(), ids);
    }
    if (byFolder.size === 0) {
      void vscode.window.showInformationMessage(
        'Runlens: no runs to push (runs pulled from a server are not pushed back).',
      );
      return;
    }
    for (const [key, ids] of byFolder) {
      const folder = this.model.byKey(key)!;
      const remote = await this.remote(folder);
      if (!remote) {
        void vscode.window.showErrorMessage(
          'Runlens: no MLflow server configured: set runlens.remote.mlflowUri, remote.mlflow in runlens.yaml, or MLFLOW_TRACKING_URI.',
        );
        return;
      }
      const client = new MlflowClient(remote);
      try {
        const store = Store.open(this.settings.storeDir(folder.folder));
        const report = await vscode.window.withProgress(
          {
            location: vscode.ProgressLocation.Notification,
            title: `Runlens: pushing ${ids.size} runs to ${client.server}`,
          },
          () => pushRuns(store, client, [...ids]),
        );
        this.output.appendLine(
          `push to ${report.server}: ${report.runs.length} runs, ${report.points} points`,
        );
        for (const r of report.runs) for (const w of r.warnings) this.output.appendLine(`  warning: ${w}`);
        for (const f of report.failed) this.output.appendLine(`  run ${f.runId} not pushed: ${f.error}`);
        if (report.failed.length > 0) {
          void vscode.window.showErrorMessage(
            `Runlens: ${report.failed.length} runs not pushed to ${client.server}: ${report.failed[0].error}`,
          );
        } else {
          void vscode.window.showInformationMessage(
            `Runlens: pushed ${report.runs.length} runs to ${client.server} (${report.points} new points).`,
          );
        }
      } catch (e) {
        // Said per folder: a failure in one folder does not stop the push of the others.
        void vscode.window.showErrorMessage(`Runlens: push failed: ${errorMessage(e)}`);
      } finally {
        client.close();
      }
    }
  }

  async setCredentials(): Promise<void> {
    const kind = await vscode.window.showQuickPick(
      [
        { label: 'Token', description: 'sent as a bearer token', id: 'bearer' },
        { label: 'Username and password', description: 'HTTP basic auth', id: 'basic' },
        { label: 'Clear', description: 'forget the stored credentials', id: 'clear' },
      ],
      { title: 'MLflow credentials (kept in VS Code SecretStorage)' },
    );
    if (!kind) return;
    if (kind.id === 'clear') {
      await this.secrets.delete(SECRET_KEY);
    } else if (kind.id === 'bearer') {
      const token = await vscode.window.showInputBox({
        title: 'MLflow token',
        password: true,
        ignoreFocusOut: true,
      });
      if (!token) return;
      await this.secrets.store(SECRET_KEY, JSON.stringify({ kind: 'bearer', token } satisfies RemoteAuth));
    } else {
      const username = await vscode.window.showInputBox({ title: 'MLflow username', ignoreFocusOut: true });
      if (!username) return;
      const password = await vscode.window.showInputBox({
        title: 'MLflow password',
        password: true,
        ignoreFocusOut: true,
      });
      if (password === undefined) return;
      await this.secrets.store(
        SECRET_KEY,
        JSON.stringify({ kind: 'basic', username, password } satisfies RemoteAuth),
      );
    }
    this.refresh();
  }

  /** One mirror per folder whose runlens.yaml says remote.mirror: true. */
  private async startMirrors(): Promise<void> {
    for (const f of this.folders()) {
      const key = f.folder.uri.toString();
      let remote: RemoteConfig | undefined;
      try {
        remote = await this.remote(f);
      } catch {
        remote = undefined;
      }
      const current = this.mirrors.get(key);
      if (current && (!remote?.mirror || current.client.config.uri !== remote.uri)) {
        await current.syncer.stop();
        current.client.close();
        this.mirrors.delete(key);
      }
      if (!remote?.mirror || this.mirrors.has(key) || !f.store) continue;
      const client = new MlflowClient(remote);
      const syncer = new MirrorSyncer(f.store, client, {
        onError: (m, ms) => this.output.appendLine(`mirror: ${m}; retrying in ${Math.round(ms / 1000)} s`),
      });
      if (await syncer.start()) this.mirrors.set(key, { syncer, client });
      else client.close();
    }
  }

  dispose(): void {
    for (const { syncer, client } of this.mirrors.values()) void syncer.stop().then(() => client.close());
    this.mirrors.clear();
    for (const d of this.disposables) d.dispose();
  }
}
