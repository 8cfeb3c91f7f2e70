import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectDrift } from '../drift/drift';
import { errorMessage } from '../errors';
import { inferSchema } from '../data/schema';
import type { Store } from '../store/store';
import type { InputFile, ParamValue, RunRecord } from '../store/types';
import { runMetrics } from '../gate/gate';
import { sha256File } from '../tracking/environment';
import { runGit, runGitBytes } from '../tracking/git';
import type { EnvironmentDifference } from './environmentDiff';
import { environmentDifferences } from './environmentDiff';
import { hasCommit, inside, repoTop } from './worktree';

export interface ParamChange {
  key: string;
  a: ParamValue | undefined;
  b: ParamValue | undefined;
}

/** One file of a code diff with its added and removed lines (null: binary). */
export interface FileChange {
  file: string;
  added: number | null;
  removed: number | null;
}

export interface CodeDiff {
  a: { commit: string | null; dirty: boolean };
  b: { commit: string | null; dirty: boolean };
  /** `git diff A B` between the two commits ('' when the same commit; null when not available). */
  commits: { files: FileChange[]; patch: string } | null;
  /** Why the diff between the commits is not available (no git, a commit missing). */
  reason: string | null;
  /** The uncommitted diffs recorded with each run ('' when it had none). */
  workingA: { files: FileChange[]; patch: string };
  workingB: { files: FileChange[]; patch: string };
  /** Nothing differs: same commit, same (or no) uncommitted diff. */
  same: boolean;
}

/** Rows and columns of a CSV/JSONL input version. */
export interface TableShape {
  rows: number;
  columns: { name: string; type: string }[];
}

export interface InputChange {
  path: string;
  status: 'same' | 'changed' | 'added' | 'removed';
  a: InputFile | null;
  b: InputFile | null;
  /** CSV/JSONL inputs whose two versions could be read. */
  table?: {
    a: TableShape;
    b: TableShape;
    addedColumns: string[];
    removedColumns: string[];
    typeChanges: { column: string; a: string; b: string }[];
    drift: {
      datasetDrift: boolean;
      drifted: string[];
      tested: number;
      share: number;
      driftShare: number;
    } | null;
  };
  /** Why the table summary is missing (a version no longer exists anywhere). */
  note?: string;
}

export interface MetricDelta {
  key: string;
  a: number | null;
  b: number | null;
  delta: number | null;
  /** delta / |a| (null when a is 0 or missing). */
  relative: number | null;
}

export interface RunDiff {
  a: RunRecord;
  b: RunRecord;
  params: ParamChange[];
  code: CodeDiff;
  inputs: InputChange[];
  environment: EnvironmentDifference[];
  metrics: MetricDelta[];
}

/**
 * What changed between two runs: params, code (the diff between their commits and both recorded
 * uncommitted diffs), input data (hashes; for CSV/JSONL inputs the schema, row count and the drift
 * engine's verdict), environment, and the final metrics.
 */
export async function diffRuns(store: Store, refA: string, refB: string): Promise<RunDiff> {
  const a = store.getRun(refA);
  const b = store.getRun(refB);
  return {
    a,
    b,
    params: paramChanges(a.params, b.params),
    code: codeDiff(store, a, b),
    inputs: await inputChanges(store, a, b),
    environment: environmentDifferences(a, b),
    metrics: metricDeltas(runMetrics(store, a), runMetrics(store, b)),
  };
}

export function paramChanges(a: Record<string, ParamValue>, b: Record<string, ParamValue>): ParamChange[] {
  const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .sort()
    .filter((k) => !has(a, k) || !has(b, k) || a[k] !== b[k])
    .map((k) => ({ key: k, a: has(a, k) ? a[k] : undefined, b: has(b, k) ? b[k] : undefined }));
}

export function metricDeltas(a: Record<string, number>, b: Record<string, number>): MetricDelta[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().map((key) => {
    const x = key in a ? a[key] : null;
    const y = key in b ? b[key] : null;
    const delta = x !== null && y !== null ? y - x : null;
    const relative = delta !== null && x !== null && x !== 0 ? delta / Math.abs(x) : null;
    return { key, a: x, b: y, delta, relative };
  });
}

function recordedDiff(store: Store, run: RunRecord): string {
  const rel = run.git?.diffArtifact;
  if (!rel) return '';
  try {
    return fs.readFileSync(path.join(store.runDir(run.id), rel), 'utf8');
  } catch {
    return '';
  }
}

/** Files of a unified diff with their added and removed lines. */
export function patchFiles(patch: string): FileChange[] {
  const files: FileChange[] = [];
  let cur: FileChange | undefined;
  for (const line of patch.split('\n')) {
    const head = /^diff --git a\/(.*) b\/(.*)$/.exec(line);
    if (head) {
      cur = { file: head[2], added: 0, removed: 0 };
      files.push(cur);
    } else if (!cur) continue;
    // `Binary files a and b differ` (git diff), `GIT binary patch` (git diff --binary).
    else if (line.startsWith('Binary files ') || line === 'GIT binary patch')
      [cur.added, cur.removed] = [null, null];
    else if (line.startsWith('+') && !line.startsWith('+++ ') && cur.added !== null) cur.added++;
    else if (line.startsWith('-') && !line.startsWith('--- ') && cur.removed !== null) cur.removed!++;
  }
  return files;
}

