import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { JobWatcher, currentUser } from '../../core/slurm/watcher';
import { errorMessage } from '../../core/errors';
import { importedRunning } from '../../core/importers/mlflow';
import { listPipelineRuns } from '../../core/pipeline/run';
import { stageRunIds } from '../../core/pipeline/stageRuns';
import type { PipelineRunRecord } from '../../core/pipeline/run';
import { Registry } from '../../core/store/registry';
import type { RegisteredModel } from '../../core/store/registry';
import {
  ARTIFACTS_DIR,
  BASELINES_FILE,
  LOCK_SUFFIX,
  OUTPUT_FILE,
  PIPELINE_DIR,
  PIPELINE_RUNS_DIR,
  REGISTRY_DIR,
  RUNS_DIR,
  RUN_FILE,
  STORE_FILE,
} from '../../core/store/layout';
import { CHANGES_FILE } from '../../core/store/changes';
import { readRunFile } from '../../core/store/runFile';
import { TABLE_SECTIONS } from '../../core/store/listing';
import { Store } from '../../core/store/store';
import type { RunEntry, RunRecord } from '../../core/store/types';
import type { ExtensionSettings } from '../settings';
import { RunTable } from './runTable';

export interface RunDetails {
  run: RunRecord;
  artifacts: string[];
}

const DEBOUNCE_MS = 120;
const POLL_RUNNING_MS = 1_000;
/**
 * From this many runs, a refresh where only training runs logged reads just those runs and not the
 * listing (whose reading costs about 2 s of CPU at 100,000 runs while one of them is open); the
 * listing is then read at most every LISTING_EVERY_MS, and at once when anything else changed: only
 * a sort or filter by a metric of a training run waits for it (its tree item is fresh every time).
 */
const PATCH_FROM_RUNS = 5_000;
const LISTING_EVERY_MS = 30_000;
const POLL_NO_STORE_MS = 2_000;

/**
 * One workspace folder's store, held in memory. File events mark the runs they touch as dirty;
 * after a short debounce only those runs (and new or removed folders, and running runs) are read
 * again. The training processes write the store too, so this re-reads rather than assumes.
 */
