import { switchedOff } from '../envSwitch';
import { scanMetrics } from './metrics';
import type { ScanWarning } from './metrics';
import { readMetricsCache, writeMetricsCache } from './metricsCache';
import type { ColumnPieces } from './metricsCache';

/** Beyond this many points (24 bytes each in memory) a writer leaves the cache to the readers. */
export const MAX_KEPT_POINTS = 4_000_000;
/** New bytes that make a cache rewrite worth it: at least this, and as much as it holds (total work stays linear). */
const MIN_WRITE_BYTES = 256 * 1024;
/**
 * And at most one rewrite a second. A rewrite that is due waits for the process's event loop to
 * turn (the writer is between bursts: a training awaiting its next batch); a process that keeps it
 * busy, logging in one synchronous loop, gets it anyway once it has waited this long. A burst of a
 * million points then costs one rewrite of the columns, at its end, instead of one a second (each
 * rewrite holds all the columns so far). A reader in between parses the lines after the cache.
 */
const MIN_WRITE_INTERVAL_MS = 1_000;
const MAX_WRITE_WAIT_MS = 5_000;

/** Numbers a column holds in one piece; a longer column is several pieces of this length. */
const PIECE = 1 << 15;

/**
 * A growable column of numbers, kept in pieces: the last piece grows by doubling up to PIECE
 * numbers, then a new piece is started. Growing copies at most one piece, and memory newly touched
 * stays about what the column holds (doubling one array touched twice that, and fresh pages are
 * the dearest part of keeping the columns).
 */
class Column {
  /** Every piece but the last is full (PIECE numbers). */
  private readonly pieces: Float64Array[];
  private last: Float64Array;
  /** Numbers in the last piece. */
  private at = 0;
  n = 0;

  constructor(values?: Float64Array) {
    this.last = new Float64Array(256);
    this.pieces = [this.last];
    if (values && values.length > 0) {
      this.pieces.length = 0;
      for (let i = 0; i < values.length; i += PIECE) this.pieces.push(values.slice(i, i + PIECE));
      this.last = this.pieces[this.pieces.length - 1];
      this.at = this.last.length;
      this.n = values.length;
    }
  }

  push(v: number): void {
    if (this.at === this.last.length) this.grow();
    this.last[this.at++] = v;
    this.n++;
  }

  /** Forget the numbers after the first `n`. */
  truncate(n: number): void {
    if (n >= this.n) return;
    const k = Math.min(Math.floor(n / PIECE), this.pieces.length - 1);
    this.pieces.length = k + 1;
    this.last = this.pieces[k];
    this.at = n - k * PIECE;
    this.n = n;
  }

  /** The first `n` numbers, as consecutive pieces. */
  slices(n: number): Float64Array[] {
    const out: Float64Array[] = [];
    for (let i = 0; n > 0; i++, n -= PIECE)
      out.push(n >= this.pieces[i].length ? this.pieces[i] : this.pieces[i].subarray(0, n));
    return out;
  }

