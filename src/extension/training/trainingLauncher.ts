import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import { SlurmLauncher } from '../../core/slurm/launcher';
import type { JobResources, ParamValue } from '../../core/store/types';
import { STORE_DIR_NAME } from '../../core/store/layout';
import { Store } from '../../core/store/store';
import { isNotebook } from '../../core/lens/notebook';
import type { LaunchOptions, LaunchedRun, RunResult } from '../../core/tracking/launcher';
import { launchRun } from '../../core/tracking/launcher';
import type { NotebookTools } from '../../core/tracking/notebook';
import { assertNotebookTool, findNotebookTools, launchNotebook } from '../../core/tracking/notebook';
import type { EntryPointSetting, ExtensionSettings } from '../settings';

export interface EntryPoint {
  label: string;
  folder: vscode.WorkspaceFolder;
  /** Absolute path of the script, when the entry point is a script. */
  script?: string;
  command?: string;
  args?: string[];
  params?: Record<string, unknown>;
  experiment?: string;
  source: 'settings' | 'detected';
}

export interface SlurmRequest {
  entry: EntryPoint;
  /** One set of params per run; several make one job array. */
  paramSets: Record<string, ParamValue>[];
  resources: JobResources;
}

export interface LaunchRequest {
  entry: EntryPoint;
  params: Record<string, ParamValue>;
  name?: string;
}

interface Active {
  launched: LaunchedRun;
  terminal: vscode.Terminal;
  folderKey: string;
}

const SCRIPT_GLOB = '**/*train*.{py,js,mjs,cjs,ts,ipynb}';
const EXCLUDE = `{**/node_modules/**,**/${STORE_DIR_NAME}/**,**/dist/**,**/out/**,**/.venv/**,**/venv/**,**/site-packages/**}`;

/**
 * Launches training from the editor through the same core launcher as `runlens run`: each run's
 * output goes to a VS Code terminal, Stop ends its process group, and sweeps queue behind a
 * concurrency limit.
 */
