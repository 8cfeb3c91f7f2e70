// The Experiments view's lists over the listing index's columns (src/extension/runs/runRows.ts,
// src/extension/workspace/runTable.ts), on a real store: the same runs, in the same order, as the
// per-entry path the view used before (every run an entry object, filtered and sorted as objects),
// paged newest first with "Load more", with entries built only for the runs asked for.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { groupPipelineRuns, pipelineRunOf } from '../../../src/core/pipeline/stageRuns';
import { TABLE_SECTIONS } from '../../../src/core/store/listing';
import { PARENT_TAG, childrenOf, parentOf } from '../../../src/core/store/nesting';
import { evaluate, isQueryText, parseFilter, sortEntries } from '../../../src/core/store/query';
import { updateRunFileSync } from '../../../src/core/store/runFile';
import { Store } from '../../../src/core/store/store';
import type { RunEntry } from '../../../src/core/store/types';
import { TAG_PIPELINE_RUN } from '../../../src/core/store/types';
import { MetricLog } from '../../../src/core/tracking/metricLog';
import type { RunFilter } from '../../../src/extension/runs/runRows';
import {
  RowsCache,
  expandedAtFirst,
  groupRows,
  isFiltering,
  sortRows,
  stageRowsOf,
  visibleRows,
} from '../../../src/extension/runs/runRows';
import { RunTable, UNREADABLE_EXPERIMENT } from '../../../src/extension/workspace/runTable';
import { tempDir } from '../../helpers/tmp';

/**
 * A store of `n` runs over 4 experiments: start times not in id order (and some equal), params of
 * several types, tags, starred runs, several statuses, runs nested in others, stage runs of two
 * pipeline runs (one by its tag, one only in the pipeline records), metrics some runs lack (read
 * from metrics.jsonl: run.json holds no summary).
 */
function store(n: number): Store {
  const s = Store.open(path.join(tempDir('runlens-rows-'), '.runlens'), { create: true });
  const statuses = ['finished', 'failed', 'killed', 'crashed'] as const;
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const tags: Record<string, string> = { team: `t${i % 3}` };
    if (i % 17 === 5 && ids.length) tags[PARENT_TAG] = ids[i - 1];
    if (i % 13 === 0) tags[TAG_PIPELINE_RUN] = 'pipeA';
    if (i % 29 === 0) tags.note = 'whale=calls';
    const run = s.createRun({
      experiment: `exp${i % 4}`,
      name: `run-${i % 50}${i % 7 === 0 ? '-seed' : ''}`,
      status: statuses[i % 4],
      pid: null,
      params: { lr: (i % 9) / 100, opt: i % 2 ? 'adam' : 'sgd', depth: i % 5, wide: i % 3 === 0 },
      tags,
    });
    ids.push(run.id);
    if (i % 5 !== 4) {
      const log = new MetricLog(s.metricsFile(run.id));
      log.log({ loss: 1 / (i + 1), ...(i % 3 ? { acc: ((i * 37) % 100) / 100 } : {}) }, 0);
      log.close();
    }
    updateRunFileSync(s.runDir(run.id), (r) => {
      // start times out of id order, with ties
      r.startTime = 1_700_000_000_000 + ((i * 7919) % n) * 1000 - (i % 11 === 0 ? 0 : i % 2);
      r.endTime = r.startTime + 500;
      r.starred = i % 6 === 1;
    });
  }
  // one run whose run.json cannot be read: listed under an experiment of its own
  const bad = s.createRun({ experiment: 'exp0', name: 'bad', status: 'finished', pid: null });
  fs.writeFileSync(path.join(s.runDir(bad.id), 'run.json'), '{"schemaVersion": 1, "id": ');
  return s;
}

function tableOf(s: Store): RunTable {
  const { listing } = s.listing({ sections: TABLE_SECTIONS });
  listing.close();
  return RunTable.of(listing).table;
}

