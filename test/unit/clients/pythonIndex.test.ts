// The Python client's search_runs reads the store's index (index.listing when it was made from the
// index.json there, else index.json; then index.journal.jsonl), as the CLI does, instead of every
// run's run.json; it falls back to the run folders, with a warning, when the index is missing or
// unreadable. Real python3 processes over a real store.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Store } from '../../../src/core/store/store';
import { cli, repoRoot, tempDir } from '../../helpers/tmp';

const env = {
  ...process.env,
  PYTHONPATH: path.join(repoRoot, 'clients', 'python'),
  PYTHONDONTWRITEBYTECODE: '1',
  RUNLENS_STORE: '',
  RUNLENS_RUN_DIR: '',
  RUNLENS_RUN_ID: '',
  RUNLENS_PARAMS: '',
  RUNLENS_EXPERIMENT: '',
};

function py(cwd: string, code: string): { stdout: string; stderr: string } {
  const file = path.join(cwd, `script-${Math.random().toString(36).slice(2)}.py`);
  fs.writeFileSync(file, code);
  const r = spawnSync('python3', [file], { cwd, encoding: 'utf8', env, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}

const FILTER = "metrics.acc > 0.3 and params.opt = 'adam'";
const ORDER = 'metrics.acc DESC';

/**
 * search_runs with every run.json read counted: prints the ids found, then the runs read from their
 * folders, then whether index.listing was read, then every row whole.
 */
const SEARCH = `import json, runlens
reads = []
real = runlens._read_run_file
def counting(run_dir):
    reads.append(run_dir.rstrip("/").split("/")[-1])
    return real(run_dir)
runlens._read_run_file = counting
listed = []
real_listing = runlens._listing_entries
def listing(*args):
    out = real_listing(*args)
    listed.append(out is not None)
    return out
runlens._listing_entries = listing
rows = runlens.search_runs(${JSON.stringify(FILTER)}, order_by=${JSON.stringify(ORDER)}, output_format="list")
print(json.dumps([[r["run_id"], r["run_name"], r.get("tags.stage"), r["status"]] for r in rows]))
print(json.dumps(sorted(reads)))
print(json.dumps(listed == [True]))
print(json.dumps(rows, sort_keys=True))
`;

/** SEARCH's four lines. */
function search(ws: string): {
  rows: [string, string, string | null, string][];
  reads: string[];
  listed: boolean;
  whole: string;
  stderr: string;
} {
  const out = py(ws, SEARCH);
  const lines = out.stdout.trim().split('\n');
  return {
    rows: JSON.parse(lines[0]),
    reads: JSON.parse(lines[1]),
    listed: JSON.parse(lines[2]),
    whole: lines[3],
    stderr: out.stderr,
  };
}

/** A store of 30 ended runs, indexed by the CLI's store code. */
function indexedStore(): { ws: string; store: Store; ids: string[] } {
  const ws = fs.realpathSync(tempDir('runlens-pyindex-'));
  py(
    ws,
    `import runlens
for i in range(30):
    with runlens.init(experiment="sweep", name="r%d" % i, params={"opt": "adam" if i % 2 else "sgd", "i": i}, store=".runlens") as run:
        run.log({"acc": i / 30}, step=0)
`,
  );
  const store = Store.open(path.join(ws, '.runlens'));
  const ids = store.listRuns().entries.map((e) => e.id);
  assert.equal(ids.length, 30);
  assert.ok(fs.existsSync(path.join(store.dir, 'index.json')));
  return { ws, store, ids };
}

function cliIds(ws: string): string[] {
  const r = cli(['ls', '--json', '-w', FILTER, '--sort', ORDER], { cwd: ws });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { id: string }[]).map((e) => e.id);
}

describe('Python search_runs over the index', () => {
  for (const listing of [false, true])
    test(`reads the index${listing ? ' from index.listing' : ''}, and run folders only for runs the index does not hold current`, async () => {
      const { ws, store, ids } = indexedStore();
      if (listing) cliIds(ws); // runlens ls writes index.listing
      assert.equal(fs.existsSync(path.join(store.dir, 'index.listing')), listing);
      const byName = new Map(store.listRuns().entries.map((e) => [e.name, e.id]));
      // A change recorded through the store: run.json and a journal line, read from the journal.
      await store.updateRun(byName.get('r29')!, (r) => {
        r.tags.stage = 'prod';
      });
      // run.json edited behind the index's back: its mtime no longer matches, so it is read again.
      const edited = byName.get('r27')!;
      const file = path.join(store.runDir(edited), 'run.json');
      const rec = JSON.parse(fs.readFileSync(file, 'utf8'));
      rec.name = 'edited';
      fs.writeFileSync(file, JSON.stringify(rec, null, 2));
      // A run the index has never seen, still running, and a run folder gone since indexing.
      const fresh = store.createRun({ experiment: 'sweep', name: 'fresh', params: { opt: 'adam' } });
      fs.appendFileSync(store.metricsFile(fresh.id), '{"key":"acc","value":2,"step":0,"time":1}\n');
      fs.rmSync(store.runDir(byName.get('r25')!), { recursive: true });

      const out = search(ws);
      assert.equal(out.stderr, '', 'no warning: the index is there');
      assert.equal(out.listed, listing, 'index.listing read when runlens ls had written it');
      assert.deepEqual(
        out.reads,
        [edited, fresh.id].sort(),
        'only the edited and the unindexed run.json are read',
      );
      const got = out.rows;
      assert.deepEqual(got[0], [fresh.id, 'fresh', null, 'running']);
      assert.deepEqual(got[1], [byName.get('r29'), 'r29', 'prod', 'finished'], 'the journal entry wins');
      assert.deepEqual(got[2], [edited, 'edited', null, 'finished']);
      assert.ok(!got.some(([id]) => id === byName.get('r25')), 'a vanished folder is not listed');
      assert.equal(ids.length, 30);
      // The same runs in the same order as the CLI.
      assert.deepEqual(
        got.map(([id]) => id),
        cliIds(ws),
      );
    });

  for (const [what, damage, warning] of [
    ['missing', (f: string) => fs.rmSync(f), /index\.json is missing; reading every run's run\.json instead/],
    [
      'unreadable',
      (f: string) => fs.writeFileSync(f, '{"schemaVersion": 1, "ru'),
      /index\.json is unreadable/,
    ],
  ] as const) {
    test(`an index that is ${what}: every run.json is read, with a warning, and the answer is the same`, () => {
      const { ws, store } = indexedStore();
      const before = py(ws, SEARCH).stdout.trim().split('\n')[0];
      damage(path.join(store.dir, 'index.json'));
      const out = py(ws, SEARCH);
      assert.match(out.stderr, warning);
      assert.ok(out.stderr.includes(path.join(store.dir, 'index.json')), out.stderr);
      const [rows, reads] = out.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(reads.length, 30);
      assert.deepEqual(rows, JSON.parse(before));
      assert.deepEqual(
        (rows as string[][]).map(([id]) => id),
        cliIds(ws),
      );
    });
  }

  test('a malformed index entry is skipped with a warning and its run read from its folder', () => {
    const { ws, store, ids } = indexedStore();
    const file = path.join(store.dir, 'index.json');
    const data = JSON.parse(fs.readFileSync(file, 'utf8'));
    data.runs[ids[3]].status = 42;
    fs.writeFileSync(file, JSON.stringify(data));
    const out = py(ws, SEARCH);
    assert.match(out.stderr, /1 malformed index entries skipped/);
    const [rows, reads] = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(reads, [ids[3]]);
    assert.deepEqual(
      (rows as string[][]).map(([id]) => id),
      cliIds(ws),
    );
  });

  test('index.listing gives the rows index.json gives, exactly; a damaged listing or one made from another index.json is not read', () => {
    const ws = fs.realpathSync(tempDir('runlens-pylisting-'));
    // names and values of every kind a listing encodes: text past latin1 (CJK, an emoji), NaN and
    // infinite params, whole and fractional metrics, a metric logged as NaN, tags, a null script
    py(
      ws,
      `import math, runlens
for i in range(12):
    params = {"opt": "adam" if i % 2 else "sgd", "i": i, "lr": 10 ** -i, "x": [math.nan, math.inf, -math.inf, 1.5][i % 4]}
    with runlens.init(experiment="sweep" if i % 3 else "другой", name=["r%d" % i, "学習 %d" % i, "run 🙂 %d" % i][i % 3], params=params, tags={"k": "v%d" % (i % 2)}, store=".runlens") as run:
        run.log({"acc": i / 12, "whole": i, "nan": math.nan if i == 5 else i, "big": 2.0 ** 60 + i * 1024}, step=i)
        run.log({"acc": (i + 1) / 12}, step=i + 1)
`,
    );
    assert.equal(cli(['ls', '--json'], { cwd: ws }).status, 0, 'runlens ls writes index.listing');
    const dir = path.join(ws, '.runlens');
    const listingFile = path.join(dir, 'index.listing');
    const fromListing = search(ws);
    assert.equal(fromListing.stderr, '');
    assert.ok(fromListing.listed, 'index.listing read');
    assert.deepEqual(fromListing.reads, [], 'no run folder read');
    assert.ok(fromListing.rows.length >= 3, `${fromListing.rows.length} rows`);
    const bytes = fs.readFileSync(listingFile);
    fs.rmSync(listingFile);
    const fromIndex = search(ws);
    assert.equal(fromIndex.listed, false);
    assert.equal(fromListing.whole, fromIndex.whole, 'the same rows, values and types from either');
    // A flipped byte in a column (past the header): the CRC-32 tells, index.json is read instead.
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 20] ^= 0xff;
    fs.writeFileSync(listingFile, damaged);
    const fromDamaged = search(ws);
    assert.equal(fromDamaged.listed, false, 'a damaged listing is not read');
    assert.equal(fromDamaged.whole, fromIndex.whole);
    // The listing whole again, but index.json rewritten since it was made: index.json is read.
    fs.writeFileSync(listingFile, bytes);
    assert.ok(search(ws).listed, 'the same bytes are read again');
    const index = path.join(dir, 'index.json');
    const later = new Date(Date.now() + 5_000);
    fs.utimesSync(index, later, later);
    const fromRewritten = search(ws);
    assert.equal(fromRewritten.listed, false, 'a listing made from another index.json is not read');
    assert.equal(fromRewritten.whole, fromIndex.whole);
    // And the CLI agrees on the ids and order.
    assert.deepEqual(
      fromListing.rows.map(([id]) => id),
      cliIds(ws),
    );
    fs.utimesSync(index, new Date(), new Date());
    cli(['ls'], { cwd: ws }); // a listing made from this index.json again
    assert.ok(search(ws).listed);
    // Whole values past 2**53 are compared and written as JavaScript does (doubles; String() gives
    // their shortest digits): the same runs from the listing, from index.json and from the CLI.
    const filters = [
      "metrics.big ~ '6847000'",
      "metrics.big LIKE '%847000'",
      'metrics.big = 1152921504606847000',
      'metrics.big = 1152921504606846976',
      'metrics.big >= 1152921504606847000',
      'metrics.big > 1152921504606847000',
      'metrics.whole = 3',
    ];
    const pyIds = (): string[][] => {
      const out = py(
        ws,
        `import json, runlens
print(json.dumps([[r["run_id"] for r in runlens.search_runs(f, output_format="list")] for f in ${JSON.stringify(filters)}]))
`,
      );
      return JSON.parse(out.stdout) as string[][];
    };
    const listed = pyIds();
    const cliFound = filters.map((f) => {
      const r = cli(['ls', '--json', '-w', f], { cwd: ws });
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout) as { id: string }[]).map((e) => e.id);
    });
    assert.deepEqual(listed, cliFound, 'the listing: the runs the CLI finds');
    assert.ok(
      cliFound.every((ids) => ids.length > 0),
      cliFound.map((ids) => ids.length).join(','),
    );
    fs.rmSync(listingFile);
    assert.deepEqual(pyIds(), cliFound, 'index.json: the runs the CLI finds');
    // A journal line with a key no index entry has ("parent") is read as an index entry.
    const entry = JSON.parse(fs.readFileSync(index, 'utf8')).runs[fromListing.rows[0][0]];
    fs.appendFileSync(
      path.join(dir, 'index.journal.jsonl'),
      JSON.stringify({ ...entry, parent: 'bogus', updatedAt: entry.updatedAt + 1 }) + '\n',
    );
    cli(['ls'], { cwd: ws });
    const withJournal = search(ws);
    assert.ok(withJournal.listed);
    const first = (JSON.parse(withJournal.whole.replace(/\bNaN\b/g, 'null')) as Record<string, unknown>[])[0];
    assert.equal(first.run_id, entry.id);
    assert.equal(first.parent_run_id, null, 'the parent is its tag, not a stray key');
  });
});
