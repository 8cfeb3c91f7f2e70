import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { RunlensError, errorMessage } from '../errors';
import { mkdirp } from '../store/fsutil';
import type { Store } from '../store/store';
import type { MlflowClient } from './client';
import { isRetryable } from './client';
import { ORIGIN_TAG, pushRun } from './push';
import { syncDir } from './state';

export interface MirrorOptions {
  /** How often the store is looked at (default 1 s). */
  intervalMs?: number;
  /** Longest wait after failures (default 60 s). */
  maxBackoffMs?: number;
  onPush?: (runId: string, points: number) => void;
  onError?: (message: string, retryInMs: number) => void;
}

/**
 * Mirrors a store's runs to an MLflow server while they train: every interval, each run that is
 * running or changed since the mirror started is pushed (only its new points, in full batches).
 * One per store and server (a lock in .runlens/sync/<server>/mirror.lock): a second one does not
 * start. The training processes keep writing to the store only; a slow or failing server never
 * slows them. Failures back off (1 s doubling up to maxBackoffMs) and retry; nothing is lost.
 */
export class MirrorSyncer {
  private timer: NodeJS.Timeout | undefined;
  private release: (() => Promise<void>) | undefined;
  private readonly startedAt = Date.now();
  private readonly seen = new Map<string, number>();
  private backoff = 0;
  private stopped = false;
  private running: Promise<void> | undefined;
  /** Points pushed since start. */
  points = 0;

  constructor(
    readonly store: Store,
    readonly client: MlflowClient,
    private readonly options: MirrorOptions = {},
  ) {}

  /** Start; false when another mirror of this store to this server is running. */
  async start(): Promise<boolean> {
    const dir = syncDir(this.store, this.client.config.uri);
    mkdirp(dir);
    const file = path.join(dir, 'mirror');
    if (!fs.existsSync(file)) fs.writeFileSync(file, '');
    try {
      this.release = await lockfile.lock(file, { stale: 15_000, update: 5_000, realpath: false });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ELOCKED') return false;
      throw e;
    }
    this.schedule(0);
    return true;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => (this.running = undefined));
    }, ms);
    this.timer.unref?.();
  }

  /** One pass: push what changed. */
  async tick(): Promise<void> {
    const interval = this.options.intervalMs ?? 1000;
    try {
      const { entries } = this.store.listRuns();
      for (const e of entries) {
        if (this.stopped) return;
        if (e.tags[ORIGIN_TAG] || e.status === 'unreadable') continue;
        const live = e.status === 'running' || e.updatedAt >= this.startedAt;
        if (!live) continue;
        const mark = e.metricsBytes * 1e13 + e.updatedAt;
        if (this.seen.get(e.id) === mark && e.status !== 'running') continue;
        const r = await pushRun(this.store, this.client, e.id, { noArtifacts: e.status === 'running' });
        this.seen.set(e.id, mark);
        this.points += r.points;
        if (r.points > 0) this.options.onPush?.(e.id, r.points);
      }
      this.backoff = 0;
      this.schedule(interval);
    } catch (e) {
      const max = this.options.maxBackoffMs ?? 60_000;
      this.backoff = Math.min(max, this.backoff === 0 ? 1000 : this.backoff * 2);
      const retry = isRetryable(e) || !(e instanceof RunlensError) ? this.backoff : max;
      this.options.onError?.(
        errorMessage(e) + (e instanceof RunlensError && e.hint ? ` (${e.hint})` : ''),
        retry,
      );
      this.schedule(retry);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.release?.().catch(() => undefined);
    this.release = undefined;
  }
}