/** The view's list as it was computed before, over one entry object per run. */
function oldVisible(
  entries: Map<string, RunEntry>,
  experiment: string,
  f: RunFilter,
  sort: string,
): RunEntry[] {
  const query = f.text && isQueryText(f.text) ? parseFilter(f.text) : undefined;
  const text = query ? undefined : f.text?.toLowerCase();
  const filtering = Object.values(f).some((v) => v !== undefined && v !== '' && v !== false);
  const runs = [...entries.values()].filter(
    (e) =>
      (e.status === 'unreadable' ? '(unreadable runs)' : e.experiment) === experiment &&
      (filtering || parentOf(e, entries) === undefined) &&
      (!f.statuses?.length || f.statuses.includes(e.status)) &&
      (!f.starred || e.starred) &&
      (!f.tag || Object.entries(e.tags).some(([k, v]) => `${k}=${v}`.includes(f.tag!) || k === f.tag)) &&
      (!query || evaluate(query, e)) &&
      (!text ||
        `${e.name} ${e.id} ${JSON.stringify(e.params)} ${JSON.stringify(e.tags)}`
          .toLowerCase()
          .includes(text)),
  );
  return sortEntries(runs, sort);
}

function entriesOf(s: Store): Map<string, RunEntry> {
  const { listing } = s.listing({ sections: TABLE_SECTIONS });
  const m = new Map<string, RunEntry>();
  for (let i = 0; i < listing.size; i++) m.set(listing.id(i), listing.entry(i));
  listing.releaseFile();
  return m;
}

const FILTERS: RunFilter[] = [
  {},
  { statuses: [] },
  { text: 'metrics.acc > 0.5' },
  { text: "params.opt = 'adam' and depth >= 2" },
  { text: 'acc IS NULL' },
  { text: 'seed' },
  { text: '"adam"' },
  { text: 'WHALE' },
  { statuses: ['failed', 'crashed'] },
  { starred: true },
  { tag: 't1' },
  { tag: 'note' },
  { tag: 'team=t2', statuses: ['finished'], text: 'run-1' },
];
const SORTS = ['-start', 'start', 'name', '-metrics.acc', 'metrics.loss', 'params.lr, -name', 'params.opt'];

