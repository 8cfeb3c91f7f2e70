import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './tmp';

const TSX = pathToFileURL(path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** The real CLI in a child process, from the TypeScript sources (no build needed). */
export function runlens(
  args: string[],
  cwd: string,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', TSX, path.join(repoRoot, 'src', 'cli', 'cli.ts'), ...args],
    {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, RUNLENS_STORE: '' },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
