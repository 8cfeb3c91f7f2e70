// Real git repositories for the reproduce and diff tests: a folder, `git init`, files, commits.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Store } from '../../src/core/store/store';
import type { LaunchOptions } from '../../src/core/tracking/launcher';
import { launchRun } from '../../src/core/tracking/launcher';
import type { RunRecord } from '../../src/core/store/types';
import { repoRoot, tempDir } from './tmp';

export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A new repository with `files` committed and .runlens/ ignored; returns its folder and store. */
export function newRepo(
  files: Record<string, string | Buffer>,
  ignore: string[] = [],
): { dir: string; store: Store } {
  const dir = fs.realpathSync(tempDir('runlens-repro-'));
  write(dir, { '.gitignore': ['.runlens/', ...ignore].join('\n') + '\n', ...files });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial');
  return { dir, store: Store.open(path.join(dir, '.runlens'), { create: true }) };
}

export function write(dir: string, files: Record<string, string | Buffer>): void {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
}

export function commitAll(dir: string, message: string): string {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD').trim();
}

/** The quickstart (scripts, params, data) copied into `dir`. */
export function copyQuickstart(): Record<string, Buffer> {
  const src = path.join(repoRoot, 'examples', 'quickstart');
  const out: Record<string, Buffer> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(src, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else out[r] = fs.readFileSync(path.join(src, r));
    }
  };
  walk('');
  return out;
}

/** Run a command as a tracked run (real child process), its output kept out of the test's. */
export async function track(
  store: Store,
  cwd: string,
  command: string[],
  extra: Partial<LaunchOptions> = {},
): Promise<RunRecord> {
  const output: Buffer[] = [];
  const launched = await launchRun(store, {
    command: command[0],
    args: command.slice(1),
    cwd,
    onOutput: (c) => output.push(c),
    ...extra,
  });
  const r = await launched.done;
  if (r.status !== 'finished') throw new Error(`run ${r.run.id} ${r.status}:\n${Buffer.concat(output)}`);
  return r.run;
}

export const quiet = { onOutput: () => undefined, onProgress: () => undefined };

/** The worktrees git knows of in `dir` (the main one first). */
export function worktrees(dir: string): string[] {
  return git(dir, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((l) => l.startsWith('worktree '));
}
