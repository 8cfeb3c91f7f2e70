import * as fs from 'node:fs';
import { storeWriteError } from '../store/fsutil';
import { checkMetricValue, encodeValue, foldPoint } from '../store/metrics';
import { MetricsCacheWriter } from '../store/metricsCacheWriter';
import { setOwn } from '../store/records';
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
  private readonly cache: MetricsCacheWriter;
  private timer: NodeJS.Timeout | undefined;
  private fd: number | undefined;
  private autoStep = 0;
  readonly summary: Record<string, MetricSummary> = {};

  /**
   * `removed` is asked before each write; once it says the run is gone (`runlens rm`), buffered
   * points are dropped instead of written.
   */
  constructor(
    private readonly file: string,
    private readonly removed: () => boolean = () => false,
  ) {
    this.cache = new MetricsCacheWriter(file);
  }

  /** Log several metrics at one step (the next automatic step when none is given). */
  log(metrics: Record<string, unknown>, step?: number, source?: 'stdout', time: number = Date.now()): void {
    const keys = Object.keys(metrics);
    // Every value is checked before any is kept: a call with a bad value logs none of its points.
    for (let i = 0; i < keys.length; i++) checkMetricValue(keys[i], metrics[keys[i]]);
    const s = step ?? this.autoStep;
    if (step === undefined) this.autoStep++;
    for (let i = 0; i < keys.length; i++)
      this.add(keys[i], checkMetricValue(keys[i], metrics[keys[i]]), s, time, source);
  }

  /**
   * Continue a run that already has points (a resumed run): the summary starts from theirs and
   * automatic steps go on after the last step logged.
   */
  continueFrom(summary: Record<string, MetricSummary>): void {
    let last = -1;
    for (const [key, s] of Object.entries(summary)) {
      setOwn(this.summary, key, { ...s });
      if (s.lastStep > last) last = s.lastStep;
    }
    this.autoStep = Math.max(this.autoStep, Math.trunc(last) + 1);
  }

  push(p: MetricPoint): void {
    this.add(p.key, p.value, p.step, p.time, p.source);
  }

  /** One point, without making an object of it (a client may log millions, one call each). */
  private add(key: string, value: number, step: number, time: number, source?: 'stdout'): void {
    this.lines.push(
      JSON.stringify(
        source
          ? { key, value: encodeValue(value), step, time, source }
          : { key, value: encodeValue(value), step, time },
      ),
    );
    this.cache.add(key, value, step, time);
    foldPoint(this.summary, key, value, step, time, source);
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
    const lines = this.lines;
    this.lines = [];
    if (this.removed()) {
      this.cache.discard();
      return;
    }
    let before: number;
    let text: string;
    try {
      if (this.fd === undefined) {
        this.fd = fs.openSync(this.file, 'a+');
        // A writer killed mid-line left half a point: end it, or the first point written here would
        // be glued onto it and lost with it.
        if (!endsWithNewline(this.fd)) lines.unshift('');
      }
      // The last newline from an empty last element: one flat string, written as it is (no second
      // concatenation, no copy into a Buffer).
      lines.push('');
      text = lines.join('\n');
      before = fs.fstatSync(this.fd).size;
      fs.writeSync(this.fd, text);
    } catch (e) {
      throw storeWriteError(e, this.file);
    }
    // The binary columns follow the JSONL (metrics.cache), so charts open without parsing it.
    this.cache.appended(before, fs.fstatSync(this.fd).size, Buffer.byteLength(text), text.charCodeAt(0));
  }

  close(): void {
    this.flush();
    if (!this.removed()) this.cache.close();
    if (this.fd !== undefined) {
      fs.closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

/** True when the open file is empty or ends with a newline. */
function endsWithNewline(fd: number): boolean {
  const size = fs.fstatSync(fd).size;
  if (size === 0) return true;
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, size - 1);
  return b[0] === 0x0a;
}
