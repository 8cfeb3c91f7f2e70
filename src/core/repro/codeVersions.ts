import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Store } from '../store/store';
import type { RunRecord } from '../store/types';
import { runGit } from '../tracking/git';
import type { RunDiff } from './diff';
import { hasCommit, repoTop } from './worktree';

/** The code a run ran: a git tree (its commit with its recorded diff applied) in a repository. */
export interface RunCode {
  top: string;
  /** A tree-ish: the commit, or the tree written with the recorded diff applied. */
  tree: string;
}

/**
 * The tree of the code a run ran, without touching the working folder: the recorded diff is
 * applied to the commit in a temporary index (`git apply --cached`), written as a tree object.
 * Null when the run has no git record, its commit is gone, or the diff does not apply.
 */
export function runCode(store: Store, run: RunRecord): RunCode | null {
  const commit = run.git?.commit;
  const top = commit ? (repoTop(run.cwd) ?? repoTop(store.root)) : null;
  if (!commit || !top || !hasCommit(top, commit)) return null;
  const diffFile = run.git?.diffArtifact ? path.join(store.runDir(run.id), run.git.diffArtifact) : null;
  const diff = diffFile && fs.existsSync(diffFile) ? fs.readFileSync(diffFile, 'utf8') : '';
  if (!diff.trim()) return { top, tree: commit };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-index-'));
  try {
    const env = { ...process.env, GIT_INDEX_FILE: path.join(tmp, 'index') };
    if (!runGit(top, ['read-tree', commit], { env }).ok) return null;
    if (!runGit(top, ['apply', '--cached', '--whitespace=nowarn', '-'], { env, input: diff }).ok) return null;
    const tree = runGit(top, ['write-tree'], { env });
    return tree.ok ? { top, tree: tree.stdout.trim() } : null;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** A file of a run's code ('' when the run's code does not have it). */
export function fileOf(code: RunCode, file: string): string {
  const r = runGit(code.top, ['show', `${code.tree}:${file}`]);
  return r.ok ? r.stdout : '';
}

/** Every file whose code differs between the two runs: in the commits' diff or either recorded diff. */
export function changedFiles(d: RunDiff): string[] {
  const files = [...(d.code.commits?.files ?? []), ...d.code.workingA.files, ...d.code.workingB.files].map(
    (f) => f.file,
  );
  return [...new Set(files)].sort();
}

/** A file whose content differs between the code of two runs. */
export interface CodeChange {
  file: string;
  a: string;
  b: string;
}

/** The files that differ between what run A and run B ran, with both contents. */
export function codeChanges(store: Store, d: RunDiff): { changes: CodeChange[]; reason: string | null } {
  const ca = runCode(store, d.a);
  const cb = runCode(store, d.b);
  if (!ca || !cb)
    return {
      changes: [],
      reason: `the code of run ${(!ca ? d.a : d.b).id} cannot be rebuilt from git (no git record, a missing commit, or a diff that does not apply)`,
    };
  const changes = changedFiles(d)
    .map((file) => ({ file, a: fileOf(ca, file), b: fileOf(cb, file) }))
    .filter((c) => c.a !== c.b);
  return { changes, reason: null };
}