export class FolderStore implements vscode.Disposable {
  store: Store | undefined;
  error: string | undefined;
  /** The runs, as the listing index's columns read like a map (entries are built when asked for). */
  entries: RunTable = RunTable.empty;
  models: RegisteredModel[] = [];
  /** The recorded pipeline runs by id, and the runs each started (run id -> pipeline run id). */
  pipelineRuns = new Map<string, PipelineRunRecord>();
  pipelineStageRuns = new Map<string, string>();
  private pipelineDirty = true;
  private readonly details = new Map<string, RunDetails>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private storeWait: NodeJS.Timeout | undefined;
  private registryDirty = true;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];

  constructor(
    readonly folder: vscode.WorkspaceFolder,
    private readonly settings: ExtensionSettings,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(folder, `${this.relativeStoreDir}/**`),
    );
    this.disposables.push(
      watcher,
      watcher.onDidCreate((u) => this.touched(u)),
      watcher.onDidChange((u) => this.touched(u)),
      watcher.onDidDelete((u) => this.touched(u)),
    );
    this.reload();
  }

  get relativeStoreDir(): string {
    return this.settings.storePath(this.folder);
  }

  get storeDir(): string {
    try {
      return this.settings.storeDir(this.folder);
    } catch {
      return path.resolve(this.folder.uri.fsPath, this.relativeStoreDir);
    }
  }

  /** (Re)open the store and read everything: at start, after a settings change or an error. */
  reload(): void {
    this.entries = RunTable.empty;
    this.details.clear();
    this.registryDirty = true;
    this.pipelineDirty = true;
    this.refresh(true);
  }

  private touched(uri: vscode.Uri): void {
    const rel = path.relative(this.storeDir, uri.fsPath).split(path.sep);
    if (rel[0] === RUNS_DIR && rel[1]) {
      // A run's own files: only that run is read again. Its printed output is not held here (a
      // training prints every few ms: each line re-read the run and re-drew every view).
      if (rel[2] === OUTPUT_FILE) return;
      if (rel[2] !== RUN_FILE + LOCK_SUFFIX && !rel[2]?.startsWith('.')) this.dirty.add(rel[1]);
    } else if (rel[0] === REGISTRY_DIR || rel[0] === BASELINES_FILE) {
      this.registryDirty = true;
    } else if (rel[0] === PIPELINE_DIR && rel[1] === PIPELINE_RUNS_DIR) {
      this.pipelineDirty = true;
    } else if (rel[0] === '' || rel[0] === STORE_FILE || rel[0] === RUNS_DIR) {
      // '': the store folder itself, created (the first run) or removed
      this.dirty.add('*');
    } else if (rel[0] === CHANGES_FILE) {
      // A run.json was written (a run created, or its status changed): the listing reads the note.
      // The watcher can miss everything under runs/ for good when the store and runs/ were created
      // together (the first run's store, seen in code-server): this file, at the store's top, is seen.
    } else {
      return; // index files: written by readers, nothing new to show
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refresh(false);
    }, DEBOUNCE_MS);
  }

  private stopFollowing: (() => void) | undefined;
  /** When the listing was last read (see PATCH_FROM_RUNS). */
  private listedAt = 0;

  refresh(full: boolean): void {
    const reopen = full || this.dirty.has('*') || this.store === undefined || this.error !== undefined;
    const dirty = new Set(this.dirty);
    this.dirty.clear();
    const errorBefore = this.error;
    // The once-a-second poll of running runs mostly finds nothing new: firing then would re-render
    // the trees every second, and a tree re-rendered under a click or a multi-selection hands its
    // commands no node (an imported MLflow run left RUNNING keeps the poll going for good).
    let changed = reopen || dirty.size > 0;
    try {
      if (reopen) {
        const dir = this.settings.storeDir(this.folder); // a storePath that names no store is reported
        this.store = fs.existsSync(dir) ? Store.open(dir) : undefined;
        if (!this.store) this.entries = RunTable.empty;
      }
      if (this.store) {
        const changedIds = this.syncEntries(this.store, reopen, dirty);
        if (changedIds.length > 0) changed = true;
        for (const id of [...dirty, ...changedIds]) this.details.delete(id);
        if (this.registryDirty) {
          changed = true;
          this.models = new Registry(this.store).listModels();
          this.registryDirty = false;
        }
        if (this.pipelineDirty || reopen) {
          changed = true;
          const records = listPipelineRuns(this.store, { skipUnreadable: true });
          this.pipelineRuns = new Map(records.map((r) => [r.id, r]));
          this.pipelineStageRuns = stageRunIds(records);
          this.pipelineDirty = false;
        }
      }
      this.error = undefined;
    } catch (e) {
      this.error = errorMessage(e);
      this.store = undefined;
    }
    this.updatePolling();
    this.watchJobs();
    if (changed || this.error !== errorBefore) this.emitter.fire();
  }

  /**
   * Bring `entries` in line with the store through the listing index (core/store/listingIndex.ts):
   * no index.json to parse and no run.json to check per run, so a store of 100,000 runs opens and
   * refreshes without reading every folder. Runs named by file events are read again. The listing
   * itself is held: entries are built only for the runs the views show (see RunTable), and those of
   * unchanged rows are kept. Returns the ids changed.
   */
  private syncEntries(store: Store, reopen: boolean, dirty: ReadonlySet<string>): string[] {
    const t = this.entries;
    if (!reopen && t.size >= PATCH_FROM_RUNS && Date.now() - this.listedAt < LISTING_EVERY_MS) {
      const open = t.rowsWithStatus('running', 'queued').map((i) => t.listing!.id(i));
      const patched = t.refreshLogged((id) => store.runDir(id), new Set([...dirty, ...open]));
      if (patched) return patched;
    }
    this.listedAt = Date.now();
    const { listing } = store.listing({
      sections: TABLE_SECTIONS,
      recheck: [...dirty].filter((id) => id !== '*'),
    });
    const { table, changed } = RunTable.of(listing, reopen ? undefined : this.entries, dirty);
    if (table === this.entries) {
      // Nothing changed (a poll while a run trains, an event for a file that holds no run state):
      // the table held stays, with the lists the views computed over it.
      listing.releaseFile();
      return changed;
    }
    // Every column read now (the shown runs' entries need them) and the file closed: the table outlives it.
    listing.close();
    this.entries = table;
    return changed;
  }

  /**
   * Queued and running cluster runs of this user: the store's one watcher asks Slurm about them
   * (reconciling on open what changed while the editor was closed) until they have ended.
   */
  private watchJobs(): void {
    const user = currentUser();
    const t = this.entries;
    const open = t
      .rowsWithStatus('queued', 'running')
      .filter((i) => {
        const job = t.listing!.job(i);
        return job?.id && !job.settled && job.user === user;
      })
      .map((i) => t.at(i));
    if (!this.store || open.length === 0) {
      this.stopFollowing?.();
      this.stopFollowing = undefined;
      return;
    }
    const watcher = JobWatcher.forStore(this.store);
    if (!watcher.slurm.available()) return;
    for (const e of open) watcher.add(e.id, e.job!.id, e.status === 'queued' ? 'queued' : 'running');
    this.stopFollowing ??= watcher.follow();
  }

  /**
   * Running runs are also re-read every second: a safety net where file events are late. A folder
   * without a store looks for one every 2 s (a cheap exists check): a watcher can miss the files of a
   * folder created just before them, as the first run's store is.
   */
  private updatePolling(): void {
    const t = this.entries;
    const running = t
      .rowsWithStatus('running', 'queued')
      .some((i) => t.listing!.status(i) === 'queued' || !importedRunning(t.at(i)));
    if (running && !this.poll) {
      this.poll = setInterval(() => this.refresh(false), POLL_RUNNING_MS);
    } else if (!running && this.poll) {
      clearInterval(this.poll);
      this.poll = undefined;
    }
    const waiting = this.store === undefined && this.error === undefined;
    if (waiting && !this.storeWait) {
      this.storeWait = setInterval(() => {
        if (fs.existsSync(this.storeDir)) this.refresh(true);
      }, POLL_NO_STORE_MS);
    } else if (!waiting && this.storeWait) {
      clearInterval(this.storeWait);
      this.storeWait = undefined;
    }
  }

  /** run.json and the artifact list of a run, read once and kept until the run changes. */
  getDetails(id: string): RunDetails | undefined {
    const cached = this.details.get(id);
    if (cached) return cached;
    if (!this.store) return undefined;
    setImmediate(() => {
      if (!this.store || this.details.has(id)) return;
      try {
        const dir = this.store.runDir(id);
        this.details.set(id, {
          run: readRunFile(dir),
          artifacts: listArtifacts(path.join(dir, ARTIFACTS_DIR)),
        });
        this.emitter.fire();
      } catch {
        /* listed as unreadable already */
      }
    });
    return undefined;
  }

  dispose(): void {
    this.stopFollowing?.();
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearInterval(this.poll);
    if (this.storeWait) clearInterval(this.storeWait);
    for (const d of this.disposables) d.dispose();
  }
}

