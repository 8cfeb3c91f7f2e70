/**
 * Running a Jupyter notebook headless as a tracked run: with papermill when it is installed (the
 * run's params become its parameters cell), else with nbconvert's executor (nbclient, through a
 * few lines of Python run by the same interpreter), else with `jupyter nbconvert --execute`. With
 * the first two, cell output streams to the run's output as the cells print, so printed metrics
 * are read as they come; the last writes it only into the executed copy. Either way the kernel inherits the run's
 * environment, so `runlens.init()` in a cell attaches to the run; the run records the notebook as
 * its script, its code cells as `notebook.py`, and the executed copy (with outputs) as an artifact.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { RunlensError } from '../errors';
import { notebookAsScript, parseNotebook } from '../lens/notebook';
import { ARTIFACTS_DIR } from '../store/runFile';
import type { Store } from '../store/store';
import type { ParamValue } from '../store/types';
import type { LaunchOptions, LaunchedRun } from './launcher';
import { createLaunchedRun, runProcess } from './launcher';

/** The programs that can execute a notebook here: each a command prefix, when installed. */
export interface NotebookTools {
  papermill?: string[];
  /** A Python with nbclient, nbformat and ipykernel (nbconvert's executor, installed with it). */
  nbclient?: string[];
  nbconvert?: string[];
  /** The Python that was asked (for the message when neither is installed). */
  python: string;
  /** The tools are importable there but its kernel (ipykernel) is not. */
  missingKernel?: boolean;
}

export type NotebookTool = 'papermill' | 'nbclient' | 'nbconvert';

export interface NotebookCommand {
  tool: NotebookTool;
  command: string;
  args: string[];
}

/** What to install when no tool is found (also the CLI's and the editor's message). */
export function noNotebookToolMessage(notebook: string, tools: NotebookTools): string {
  if (tools.missingKernel)
    return (
      `cannot run ${notebook} headless: ${tools.python} has papermill or nbconvert but no Python kernel; ` +
      `install ipykernel there (pip install ipykernel; on Debian apt-get install python3-ipykernel)`
    );
  return (
    `cannot run ${notebook} headless: neither papermill nor jupyter nbconvert is installed ` +
    `(looked in ${tools.python} and on PATH). Install one of them: pip install papermill ipykernel ` +
    `(the run's params become the notebook's parameters cell), or pip install nbconvert ipykernel ` +
    `(on Debian: apt-get install jupyter-nbconvert python3-ipykernel; params reach the notebook through runlens.init())`
  );
}

function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      try {
        fs.accessSync(path.join(dir, name + ext), fs.constants.X_OK);
        return true;
      } catch {
        /* not here */
      }
    }
  }
  return false;
}

const execFileAsync = promisify(execFile);

const PROBE =
  'import importlib.util as u, json; print(json.dumps({m: u.find_spec(m) is not None for m in ("papermill", "nbconvert", "ipykernel", "nbclient", "nbformat")}))';

/**
 * Which notebook runners are installed: as modules of `python` (the interpreter the editor or the
 * user chose, whose kernel then runs the cells), else as commands on PATH (`papermill`,
 * `jupyter-nbconvert`, which run the notebook's kernel as Jupyter finds it).
 */
export async function findNotebookTools(
  python: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<NotebookTools> {
  const tools: NotebookTools = { python };
  let mods: Record<string, boolean>;
  try {
    const { stdout } = await execFileAsync(python, ['-c', PROBE], { encoding: 'utf8', env, timeout: 30_000 });
    mods = JSON.parse(stdout.trim()) as Record<string, boolean>;
  } catch {
    mods = {}; // no such Python (or one that printed something else): nothing importable
  }
  if (mods.ipykernel) {
    if (mods.papermill) tools.papermill = [python, '-m', 'papermill'];
    if (mods.nbconvert) tools.nbconvert = [python, '-m', 'nbconvert'];
    if (mods.nbclient && mods.nbformat) tools.nbclient = [python];
  }
  if (!tools.papermill && onPath('papermill', env)) tools.papermill = ['papermill'];
  if (!tools.nbconvert && onPath('jupyter-nbconvert', env)) tools.nbconvert = ['jupyter-nbconvert'];
  if (!tools.papermill && !tools.nbconvert && (mods.papermill || mods.nbconvert) && !mods.ipykernel)
    tools.missingKernel = true;
  return tools;
}

/** papermill's options for the params: -p (typed: numbers, True/False, None), -r (strings, kept as text). */
function papermillParams(params: Record<string, ParamValue>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string') out.push('-r', k, v);
    else if (typeof v === 'boolean') out.push('-p', k, v ? 'True' : 'False');
    else out.push('-p', k, v === null ? 'None' : String(v));
  }
  return out;
}

/**
 * Executes the notebook argv[1] into argv[2] with nbclient (what `nbconvert --execute` runs), in
 * the notebook's folder and without a cell time limit, writing what the cells print to this
 * process's stdout and stderr (as UTF-8, which the launcher reads) as it comes, once: the kernel's
 * own descriptors go nowhere, and what a subprocess of a cell writes to them comes back as stream
 * messages. The executed copy is written also when a cell fails or the kernel dies; a failure is
 * printed and the exit status is 1, as nbconvert's.
 */
