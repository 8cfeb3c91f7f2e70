/** `runlens ls`: the runs of the store, filtered, sorted and paged. */
import { reconcileJobs } from '../../../core/slurm/watcher';
import {
  checkSortFields,
  evaluate,
  filterFields,
  parseFilters,
  parseOrderBy,
  sortBy,
  unknownFields,
} from '../../../core/store/query';
import { runsTable, toJson } from '../../../core/format';
import type { Store } from '../../../core/store/store';
import type { CliContext } from '../../context';

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

export async function listRuns(opts: ListRunsOptions, { io, openStore }: CliContext): Promise<void> {
  const filter = parseFilters(opts.where);
  const order = parseOrderBy(opts.sort);
  const store = openStore();
  if (opts.removed) {
    const ids = store.removedRuns();
    io.out(opts.json ? toJson(opts, ids) : ids.join('\n') || '(no removed runs)');
    return;
  }
  const { entries, warnings } = await listWithClusterStatus(store, opts.reindex, io.err);
  for (const w of warnings) io.err(`warning: ${w.file}:${w.line}: ${w.message}`);
  const inExperiment = opts.experiment ? entries.filter((e) => e.experiment === opts.experiment) : entries;
  checkSortFields(order, inExperiment, opts.sort);
  for (const u of unknownFields(filterFields(filter), inExperiment))
    io.err(`warning: no run has ${u.field}${u.close.length ? ` (close names: ${u.close.join(', ')})` : ''}`);
  let rows = sortBy(
    inExperiment.filter((e) => evaluate(filter, e)),
    order,
  );
  const offset = opts.offset ?? 0;
  rows = rows.slice(offset, opts.limit ? offset + opts.limit : undefined);
  const plain = rows.map(({ metricsBytes: _b, ...rest }) => rest);
  if (opts.jsonl) {
    if (plain.length) io.out(plain.map((r) => toJson({}, r)).join('\n'));
    return;
  }
  if (opts.json) {
    io.out(toJson(opts, plain));
    return;
  }
  io.out(
    rows.length
      ? runsTable(rows)
      : entries.length
        ? '(no run matches)'
        : '(no runs yet: start one with `runlens run -- CMD`)',
  );
}

/** The index, after asking the scheduler once about cluster runs still queued or running, so the list says where they are. */
async function listWithClusterStatus(
  store: Store,
  rebuild: boolean | undefined,
  warn: (s: string) => void,
): Promise<ReturnType<Store['listRuns']>> {
  const listed = store.listRuns({ rebuild });
  const open = listed.entries.filter((e) => e.status === 'queued' || e.status === 'running').map((e) => e.id);
  if (!open.length) return listed;
  const reconciled = await reconcileJobs(store, { runIds: open });
  if (reconciled.error && reconciled.checked)
    warn(`warning: could not ask Slurm about ${reconciled.checked} runs: ${reconciled.error}`);
  return reconciled.changed.length ? store.listRuns() : listed;
}
