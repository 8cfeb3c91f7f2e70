import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Store } from '../store/store';
import type { ParamValue } from '../store/types';

/** Where the logging clients that ship with this copy of Runlens live on disk. */
export interface ClientPaths {
  /** The Runlens package (or checkout) folder: holds package.json, clients/ and dist/. */
  packageRoot: string;
  /** Folder holding runlens.py: put on PYTHONPATH so `import runlens` finds it. */
  python: string;
  /** Folder holding runlens/index.js (the bundled Node client): put on NODE_PATH for `require('runlens')`. */
  node: string;
}

let cached: ClientPaths | undefined;

/**
 * The clients of the Runlens that is running this code: found from this file's own location, so it
 * is the same in the checkout (src/ through tsx, dist/ bundles), in an installed npm package
 * (PREFIX/lib/node_modules/runlens) and in the installed VS Code extension.
 */
export function clientPaths(): ClientPaths {
  if (cached) return cached;
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && fs.existsSync(path.join(dir, 'clients', 'python', 'runlens.py'))) break;
    const parent = path.dirname(dir);
    if (parent === dir) {
      // Not found above this file: fall back to the layout of a build (dist/ beside clients/).
      dir = path.resolve(__dirname, '..');
      break;
    }
    dir = parent;
  }
  cached = {
    packageRoot: dir,
    python: path.join(dir, 'clients', 'python'),
    node: path.join(dir, 'dist', 'modules'),
  };
  return cached;
}

/** What a run adds to its environment besides its id and store. */
export interface LaunchEnvExtra {
  /** Passed as RUNLENS_EXPERIMENT only when given: otherwise the script's own init(experiment=...) names it. */
  experiment?: string;
  /** Passed as RUNLENS_PARAMS (JSON); the clients' init() returns them merged over the script's defaults. */
  params?: Record<string, ParamValue>;
}

/**
 * The environment of a tracked run: every way a run starts (the CLI's `run`, pipeline stages, the
 * editor, continuous training, a cluster launcher) builds it here, so a script behaves the same in
 * all of them and in any folder on disk.
 *
 * - `base` (default `process.env`) is kept, except for the variables below.
 * - PYTHONPATH starts with this Runlens's Python client folder, NODE_PATH with its Node client folder;
 *   the base's own entries follow. Python therefore imports this copy even when the user also
 *   pip-installed one (PYTHONPATH comes before site-packages), so the client always writes the store
 *   format of the Runlens that launched it. Node resolves a project's own node_modules before
 *   NODE_PATH, so a `runlens` package installed in the project wins there.
 * - RUNLENS_RUN_ID, RUNLENS_RUN_DIR and RUNLENS_STORE tell the clients which run to attach to;
 *   RUNLENS_PARAMS carries the run's params (JSON), RUNLENS_EXPERIMENT an explicit experiment.
 * - PYTHONUNBUFFERED=1 so printed metrics arrive while the script runs.
 *
 * Pure: reads nothing but the store's paths and the client folders; no I/O on the run.
 */
export function launchEnv(
  store: Store,
  runId: string,
  base: NodeJS.ProcessEnv = process.env,
  extra: LaunchEnvExtra = {},
): NodeJS.ProcessEnv {
  const clients = clientPaths();
  const prepend = (first: string, rest: string | undefined) =>
    [first, ...(rest ?? '').split(path.delimiter).filter((p) => p && p !== first)].join(path.delimiter);
  const env: NodeJS.ProcessEnv = {
    ...base,
    PYTHONPATH: prepend(clients.python, base.PYTHONPATH),
    NODE_PATH: prepend(clients.node, base.NODE_PATH),
    RUNLENS_RUN_DIR: store.runDir(runId),
    RUNLENS_RUN_ID: runId,
    RUNLENS_STORE: store.dir,
    PYTHONUNBUFFERED: '1',
  };
  if (extra.experiment) env.RUNLENS_EXPERIMENT = extra.experiment;
  return { ...env, RUNLENS_PARAMS: JSON.stringify(extra.params ?? {}) };
}
