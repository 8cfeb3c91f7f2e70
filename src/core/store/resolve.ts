import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError } from '../errors';
import { RUNS_DIR, STORE_DIR_NAME, STORE_FILE } from './layout';

/**
 * Which store a command, the editor or a logging client uses. One rule everywhere:
 *
 * 1. A store path given explicitly (`--store DIR`, a client's `store=DIR`, the editor's
 *    `runlens.storePath`) names the store folder itself: DIR holds store.json and runs/.
 * 2. Else `$RUNLENS_STORE`, with the same meaning.
 * 3. Else the nearest `.runlens` store at or above the working directory.
 * 4. Else `.runlens` in the working directory (created by the commands that write).
 *
 * Relative paths are relative to the working directory. A path that is not a store but holds one
 * in `.runlens` is an error naming that folder: it is never guessed.
 */
export interface StoreResolution {
  dir: string;
  source: 'explicit' | 'env' | 'nearest' | 'default';
}

export interface ResolveOptions {
  explicit?: string;
  env?: NodeJS.ProcessEnv;
  cwd: string;
}

export function resolveStoreDir(options: ResolveOptions): StoreResolution {
  const { cwd } = options;
  const env = options.env ?? process.env;
  if (options.explicit) {
    return { dir: checkedStorePath(path.resolve(cwd, options.explicit), '--store'), source: 'explicit' };
  }
  if (env.RUNLENS_STORE) {
    return { dir: checkedStorePath(path.resolve(cwd, env.RUNLENS_STORE), 'RUNLENS_STORE'), source: 'env' };
  }
  const nearest = nearestStoreDir(cwd);
  if (nearest) return { dir: nearest, source: 'nearest' };
  return { dir: path.join(path.resolve(cwd), STORE_DIR_NAME), source: 'default' };
}

/** True when `dir` holds a store (its store.json, or the runs/ folder of a store made before store.json). */
export function isStoreDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, STORE_FILE)) || fs.existsSync(path.join(dir, RUNS_DIR));
}

/** The nearest `.runlens` store at or above `from`. */
export function nearestStoreDir(from: string): string | undefined {
  let dir = path.resolve(from);
  for (;;) {
    const candidate = path.join(dir, STORE_DIR_NAME);
    if (isStoreDir(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The store of a workspace folder in the editor: `runlens.storePath` (default `.runlens`) under it. */
export function workspaceStoreDir(folder: string, storePath: string | undefined): string {
  return resolveStoreDir({ explicit: storePath || STORE_DIR_NAME, cwd: folder, env: {} }).dir;
}

function checkedStorePath(dir: string, what: string): string {
  if (!fs.existsSync(path.join(dir, STORE_FILE)) && path.basename(dir) !== STORE_DIR_NAME) {
    const inner = path.join(dir, STORE_DIR_NAME);
    if (isStoreDir(inner)) {
      throw new RunlensError(
        `${what} ${dir} is not a store, but ${inner} is`,
        `a store path names the store folder itself: use ${inner}`,
        'usage',
      );
    }
  }
  return dir;
}
