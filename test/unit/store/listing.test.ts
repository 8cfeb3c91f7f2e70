import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { CHANGES_FILE, CHANGES_OLD_FILE } from '../../../src/core/store/changes';
import { RunlensError } from '../../../src/core/errors';
import { LISTING_FILE, Listing, TABLE_SECTIONS } from '../../../src/core/store/listing';
import { MetricLog } from '../../../src/core/tracking/metricLog';
import { readRunFile, updateRunFileSync } from '../../../src/core/store/runFile';
import { knownFieldNames } from '../../../src/core/store/query';
import { searchEntries, searchListing } from '../../../src/core/store/search';
import { Store } from '../../../src/core/store/store';
import type { RunEntry } from '../../../src/core/store/types';
import { cli, tempDir } from '../../helpers/tmp';

/**
 * A store with what the listing index must carry exactly: params of every JSON type, tags with keys
 * such as __proto__, NaN and infinite metric values, points captured from stdout, a summary
 * without minStep/maxStep, a cluster job, a starred run, several experiments, a running run, a
 * crashed one and an unreadable one.
 */
function variedStore(): Store {
  const store = Store.open(path.join(tempDir('runlens-listing-'), '.runlens'), { create: true });
  for (let i = 0; i < 40; i++) {
    const run = store.createRun({
      experiment: `exp${i % 3}`,
      name: `run-${i}`,
      status: 'finished',
      params: {
        lr: 0.001 * (i % 5),
        opt: i % 2 ? 'adam' : 'sgd',
        deep: i % 4 === 0,
        none: null,
        ...(i % 7 === 0 ? { extra: 'only some' } : {}),
      },
      tags: i % 5 === 0 ? { team: 'cv', ['__proto__']: 'x' } : { team: `t${i % 2}` },
    });
    const log = new MetricLog(store.metricsFile(run.id));
    for (let s = 0; s < 5; s++) log.log({ loss: 1 / (s + 1 + i), acc: i % 9 === 0 ? NaN : s / (10 + i) }, s);
    if (i % 6 === 0) log.log({ inf: Infinity }, 0);
    log.close();
    updateRunFileSync(store.runDir(run.id), (r) => {
      r.summary = summaryOf(store, run.id);
      if (i % 11 === 0) delete r.summary.loss.minStep;
      if (i % 8 === 0) r.summary.loss.source = 'stdout';
      r.starred = i % 10 === 3;
      r.endTime = r.startTime + 1000 * i;
      if (i === 5)
        r.job = {
          scheduler: 'slurm',
          id: '12_3',
          user: 'u',
          state: 'COMPLETED',
          reason: null,
          node: 'n1',
          submitTime: 1,
          startTime: 2,
          timeLimit: 60,
          resources: { cpus: 2 },
          settled: true,
        };
    });
  }
  // still running (this process owns it), and one whose run.json is corrupt
  const running = store.createRun({ experiment: 'exp0', name: 'going', params: { lr: 0.5 } });
  new MetricLog(store.metricsFile(running.id)).log({ loss: 0.3 }, 0);
  const bad = store.createRun({ name: 'bad', status: 'finished' });
  fs.writeFileSync(path.join(store.runDir(bad.id), 'run.json'), '{"schemaVersion": 1, "id": ');
  return store;
}

function summaryOf(store: Store, id: string) {
  const e = store.listRuns().entries.find((x) => x.id === id)!;
  return structuredClone(e.metrics);
}

function rowsOf(l: Listing): RunEntry[] {
  return Array.from({ length: l.size }, (_, i) => l.entry(i));
}

/** Entries as JSON sees them (NaN is not equal to itself in deepEqual's eyes otherwise fine). */
function plain(entries: object[]): unknown {
  return JSON.parse(
    JSON.stringify(entries, (_k, v: unknown) =>
      typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
    ),
  );
}

const FILTERS = [
  '',
  "metrics.loss < 0.2 and params.opt = 'adam'",
  'metrics.acc > 0.1 or params.deep = true',
  'params.extra IS NULL',
  'params.extra IS NOT NULL',
  "tags.team LIKE 't%'",
  'tags.__proto__ = x',
  "status IN ('running', 'unreadable')",
  'starred = true',
  'metrics.loss:min <= 0.05',
  'metrics.inf > 1',
  'name ~ run-1',
  'NOT params.lr > 0.002',
  'duration > 5000',
  'lr = 0.003',
  "experiment = 'exp2' and metrics.acc IS NULL",
];
const ORDERS = [
  '-start',
  'metrics.loss DESC',
  '-metrics.acc',
  'params.lr ASC, -start',
  'params.opt, metrics.loss:max',
  'name',
  'end',
  'tags.team DESC, id',
];

