import * as fs from 'node:fs';
import { storeWriteError } from '../store/fsutil';
import { checkMetricValue, foldSummary, formatPoint } from '../store/metrics';
import type { MetricPoint, MetricSummary } from '../store/types';

export const FLUSH_INTERVAL_MS = 1_000;
const MAX_BUFFERED_LINES = 10_000;

/**
 * Buffered appender for a run's metrics.jsonl. Points are validated when logged, kept in memory
 * and appended with one write (O_APPEND) at least once a second, when the buffer fills, and on
 * flush(). The summary of everything logged through it is kept as it goes.
 */
export class MetricLog {
  private lines: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private fd: number | undefined;
  private autoStep = 0;
  readonly summary: Record<string, MetricSummary> = {};

  constructor(private readonly file: string) {}

  /** Log several metrics at one step (the next automatic step when none is given). */
  log(metrics: Record<string, unknown>, step?: number, source?: 'stdout'): void {
    const time = Date.now();
    const points: MetricPoint[] = [];
    for (const [key, raw] of Object.entries(metrics)) {
      points.push({ key, value: checkMetricValue(key, raw), step: 0, time });
    }
    const s = step ?? this.autoStep;
    if (step === undefined) this.autoStep++;
    for (const p of points) {
      p.step = s;
      if (source) p.source = source;
      this.push(p);
    }
  }

  push(p: MetricPoint): void {
    this.lines.push(formatPoint(p));
    foldSummary(this.summary, p);
    if (this.lines.length >= MAX_BUFFERED_LINES) this.flush();
    else this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.lines.length === 0) return;
    const data = this.lines.join('\n') + '\n';
    this.lines = [];
    try {
      this.fd ??= fs.openSync(this.file, 'a');
      fs.writeSync(this.fd, data);
    } catch (e) {
      throw storeWriteError(e, this.file);
    }
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) {
      fs.closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