  private grow(): void {
    if (this.last.length < PIECE) {
      const grown = new Float64Array(Math.min(PIECE, this.last.length * 2));
      grown.set(this.last);
      this.pieces[this.pieces.length - 1] = this.last = grown;
    } else {
      this.last = new Float64Array(PIECE);
      this.pieces.push(this.last);
      this.at = 0;
    }
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
 * rewritten when enough has been appended (a doubling schedule: total work stays linear), when
 * the process is next idle (see MIN_WRITE_INTERVAL_MS), and on close. The JSONL is always written
 * first, so a process killed in between leaves a cache that covers less than the JSONL, which
 * readers complete from the JSONL. Failing here never fails the writer: the cache is only a speed-up.
 */
export class MetricsCacheWriter {
  private started = false;
  /** Off with RUNLENS_METRICS_CACHE=0: the readers then write the cache when they parse the JSONL. */
  private off = switchedOff(process.env.RUNLENS_METRICS_CACHE);
  private offset = 0;
  private lines = 0;
  private t0 = Infinity;
  /** The earliest time among the points added since the last append. */
  private pendingT0 = Infinity;
  private points = 0;
  private warnings: ScanWarning[] = [];
  private readonly columns = new Map<string, KeyColumns>();
  /** The columns of the key of the last point added (most calls log the keys they logged before). */
  private lastKey: string | undefined;
  private lastColumns: KeyColumns | undefined;
  private cachedOffset = 0;
  private writtenAt = -Infinity;
  private pending = 0;
  /** A rewrite waiting for the event loop, and since when. */
  private idleWrite: NodeJS.Immediate | undefined;
  private waitingSince = 0;

  constructor(private readonly file: string) {}

  /** A point about to be appended (before the write that holds it). */
  add(key: string, value: number, step: number, time: number): void {
    if (this.off) return;
    try {
      if (!this.started) this.start();
      // As the JSONL holds them: JSON writes -0 as 0 (x === 0 is true for both).
      this.push(key, value === 0 ? 0 : value, step === 0 ? 0 : step, time === 0 ? 0 : time);
      if (time < this.pendingT0) this.pendingT0 = time;
      this.pending++;
    } catch {
      this.stop();
    }
  }

  /**
   * After one append of `bytes` bytes starting with the byte `first`: whole lines holding the
   * points added since the last append, in order, and nothing else unless it starts with a newline
   * that ends a torn line. The file was `before` bytes long just before the write and `after` just
   * after it.
   */
  appended(before: number, after: number, bytes: number, first: number): void {
    if (this.off) return;
    try {
      if (!this.started) this.start();
      const ours = before === this.offset && after - before === bytes && first !== 10 && this.pending > 0;
      if (ours) {
        this.offset = after;
        this.lines += this.pending;
        this.pending = 0;
        if (this.pendingT0 < this.t0) this.t0 = this.pendingT0;
        this.pendingT0 = Infinity;
        for (const c of this.columns.values()) c.committed = c.steps.n;
      } else {
        // Another writer appended too (or the file changed under us): read what we have not seen.
        this.discard();
        this.catchUp();
      }
      if (this.points > MAX_KEPT_POINTS) return this.stop();
      if (!this.due()) return;
      const now = Date.now();
      // The first rewrite is done at once (it is small, and a writer killed early leaves a cache).
      if (this.writtenAt === -Infinity) this.write();
      else if (this.idleWrite === undefined) {
        this.waitingSince = now;
        this.idleWrite = setImmediate(() => this.writeWhenIdle());
        this.idleWrite.unref();
      } else if (now - this.waitingSince >= MAX_WRITE_WAIT_MS) this.write();
    } catch {
      this.stop();
    }
  }

  /** Forget the points added since the last append (they were not written). */
  discard(): void {
    for (const [key, c] of this.columns) {
      this.points -= c.steps.n - c.committed;
      c.steps.truncate(c.committed);
      c.values.truncate(c.committed);
      c.times.truncate(c.committed);
      if (c.committed === 0) this.columns.delete(key);
    }
    this.lastKey = this.lastColumns = undefined;
    this.pending = 0;
    this.pendingT0 = Infinity;
  }

  /** Write the cache for everything in the file so far (when the writer ends). */
  close(): void {
    if (this.off || !this.started) return;
    try {
      this.cancelIdleWrite();
      this.discard();
      // Up to the end of the file, so this cache never covers less than another writer's.
      this.catchUp();
      if (this.offset !== this.cachedOffset) this.write();
    } catch {
      this.stop();
    }
  }

  /** Enough new bytes since the last rewrite, and not too soon after it. */
  private due(): boolean {
    return (
      this.offset - this.cachedOffset >= Math.max(MIN_WRITE_BYTES, this.cachedOffset) &&
      Date.now() - this.writtenAt >= MIN_WRITE_INTERVAL_MS
    );
  }

  private writeWhenIdle(): void {
    this.idleWrite = undefined;
    if (this.off) return;
    try {
      if (this.due()) this.write();
    } catch {
      this.stop();
    }
  }

  private cancelIdleWrite(): void {
    if (this.idleWrite === undefined) return;
    clearImmediate(this.idleWrite);
    this.idleWrite = undefined;
  }

  private start(): void {
    this.started = true;
    const cached = readMetricsCache(this.file);
    if (!cached) {
      // What the file holds already (its header line, or the points of a run logged before
      // without a cache), so that this writer's first append is known to be its own.
      this.catchUp();
      return;
    }
    this.offset = this.cachedOffset = cached.offset;
    this.lines = cached.lines;
    this.t0 = cached.t0;
    this.warnings = cached.warnings;
    for (const [key, c] of cached.series) {
      this.columns.set(key, {
        steps: new Column(c.steps),
        values: new Column(c.values),
        times: new Column(c.times),
        committed: c.steps.length,
      });
      this.points += c.steps.length;
    }
  }

  private push(key: string, value: number, step: number, time: number): void {
    let c = this.lastColumns;
    if (key !== this.lastKey || c === undefined) {
      c = this.columns.get(key);
      if (c === undefined) {
        c = { steps: new Column(), values: new Column(), times: new Column(), committed: 0 };
        this.columns.set(key, c);
      }
      this.lastKey = key;
      this.lastColumns = c;
    }
    c.steps.push(step);
    c.values.push(value);
    c.times.push(time);
    this.points++;
  }

  /** Read the lines other writers appended (and ours among them) since the last known offset. */
  private catchUp(): void {
    let t0 = this.t0;
    const scan = scanMetrics(
      this.file,
      (p) => {
        this.push(p.key, p.value, p.step, p.time);
        if (p.time < t0) t0 = p.time;
      },
      { fromOffset: this.offset, fromLine: this.lines },
    );
    this.t0 = t0;
    this.offset = scan.endOffset;
    this.lines += scan.lines;
    this.warnings.push(...scan.warnings);
    for (const c of this.columns.values()) c.committed = c.steps.n;
  }

  /** The cache of the points known to be in the file (not those added since the last append). */
  private write(): void {
    this.cancelIdleWrite();
    const series = new Map<string, ColumnPieces>();
    for (const [key, c] of this.columns) {
      if (c.committed === 0) continue;
      series.set(key, {
        n: c.committed,
        steps: c.steps.slices(c.committed),
        values: c.values.slices(c.committed),
        times: c.times.slices(c.committed),
      });
    }
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
    this.cancelIdleWrite();
    this.columns.clear();
    this.lastKey = this.lastColumns = undefined;
  }
}