describe('explorer rows over the listing columns', () => {
  const s = store(240);
  const table = tableOf(s);
  const entries = entriesOf(s);

  test('every filter and sort lists the same runs in the same order as the per-entry path', () => {
    let compared = 0;
    for (const experiment of table.experiments())
      for (const f of FILTERS)
        for (const sort of SORTS) {
          const want = oldVisible(entries, experiment, f, sort).map((e) => e.id);
          const got = visibleRows(table, experiment, f, sort).map((i) => table.listing!.id(i));
          assert.deepEqual(got, want, `${experiment} ${JSON.stringify(f)} ${sort}`);
          compared += want.length;
        }
    assert.ok(compared > 1000, `compared ${compared} listed runs`);
    assert.equal(table.builtCount, 0, 'filtering and sorting built no entry');
  });

  test('pipeline runs group as before; nested runs, parents and stage runs match the entry functions', () => {
    for (const experiment of table.experiments()) {
      const rows = visibleRows(table, experiment, {}, '-start');
      // a run of a pipeline run known only from the pipeline records
      const untagged = rows.filter((i) => !table.listing!.tag(i, TAG_PIPELINE_RUN));
      const recorded = new Map([[table.listing!.id(untagged[untagged.length - 1]), 'pipeB']]);
      const want = groupPipelineRuns(
        rows.map((i) => entries.get(table.listing!.id(i))!),
        recorded,
      ).map((g) => (g.kind === 'run' ? g.entry.id : `${g.id}:${g.runs.map((e) => e.id).join(',')}`));
      const got = groupRows(table, rows, recorded).map((g) =>
        g.kind === 'run'
          ? table.listing!.id(g.row)
          : `${g.id}:${g.rows.map((i) => table.listing!.id(i)).join(',')}`,
      );
      assert.deepEqual(got, want);
      if (experiment !== UNREADABLE_EXPERIMENT)
        assert.ok(got.some((g) => g.startsWith('pipeA:')) && got.some((g) => g.startsWith('pipeB:')));
      for (const p of ['pipeA', 'pipeB'])
        assert.deepEqual(
          stageRowsOf(table, experiment, p, recorded).map((i) => table.listing!.id(i)),
          [...entries.values()]
            .filter((e) => e.experiment === experiment && pipelineRunOf(e, recorded) === p)
            .sort((a, b) => a.startTime - b.startTime || a.id.localeCompare(b.id))
            .map((e) => e.id),
        );
    }
    let nested = 0;
    for (const [id, e] of entries) {
      const row = table.rowOf(id)!;
      assert.equal(table.parentOf(row), parentOf(e, entries));
      assert.deepEqual(
        sortRows(table, table.childrenOf(id), 'name').map((i) => table.listing!.id(i)),
        sortEntries(childrenOf(id, entries), 'name').map((c) => c.id),
      );
      if (table.parentOf(row)) nested++;
    }
    assert.ok(nested > 5, `${nested} nested runs`);
  });

  test('the experiments come newest first, and unreadable runs have their own', () => {
    const newest = new Map<string, number>();
    for (const e of entries.values()) {
      const name = e.status === 'unreadable' ? UNREADABLE_EXPERIMENT : e.experiment;
      newest.set(name, Math.max(newest.get(name) ?? -Infinity, e.startTime));
    }
    assert.deepEqual(
      table.experiments(),
      [...newest].sort((a, b) => b[1] - a[1]).map(([n]) => n),
    );
    assert.ok(table.experiments().includes(UNREADABLE_EXPERIMENT));
    assert.equal(visibleRows(table, UNREADABLE_EXPERIMENT, {}, '-start').length, 1);
  });

  test('the table reads like the map of entries it replaces', () => {
    assert.equal(table.size, entries.size);
    assert.deepEqual([...table.keys()], [...entries.keys()]);
    assert.deepEqual(
      JSON.parse(JSON.stringify([...table.values()])),
      JSON.parse(JSON.stringify([...entries.values()])),
    );
    const id = [...entries.keys()][7];
    assert.deepEqual(table.get(id), entries.get(id));
    assert.equal(table.get(id), table.get(id), 'an entry asked for is built once and kept');
    assert.equal(table.get('not-a-run'), undefined);
    assert.equal(table.has(id), true);
    assert.deepEqual(table.metricKeys().sort(), ['acc', 'loss']);
  });
});

describe('paging: newest first per experiment, Load more', () => {
  test('each page holds the next newest runs; only the pages asked for become entries', () => {
    const s = store(330);
    const table = tableOf(s);
    const cache = new RowsCache();
    const experiment = 'exp1';
    const none: RunFilter = {};
    const { items, rows } = cache.of('f', table, experiment, none, '-start');
    assert.equal(cache.of('f', table, experiment, none, '-start').items, items, 'computed once');
    const starts = rows.map((i) => table.listing!.startTime(i));
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => b - a),
      'newest first',
    );
    const page = 20;
    const pages: string[][] = [];
    for (let shown = 0; shown < items.length; shown += page) {
      const ids = items
        .slice(shown, shown + page)
        .flatMap((g) => (g.kind === 'run' ? [g.row] : g.rows))
        .map((i) => table.at(i).id);
      pages.push(ids);
      assert.ok(table.builtCount <= shown + page + 40, `built ${table.builtCount} at ${shown}`);
    }
    assert.ok(pages.length >= 3, `${pages.length} pages`);
    const flat = pages.flat();
    assert.equal(new Set(flat).size, flat.length, 'no run twice');
    // Load more yields the next newest: every run of a page started no later than the page before's last.
    const top = (ids: string[]) =>
      ids
        .filter((id) => !table.listing!.tag(table.rowOf(id)!, TAG_PIPELINE_RUN))
        .map((id) => table.get(id)!.startTime);
    for (let p = 1; p < pages.length; p++)
      assert.ok(Math.max(...top(pages[p])) <= Math.min(...top(pages[p - 1])), `page ${p}`);
    const expected = [...entriesOf(s).values()].filter(
      (e) => e.experiment === experiment && !parentOf(e, entriesOf(s)),
    ).length;
    assert.equal(rows.length, expected);
  });

  test('a filter or sort of its own is computed again; a filter lists nested and stage runs flat', () => {
    const s = store(120);
    const table = tableOf(s);
    const cache = new RowsCache();
    const a = cache.of('f', table, 'exp1', {}, '-start');
    const f: RunFilter = { statuses: ['failed', 'killed'] };
    const b = cache.of('f', table, 'exp1', f, '-start');
    assert.notEqual(a, b);
    assert.ok(isFiltering(f) && !isFiltering({ text: '', starred: false }));
    assert.ok(b.items.every((g) => g.kind === 'run'));
    assert.equal(b.groups.size, 0);
    assert.ok(a.groups.size > 0);
    cache.retain(new Set([table]));
    assert.equal(cache.size, 1);
    cache.retain(new Set([RunTable.empty]));
    assert.equal(cache.size, 0, 'lists over a table let go are dropped');
    const c = cache.of('f', table, 'exp1', f, 'name');
    assert.deepEqual(
      c.rows.map((i) => table.listing!.name(i)),
      c.rows.map((i) => table.listing!.name(i)).sort(),
    );
  });
});

