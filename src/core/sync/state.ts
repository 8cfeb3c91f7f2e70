import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mkdirp, readJsonFile, writeJsonAtomic } from '../store/fsutil';
import type { Store } from '../store/store';

/** A log-batch that was about to be sent: on resume, the server's history tells whether it landed. */
export interface PendingBatch {
  /** Points of the current scan (from `offset`) sent before the batch, and after it. */
  skipFrom: number;
  skipTo: number;
  /** Points per key in the batch. */
  batch: Record<string, number>;
}

/**
 * What a push has sent of one run to one server (`.runlens/sync/<server>/<run>.json`). Metrics are
 * sent in file order: every point before byte `offset` of metrics.jsonl, then `skip` more points.
 */
export interface RunWatermark {
  schemaVersion: 1;
  server: string;
  runId: string;
  mlflowRunId: string;
  experimentId: string;
  artifactUri: string;
  offset: number;
  skip: number;
  /** Points sent per key (all of them, not only since `offset`). */
  counts: Record<string, number>;
  pending: PendingBatch | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** The status, end time and name last sent (`STATUS|end|name`). */
  state: string;
  /** Artifacts sent: relative path -> `size:mtimeMs`. */
  artifacts: Record<string, string>;
  updatedAt: number;
}

export function serverKey(uri: string): string {
  const u = new URL(uri);
  const label = (u.host + u.pathname)
    .replace(/[^A-Za-z0-9.-]+/g, '_')
    .replace(/_+$/, '')
    .slice(0, 60);
  return `${label}-${createHash('sha256')
    .update(u.origin + u.pathname.replace(/\/+$/, ''))
    .digest('hex')
    .slice(0, 8)}`;
}

export function syncDir(store: Store, uri: string): string {
  return path.join(store.dir, 'sync', serverKey(uri));
}

export function watermarkFile(store: Store, uri: string, runId: string): string {
  return path.join(syncDir(store, uri), `${runId}.json`);
}

export function readWatermark(store: Store, uri: string, runId: string): RunWatermark | undefined {
  const file = watermarkFile(store, uri, runId);
  // Missing, or the empty file a first push locks before it writes the watermark.
  if ((fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0) === 0) return undefined;
  return readJsonFile<RunWatermark>(file);
}

export function writeWatermark(store: Store, w: RunWatermark): void {
  const file = watermarkFile(store, w.server, w.runId);
  mkdirp(path.dirname(file));
  w.updatedAt = Date.now();
  writeJsonAtomic(file, w);
}

/** State of pulls from one server (`.runlens/sync/<server>/pull.json`). */
export interface PullState {
  schemaVersion: 1;
  server: string;
  /** Per experiment id: when it was last pulled. */
  experiments: Record<string, { name: string; pulledAt: number }>;
}

export function readPullState(store: Store, uri: string): PullState {
  const file = path.join(syncDir(store, uri), 'pull.json');
  if (!fs.existsSync(file)) return { schemaVersion: 1, server: uri, experiments: {} };
  return readJsonFile<PullState>(file);
}

export function writePullState(store: Store, s: PullState): void {
  const file = path.join(syncDir(store, s.server), 'pull.json');
  mkdirp(path.dirname(file));
  writeJsonAtomic(file, s);
}