describe('the listing index', () => {
  test('holds every index entry exactly, in the same order', () => {
    const store = variedStore();
    const full = store.listRuns().entries;
    const { listing, source } = store.listing();
    assert.equal(source, 'folders'); // no listing file yet: made from the run folders
    assert.deepEqual(plain(rowsOf(listing)), plain(full));
    // through its file again
    const again = store.listing();
    assert.equal(again.source, 'listing');
    assert.deepEqual(plain(rowsOf(again.listing)), plain(full));
    const bytes = fs.readFileSync(path.join(store.dir, LISTING_FILE));
    const decoded = Listing.decode(bytes);
    assert.ok(decoded instanceof Listing);
    assert.deepEqual(plain(rowsOf(decoded)), plain(full));
    // own keys only: the tag named __proto__ is a tag, and no prototype changed
    const tagged = rowsOf(listing).find((e) => Object.hasOwn(e.tags, '__proto__'))!;
    assert.equal(Object.getOwnPropertyDescriptor(tagged.tags, '__proto__')?.value, 'x');
    assert.equal(Object.getPrototypeOf(tagged.tags), Object.prototype);
  });

  test('filters and sorts to the same runs as the index entries', () => {
    const store = variedStore();
    const entries = store.listRuns().entries;
    const { listing } = store.listing();
    let compared = 0;
    for (const filter of FILTERS) {
      for (const orderBy of ORDERS) {
        for (const experiments of [undefined, ['exp1']]) {
          const want = searchEntries(entries, { filter, orderBy, experiments }).map((e) => e.id);
          const got = searchListing(listing, { filter, orderBy, experiments }).rows.map((i) => listing.id(i));
          assert.deepEqual(got, want, `${filter} | ${orderBy} | ${experiments?.join()}`);
          compared++;
        }
      }
    }
    assert.equal(compared, FILTERS.length * ORDERS.length * 2);
    const paged = searchListing(listing, { orderBy: 'metrics.loss', offset: 5, maxResults: 7 }).rows;
    assert.deepEqual(
      paged.map((i) => listing.id(i)),
      searchEntries(entries, { orderBy: 'metrics.loss', offset: 5, maxResults: 7 }).map((e) => e.id),
    );
    assert.throws(() => searchListing(listing, { orderBy: 'metrics.nope' }), /no run has it/);
  });

  test('runlens ls --json/--jsonl print the entries the index holds, filtered and sorted', () => {
    const store = variedStore();
    const cwd = store.root;
    const entries = store.listRuns().entries;
    const strip = (es: RunEntry[]) => plain(es.map(({ metricsBytes: _b, ...rest }) => rest));
    for (const [filter, order] of [
      ['', '-start'],
      ["metrics.loss < 0.2 and params.opt = 'adam'", 'metrics.loss'],
      ['tags.team = cv', '-metrics.acc'],
    ]) {
      const want = strip(searchEntries(entries, { filter, orderBy: order }));
      const args = ['ls', '--sort', order, ...(filter ? ['-w', filter] : [])];
      const json = cli([...args, '--json'], { cwd });
      assert.equal(json.status, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), want);
      const pretty = cli([...args, '--json', '--pretty'], { cwd });
      assert.equal(pretty.stdout, JSON.stringify(JSON.parse(json.stdout), null, 2) + '\n');
      const jsonl = cli([...args, '--jsonl'], { cwd });
      assert.deepEqual(
        jsonl.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as unknown),
        want,
      );
    }
    const none = cli(['ls', '-w', 'metrics.loss < -1', '--json'], { cwd });
    assert.equal(none.stdout, '[]\n');
  });

  test('a torn listing file is noticed and rebuilt from the run folders', () => {
    const store = variedStore();
    const want = plain(store.listRuns().entries);
    store.listing();
    const file = path.join(store.dir, LISTING_FILE);
    const size = fs.statSync(file).size;
    fs.truncateSync(file, Math.floor(size / 2));
    assert.equal(typeof Listing.decode(fs.readFileSync(file)), 'string');
    const r = store.listing();
    assert.equal(r.source, 'folders');
    assert.deepEqual(plain(rowsOf(r.listing)), want);
    assert.equal(fs.statSync(file).size, size);
    assert.equal(store.listing().source, 'listing');
  });

  test('a listing file edited by hand (one byte of a column) is noticed and rebuilt', () => {
    const store = variedStore();
    const want = plain(store.listRuns().entries);
    store.listing();
    const file = path.join(store.dir, LISTING_FILE);
    const bytes = fs.readFileSync(file);
    // one byte of the metrics' lastTime column (a column a table does not read)
    const headLen = bytes.readUInt32LE(12);
    const header = JSON.parse(bytes.toString('utf8', 16, 16 + headLen)) as {
      sections: Record<string, [number, number]>;
    };
    bytes[16 + headLen + header.sections.mLastTime[0] + 3] ^= 0x40;
    fs.writeFileSync(file, bytes);
    assert.match(String(Listing.decode(bytes)), /column mLastTime is damaged/);
    // a table reads only its columns: the damaged one is checked when first used
    const lazy = Listing.open(file, TABLE_SECTIONS);
    assert.ok(lazy instanceof Listing);
    assert.throws(
      () => Array.from({ length: lazy.size }, (_, i) => lazy.entry(i)),
      (e: unknown) => e instanceof RunlensError && /listing index is damaged/.test(e.message),
    );
    const r = store.listing();
    assert.equal(r.source, 'folders');
    assert.deepEqual(plain(rowsOf(r.listing)), want);
    // a byte of a run's name (the names' text section)
    const named = fs.readFileSync(file);
    const name = named.indexOf(Buffer.from('run-17', 'latin1'));
    named[name + 1] = 'U'.charCodeAt(0);
    fs.writeFileSync(file, named);
    assert.match(String(Listing.decode(named)), /column nameText is damaged/);
    assert.equal(store.listing().source, 'folders');
    assert.deepEqual(plain(rowsOf(store.listing().listing)), want);
    // and a byte of the header (an experiment's name in the dictionary)
    const again = fs.readFileSync(file);
    const at = again.indexOf(Buffer.from('"exp1"'));
    again[at + 2] = 'E'.charCodeAt(0);
    fs.writeFileSync(file, again);
    assert.match(String(Listing.decode(again)), /header checksum mismatch/);
    assert.equal(store.listing().source, 'folders');
    assert.deepEqual(plain(rowsOf(store.listing().listing)), want);
  });

  test('index.json rewritten by another process: the rows are read from it again', () => {
    const store = variedStore();
    store.listRuns();
    store.listing();
    // another process renamed a run through the CLI and folded the journal (--reindex)
    const target = store.listRuns().entries.find((e) => e.name === 'run-7')!;
    const r1 = cli(['ls', '--reindex', '--limit', '1'], { cwd: store.root });
    assert.equal(r1.status, 0, r1.stderr);
    const idx = path.join(store.dir, 'index.json');
    const data = JSON.parse(fs.readFileSync(idx, 'utf8')) as { runs: Record<string, RunEntry> };
    assert.equal(data.runs[target.id].name, 'run-7');
    // the listing left behind by that process is dropped: this one only has index.json
    fs.rmSync(path.join(store.dir, LISTING_FILE));
    store.listing(); // a listing made from the folders
    data.runs[target.id].name = 'renamed in index.json';
    fs.writeFileSync(idx, JSON.stringify(data));
    const r = store.listing();
    assert.equal(r.source, 'index');
    assert.equal(r.listing.name(r.listing.rowOf(target.id)!), 'renamed in index.json');
  });

  test('a writer killed after its journal append, before the listing was written: the journal is replayed', () => {
    const store = variedStore();
    store.listRuns();
    store.listing();
    const e = store.listRuns().entries.find((x) => x.name === 'run-3')!;
    // what a killed process leaves: a journal line, no new listing
    const later = { ...e, name: 'from the journal', updatedAt: e.updatedAt + 1 };
    fs.appendFileSync(path.join(store.dir, 'index.journal.jsonl'), JSON.stringify(later) + '\n');
    const r = store.listing();
    assert.equal(r.listing.name(r.listing.rowOf(e.id)!), 'from the journal');
    // an older line (already applied, or superseded) changes nothing
    fs.appendFileSync(
      path.join(store.dir, 'index.journal.jsonl'),
      JSON.stringify({ ...e, name: 'old' }) + '\n',
    );
    const r2 = store.listing();
    assert.equal(r2.listing.name(r2.listing.rowOf(e.id)!), 'from the journal');
  });

  test('an ended run changed by another writer is shown changed (change notes), also when it was killed between its note and its write', () => {
    const store = variedStore();
    store.listRuns();
    store.listing();
    const e = store.listRuns().entries.find((x) => x.name === 'run-4')!;
    // a client resuming the run: run.json through the locked update, which notes the change
    updateRunFileSync(store.runDir(e.id), (r) => {
      r.status = 'running';
      r.pid = process.pid;
      r.tags.resumed = 'yes';
    });
    const r1 = store.listing();
    const row = r1.listing.rowOf(e.id)!;
    assert.equal(r1.listing.status(row), 'running');
    assert.equal(r1.listing.tag(row, 'resumed'), 'yes');
    assert.ok(r1.changed.includes(e.id));
    // killed after the first note and the write, before the second note
    const f = store.listRuns().entries.find((x) => x.name === 'run-6')!;
    const runFile = path.join(store.runDir(f.id), 'run.json');
    fs.appendFileSync(path.join(store.dir, CHANGES_FILE), f.id + '\n');
    const run = readRunFile(store.runDir(f.id));
    fs.writeFileSync(runFile, JSON.stringify({ ...run, name: 'renamed', updatedAt: run.updatedAt + 1 }));
    const r2 = store.listing();
    assert.equal(r2.listing.name(r2.listing.rowOf(f.id)!), 'renamed');
    // a note being written (no newline yet) is read once it is whole
    fs.appendFileSync(path.join(store.dir, CHANGES_FILE), f.id.slice(0, 5));
    assert.equal(store.listing().source, 'listing');
  });

  test('a run.json edited by hand without a note is seen by --reindex (and by listRuns)', () => {
    const store = variedStore();
    store.listRuns();
    store.listing();
    const e = store.listRuns().entries.find((x) => x.name === 'run-9')!;
    const file = path.join(store.runDir(e.id), 'run.json');
    const run = readRunFile(store.runDir(e.id));
    fs.writeFileSync(file, JSON.stringify({ ...run, name: 'hand edit' }));
    const future = new Date(Date.now() + 5000);
    fs.utimesSync(file, future, future);
    const stale = store.listing();
    assert.equal(stale.listing.name(stale.listing.rowOf(e.id)!), 'run-9'); // documented: no note, no stat
    const rebuilt = store.listing({ rebuild: true });
    assert.equal(rebuilt.source, 'folders');
    assert.equal(rebuilt.listing.name(rebuilt.listing.rowOf(e.id)!), 'hand edit');
  });

  test('runs added and removed are seen through the runs folder mtime, also once it is trusted', () => {
    const store = variedStore();
    store.listRuns();
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(store.runsDir, old, old);
    const first = store.listing();
    const runsStamp = Listing.decode(fs.readFileSync(path.join(store.dir, LISTING_FILE)));
    assert.ok(runsStamp instanceof Listing && runsStamp.stamps.runsDir !== null, 'an old mtime is trusted');
    const added = store.createRun({ name: 'new one', status: 'finished' });
    const r = store.listing();
    assert.equal(r.listing.size, first.listing.size + 1);
    assert.equal(r.listing.id(0), added.id);
    const gone = r.listing.id(3);
    store.removeRun(gone);
    const r2 = store.listing();
    assert.equal(r2.listing.size, first.listing.size);
    assert.equal(r2.listing.rowOf(gone), undefined);
    assert.deepEqual(plain(rowsOf(r2.listing)), plain(store.listRuns().entries));
  });

  test('change notes replaced or shortened: every run.json is checked again', () => {
    const store = variedStore();
    store.listRuns();
    store.listing();
    const notes = path.join(store.dir, CHANGES_FILE);
    assert.ok(fs.existsSync(notes));
    const e = store.listRuns().entries.find((x) => x.name === 'run-12')!;
    const file = path.join(store.runDir(e.id), 'run.json');
    const run = readRunFile(store.runDir(e.id));
    fs.writeFileSync(file, JSON.stringify({ ...run, name: 'edited' }));
    const future = new Date(Date.now() + 5000);
    fs.utimesSync(file, future, future);
    fs.rmSync(notes);
    fs.writeFileSync(notes, '');
    const r = store.listing();
    assert.equal(r.source, 'folders');
    assert.equal(r.listing.name(r.listing.rowOf(e.id)!), 'edited');
  });

  test('a running run is re-read each time: its new points show', () => {
    const store = variedStore();
    store.listing();
    const going = store.listRuns().entries.find((x) => x.name === 'going')!;
    const log = new MetricLog(store.metricsFile(going.id));
    log.log({ loss: 0.125 }, 1);
    log.close();
    const r = store.listing();
    assert.equal(r.listing.metric(r.listing.rowOf(going.id)!, 'loss', 'last'), 0.125);
  });

  test('runs named by the editor file events are read again (a hand edit it saw)', () => {
    const store = variedStore();
    store.listRuns();
    store.listing();
    const e = store.listRuns().entries.find((x) => x.name === 'run-10')!;
    const run = readRunFile(store.runDir(e.id));
    fs.writeFileSync(path.join(store.runDir(e.id), 'run.json'), JSON.stringify({ ...run, name: 'seen' }));
    const r = store.listing({ recheck: [e.id, 'not-a-run-id'] });
    assert.equal(r.listing.name(r.listing.rowOf(e.id)!), 'seen');
    assert.deepEqual(r.changed, [...new Set([...r.changed])]);
    assert.ok(r.changed.includes(e.id));
  });

  test('a running run alone does not rewrite the listing file, and its new points still show', () => {
    const store = variedStore();
    store.listing();
    store.listing(); // settles the runs folder stamp and the running run's entry
    const file = path.join(store.dir, LISTING_FILE);
    const before = fs.statSync(file);
    const going = store.listRuns().entries.find((x) => x.name === 'going')!;
    const log = new MetricLog(store.metricsFile(going.id));
    log.log({ loss: 0.0625 }, 2);
    log.close();
    const r = store.listing();
    assert.equal(r.listing.metric(r.listing.rowOf(going.id)!, 'loss', 'last'), 0.0625);
    assert.equal(fs.statSync(file).ino, before.ino, 'not rewritten');
    // its entry reached the journal, so the next reader starts from there
    const again = store.listing();
    assert.equal(again.listing.metric(again.listing.rowOf(going.id)!, 'loss', 'last'), 0.0625);
  });
});

