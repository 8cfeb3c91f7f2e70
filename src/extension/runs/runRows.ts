// Which runs the Experiments view lists, computed over the listing index's columns (no vscode
// import, so it is unit-tested in plain Node): filter, sort and grouping read the columns, and only
// the runs of the page shown become entry objects (RunTable.at).
import { evaluateWith, isQueryText, parseFilter, parseOrderBy, sortOrder } from '../../core/store/query';
import type { QueryNode } from '../../core/store/query';
import { setOwn } from '../../core/store/records';
import type { ListedStatus, ParamValue } from '../../core/store/types';
import { TAG_PIPELINE_RUN } from '../../core/store/types';
import type { RunTable } from '../workspace/runTable';

export interface RunFilter {
  /** A query (core/store/query.ts), or plain text searched for in names, ids, params and tags. */
  text?: string;
  statuses?: ListedStatus[];
  tag?: string;
  starred?: boolean;
}

/** A list item of an experiment: a run, or the stage runs of one pipeline run (in the order they started). */
export type RowItem = { kind: 'run'; row: number } | { kind: 'pipelineRun'; id: string; rows: number[] };

/** Is any part of the filter set? (Then nested and stage runs are listed flat with the others.) */
export function isFiltering(filter: RunFilter): boolean {
  return Object.values(filter).some((v) => v !== undefined && v !== '' && v !== false);
}

/** A run matcher over rows, read from the filter once. */
function matcher(table: RunTable, f: RunFilter): (row: number) => boolean {
  const l = table.listing!;
  const query: QueryNode | undefined = f.text && isQueryText(f.text) ? parseFilter(f.text) : undefined;
  const text = query ? undefined : f.text?.toLowerCase();
  const tag = f.tag;
  return (i) =>
    (!f.statuses?.length || f.statuses.includes(l.status(i))) &&
    (!f.starred || l.starred(i)) &&
    (!tag || l.tagKeys(i).some((k) => `${k}=${l.tag(i, k)}`.includes(tag) || k === tag)) &&
    (!query || evaluateWith(query, (field) => l.value(i, field))) &&
    (!text || searchText(table, i).toLowerCase().includes(text));
}

/** What the filter's plain text is searched in: name, id, params and tags as the entry's JSON. */
function searchText(table: RunTable, i: number): string {
  const l = table.listing!;
  const params: Record<string, ParamValue> = {};
  for (const k of l.paramKeys(i)) setOwn(params, k, l.param(i, k)!);
  const tags: Record<string, string> = {};
  for (const k of l.tagKeys(i)) setOwn(tags, k, l.tag(i, k)!);
  return `${l.name(i)} ${l.id(i)} ${JSON.stringify(params)} ${JSON.stringify(tags)}`;
}

/** Rows in the order of a sort spec (core/store/query.ts parseOrderBy); ties keep their order. */
export function sortRows(table: RunTable, rows: readonly number[], sort: string): number[] {
  const l = table.listing!;
  return sortOrder(rows.length, parseOrderBy(sort), (k, f) => l.value(rows[k], f)).map((k) => rows[k]);
}

/**
 * The runs of an experiment after filter and sort. Runs nested in another run are left out (they
 * are listed under it) unless a filter is on: then every match is listed.
 */
export function visibleRows(table: RunTable, experiment: string, filter: RunFilter, sort: string): number[] {
  if (!table.listing) return [];
  const filtering = isFiltering(filter);
  const match = filtering ? matcher(table, filter) : undefined;
  const rows = table
    .rowsOf(experiment)
    .filter((i) => (filtering || table.parentOf(i) === undefined) && (!match || match(i)));
  return sortRows(table, rows, sort);
}

/** The pipeline run that started row `i`: its tag, else the pipeline records' list (run id -> pipeline run). */
export function pipelineRunOfRow(
  table: RunTable,
  i: number,
  recorded?: ReadonlyMap<string, string>,
): string | undefined {
  const l = table.listing!;
  return l.tag(i, TAG_PIPELINE_RUN) || recorded?.get(l.id(i));
}