function codeDiff(store: Store, a: RunRecord, b: RunRecord): CodeDiff {
  const wa = recordedDiff(store, a);
  const wb = recordedDiff(store, b);
  const ca = a.git?.commit ?? null;
  const cb = b.git?.commit ?? null;
  const out: CodeDiff = {
    a: { commit: ca, dirty: a.git?.dirty ?? false },
    b: { commit: cb, dirty: b.git?.dirty ?? false },
    commits: null,
    reason: null,
    workingA: { files: patchFiles(wa), patch: wa },
    workingB: { files: patchFiles(wb), patch: wb },
    same: false,
  };
  if (!ca || !cb) {
    out.reason = `${!ca && !cb ? 'neither run was' : `run ${(ca ? b : a).id} was not`} recorded in a git repository`;
  } else if (ca === cb) {
    out.commits = { files: [], patch: '' };
  } else {
    const top = repoTop(a.cwd) ?? repoTop(b.cwd) ?? repoTop(store.root);
    const missing = top ? [ca, cb].filter((c) => !hasCommit(top, c)) : [];
    if (!top) out.reason = `neither the runs' folders nor ${store.root} is in a git repository now`;
    else if (missing.length)
      out.reason = `commit ${missing.map((c) => c.slice(0, 12)).join(' and ')} is not in the repository at ${top}`;
    else {
      const r = runGit(top, ['diff', ca, cb]);
      if (r.ok) out.commits = { files: patchFiles(r.stdout), patch: r.stdout };
      else out.reason = `git diff ${ca.slice(0, 12)} ${cb.slice(0, 12)} failed: ${r.stderr.trim()}`;
    }
  }
  out.same = out.commits !== null && out.commits.patch === '' && wa === wb;
  return out;
}

async function inputChanges(store: Store, a: RunRecord, b: RunRecord): Promise<InputChange[]> {
  const ia = new Map((a.inputs ?? []).map((i) => [i.path, i]));
  const ib = new Map((b.inputs ?? []).map((i) => [i.path, i]));
  const out: InputChange[] = [];
  for (const p of [...new Set([...ia.keys(), ...ib.keys()])].sort()) {
    const x = ia.get(p) ?? null;
    const y = ib.get(p) ?? null;
    const status = !x ? 'added' : !y ? 'removed' : x.sha256 === y.sha256 ? 'same' : 'changed';
    const change: InputChange = { path: p, status, a: x, b: y };
    if (status === 'changed' && x && y && /\.(csv|tsv|jsonl|ndjson)$/i.test(p))
      await summarizeTableChange(store, a, b, change, x, y);
    out.push(change);
  }
  return out;
}

/**
 * Find a version of an input by its recorded hash: the file on disk now, or the file in either run's
 * commit (data kept in git, read as bytes). Written to a temporary file (keeping the extension, which
 * says how to read it); null when no copy with that hash exists any more. `onDisk` holds the hashes
 * of files on disk already read for this diff.
 */
async function findVersion(
  store: Store,
  input: InputFile,
  runs: RunRecord[],
  tmp: string,
  onDisk: Map<string, Promise<string | null>>,
): Promise<string | null> {
  const abs = path.resolve(store.root, input.path);
  if (!onDisk.has(abs))
    onDisk.set(abs, fs.existsSync(abs) ? sha256File(abs).catch(() => null) : Promise.resolve(null));
  if ((await onDisk.get(abs)) === input.sha256) return abs;
  for (const run of runs) {
    if (!run.git?.commit) continue;
    const top = repoTop(run.cwd) ?? repoTop(store.root);
    const rel = top ? inside(top, abs) : null;
    if (!top || rel === null) continue;
    const bytes = runGitBytes(top, ['show', `${run.git.commit}:${rel.split(path.sep).join('/')}`]);
    if (!bytes || createHash('sha256').update(bytes).digest('hex') !== input.sha256) continue;
    const file = path.join(fs.mkdtempSync(path.join(tmp, 'v-')), path.basename(abs));
    fs.writeFileSync(file, bytes);
    return file;
  }
  return null;
}

async function summarizeTableChange(
  store: Store,
  a: RunRecord,
  b: RunRecord,
  change: InputChange,
  x: InputFile,
  y: InputFile,
): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-diff-'));
  try {
    const onDisk = new Map<string, Promise<string | null>>();
    const fa = await findVersion(store, x, [a, b], tmp, onDisk);
    const fb = await findVersion(store, y, [b, a], tmp, onDisk);
    if (!fa || !fb) {
      change.note = `the version ${!fa ? `run ${a.id}` : `run ${b.id}`} read (sha256 ${(!fa ? x : y).sha256.slice(0, 12)}) is neither on disk nor in either run's commit`;
      return;
    }
    const [sa, sb] = [await inferSchema(fa), await inferSchema(fb)];
    const shape = (s: typeof sa): TableShape => ({
      rows: s.rows,
      columns: s.columns.map((c) => ({ name: c.name, type: c.type })),
    });
    const namesA = new Set(sa.columns.map((c) => c.name));
    const namesB = new Set(sb.columns.map((c) => c.name));
    const typeA = new Map(sa.columns.map((c) => [c.name, c.type as string]));
    let drift: NonNullable<InputChange['table']>['drift'] = null;
    try {
      const d = await detectDrift(fa, fb);
      drift = {
        datasetDrift: d.datasetDrift,
        drifted: d.columns.filter((c) => c.drifted).map((c) => c.column),
        tested: d.tested,
        share: d.share,
        driftShare: d.driftShare,
      };
    } catch (e) {
      change.note = `drift not computed: ${errorMessage(e)}`;
    }
    change.table = {
      a: shape(sa),
      b: shape(sb),
      addedColumns: [...namesB].filter((n) => !namesA.has(n)),
      removedColumns: [...namesA].filter((n) => !namesB.has(n)),
      typeChanges: sb.columns
        .filter((c) => typeA.has(c.name) && typeA.get(c.name) !== c.type)
        .map((c) => ({ column: c.name, a: typeA.get(c.name)!, b: c.type })),
      drift,
    };
  } catch (e) {
    change.note = `could not read the two versions as tables: ${errorMessage(e)}`;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
