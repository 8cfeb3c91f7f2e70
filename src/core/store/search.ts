import {
  checkSortFields,
  checkSortFieldsIn,
  evaluate,
  evaluateWith,
  filterFields,
  parseFilter,
  parseOrderBy,
  sortBy,
  sortOrder,
  unknownFieldsIn,
} from './query';
import type { QueryNode } from './query';
import type { Listing } from './listing';
import { readSeries } from './metrics';
import type { Store } from './store';
import type { ParamValue, RunEntry } from './types';

export interface SearchOptions {
  /** A filter of the query language (MLflow's syntax or the short one); empty for all runs. */
  filter?: string;
  /** Sort keys, e.g. `metrics.acc DESC` or `-metrics.acc`; default newest first. */
  orderBy?: string | string[];
  /** Only runs of these experiments. */
  experiments?: string[];
  offset?: number;
  maxResults?: number;
}

/** Filter, sort and page a store's runs: what `runlens ls` and the clients' searchRuns share. */
export function searchEntries(entries: RunEntry[], options: SearchOptions = {}): RunEntry[] {
  const filter = parseFilter(options.filter ?? '');
  const spec = Array.isArray(options.orderBy) ? options.orderBy.join(', ') : options.orderBy;
  const order = parseOrderBy(spec || '-start');
  const experiments = options.experiments?.length ? new Set(options.experiments) : undefined;
  const inScope = experiments ? entries.filter((e) => experiments.has(e.experiment)) : entries;
  if (spec) checkSortFields(order, inScope, spec);
  const offset = options.offset ?? 0;
  const rows = sortBy(
    inScope.filter((e) => evaluate(filter, e)),
    order,
  );
  return rows.slice(offset, options.maxResults !== undefined ? offset + options.maxResults : undefined);
}

/** One run as a flat row, as MLflow's search_runs: metrics.KEY (last value), params.KEY, tags.KEY. */
export type RunRow = {
  run_id: string;
  run_name: string;
  experiment: string;
  status: string;
  start_time: number;
  end_time: number | null;
} & Record<string, ParamValue | undefined>;

export function runRow(e: RunEntry): RunRow {
  const row: RunRow = {
    run_id: e.id,
    run_name: e.name,
    experiment: e.experiment,
    status: e.status,
    start_time: e.startTime,
    end_time: e.endTime,
  };
  for (const k of Object.keys(e.metrics).sort()) row['metrics.' + k] = e.metrics[k].last;
  for (const k of Object.keys(e.params).sort()) row['params.' + k] = e.params[k];
  for (const k of Object.keys(e.tags).sort()) row['tags.' + k] = e.tags[k];
  return row;
}

export interface MetricPointRow {
  key: string;
  value: number;
  step: number;
  timestamp: number;
}

/** Every point of one metric of a run, in the order logged (MLflow's get_metric_history). */
export function metricHistory(store: Store, ref: string, key: string): MetricPointRow[] {
  const { series } = readSeries(store.metricsFile(store.resolveRunId(ref)), key);
  return series.steps.map((step, i) => ({ key, value: series.values[i], step, timestamp: series.times[i] }));
}

/**
 * `searchEntries` over the listing index's columns: the rows of the matching runs, sorted and
 * paged, with the same results (the query reads the same values through `Listing.value`). Unknown
 * sort fields are an error, unknown filter fields are returned for a warning.
 */
export function searchListing(
  listing: Listing,
  options: SearchOptions = {},
): { rows: number[]; unknown: { field: string; close: string[] }[] } {
  return searchListingWith(listing, parseFilter(options.filter ?? ''), options);
}

/** searchListing with the filter already parsed (repeated `-w` of the CLI). */
export function searchListingWith(
  listing: Listing,
  filter: QueryNode | undefined,
  options: SearchOptions = {},
): { rows: number[]; unknown: { field: string; close: string[] }[] } {
  const spec = Array.isArray(options.orderBy) ? options.orderBy.join(', ') : options.orderBy;
  const order = parseOrderBy(spec || '-start');
  const experiments = options.experiments?.length ? new Set(options.experiments) : undefined;
  let scope = new Array<number>(listing.size); // a loop: Array.from({ length }) is slow before it is optimised
  for (let i = 0; i < scope.length; i++) scope[i] = i;
  if (experiments) scope = scope.filter((i) => experiments.has(listing.experiment(i)));
  const names = listing.fieldNames(scope);
  if (spec) checkSortFieldsIn(order, names, scope.length, spec);
  const unknown = scope.length > 0 ? unknownFieldsIn(filterFields(filter), names) : [];
  const matching = filter ? scope.filter((i) => evaluateWith(filter, (f) => listing.value(i, f))) : scope;
  const sorted = sortOrder(
    matching.length,
    order,
    (k, f) => listing.value(matching[k], f),
    (f) => listing.numberColumn(matching, f),
  );
  const offset = options.offset ?? 0;
  const end = options.maxResults !== undefined ? offset + options.maxResults : undefined;
  return { rows: sorted.slice(offset, end).map((k) => matching[k]), unknown };
}