describe('change notes rotation (index.changes -> index.changes.old)', () => {
  const rename = (store: Store, id: string, name: string) =>
    updateRunFileSync(store.runDir(id), (r) => {
      r.name = name;
    });
  const ended = (store: Store) =>
    store
      .listRuns()
      .entries.filter((e) => e.status === 'finished')
      .map((e) => e.id);
  const notes = (store: Store) => path.join(store.dir, CHANGES_FILE);
  const oldNotes = (store: Store) => path.join(store.dir, CHANGES_OLD_FILE);

  test('a reader rotates notes past the limit; the next reader reads only the new notes, no full check', () => {
    const store = variedStore();
    store.listing();
    const ids = ended(store);
    for (let i = 0; i < 6; i++) rename(store, ids[i], `renamed-${i}`);
    const size = fs.statSync(notes(store)).size;
    const r1 = store.listing({ rotateChangesAt: 100 });
    assert.equal(r1.source, 'listing');
    assert.ok(!fs.existsSync(notes(store)), 'index.changes was moved away');
    assert.equal(fs.statSync(oldNotes(store)).size, size);
    for (let i = 0; i < 6; i++) assert.equal(r1.listing.name(r1.listing.rowOf(ids[i])!), `renamed-${i}`);
    // a writer after the rotation starts a new index.changes; the next reader reads it from its start
    rename(store, ids[7], 'after rotation');
    const r2 = store.listing();
    assert.equal(r2.source, 'listing');
    assert.deepEqual(r2.changed, [ids[7]]);
    assert.equal(r2.listing.name(r2.listing.rowOf(ids[7])!), 'after rotation');
    assert.deepEqual(plain(rowsOf(r2.listing)), plain(store.listRuns().entries));
  });

  test('a listing made before the rotation reads the rest of the rotated notes and the new ones', () => {
    const store = variedStore();
    store.listing();
    const ids = ended(store);
    const listingFile = path.join(store.dir, LISTING_FILE);
    const before = fs.readFileSync(listingFile);
    rename(store, ids[0], 'noted before the rotation');
    for (let i = 1; i < 6; i++) rename(store, ids[i], `filler-${i}`);
    store.listing({ rotateChangesAt: 100 }); // rotates, writes its own listing
    rename(store, ids[8], 'noted after the rotation');
    // another process still holding the listing written before: as if it read it just before
    fs.writeFileSync(listingFile, before);
    const r = store.listing();
    assert.equal(r.source, 'listing');
    assert.equal(r.listing.name(r.listing.rowOf(ids[0])!), 'noted before the rotation');
    assert.equal(r.listing.name(r.listing.rowOf(ids[8])!), 'noted after the rotation');
    assert.deepEqual(plain(rowsOf(r.listing)), plain(store.listRuns().entries));
  });

  test('notes stay bounded over many rotations; a listing older than two rotations checks every run', () => {
    const store = variedStore();
    store.listing();
    const ids = ended(store);
    const listingFile = path.join(store.dir, LISTING_FILE);
    const ancient = fs.readFileSync(listingFile);
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 10; i++) rename(store, ids[(round * 10 + i) % ids.length], `r${round}-${i}`);
      const r = store.listing({ rotateChangesAt: 200 });
      assert.equal(r.source, 'listing', `round ${round}`);
      const names = fs.readdirSync(store.dir).filter((n) => n.startsWith('index.changes'));
      assert.deepEqual(names.sort(), [CHANGES_OLD_FILE], `round ${round}`);
      // each round notes 10 rewrites (two 19-byte notes each); the first also moves the notes of making the store
      const size = fs.statSync(oldNotes(store)).size;
      if (round > 0) assert.ok(size === 380, `round ${round}: ${size} bytes of rotated notes`);
    }
    const last = ids[(7 * 10 + 9) % ids.length];
    fs.writeFileSync(listingFile, ancient);
    const r = store.listing();
    assert.equal(r.source, 'folders', 'the notes it had not read are gone: every run.json is checked');
    assert.equal(r.listing.name(r.listing.rowOf(last)!), 'r7-9');
    assert.deepEqual(plain(rowsOf(r.listing)), plain(store.listRuns().entries));
  });

  test('rotated notes shortened or replaced: every run.json is checked again', () => {
    const store = variedStore();
    store.listing();
    const ids = ended(store);
    for (let i = 0; i < 6; i++) rename(store, ids[i], `n${i}`);
    store.listing({ rotateChangesAt: 100 });
    rename(store, ids[9], 'hand-shortened notes');
    fs.writeFileSync(oldNotes(store), ''); // replaced by hand
    const r = store.listing();
    assert.equal(r.source, 'folders');
    assert.equal(r.listing.name(r.listing.rowOf(ids[9])!), 'hand-shortened notes');
  });
});

