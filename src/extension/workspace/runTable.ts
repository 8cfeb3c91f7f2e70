// The runs of one store as the editor holds them (no vscode import, so it is unit-tested in plain Node).
import * as fs from 'node:fs';
import type { Listing } from '../../core/store/listing';
import { PARENT_TAG } from '../../core/store/nesting';
import { readEntry, sameEntry } from '../../core/store/runIndex';
import type { RunEntry } from '../../core/store/types';

/** The experiment a row is listed under in the explorer: unreadable runs have one of their own. */
export const UNREADABLE_EXPERIMENT = '(unreadable runs)';

/**
 * The runs of a store held as the listing index's columns (core/store/listing.ts), read like a map
 * of index entries. An entry object is built only for a run that is asked for (the runs a view
 * shows), and kept while its row is unchanged: a store of 100,000 runs is held as its columns, not
 * as 100,000 objects. Iterating `values()` builds (and drops) an entry per run: callers that look
 * at every run read the columns through `listing` and the helpers below instead.
 */
export class RunTable implements ReadonlyMap<string, RunEntry> {
  private readonly built: Map<string, RunEntry>;
  private byExperiment: Map<string, number[]> | undefined;
  private newest: [string, number][] | undefined;
  private parentIds: (string | undefined)[] | undefined;
  private childRows: Map<string, number[]> | undefined;

  private constructor(
    /** The columns; undefined for a folder without a store. */
    readonly listing: Listing | undefined,
    built: Map<string, RunEntry>,
  ) {
    this.built = built;
  }

  static readonly empty = new RunTable(undefined, new Map());

  /**
   * The table of `listing`, keeping the entries built from `previous` for the runs whose row did not
   * change (same updatedAt, metricsBytes and status, not in `dirty`); `previous` itself when no run
   * changed. `changed` are the ids of runs added, changed or removed (every id when there is no
   * previous). Reads only the listing's id, updatedAt, metricsBytes and status columns: the caller
   * reads the others (Listing.close) when it keeps the new table.
   */
  static of(
    listing: Listing,
    previous?: RunTable,
    dirty: ReadonlySet<string> = new Set(),
  ): { table: RunTable; changed: string[] } {
    const old = previous?.listing;
    if (!previous || !old) return { table: new RunTable(listing, new Map()), changed: [...listing.ids] };
    const built = new Map<string, RunEntry>();
    const changed: string[] = [];
    // Both listings are in id order, newest first: walk them side by side.
    let j = 0;
    for (let i = 0; i < listing.size; i++) {
      const id = listing.id(i);
      while (j < old.size && old.id(j) > id) changed.push(old.id(j++));
      const same =
        j < old.size &&
        old.id(j) === id &&
        !dirty.has(id) &&
        old.updatedAt(j) === listing.updatedAt(i) &&
        old.metricsBytes(j) === listing.metricsBytes(i) &&
        old.status(j) === listing.status(i);
      if (j < old.size && old.id(j) === id) j++;
      if (!same) changed.push(id);
      else {
        const e = previous.built.get(id);
        if (e) built.set(id, e);
      }
    }
    while (j < old.size) changed.push(old.id(j++));
    // Nothing changed: the table held stays (with the lists computed over it and its entries).
    if (changed.length === 0) return { table: previous, changed };
    return { table: new RunTable(listing, built), changed };
  }

  get size(): number {
    return this.listing?.size ?? 0;
  }

  /** The row of run `id`, or undefined. */
  rowOf(id: string): number | undefined {
    return this.listing?.rowOf(id);
  }

  has(id: string): boolean {
    return this.rowOf(id) !== undefined;
  }

  get(id: string): RunEntry | undefined {
    const row = this.rowOf(id);
    return row === undefined ? undefined : this.at(row);
  }

  /** The entry of row `row`, built once and kept. */
  at(row: number): RunEntry {
    const l = this.listing!;
    const id = l.id(row);
    let e = this.built.get(id);
    if (!e) {
      e = l.entry(row);
      this.built.set(id, e);
    }
    return e;
  }