function listArtifacts(dir: string, prefix = ''): string[] {
  let names: fs.Dirent[];
  try {
    names = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return names
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) =>
      d.isDirectory() ? listArtifacts(path.join(dir, d.name), prefix + d.name + '/') : [prefix + d.name],
    );
}

/** All workspace folders' stores. */
export class WorkspaceModel implements vscode.Disposable {
  folders: FolderStore[] = [];
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[] = [this.emitter];

  constructor(private readonly settings: ExtensionSettings) {
    this.syncFolders();
    this.subscriptions.push(vscode.workspace.onDidChangeWorkspaceFolders(() => this.syncFolders()));
  }

  private syncFolders(): void {
    const current = vscode.workspace.workspaceFolders ?? [];
    for (const f of this.folders)
      if (!current.some((c) => c.uri.toString() === f.folder.uri.toString())) f.dispose();
    this.folders = current.map(
      (folder) =>
        this.folders.find((f) => f.folder.uri.toString() === folder.uri.toString()) ??
        this.track(new FolderStore(folder, this.settings)),
    );
    this.emitter.fire();
  }

  private track(f: FolderStore): FolderStore {
    f.onDidChange(() => this.emitter.fire());
    return f;
  }

  get withStore(): FolderStore[] {
    return this.folders.filter((f) => f.store || f.error);
  }

  folderOf(uri: vscode.Uri): FolderStore | undefined {
    const wf = vscode.workspace.getWorkspaceFolder(uri);
    return this.folders.find((f) => f.folder.uri.toString() === wf?.uri.toString());
  }

  byKey(key: string): FolderStore | undefined {
    return this.folders.find((f) => f.folder.uri.toString() === key);
  }

  /** The folder whose store should receive a new run: the one of `uri`, else the first. */
  target(uri?: vscode.Uri): FolderStore | undefined {
    return (uri && this.folderOf(uri)) ?? this.folders[0];
  }

  /**
   * Every run of every folder. At 100,000 runs this builds 100,000 entries (and drops them): what
   * looks at every run on each change reads the columns instead (openRuns, RunTable).
   */
  allRuns(): { folder: FolderStore; entry: RunEntry }[] {
    return this.folders.flatMap((folder) => [...folder.entries.values()].map((entry) => ({ folder, entry })));
  }

  /** The queued and running runs of every folder, found through the status column. */
  openRuns(): { folder: FolderStore; entry: RunEntry }[] {
    return this.folders.flatMap((folder) =>
      folder.entries
        .rowsWithStatus('queued', 'running')
        .map((i) => ({ folder, entry: folder.entries.at(i) })),
    );
  }

  reloadAll(): void {
    for (const f of this.folders) f.reload();
  }

  dispose(): void {
    for (const f of this.folders) f.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