const NBCLIENT_RUNNER = `import os, subprocess, sys, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
for out in (sys.stdout, sys.stderr):
    out.reconfigure(encoding="utf-8", errors="replace")
class Client(NotebookClient):
    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "stream":
            out = sys.stdout if msg["content"].get("name") == "stdout" else sys.stderr
            out.write(msg["content"].get("text", ""))
            out.flush()
        return super().output(outs, msg, display_id, cell_index)
src, dst = sys.argv[1], sys.argv[2]
nb = nbformat.read(src, as_version=4)
client = Client(nb, timeout=None, resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}})
failed = None
try:
    # the kernel's own stdout and stderr are not this process's: what it writes there comes as
    # stream messages (ipykernel captures it), written once above
    client.execute(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
except CellExecutionError as e:
    failed = e
finally:
    nbformat.write(nb, dst)
if failed is not None:
    sys.stderr.write(str(failed) + "\\n")
    sys.exit(1)
`;

/** Refuses (saying what to install) when no tool can run `notebook`: before a terminal or a run is made. */
export function assertNotebookTool(tools: NotebookTools, notebook: string): void {
  if (!tools.papermill && !tools.nbclient && !tools.nbconvert)
    throw new RunlensError(noNotebookToolMessage(notebook, tools), undefined, 'usage');
}

/**
 * The command that executes `notebook` into `outFile`: papermill when installed, else nbclient
 * (streams the cells' output), else nbconvert; an error saying what to install when none is.
 */
export function notebookCommand(
  tools: NotebookTools,
  notebook: string,
  outFile: string,
  params: Record<string, ParamValue>,
  platform: NodeJS.Platform = process.platform,
): NotebookCommand {
  if (tools.papermill) {
    const [command, ...prefix] = tools.papermill;
    // Cell output goes to this process's stdout/stderr as the cells print (read for metrics, shown live).
    const stream =
      platform === 'win32'
        ? ['--log-output']
        : ['--stdout-file', '/dev/stdout', '--stderr-file', '/dev/stderr'];
    return {
      tool: 'papermill',
      command,
      args: [...prefix, notebook, outFile, ...papermillParams(params), ...stream, '--no-progress-bar'],
    };
  }
  if (tools.nbclient) {
    const [command, ...prefix] = tools.nbclient;
    return { tool: 'nbclient', command, args: [...prefix, '-c', NBCLIENT_RUNNER, notebook, outFile] };
  }
  if (tools.nbconvert) {
    const [command, ...prefix] = tools.nbconvert;
    return {
      tool: 'nbconvert',
      command,
      args: [
        ...prefix,
        '--to',
        'notebook',
        '--execute',
        notebook,
        '--output-dir',
        path.dirname(outFile),
        '--output',
        path.basename(outFile).replace(/\.ipynb$/i, ''),
        // a training notebook runs as long as it needs (nbconvert's default stops a cell after 600 s in some versions)
        '--ExecutePreprocessor.timeout=-1',
      ],
    };
  }
  assertNotebookTool(tools, notebook);
  throw new Error('unreachable');
}

export interface NotebookLaunchOptions extends Omit<LaunchOptions, 'command' | 'args'> {
  /** The .ipynb file (relative to cwd or absolute). */
  notebook: string;
  tools: NotebookTools;
}

/**
 * Launch a notebook as a tracked run: refused before any run exists when the notebook cannot be
 * read or no tool can run it. The executed copy is written to the run's artifacts (the notebook
 * in the workspace is left as it is).
 */
export async function launchNotebook(store: Store, options: NotebookLaunchOptions): Promise<LaunchedRun> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const notebook = path.resolve(cwd, options.notebook);
  let text: string;
  try {
    text = fs.readFileSync(notebook, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RunlensError(
      code === 'ENOENT'
        ? `${notebook}: no such notebook`
        : `cannot read ${notebook}: ${(e as Error).message}`,
      undefined,
      code === 'ENOENT' ? 'notFound' : 'io',
    );
  }
  const parsed = parseNotebook(text, notebook);
  const params = options.params ?? {};
  const outName = path.basename(notebook);
  const first = notebookCommand(options.tools, notebook, outName, params);
  const { tools: _tools, notebook: _nb, ...rest } = options;
  // ipykernel's debugger warns about frozen modules on every start: noise in the run's output.
  const launch = { ...rest, env: { PYDEVD_DISABLE_FILE_VALIDATION: '1', ...rest.env } };
  const run = await createLaunchedRun(
    store,
    { ...launch, cwd, command: first.command, args: first.args },
    {
      change: (r) => {
        const out = path.join(store.runDir(r.id), ARTIFACTS_DIR, outName);
        const c = notebookCommand(options.tools, notebook, out, params);
        r.command = [c.command, ...c.args];
        r.tags = { ...r.tags, 'runlens.notebook.tool': c.tool };
      },
    },
  );
  // The code that ran, readable and diffable beside the run (the .ipynb's JSON mixes it with outputs).
  store.addArtifact(run.id, 'notebook.py', notebookAsScript(parsed));
  return runProcess(store, run, launch);
}