  /**
   * Read the runs `ids` again from their folders (core/store/runIndex.ts readEntry: only the metric
   * lines appended since) and hold the fresh entries in place of their rows', when all that changed
   * is what they logged (metrics, sizes, times): the columns, and the lists computed over them, stay
   * as the last listing had them. Returns the ids whose entry changed, or undefined when a run is
   * new, gone or changed otherwise (status, name, params, tags...): then the listing must be read.
   */
  refreshLogged(runDir: (id: string) => string, ids: Iterable<string>): string[] | undefined {
    const changed: string[] = [];
    const fresh: RunEntry[] = [];
    for (const id of ids) {
      const row = this.rowOf(id);
      if (row === undefined || !fs.existsSync(runDir(id))) return undefined;
      const held = this.at(row);
      const e = readEntry(runDir(id), id, held, []);
      if (sameEntry(held, e)) continue;
      if (e.status !== this.listing!.status(row) || apartFromLogged(e) !== apartFromLogged(held))
        return undefined;
      fresh.push(e);
      changed.push(id);
    }
    for (const e of fresh) this.built.set(e.id, e);
    return changed;
  }

  /** How many entries are held as objects (the rest are only columns). */
  get builtCount(): number {
    return this.built.size;
  }

  *keys(): IterableIterator<string> {
    const l = this.listing;
    for (let i = 0; i < (l?.size ?? 0); i++) yield l!.id(i);
  }

  *values(): IterableIterator<RunEntry> {
    const l = this.listing;
    for (let i = 0; i < (l?.size ?? 0); i++) yield this.built.get(l!.id(i)) ?? l!.entry(i);
  }

  *entries(): IterableIterator<[string, RunEntry]> {
    for (const e of this.values()) yield [e.id, e];
  }

  [Symbol.iterator](): IterableIterator<[string, RunEntry]> {
    return this.entries();
  }

  forEach(fn: (value: RunEntry, key: string, map: ReadonlyMap<string, RunEntry>) => void): void {
    for (const e of this.values()) fn(e, e.id, this);
  }

  // ------------------------------------------------------------------------------------------
  // Over the columns

  /** The experiment row `row` is listed under (unreadable runs under UNREADABLE_EXPERIMENT). */
  experimentOf(row: number): string {
    const l = this.listing!;
    return l.status(row) === 'unreadable' ? UNREADABLE_EXPERIMENT : l.experiment(row);
  }

  /** The rows of an experiment (as experimentOf names it), in row order (newest id first). */
  rowsOf(experiment: string): readonly number[] {
    if (!this.byExperiment) {
      const by = new Map<string, number[]>();
      for (let i = 0; i < this.size; i++) {
        const name = this.experimentOf(i);
        const rows = by.get(name);
        if (rows) rows.push(i);
        else by.set(name, [i]);
      }
      this.byExperiment = by;
    }
    return this.byExperiment.get(experiment) ?? [];
  }

  /** The experiments, the one with the latest-started run first. */
  experiments(): readonly string[] {
    if (!this.newest) {
      this.rowsOf('');
      const l = this.listing;
      this.newest = [...this.byExperiment!].map(([name, rows]): [string, number] => {
        let latest = -Infinity;
        for (const r of rows) latest = Math.max(latest, l!.startTime(r));
        return [name, latest];
      });
      this.newest.sort((a, b) => b[1] - a[1]);
    }
    return this.newest.map(([name]) => name);
  }

  /** The id of the run row `row` is nested in, when that run is in the table (see core/store/nesting). */
  parentOf(row: number): string | undefined {
    this.nesting();
    return this.parentIds![row];
  }

  /** The rows nested directly in run `id`, in row order. */
  childrenOf(id: string): readonly number[] {
    this.nesting();
    return this.childRows!.get(id) ?? [];
  }

  private nesting(): void {
    if (this.parentIds) return;
    const l = this.listing;
    const parents: (string | undefined)[] = new Array<string | undefined>(this.size);
    const children = new Map<string, number[]>();
    for (let i = 0; i < this.size; i++) {
      const p = l!.tag(i, PARENT_TAG);
      if (!p || p === l!.id(i)) continue;
      const rows = children.get(p);
      if (rows) rows.push(i);
      else children.set(p, [i]);
      if (this.has(p)) parents[i] = p;
    }
    this.parentIds = parents;
    this.childRows = children;
  }

  /** Rows whose status is one of `statuses`. */
  rowsWithStatus(...statuses: string[]): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) if (statuses.includes(this.listing!.status(i))) out.push(i);
    return out;
  }

  /** The metric keys the runs have. */
  metricKeys(): string[] {
    if (!this.listing) return [];
    return [...this.listing.fieldNames()]
      .filter((n) => n.startsWith('metrics.'))
      .map((n) => n.slice('metrics.'.length));
  }
}

/** An entry without what logging changes: equal when only metrics, sizes and times moved. */
function apartFromLogged(e: RunEntry): string {
  return JSON.stringify({ ...e, metrics: null, metricsBytes: 0, updatedAt: 0, runFileMtime: 0 });
}
