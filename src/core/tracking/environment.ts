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

/** Commit, branch and dirty flag of the repository around `cwd`, with the uncommitted diff. */
export function gitInfo(cwd: string): { info: GitInfo; diff: string } | null {
  const commit = git(cwd, ['rev-parse', 'HEAD'])?.trim();
  if (!commit) return null;
  const branch = git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD'])?.trim() ?? null;
  const status = git(cwd, ['status', '--porcelain', '--untracked-files=no']) ?? '';
  const dirty = status.trim().length > 0;
  const diff = dirty ? (git(cwd, ['diff', 'HEAD']) ?? '') : '';
  return {
    info: { commit, branch: branch === 'HEAD' ? null : branch, dirty, diffArtifact: null },
    diff,
  };
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
