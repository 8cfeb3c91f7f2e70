import { spawnSync } from 'node:child_process';

/** What a git command gave: whether it exited 0, and its output. */
export interface GitResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

export interface GitOptions {
  /** Text written to git's standard input (a patch for `git apply -`). */
  input?: string;
  /** The whole environment (default: this process's), e.g. with GIT_INDEX_FILE set. */
  env?: NodeJS.ProcessEnv;
  /** Default 120 s; the launcher's quick questions use less. */
  timeoutMs?: number;
}

const MAX_BUFFER = 256 * 1024 * 1024;

/** The one way Runlens runs git: synchronously, in `cwd`, never throwing (a missing git is not ok). */
export function runGit(cwd: string, args: string[], options: GitOptions = {}): GitResult {
  const r = spawnSync('git', args, {
    cwd,
    env: options.env,
    input: options.input,
    encoding: 'utf8',
    maxBuffer: MAX_BUFFER,
    timeout: options.timeoutMs ?? 120_000,
  });
  if (r.error) return { ok: false, stdout: '', stderr: r.error.message };
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}

/** A git command's output as bytes (a data file from `git show`, which need not be UTF-8), or null. */
export function runGitBytes(cwd: string, args: string[]): Buffer | null {
  const r = spawnSync('git', args, { cwd, maxBuffer: MAX_BUFFER, timeout: 120_000 });
  return !r.error && r.status === 0 ? r.stdout : null;
}
