// The Python client's search_runs reads the store's index (index.json + index.journal.jsonl), as
// the CLI does, instead of every run's run.json; it falls back to the run folders, with a
// warning, when the index is missing or unreadable. Real python3 processes over a real store.
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

/** search_runs with every run.json read counted: prints the ids found, then the runs read from their folders. */
const SEARCH = `import json, runlens
reads = []
real = runlens._read_run_file
def counting(run_dir):
    reads.append(run_dir.rstrip("/").split("/")[-1])
    return real(run_dir)
runlens._read_run_file = counting
rows = runlens.search_runs(${JSON.stringify(FILTER)}, order_by=${JSON.stringify(ORDER)}, output_format="list")
print(json.dumps([[r["run_id"], r["run_name"], r.get("tags.stage"), r["status"]] for r in rows]))
print(json.dumps(sorted(reads)))
`;

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
  test('reads the index, and run folders only for runs the index does not hold current', async () => {
    const { ws, store, ids } = indexedStore();
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

    const out = py(ws, SEARCH);
    assert.equal(out.stderr, '', 'no warning: the index is there');
    const [rows, reads] = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(reads, [edited, fresh.id].sort(), 'only the edited and the unindexed run.json are read');
    const got = rows as [string, string, string | null, string][];
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
});
