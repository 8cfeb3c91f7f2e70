import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatDuration } from '../../core/format';
import { topoOrder } from '../../core/pipeline/graph';
import { PIPELINE_FILE, loadPipeline, parsePipeline } from '../../core/pipeline/parse';
import type { PipelineRunRecord, StageFreshness } from '../../core/pipeline/run';
import {
  listPipelineRuns,
  pipelineDir,
  pipelineStatus,
  runPipeline,
  selectStages,
} from '../../core/pipeline/run';
import type {
  PipelineDef,
  PipelineRunResult,
  StageDef,
  StageEvent,
  StageState,
} from '../../core/pipeline/types';
import { PIPELINE_RUNS_DIR, STORE_FILE } from '../../core/store/layout';
import { Store } from '../../core/store/store';
import { ContextKeys } from '../ids';
import type { ExtensionSettings } from '../settings';

/** A stage as the Pipeline view shows it: the live state during a run, else the last recorded one. */
export interface StageStatus {
  name: string;
  /** "cmd node train.js" or "action gate". */
  kind: string;
  deps: string[];
  outs: string[];
  /** `pending` when queued in the current run; `idle` when no recorded run covered it. */
  state: Exclude<StageState, 'queued'> | 'pending' | 'idle';
  reason?: string;
  runId?: string;
  durationMs?: number;
  /** When a running stage started, for its live duration. */
  startedAt?: number;
  /** Idle: why a run now would not skip it ("changed: data/train.csv"); absent when up to date. */
  stale?: string;
}

export interface PipelineSnapshot {
  folder?: vscode.WorkspaceFolder;
  file?: string;
  /** runlens.yaml is absent (the view shows its welcome content). */
  missing: boolean;
  /** The params file runlens.yaml reads, relative to it. */
  paramsFile?: string;
  /** Why the file cannot be read as a pipeline (first issue, with its line). */
  error?: string;
  /** The run shown: the live one, else the newest recorded. */
  pipelineRun?: { id?: string; trigger: string; startTime: number; ok: boolean | null; live: boolean };
  stages: StageStatus[];
}

export interface RunRequest {
  force?: boolean;
  stage?: string;
  /** Why it runs: "VS Code", "data/train.csv changed", "drift: ...". */
  trigger?: string;
}

/** How many recorded pipeline runs the idle view reads back to find each stage's last result. */
const RECENT_RUNS = 30;

function kindOf(s: StageDef): string {
  return s.cmd ? `cmd ${s.cmd}` : `action ${s.action}`;
}

/**
 * The one place pipelines run in the editor: the Run Pipeline commands, the Pipeline view and
 * continuous training share it. It holds the live stage states of the current run (from the core
 * runner's stage events) and reads the last recorded states from the store when idle. Runs are
 * queued: one at a time, the next after it.
 */
