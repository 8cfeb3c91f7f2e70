/** `runlens ls`: the runs of the store, filtered, sorted and paged. */
import { parseFilters, parseOrderBy } from '../../../core/store/query';
import { searchListingWith } from '../../../core/store/search';
import { runsTableBytes, toJson } from '../../../core/format';
import type { RunsTableRows } from '../../../core/format';
import { TABLE_SECTIONS } from '../../../core/store/listing';
import type { Listing } from '../../../core/store/listing';
import type { ListingResult } from '../../../core/store/listingIndex';
import type { Store } from '../../../core/store/store';
import type { CliContext, Io } from '../../context';

export interface ListRunsOptions {
  experiment?: string;
  where: string[];
  sort: string;
  limit?: number;
  offset?: number;
  json?: boolean;
  jsonl?: boolean;
  pretty?: boolean;
  removed?: boolean;
  reindex?: boolean;
}

/** Runs printed per piece of output: a listing of 100,000 runs is never one string. */
const CHUNK = 1000;

export async function listRuns(opts: ListRunsOptions, { io, openStore }: CliContext): Promise<void> {
  const filter = parseFilters(opts.where);
  parseOrderBy(opts.sort); // a bad sort order is an error before the store is read
  const store = openStore();
  if (opts.removed) {
    const ids = store.removedRuns();
    io.out(opts.json ? toJson(opts, ids) : ids.join('\n') || '(no removed runs)');
    return;
  }
  // The listing index (compact columns, see core/store/listing.ts): no index.json to parse.
  // A table reads a few columns; JSON prints whole entries, so every column is read and checked.
  const sections = opts.json || opts.jsonl ? 'all' : TABLE_SECTIONS;
  const { listing, warnings } = await listWithClusterStatus(
    store,
    { rebuild: opts.reindex, sections },
    io.err,
  );
  for (const w of warnings) io.err(`warning: ${w.file}:${w.line}: ${w.message}`);
  const { rows, unknown } = searchListingWith(listing, filter, {
    orderBy: opts.sort,
    experiments: opts.experiment ? [opts.experiment] : undefined,
    offset: opts.offset,
    maxResults: opts.limit,
  });
  for (const u of unknown)
    io.err(`warning: no run has ${u.field}${u.close.length ? ` (close names: ${u.close.join(', ')})` : ''}`);
  if (opts.jsonl || opts.json) {
    await printJson(io, listing, rows, opts);
    return;
  }
  if (!rows.length) {
    io.out(listing.size ? '(no run matches)' : '(no runs yet: start one with `runlens run -- CMD`)');
    return;
  }
  await print(io, runsTableBytes(listingTableRows(listing, rows)));
}

/** One entry a line (--jsonl), or one array (--json, as JSON.stringify writes it), in pieces. */
async function printJson(io: Io, listing: Listing, rows: number[], opts: ListRunsOptions): Promise<void> {
  const item = (i: number): string => {
    const { metricsBytes: _b, ...rest } = listing.entry(i);
    const text = toJson(opts.jsonl ? {} : opts, rest);
    return opts.pretty && !opts.jsonl ? '  ' + text.replace(/\n/g, '\n  ') : text;
  };
  if (opts.jsonl) {
    if (rows.length) await print(io, joined(rows, item, '', '\n', '\n'));
    return;
  }
  if (!rows.length) {
    io.out('[]');
    return;
  }
  const [open, sep, close] = opts.pretty ? ['[\n', ',\n', '\n]\n'] : ['[', ',', ']\n'];
  await print(io, joined(rows, item, open, sep, close));
}

/** `open` + the items joined by `sep` + `close`, in pieces of CHUNK items. */
function* joined(
  rows: number[],
  item: (i: number) => string,
  open: string,
  sep: string,
  close: string,
): Generator<string> {
  for (let k = 0; k < rows.length; k += CHUNK)
    yield (
      (k === 0 ? open : sep) +
      rows
        .slice(k, k + CHUNK)
        .map(item)
        .join(sep)
    );
  yield close;
}

/** Write output made of pieces (the last ends in a newline), each piece once the previous was taken. */
async function print(io: Io, parts: Iterable<string | Uint8Array>): Promise<void> {
  if (io.stream) {
    await io.stream(parts);
    return;
  }
  const decoder = new TextDecoder();
  let text = '';
  for (const p of parts) text += typeof p === 'string' ? p : decoder.decode(p);
  io.out(text.replace(/\n$/, ''));
}

/** The listing, after asking the scheduler once about cluster runs still queued or running, so the list says where they are. */
async function listWithClusterStatus(
  store: Store,
  options: Parameters<Store['listing']>[0],
  warn: (s: string) => void,
): Promise<ListingResult> {
  const listed = store.listing(options);
  const l = listed.listing;
  const open: string[] = [];
  for (let i = 0; i < l.size; i++) {
    const s = l.status(i);
    if (s === 'queued' || s === 'running') open.push(l.id(i));
  }
  if (!open.length) return listed;
  // loaded only now: the scheduler's watcher brings the launcher and its readers with it
  const { reconcileJobs } = await import('../../../core/slurm/watcher');
  const reconciled = await reconcileJobs(store, { runIds: open });
  if (reconciled.error && reconciled.checked)
    warn(`warning: could not ask Slurm about ${reconciled.checked} runs: ${reconciled.error}`);
  return reconciled.changed.length ? store.listing({ sections: options?.sections }) : listed;
}

/** The given rows of a listing as the runs table reads them (core/format.ts runsTableChunks). */
export function listingTableRows(l: Listing, rows: ArrayLike<number>): RunsTableRows {
  return {
    count: rows.length,
    id: (k) => l.id(rows[k]),
    name: (k) => l.name(rows[k]),
    starred: (k) => l.starred(rows[k]),
    experiment: (k) => l.experiment(rows[k]),
    status: (k) => l.status(rows[k]),
    error: (k) => l.error(rows[k]),
    startTime: (k) => l.startTime(rows[k]),
    endTime: (k) => l.endTime(rows[k]),
    paramKeys: (k) => l.paramKeys(rows[k]),
    param: (k, key) => l.param(rows[k], key),
    paramToken: (k, key) => l.paramCode(rows[k], key),
    metricKeys: (k) => l.metricKeys(rows[k]),
    metricLast: (k, key) => l.metric(rows[k], key, 'last'),
    allParamKeys: () => l.keysOf(rows, 'param'),
    allMetricKeys: () => l.keysOf(rows, 'metric'),
    paramCodes: (key) => l.paramCodes(rows, key),
    metricLasts: (key) => l.metricColumn(rows, key, 'last'),
  };
}