describe('a table made again after the store changed', () => {
  test('keeps the entries of unchanged runs and names the runs added, changed and removed', () => {
    const s = store(30);
    const before = tableOf(s);
    const ids = [...before.keys()];
    const kept = before.get(ids[3])!;
    const changedRun = before.get(ids[5])!;
    const added = s.createRun({ experiment: 'exp9', name: 'late', status: 'finished', pid: null });
    updateRunFileSync(s.runDir(ids[5]), (r) => {
      r.name = 'renamed';
      r.updatedAt = Date.now() + 1000;
    });
    s.removeRun(ids[8]);
    const { listing } = s.listing({ sections: TABLE_SECTIONS, recheck: [ids[5]] });
    listing.close();
    const { table, changed } = RunTable.of(listing, before, new Set([ids[5]]));
    assert.deepEqual(changed.sort(), [added.id, ids[5], ids[8]].sort());
    assert.equal(table.get(ids[3]), kept, 'the same object');
    assert.notEqual(table.get(ids[5]), changedRun);
    assert.equal(table.get(ids[5])!.name, 'renamed');
    assert.equal(table.get(ids[8]), undefined);
    assert.equal(table.get(added.id)!.name, 'late');
    assert.deepEqual(table.experiments()[0], 'exp9');
    const fresh = RunTable.of(listing);
    assert.equal(fresh.changed.length, table.size, 'with nothing before, every run is new');
  });

  test('a listing with no run changed keeps the table held, its lists and entries', () => {
    const s = store(12);
    const before = tableOf(s);
    const cache = new RowsCache();
    const none: RunFilter = {};
    const lists = cache.of('f', before, 'exp1', none, '-start');
    const kept = before.at(0);
    const { listing } = s.listing({ sections: TABLE_SECTIONS });
    const again = RunTable.of(listing, before);
    listing.releaseFile();
    assert.equal(again.table, before);
    assert.deepEqual(again.changed, []);
    assert.equal(cache.of('f', again.table, 'exp1', none, '-start'), lists);
    assert.equal(again.table.at(0), kept);
    // a run named by a file event is read again, whatever its columns say
    const { listing: l2 } = s.listing({ sections: TABLE_SECTIONS });
    l2.close();
    const dirty = RunTable.of(l2, before, new Set([before.listing!.id(3)]));
    assert.notEqual(dirty.table, before);
    assert.deepEqual(dirty.changed, [before.listing!.id(3)]);
    assert.equal(dirty.table.at(0), kept);
  });

  test('a training run read again in place: fresh metrics, the same lists; anything else asks for the listing', () => {
    const s = store(8);
    const live = s.createRun({ experiment: 'exp1', name: 'live' }); // running, owned by this process
    const log = new MetricLog(s.metricsFile(live.id));
    log.log({ loss: 1 }, 0);
    log.flush();
    const table = tableOf(s);
    const none: RunFilter = {};
    const cache = new RowsCache();
    const lists = cache.of('f', table, 'exp1', none, '-start');
    assert.equal(table.get(live.id)!.metrics.loss.count, 1);
    const dir = (id: string) => s.runDir(id);
    for (let step = 1; step < 4; step++) log.log({ loss: 1 / (step + 1) }, step);
    log.flush();
    assert.deepEqual(table.refreshLogged(dir, [live.id]), [live.id]);
    assert.equal(table.get(live.id)!.metrics.loss.count, 4);
    assert.equal(table.get(live.id)!.metrics.loss.last, 0.25);
    assert.equal(cache.of('f', table, 'exp1', none, '-start'), lists, 'the lists stay');
    assert.deepEqual(table.refreshLogged(dir, [live.id]), [], 'nothing new');
    // a finished run named by a file event, unchanged: nothing to do
    assert.deepEqual(table.refreshLogged(dir, [table.listing!.id(0)]), []);
    // renamed, a new run, a run gone, a run ended: the listing must be read
    updateRunFileSync(s.runDir(live.id), (r) => (r.name = 'renamed'));
    assert.equal(table.refreshLogged(dir, [live.id]), undefined);
    updateRunFileSync(s.runDir(live.id), (r) => (r.name = 'live'));
    const late = s.createRun({ experiment: 'exp1', name: 'late', status: 'finished', pid: null });
    assert.equal(table.refreshLogged(dir, [late.id]), undefined);
    const gone = table.listing!.id(2);
    s.removeRun(gone);
    assert.equal(table.refreshLogged(dir, [gone]), undefined);
    log.close();
    updateRunFileSync(s.runDir(live.id), (r) => (r.status = 'finished'));
    assert.equal(table.refreshLogged(dir, [live.id]), undefined);
    // the table made from the listing then has the run's own row
    const { listing } = s.listing({ sections: TABLE_SECTIONS, recheck: [live.id] });
    listing.close();
    const next = RunTable.of(listing, table);
    assert.deepEqual(next.changed.sort(), [live.id, late.id, gone].sort());
    assert.equal(next.table.get(live.id)!.status, 'finished');
    assert.equal(next.table.get(live.id)!.metrics.loss.count, 4);
  });

  test('an empty table lists nothing', () => {
    assert.equal(RunTable.empty.size, 0);
    assert.deepEqual([...RunTable.empty.values()], []);
    assert.deepEqual(RunTable.empty.experiments(), []);
    assert.deepEqual(visibleRows(RunTable.empty, 'x', {}, '-start'), []);
    assert.deepEqual(RunTable.empty.metricKeys(), []);
  });
});

describe('which experiments start expanded', () => {
  test('all while their first pages together fit in one page, else the newest only', () => {
    // the quickstart: one experiment, however many runs
    assert.equal(expandedAtFirst([3], 100), 1);
    assert.equal(expandedAtFirst([25_000], 100), 1);
    // a few small experiments: all of them
    assert.equal(expandedAtFirst([40, 30, 30], 100), 3);
    assert.equal(expandedAtFirst([1, 1, 1, 1, 1], 10), 5);
    // one run more than a page: the newest only; an experiment counts at most one page
    assert.equal(expandedAtFirst([40, 30, 31], 100), 1);
    assert.equal(expandedAtFirst([10_000, 10_000], 100), 1);
    assert.equal(expandedAtFirst(new Array<number>(10).fill(100), 100), 1);
    // an experiment with nothing listed (all filtered out) takes no room
    assert.equal(expandedAtFirst([0, 100, 0], 100), 3);
    assert.equal(expandedAtFirst([], 100), 0);
  });
});