/**
 * Group the stage runs of each pipeline run into one item, placed where its first stage run is in
 * `sorted`; the stage runs inside are in the order they started (core/pipeline/stageRuns.ts
 * groupPipelineRuns, over rows).
 */
export function groupRows(
  table: RunTable,
  sorted: readonly number[],
  recorded?: ReadonlyMap<string, string>,
): RowItem[] {
  const out: RowItem[] = [];
  const groups = new Map<string, number[]>();
  for (const i of sorted) {
    const p = pipelineRunOfRow(table, i, recorded);
    if (!p) {
      out.push({ kind: 'run', row: i });
      continue;
    }
    const g = groups.get(p);
    if (g) g.push(i);
    else {
      const rows = [i];
      groups.set(p, rows);
      out.push({ kind: 'pipelineRun', id: p, rows });
    }
  }
  for (const g of groups.values()) g.sort(byStart(table));
  return out;
}

/**
 * The rows pipeline run `id` started in `experiment`, in the order they started (core/pipeline/
 * stageRuns.ts stageRunsOf, over rows).
 */
export function stageRowsOf(
  table: RunTable,
  experiment: string,
  id: string,
  recorded?: ReadonlyMap<string, string>,
): number[] {
  const l = table.listing;
  const out: number[] = [];
  for (let i = 0; i < table.size; i++)
    if (l!.experiment(i) === experiment && pipelineRunOfRow(table, i, recorded) === id) out.push(i);
  return out.sort(byStart(table));
}

/** Rows by start time, then id. */
export function byStart(table: RunTable): (a: number, b: number) => number {
  const l = table.listing!;
  return (a, b) => l.startTime(a) - l.startTime(b) || l.id(a).localeCompare(l.id(b));
}

/**
 * How many of a folder's experiments (in the view's order, `shown[i]` the runs the first page of
 * the i-th lists) start expanded: all while those first pages together fit in one page, else only
 * the first (the one with the latest run). Every expanded experiment is a page of tree items that
 * the window fetches and lays out before the view shows anything: ten experiments of 100 runs shown
 * were 1,000 items to open the view, of which a dozen fit on screen.
 */
export function expandedAtFirst(shown: readonly number[], pageSize: number): number {
  let total = 0;
  for (const n of shown) total += Math.min(n, pageSize);
  return total <= pageSize ? shown.length : Math.min(1, shown.length);
}

/** An experiment's list: the visible rows, the items they make, and each pipeline run's rows. */
export interface ExperimentRows {
  rows: number[];
  items: RowItem[];
  groups: ReadonlyMap<string, readonly number[]>;
}

/**
 * The lists of the experiments shown, computed once per table, filter, sort and pipeline records
 * (the tree asks for them several times per render: the experiment's count, its children, each
 * pipeline run's stage runs).
 */
export class RowsCache {
  private readonly held = new Map<
    string,
    {
      table: RunTable;
      filter: RunFilter;
      sort: string;
      recorded: ReadonlyMap<string, string> | undefined;
      value: ExperimentRows;
    }
  >();

  of(
    key: string,
    table: RunTable,
    experiment: string,
    filter: RunFilter,
    sort: string,
    recorded?: ReadonlyMap<string, string>,
  ): ExperimentRows {
    const k = `${key}\0${experiment}`;
    const h = this.held.get(k);
    if (h && h.table === table && h.filter === filter && h.sort === sort && h.recorded === recorded)
      return h.value;
    const rows = visibleRows(table, experiment, filter, sort);
    const items: RowItem[] = isFiltering(filter)
      ? rows.map((row) => ({ kind: 'run', row }))
      : groupRows(table, rows, recorded);
    const groups = new Map<string, readonly number[]>();
    for (const g of items) if (g.kind === 'pipelineRun') groups.set(g.id, g.rows);
    const value = { rows, items, groups };
    this.held.set(k, { table, filter, sort, recorded, value });
    return value;
  }

  /** Drop the lists computed over tables other than `tables` (so that a replaced table is not kept). */
  retain(tables: ReadonlySet<RunTable>): void {
    for (const [k, h] of this.held) if (!tables.has(h.table)) this.held.delete(k);
  }

  /** How many lists are held. */
  get size(): number {
    return this.held.size;
  }
}
