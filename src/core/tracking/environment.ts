import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError } from '../errors';
import type { GitInfo, InputFile } from '../store/types';
import { runGit } from './git';

function git(cwd: string, args: string[]): string | undefined {
  const r = runGit(cwd, args, { timeoutMs: 10_000 });
  return r.ok ? r.stdout : undefined;
}

/** At most this many untracked files are named in a run's record (the rest are counted). */
export const UNTRACKED_NAMED = 100;

/**
 * Commit, branch and dirty flag of the repository around `cwd`, with the uncommitted diff (binary
 * files included, so that `git apply` can restore them) and the untracked files (not ignored) by
 * name: the diff does not hold them, so a reproduction will not have them.
 */
export function gitInfo(cwd: string): { info: GitInfo; diff: string } | null {
  const commit = git(cwd, ['rev-parse', 'HEAD'])?.trim();
  if (!commit) return null;
  const branch = git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD'])?.trim() ?? null;
  const status = git(cwd, ['status', '--porcelain', '--untracked-files=no']) ?? '';
  const dirty = status.trim().length > 0;
  const diff = dirty ? (git(cwd, ['diff', '--binary', 'HEAD']) ?? '') : '';
  // Paths from the repository's top (`:/`), whatever folder the run started in.
  const others = (
    git(cwd, ['ls-files', '-z', '--others', '--exclude-standard', '--full-name', '--', ':/']) ?? ''
  )
    .split('\0')
    // A store the repository does not ignore is the runs' own output, not code.
    .filter((f) => f && !/(^|\/)\.runlens\//.test(f))
    .sort();
  const info: GitInfo = { commit, branch: branch === 'HEAD' ? null : branch, dirty, diffArtifact: null };
  if (others.length) {
    info.untracked = others.slice(0, UNTRACKED_NAMED);
    if (others.length > UNTRACKED_NAMED) info.untrackedCount = others.length;
  }
  return { info, diff };
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    fs.createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve())
      .on('error', reject);
  });
  return hash.digest('hex');
}

/** Size and sha256 of a declared input; the path is kept relative to `root` when inside it. */
export async function describeInput(file: string, cwd: string, root: string): Promise<InputFile> {
  const abs = path.resolve(cwd, file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new RunlensError(`input ${abs} does not exist`, 'check the --input path', 'usage');
  }
  if (!stat.isFile())
    throw new RunlensError(`input ${abs} is not a file`, 'declare data files, not folders', 'usage');
  return { path: relativeToRoot(abs, root), size: stat.size, sha256: await sha256File(abs) };
}

export function relativeToRoot(abs: string, root: string): string {
  const rel = path.relative(root, abs);
  const outside = rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel);
  return outside ? abs : rel.split(path.sep).join('/');
}