export class PipelineRunner implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private live?: {
    id?: string;
    trigger: string;
    startTime: number;
    stages: Map<string, StageStatus>;
  };
  private queue: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private idle?: PipelineSnapshot;

  constructor(
    private readonly settings: ExtensionSettings,
    readonly output: vscode.OutputChannel,
  ) {}

  get running(): boolean {
    return this.live !== undefined;
  }

  /** Runs waiting or running. */
  get pending(): number {
    return this.queued;
  }

  /** The workspace folder, its runlens.yaml and store path. */
  context(): { folder: vscode.WorkspaceFolder; file: string; storeDir: string } | undefined {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return undefined;
    return {
      folder,
      file: path.join(folder.uri.fsPath, PIPELINE_FILE),
      storeDir: this.settings.storeDir(folder),
    };
  }

  openStore(create: boolean): Store | undefined {
    const ctx = this.context();
    if (!ctx) return undefined;
    if (!create && !fs.existsSync(path.join(ctx.storeDir, STORE_FILE))) return undefined;
    return Store.open(ctx.storeDir, { create });
  }

  /** The store or the pipeline file changed: read the recorded state again. */
  invalidate(): void {
    this.idle = undefined;
    this.emitter.fire();
  }

  private recordsSeen = '';

  /** The newest pipeline-run record in the store (name and mtime), without reading any record. */
  private recordsSignature(): string {
    const ctx = this.context();
    if (!ctx) return '';
    const dir = path.join(pipelineDir(ctx.storeDir), PIPELINE_RUNS_DIR);
    try {
      const last = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .at(-1);
      return last ? `${last}:${fs.statSync(path.join(dir, last)).mtimeMs}` : '';
    } catch {
      return '';
    }
  }

  /**
   * The store changed (a run's metrics, status...): read the pipeline state again only when a
   * pipeline run was recorded meanwhile, from the CLI, CI or another window.
   */
  invalidateIfRecorded(): void {
    if (this.recordsSignature() !== this.recordsSeen) this.invalidate();
  }

  snapshot(): PipelineSnapshot {
    const base = this.idle ?? (this.idle = this.readIdle());
    if (!this.live) return base;
    const live = this.live;
    return {
      ...base,
      pipelineRun: { id: live.id, trigger: live.trigger, startTime: live.startTime, ok: null, live: true },
      stages: base.stages.map((s) => live.stages.get(s.name) ?? s),
    };
  }

  private readIdle(): PipelineSnapshot {
    this.recordsSeen = this.recordsSignature();
    const ctx = this.context();
    if (!ctx) return { missing: true, stages: [] };
    const snap: PipelineSnapshot = { folder: ctx.folder, file: ctx.file, missing: false, stages: [] };
    let text: string;
    try {
      text = fs.readFileSync(ctx.file, 'utf8');
    } catch {
      return { ...snap, missing: true };
    }
    const parsed = parsePipeline(text, ctx.file);
    const p = parsed.pipeline;
    const firstError = parsed.issues.find((i) => i.severity === 'error');
    if (firstError) snap.error = `line ${firstError.line}: ${firstError.message}`;
    if (!p) return snap;
    snap.paramsFile = p.paramsFile;
    const { order } = topoOrder(p);
    const byName = new Map(p.stages.map((s) => [s.name, s]));
    // A cycle leaves stages out of the order: they follow in file order.
    const names = [...order, ...p.stages.map((s) => s.name).filter((n) => !order.includes(n))];
    const records = this.recentRuns();
    const newest = records.at(-1);
    if (newest)
      snap.pipelineRun = {
        id: newest.id,
        trigger: newest.trigger,
        startTime: newest.startTime,
        ok: newest.ok,
        live: false,
      };
    const fresh = new Map(this.freshness(p, !firstError).map((f) => [f.stage, f]));
    snap.stages = names.map((name) => {
      const s = byName.get(name)!;
      const f = fresh.get(name);
      const st: StageStatus = {
        name,
        kind: kindOf(s),
        deps: s.deps,
        outs: s.outs,
        state: 'idle',
        stale: f && !f.upToDate && f.why !== 'never ran' ? f.why : undefined,
      };
      for (let i = records.length - 1; i >= 0; i--) {
        const r = records[i].stages.find((x) => x.stage === name);
        if (r) return { ...st, state: r.state, reason: r.reason, runId: r.runId, durationMs: r.durationMs };
      }
      return st;
    });
    return snap;
  }

  /** What a run now would skip (the core's up-to-date check, nothing runs); empty when unknown. */
  private freshness(p: PipelineDef, valid: boolean): StageFreshness[] {
    const store = valid ? this.openStore(false) : undefined;
    if (!store) return [];
    try {
      return pipelineStatus(store, p);
    } catch {
      return []; // a cycle, or state written by a newer Runlens: the recorded states still show
    }
  }

  private recentRuns(): PipelineRunRecord[] {
    const store = this.openStore(false);
    return store ? listPipelineRuns(store, { last: RECENT_RUNS, skipUnreadable: true }) : [];
  }

  /** Run the pipeline (after any run in progress); stage states go to the view and the output channel. */
  run(request: RunRequest = {}): Promise<PipelineRunResult> {
    this.queued++;
    const next = this.queue.then(() => this.runNow(request));
    this.queue = next.catch(() => undefined);
    return next.finally(() => this.queued--);
  }

  private async runNow(request: RunRequest): Promise<PipelineRunResult> {
    const ctx = this.context();
    if (!ctx) throw new Error('open a folder with a runlens.yaml first');
    const pipeline = loadPipeline(ctx.file);
    const store = Store.open(ctx.storeDir, { create: true });
    const trigger = request.trigger ?? 'VS Code';
    const covered = selectStages(pipeline, request.stage);
    this.live = {
      trigger,
      startTime: Date.now(),
      stages: new Map(
        covered.map((s) => [
          s.name,
          { name: s.name, kind: kindOf(s), deps: s.deps, outs: s.outs, state: 'pending' as const },
        ]),
      ),
    };
    // The file may have changed since the view last read it (the file watcher is not instant).
    this.idle = undefined;
    void vscode.commands.executeCommand('setContext', ContextKeys.pipelineRunning, true);
    this.emitter.fire();
    this.output.appendLine(
      `pipeline ${vscode.workspace.asRelativePath(ctx.file)} (${trigger}${request.force ? ', forced' : ''}${request.stage ? `, stage ${request.stage}` : ''})`,
    );
    try {
      return await runPipeline(store, pipeline, {
        force: request.force,
        stage: request.stage,
        trigger,
        onEvent: (e) => this.onEvent(e),
        onOutput: (stage, chunk) =>
          this.output.append(chunk.toString('utf8').replace(/^(?=.)/gm, `[${stage}] `)),
      });
    } finally {
      this.live = undefined;
      this.idle = undefined;
      void vscode.commands.executeCommand('setContext', ContextKeys.pipelineRunning, false);
      this.emitter.fire();
    }
  }

  private onEvent(e: StageEvent): void {
    const live = this.live;
    if (!live) return;
    live.id = e.pipelineRun;
    const prev = live.stages.get(e.stage);
    if (!prev) return;
    live.stages.set(e.stage, {
      ...prev,
      state: e.state === 'queued' ? 'pending' : e.state,
      reason: e.reason,
      runId: e.runId ?? prev.runId,
      durationMs: e.durationMs,
      startedAt: e.state === 'running' ? Date.now() : prev.startedAt,
    });
    if (e.state !== 'queued')
      this.output.appendLine(
        `[${e.stage}] ${e.state}${e.reason ? ` (${e.reason})` : ''}${e.durationMs !== undefined && e.state !== 'skipped' ? ` in ${formatDuration(e.durationMs)}` : ''}`,
      );
    this.emitter.fire();
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

const TEMPLATE = (
  train: string,
) => `# Runlens pipeline: each stage runs as a tracked run, in dependency order.
# Run it from the Pipeline view or \`runlens pipeline run\`; stages whose inputs did not change are skipped.
# Reference: schemas/runlens.schema.json
stages:
  train:
    cmd: ${train}
    deps: [${train.split(' ').at(-1)}]
`;

/** A first runlens.yaml: one stage running the workspace's training script. */
export function templateFor(folder: string): string {
  const names = fs.readdirSync(folder);
  const script =
    names.find((n) => /^train.*\.py$/.test(n)) ??
    names.find((n) => /^train.*\.js$/.test(n)) ??
    names.find((n) => /\.py$/.test(n));
  if (!script) return TEMPLATE('python train.py').replace(/ {4}deps: \[train\.py\]\n/, '');
  return TEMPLATE(`${script.endsWith('.js') ? 'node' : 'python'} ${script}`);
}

/**
 * The outcome of a pipeline run in words. A gate that rejects the new model is the loop working
 * (the registered model stays), so it is a warning, not an error.
 */
export function describeResult(result: PipelineRunResult): {
  level: 'info' | 'warning' | 'error';
  message: string;
} {
  const ran = result.stages.filter((s) => s.state === 'succeeded').length;
  const upToDate = result.stages.filter((s) => s.state === 'skipped').length;
  if (result.ok)
    return {
      level: 'info',
      message: `pipeline done in ${formatDuration(result.durationMs)}: ${ran} ran, ${upToDate} up to date.`,
    };
  const failed = result.stages.filter((s) => s.state === 'failed');
  if (failed.length === 1 && /^gate: /.test(failed[0].reason ?? ''))
    return {
      level: 'warning',
      message: `the new model did not pass the gate (${failed[0].stage}: ${failed[0].reason}); the stages after it did not run.`,
    };
  return { level: 'error', message: `pipeline failed at ${result.failed.join(', ')}.` };
}

export function notifyResult(result: PipelineRunResult, prefix = 'Runlens: '): void {
  const { level, message } = describeResult(result);
  const show =
    level === 'info'
      ? vscode.window.showInformationMessage
      : level === 'warning'
        ? vscode.window.showWarningMessage
        : vscode.window.showErrorMessage;
  void show(`${prefix}${message}`);
}
