import { switchedOff } from '../envSwitch';
import { scanMetrics } from './metrics';
import type { ScanWarning } from './metrics';
import { readMetricsCache, writeMetricsCache } from './metricsCache';
import type { Columns } from './metricsCache';
import type { MetricPoint } from './types';

/** Beyond this many points (24 bytes each in memory) a writer leaves the cache to the readers. */
export const MAX_KEPT_POINTS = 4_000_000;
/** New bytes that make a cache rewrite worth it: at least this, and as much as it holds (total work stays linear). */
const MIN_WRITE_BYTES = 256 * 1024;
/**
 * And at most one rewrite a second while a writer logs fast: a burst of a million points is
 * rewritten twice instead of a dozen times (each rewrite holds all the columns so far). A reader in
 * between parses at most the last second's lines, or the uncovered half, from the JSONL.
 */
const MIN_WRITE_INTERVAL_MS = 1_000;

/** A growable column of numbers. */
class Column {
  data = new Float64Array(256);
  n = 0;

  static of(a: Float64Array): Column {
    const c = new Column();
    c.data = new Float64Array(Math.max(256, a.length * 2));
    c.data.set(a);
    c.n = a.length;
    return c;
  }

  push(v: number): void {
    if (this.n === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.n++] = v;
  }

  view(): Float64Array {
    return this.data.subarray(0, this.n);
  }
}

interface KeyColumns {
  steps: Column;
  values: Column;
  times: Column;
  /** Points of this key in the file up to `offset`; those after it are not yet known to be there. */
  committed: number;
}

/**
 * Keeps a run's metrics.cache current from the process that appends to its metrics.jsonl, so a
 * chart opened later reads columns instead of parsing JSONL. The writer already has its points as
 * numbers: after each append it adds them to in-memory columns (no parsing) when its bytes were
 * the only ones appended, and otherwise reads what the other writers appended. The cache is
 * rewritten when enough has been appended (a doubling schedule: total work stays linear) and on
 * close. The JSONL is always written first, so a process killed in between leaves a cache that
 * covers less than the JSONL, which readers complete from the JSONL. Failing here never fails the
 * writer: the cache is only a speed-up.
 */
export class MetricsCacheWriter {
  private started = false;
  /** Off with RUNLENS_METRICS_CACHE=0: the readers then write the cache when they parse the JSONL. */
  private off = switchedOff(process.env.RUNLENS_METRICS_CACHE);
  private offset = 0;
  private lines = 0;
  private t0 = Infinity;
  private points = 0;
  private warnings: ScanWarning[] = [];
  private readonly columns = new Map<string, KeyColumns>();
  private cachedOffset = 0;
  private writtenAt = -Infinity;
  private pending = 0;

  constructor(private readonly file: string) {}

  /** A point about to be appended (before the write that holds it). */
  add(p: MetricPoint): void {
    if (this.off) return;
    try {
      if (!this.started) this.start();
      this.push(p);
      this.pending++;
    } catch {
      this.stop();
    }
  }

  /**
   * After one append of `data`: whole lines holding the points added since the last append, in
   * order, and nothing else unless it starts with a newline that ends a torn line. The file was
   * `before` bytes long just before the write and `after` just after it.
   */
  appended(before: number, after: number, data: string | Buffer): void {
    if (this.off) return;
    try {
      if (!this.started) this.start();
      const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      const first = typeof data === 'string' ? data.charCodeAt(0) : data[0];
      const ours = before === this.offset && after - before === length && first !== 10 && this.pending > 0;
      if (ours) {
        this.offset = after;
        this.lines += this.pending;
        this.pending = 0;
        for (const c of this.columns.values()) c.committed = c.steps.n;
      } else {
        // Another writer appended too (or the file changed under us): read what we have not seen.
        this.discard();
        this.catchUp();
      }
      if (this.points > MAX_KEPT_POINTS) return this.stop();
      if (
        this.offset - this.cachedOffset >= Math.max(MIN_WRITE_BYTES, this.cachedOffset) &&
        Date.now() - this.writtenAt >= MIN_WRITE_INTERVAL_MS
      )
        this.write();
    } catch {
      this.stop();
    }
  }

  /** Forget the points added since the last append (they were not written). */
  discard(): void {
    for (const [key, c] of this.columns) {
      this.points -= c.steps.n - c.committed;
      c.steps.n = c.values.n = c.times.n = c.committed;
      if (c.committed === 0) this.columns.delete(key);
    }
    this.pending = 0;
  }

  /** Write the cache for everything in the file so far (when the writer ends). */
  close(): void {
    if (this.off || !this.started) return;
    try {
      this.discard();
      // Up to the end of the file, so this cache never covers less than another writer's.
      this.catchUp();
      if (this.offset !== this.cachedOffset) this.write();
    } catch {
      this.stop();
    }
  }

  private start(): void {
    this.started = true;
    const cached = readMetricsCache(this.file);
    if (!cached) return;
    this.offset = this.cachedOffset = cached.offset;
    this.lines = cached.lines;
    this.t0 = cached.t0;
    this.warnings = cached.warnings;
    for (const [key, c] of cached.series) {
      this.columns.set(key, {
        steps: Column.of(c.steps),
        values: Column.of(c.values),
        times: Column.of(c.times),
        committed: c.steps.length,
      });
      this.points += c.steps.length;
    }
  }

  private push(p: MetricPoint): void {
    let c = this.columns.get(p.key);
    if (c === undefined) {
      c = { steps: new Column(), values: new Column(), times: new Column(), committed: 0 };
      this.columns.set(p.key, c);
    }
    c.steps.push(p.step);
    c.values.push(p.value);
    c.times.push(p.time);
    if (p.time < this.t0) this.t0 = p.time;
    this.points++;
  }

  /** Read the lines other writers appended (and ours among them) since the last known offset. */
  private catchUp(): void {
    const scan = scanMetrics(this.file, (p) => this.push(p), {
      fromOffset: this.offset,
      fromLine: this.lines,
    });
    this.offset = scan.endOffset;
    this.lines += scan.lines;
    this.warnings.push(...scan.warnings);
    for (const c of this.columns.values()) c.committed = c.steps.n;
  }

  private write(): void {
    const series = new Map<string, Columns>();
    for (const [key, c] of this.columns)
      series.set(key, { steps: c.steps.view(), values: c.values.view(), times: c.times.view() });
    if (
      writeMetricsCache(this.file, {
        offset: this.offset,
        lines: this.lines,
        t0: this.t0,
        warnings: this.warnings,
        series,
      })
    )
      this.cachedOffset = this.offset;
    this.writtenAt = Date.now();
  }

  private stop(): void {
    this.off = true;
    this.columns.clear();
  }
}