test('run names of any text come back exactly from the file (latin1 and UTF-16 sections)', () => {
  const entry = (i: number, name: string): RunEntry => ({
    id: `01m8wsd1pqg1ex${String(i).padStart(4, '0')}`,
    experiment: 'e',
    name,
    status: 'finished',
    script: null,
    params: {},
    tags: {},
    starred: false,
    startTime: 1,
    endTime: 2,
    gitCommit: null,
    metrics: {},
    metricsBytes: 0,
    updatedAt: 0,
  });
  const stamps = { index: null, runsDir: null, changes: null };
  const latin = ['plain', '', 'ünïcödé ÿ', 'tab\there', '\u0000nul'];
  const wide = [...latin, '日本語', '🚀 emoji', 'lone \ud800 surrogate', '\udfff', 'x'.repeat(500)];
  for (const names of [latin, wide, []]) {
    const listing = Listing.of(
      names.map((n, i) => entry(i, n)),
      stamps,
    );
    const back = Listing.decode(listing.encode());
    assert.ok(back instanceof Listing, String(back));
    assert.deepEqual(
      Array.from({ length: back.size }, (_, i) => [back.id(i), back.name(i)]),
      Array.from({ length: listing.size }, (_, i) => [listing.id(i), listing.name(i)]),
    );
    assert.equal(back.size, names.length);
  }
});

test("field names: the listing's names of params, metrics and tags, each kind in the entries' order", () => {
  const store = variedStore();
  const { listing } = store.listing();
  const all = rowsOf(listing);
  const byKind = (names: Iterable<string>) =>
    ['params.', 'metrics.', 'tags.'].map((p) => [...names].filter((n) => n.startsWith(p)));
  for (const rows of [undefined, [3, 1, 40, 2], [0], []]) {
    const entries = rows ? rows.map((i) => all[i]) : all;
    assert.deepEqual(byKind(listing.fieldNames(rows)), byKind(knownFieldNames(entries)));
  }
});