export class TrainingLauncher implements vscode.Disposable {
  private readonly active = new Map<string, Active>();
  private readonly queue: { request: LaunchRequest; resolve: (r: RunResult | undefined) => void }[] = [];
  private running = 0;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly settings: ExtensionSettings,
    private readonly pythonInterpreter: (resource: vscode.Uri) => Promise<string | undefined>,
    private readonly onFinished: (result: RunResult, request: LaunchRequest) => void,
  ) {}

  async entryPoints(): Promise<EntryPoint[]> {
    const out: EntryPoint[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      for (const e of this.settings.entryPoints(folder)) out.push(fromSetting(folder, e));
    }
    const files = await vscode.workspace.findFiles(SCRIPT_GLOB, EXCLUDE, 200);
    for (const uri of files.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      if (!folder || out.some((e) => e.script === uri.fsPath)) continue;
      out.push({
        label: vscode.workspace.asRelativePath(uri, false),
        folder,
        script: uri.fsPath,
        source: 'detected',
      });
    }
    return out;
  }

  /** Defaults for a script's parameters: its last run's params, else a params file next to it. */
  /** How many queued launches run at once (the sweep.concurrency setting, at least 1). */
  concurrency(): number {
    return this.settings.sweepConcurrency();
  }

  defaultParams(
    entry: EntryPoint,
    lastParams: Record<string, ParamValue> | undefined,
  ): Record<string, ParamValue> {
    if (lastParams && Object.keys(lastParams).length) return lastParams;
    if (entry.params) return entry.params as Record<string, ParamValue>;
    if (!entry.script) return {};
    const file = path.join(path.dirname(entry.script), 'params.json');
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
    } catch {
      return {};
    }
  }

  /** The resources a launch on Slurm starts from: the folder's runlens.slurm.* settings. */
  slurmDefaults(entry: EntryPoint): JobResources {
    return this.settings.slurmResources(entry.folder);
  }

  /**
   * Submit to Slurm: one job, or one job array for several sets of params (throttled to the sweep
   * concurrency). The runs are in the store at once, queued with their job ids; the workspace's job
   * watcher follows them from there, so nothing here waits for the jobs.
   */
  async submitToSlurm(request: SlurmRequest): Promise<LaunchedRun[]> {
    const { entry, paramSets, resources } = request;
    const { command, args } = await this.commandFor(entry);
    const store = Store.open(this.settings.storeDir(entry.folder), { create: true });
    const slurm = new SlurmLauncher({ resources });
    const options: LaunchOptions = {
      command,
      args,
      cwd: entry.script ? path.dirname(entry.script) : entry.folder.uri.fsPath,
      experiment: entry.experiment,
      stdoutPattern: this.settings.stdoutPattern(),
      systemMetrics: this.settings.systemMetrics() ? undefined : false,
    };
    let runs: LaunchedRun[];
    let job: string;
    try {
      if (paramSets.length === 1) {
        const one = await slurm.start(store, { ...options, params: paramSets[0] });
        runs = [one];
        job = `job ${one.run.job?.id ?? '?'}`;
      } else {
        const sweep = await slurm.startSweep(store, {
          ...options,
          paramSets,
          concurrency: this.concurrency(),
        });
        runs = sweep.runs;
        job = `job array ${sweep.jobId}, ${paramSets.length} tasks`;
      }
    } finally {
      this.emitter.fire();
    }
    const where = resources.partition ? `partition ${resources.partition}` : 'the default partition';
    const first = runs[0].run;
    void vscode.window
      .showInformationMessage(
        `Runlens: submitted ${runs.length === 1 ? first.name : `${runs.length} runs`} to Slurm (${job}, ${where}).`,
        'Show Output',
      )
      .then((choice) => {
        if (choice === 'Show Output')
          void vscode.window.showTextDocument(vscode.Uri.file(runs[0].outputFile), { preview: true });
      });
    return runs;
  }

  /** Queue a run; resolves when it has ended (undefined when it could not start). */
  launch(request: LaunchRequest): Promise<RunResult | undefined> {
    return new Promise((resolve) => {
      this.queue.push({ request, resolve });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.concurrency() && this.queue.length) {
      const next = this.queue.shift()!;
      this.running++;
      this.start(next.request)
        .then((r) => next.resolve(r))
        .catch((e) => {
          void vscode.window.showErrorMessage(
            `Runlens: could not launch ${next.request.entry.label}: ${errorMessage(e)}`,
          );
          next.resolve(undefined);
        })
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }

  get queued(): number {
    return this.queue.length;
  }

  private async start(request: LaunchRequest): Promise<RunResult> {
    const { entry } = request;
    // A notebook runs headless (papermill or nbconvert); the tools are looked for before a terminal opens.
    const notebook = entry.script && !entry.command && isNotebook(entry.script) ? entry.script : undefined;
    const tools = notebook ? await this.notebookTools(notebook) : undefined;
    const { command, args } = notebook ? { command: '', args: [] } : await this.commandFor(entry);
    if (tools) assertNotebookTool(tools, path.basename(notebook!));
    const store = Store.open(this.settings.storeDir(entry.folder), { create: true });
    const writer = new vscode.EventEmitter<string>();
    const closer = new vscode.EventEmitter<number | void>();
    // The terminal exists before the run starts, so its handlers reach the run through this box.
    const box: { launched?: LaunchedRun } = {};
    // Output that arrives before VS Code opens the terminal is kept, not dropped.
    let pending: string[] | undefined = [];
    const write = (text: string) => (pending ? pending.push(text) : writer.fire(text));
    const pty: vscode.Pseudoterminal = {
      onDidWrite: writer.event,
      onDidClose: closer.event,
      open: () => {
        const early = pending ?? [];
        pending = undefined;
        for (const text of early) writer.fire(text);
      },
      close: () => box.launched?.stop(),
      handleInput: (data) => {
        if (data === '\x03') box.launched?.stop();
      },
    };
    const terminal = vscode.window.createTerminal({
      name: `Runlens: ${request.name ?? path.basename(entry.script ?? entry.label)}`,
      pty,
      iconPath: new vscode.ThemeIcon('beaker'),
    });
    terminal.show(true);
    // The clients (PYTHONPATH/NODE_PATH) and the run's variables come from launchEnv() in core.
    const launch = (options: Omit<LaunchOptions, 'command' | 'args'>) =>
      tools
        ? launchNotebook(store, { ...options, notebook: notebook!, tools })
        : launchRun(store, { ...options, command, args });
    const launched = await launch({
      cwd: entry.script ? path.dirname(entry.script) : entry.folder.uri.fsPath,
      experiment: entry.experiment,
      name: request.name,
      params: request.params,
      detached: true,
      stdoutPattern: this.settings.stdoutPattern(),
      systemMetrics: this.settings.systemMetrics() ? undefined : false,
      env: {
        FORCE_COLOR: '1',
      },
      onOutput: (chunk) => write(chunk.toString('utf8').replace(/\r?\n/g, '\r\n')),
    });
    box.launched = launched;
    const key = launched.run.id;
    this.active.set(key, { launched, terminal, folderKey: entry.folder.uri.toString() });
    this.emitter.fire();
    write(
      `\x1b[2mrunlens: run ${launched.run.id} (${launched.run.name}) — ${(launched.run.command ?? []).join(' ')}\x1b[0m\r\n`,
    );
    const result = await launched.done;
    this.active.delete(key);
    write(
      `\r\n\x1b[2mrunlens: run ${result.run.id} ${result.status} (exit code ${result.exitCode})\x1b[0m\r\n`,
    );
    this.emitter.fire();
    this.onFinished(result, request);
    return result;
  }

  private async python(script: string): Promise<string> {
    return this.settings.pythonPath() ?? (await this.pythonInterpreter(vscode.Uri.file(script))) ?? 'python3';
  }

  /** papermill or nbconvert, as modules of the chosen Python (its kernel runs the cells) or on PATH. */
  private async notebookTools(notebook: string): Promise<NotebookTools> {
    if (!fs.existsSync(notebook)) throw new Error(`${notebook} does not exist`);
    return findNotebookTools(await this.python(notebook));
  }

  /** The program that runs a script: the Python extension's interpreter, node, or tsx. */
  private async commandFor(entry: EntryPoint): Promise<{ command: string; args: string[] }> {
    if (entry.command) return { command: entry.command, args: entry.args ?? [] };
    const script = entry.script!;
    if (!fs.existsSync(script)) throw new Error(`${script} does not exist`);
    if (isNotebook(script))
      throw new Error(
        `${path.basename(script)} is a notebook: notebooks run on this machine (Local), not on Slurm`,
      );
    if (script.endsWith('.py')) {
      const python = await this.python(script);
      return { command: python, args: [script, ...(entry.args ?? [])] };
    }
    if (script.endsWith('.ts'))
      return { command: 'npx', args: ['--yes', 'tsx', script, ...(entry.args ?? [])] };
    return { command: 'node', args: [script, ...(entry.args ?? [])] };
  }

  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  /** Stop a run launched here (its process group); false when it was not launched here. */
  stop(runId: string): boolean {
    const a = this.active.get(runId);
    if (!a) return false;
    a.launched.stop();
    return true;
  }

  showTerminal(runId: string): boolean {
    const a = this.active.get(runId);
    a?.terminal.show();
    return a !== undefined;
  }

  dispose(): void {
    for (const a of this.active.values()) a.launched.stop(2_000);
    this.emitter.dispose();
  }
}

function fromSetting(folder: vscode.WorkspaceFolder, e: EntryPointSetting): EntryPoint {
  const script = [e.command, ...(e.args ?? [])].find((a) => /\.(py|js|mjs|ts|ipynb)$/.test(a));
  return {
    label: e.name ?? [e.command, ...(e.args ?? [])].join(' '),
    folder,
    command: e.command,
    args: e.args,
    params: e.params,
    experiment: e.experiment,
    script: script ? path.resolve(folder.uri.fsPath, script) : undefined,
    source: 'settings',
  };
}
