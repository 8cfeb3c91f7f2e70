import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { GitResult } from '../tracking/git';
import { runGit } from '../tracking/git';

/** The top folder of the git repository holding `dir`, or null (not a repository, or gone). */
export function repoTop(dir: string): string | null {
  if (!fs.existsSync(dir)) return null;
  const r = runGit(dir, ['rev-parse', '--show-toplevel']);
  return r.ok ? fs.realpathSync(r.stdout.trim()) : null;
}

export function hasCommit(top: string, commit: string): boolean {
  return runGit(top, ['cat-file', '-e', `${commit}^{commit}`]).ok;
}

/** `p` relative to `dir` when inside it (resolving symbolic links), else null. */
export function inside(dir: string, p: string): string | null {
  const real = (x: string) => {
    try {
      return fs.realpathSync(x);
    } catch {
      return path.resolve(x);
    }
  };
  const rel = path.relative(real(dir), real(p));
  if (rel === '') return '';
  return rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel) ? null : rel;
}

/** A detached worktree of `top` at `commit`, in a new temporary folder. */
export interface Worktree {
  /** The worktree's top folder. */
  dir: string;
  /** Remove the worktree and its temporary folder (idempotent). */
  remove(): void;
}

/** `under`: the folder to make it in (default: the system's temporary folder). */
export function addWorktree(top: string, commit: string, under = os.tmpdir()): Worktree {
  fs.mkdirSync(under, { recursive: true });
  const parent = fs.mkdtempSync(path.join(under, 'runlens-reproduce-'));
  const dir = path.join(parent, path.basename(top));
  const r = runGit(top, ['worktree', 'add', '--detach', '--quiet', dir, commit]);
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    runGit(top, ['worktree', 'remove', '--force', dir]);
    fs.rmSync(parent, { recursive: true, force: true });
    runGit(top, ['worktree', 'prune']);
  };
  if (!r.ok) {
    remove();
    throw new Error(firstLines(r.stderr) || `git worktree add failed`);
  }
  return { dir, remove };
}

/** Apply a recorded `git diff HEAD` in a worktree; the error is git's own message. */
export function applyDiff(dir: string, diff: string): GitResult {
  return runGit(dir, ['apply', '--whitespace=nowarn', '-'], { input: diff });
}

export function firstLines(text: string, n = 6): string {
  return text.trim().split('\n').slice(0, n).join('\n');
}
