// The Python client's MLflow-shaped API (clients/python/runlens.py), run as real python3
// processes over a real store.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, test } from 'node:test';
import { Store } from '../../../src/core/store/store';
import { repoRoot, tempDir } from '../../helpers/tmp';

const PY_CLIENT = path.join(repoRoot, 'clients', 'python');
const clean = {
  RUNLENS_STORE: '',
  RUNLENS_RUN_DIR: '',
  RUNLENS_RUN_ID: '',
  RUNLENS_PARAMS: '',
  RUNLENS_EXPERIMENT: '',
};

function py(cwd: string, code: string, env: NodeJS.ProcessEnv = {}) {
  const file = path.join(cwd, `script-${Math.random().toString(36).slice(2)}.py`);
  fs.writeFileSync(file, code);
  const r = spawnSync('python3', [file], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...clean, PYTHONPATH: PY_CLIENT, PYTHONDONTWRITEBYTECODE: '1', ...env },
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('Python client', () => {
  test('init() reads the installed distributions once per process, not once per run', () => {
    const ws = tempDir();
    const out = py(
      ws,
      `import importlib.metadata as md
calls = [0]
real = md.distributions
def counting(*a, **k):
    calls[0] += 1
    return real(*a, **k)
md.distributions = counting
import runlens
for i in range(5):
    runlens.init(experiment="sweep", params={"i": i}, store=".runlens").finish()
print(calls[0])
`,
    );
    assert.equal(out.trim(), '1');
    const store = Store.open(path.join(ws, '.runlens'));
    const runs = store.listRuns().entries;
    assert.equal(runs.length, 5);
    for (const e of runs) {
      const pkgs = store.getRun(e.id).environment.pythonPackages;
      assert.ok(pkgs && typeof pkgs === 'object', 'every run still records the packages');
    }
  });

  test('search_runs, get_run and get_metric_history read the store the CLI reads, in the same order', () => {
    const ws = tempDir();
    py(
      ws,
      `import runlens
for i in range(8):
    with runlens.init(experiment="sweep" if i < 6 else "other", params={"opt": "adam" if i % 2 else "sgd", "i": i}, tags={"team": "cv" if i % 3 == 0 else "nlp"}, store=".runlens") as run:
        for step in range(3):
            run.log({"acc": i / 10 + step / 100}, step=step * 10)
`,
    );
    const out = py(
      ws,
      `import json, runlens
rows = runlens.search_runs("metrics.acc > 0.3 and params.opt = 'adam'", order_by=["metrics.acc DESC"], experiment="sweep", output_format="list")
print(json.dumps([[r["params.i"], r["metrics.acc"], r["tags.team"]] for r in rows]))
page = runlens.search_runs("", order_by="params.i", max_results=3, offset=2, output_format="list")
print(json.dumps([r["params.i"] for r in page]))
run = runlens.get_run(rows[0]["run_id"])
print(json.dumps([run["params"]["i"], run["summary"]["acc"]["last"], run["status"]]))
print(json.dumps(runlens.get_metric_history(rows[0]["run_id"], "acc")))
for bad in ["metrics.acc>0.5abc", "params.opt = 'adam"]:
    try:
        runlens.search_runs(bad)
    except runlens.QueryError as e:
        print(e.position)
try:
    runlens.search_runs("", order_by="-metrics.accc")
except ValueError as e:
    print(e)
`,
    );
    const [rows, page, run, history, pos1, pos2, sortErr] = out.trim().split('\n');
    assert.deepEqual(JSON.parse(rows), [
      [5, 0.52, 'nlp'],
      [3, 0.32, 'cv'],
    ]);
    assert.deepEqual(JSON.parse(page), [2, 3, 4]);
    assert.deepEqual(JSON.parse(run), [5, 0.52, 'finished']);
    const h = JSON.parse(history) as { key: string; value: number; step: number; timestamp: number }[];
    assert.deepEqual(
      h.map((p) => [p.key, p.value, p.step]),
      [
        ['acc', 0.5, 0],
        ['acc', 0.51, 10],
        ['acc', 0.52, 20],
      ],
    );
    assert.ok(h.every((p) => Number.isInteger(p.timestamp)));
    assert.equal(pos1, '15');
    assert.equal(pos2, '13');
    assert.match(sortErr, /cannot sort by "metrics.accc": no run has it; close names: metrics.acc/);
    // The CLI lists the same runs in the same order.
    const store = Store.open(path.join(ws, '.runlens'));
    assert.equal(store.listRuns().entries.length, 8);
  });

  test('search_runs returns a pandas DataFrame when pandas is importable', () => {
    const ws = tempDir();
    fs.mkdirSync(path.join(ws, 'fakepandas', 'pandas'), { recursive: true });
    // A stand-in module named pandas that records what it was given (pandas itself may be absent here).
    fs.writeFileSync(
      path.join(ws, 'fakepandas', 'pandas', '__init__.py'),
      'class DataFrame(object):\n    def __init__(self, rows):\n        self.rows = rows\n',
    );
    py(ws, 'import runlens\nrunlens.init(store=".runlens", params={"a": 1}).finish()\n');
    const out = py(
      ws,
      'import sys\nsys.path.insert(0, "fakepandas")\nimport runlens\ndf = runlens.search_runs()\nprint(type(df).__name__, df.rows[0]["params.a"])\nprint(type(runlens.search_runs(output_format="list")).__name__)\n',
    );
    assert.equal(out.trim(), 'DataFrame 1\nlist');
  });

  test('an MLflow script runs unchanged but for its import line: nested runs, explicit steps, log_dict', () => {
    const ws = tempDir();
    fs.copyFileSync(
      path.join(repoRoot, 'test', 'fixtures', 'python', 'mlflow_style.py'),
      path.join(ws, 'train.py'),
    );
    const r = spawnSync('python3', ['train.py'], {
      cwd: ws,
      encoding: 'utf8',
      env: { ...process.env, ...clean, PYTHONPATH: PY_CLIENT, PYTHONDONTWRITEBYTECODE: '1' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "2 ['fold-2', 'fold-1']\n[(0, 1.0), (10, 0.0909), (20, 0.0476)]\n");
    const store = Store.open(path.join(ws, '.runlens'));
    const runs = store.listRuns().entries;
    const parent = runs.find((e) => e.name === 'parent')!;
    assert.deepEqual(parent.params, { lr: 0.1, opt: 'adam', epochs: 3 });
    assert.equal(parent.tags.team, 'cv');
    assert.equal(parent.status, 'finished');
    assert.equal(parent.experiment, 'habits');
    assert.deepEqual(Object.keys(parent.metrics).sort(), ['acc', 'f1', 'final', 'loss']);
    assert.equal(parent.metrics.loss.lastStep, 20);
    const dir = store.runDir(parent.id);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'artifacts', 'config.json'), 'utf8')), {
      layers: [64, 32],
      dropout: 0.1,
    });
    assert.equal(fs.readFileSync(path.join(dir, 'artifacts', 'notes', 'readme.txt'), 'utf8'), 'hello');
    const children = runs.filter((e) => e.tags['runlens.parentRun'] === parent.id).map((e) => e.name);
    assert.deepEqual(children.sort(), ['fold-0', 'fold-1', 'fold-2']);
    const fold1 = runs.find((e) => e.name === 'fold-1')!;
    assert.equal(fold1.experiment, 'habits');
    assert.equal(fold1.status, 'finished');
    assert.deepEqual(
      fs
        .readFileSync(store.metricsFile(fold1.id), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => JSON.parse(l) as unknown),
      [{ key: 'acc', value: 0.81, step: 1, time: 1700000000001 }],
    );
  });

  test('params cannot change once logged; a run is reopened by id; images and figures become artifacts', () => {
    const ws = tempDir();
    const out = py(
      ws,
      `import runlens
run = runlens.init(store=".runlens", params={"lr": 0.1})
runlens.log_param("lr", 0.1)
try:
    runlens.log_param("lr", 0.2)
except ValueError as e:
    print(e)
runlens.log_metric("loss", 1.0, step=0)
runlens.log_metric("loss", 0.5, step=1)
runlens.log_image([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]]], "img/rgb.png")
runlens.log_image([[0.0, 0.5], [1.0, 0.25]], "gray.png")
class Figure(object):  # what log_figure uses of a matplotlib figure: savefig(path)
    def savefig(self, path):
        open(path, "w").write("<svg/>")
runlens.log_figure(Figure(), "plots/curve.svg")
try:
    runlens.log_image([[1.5]], "bad.png")
except ValueError as e:
    print(e)
runlens.finish()
again = runlens.init(run_id=run.id, store=".runlens")
runlens.log({"loss": 0.25})
print(again.id == run.id)
runlens.finish()
`,
    );
    const lines = out.trim().split('\n');
    assert.match(
      lines[0],
      /param 'lr' of run \w+ is already 0\.1, cannot log 0\.2: a param cannot change once logged/,
    );
    assert.match(lines[1], /float pixels must lie in \[0, 1\]/);
    assert.equal(lines[2], 'True');
    const store = Store.open(path.join(ws, '.runlens'));
    const [e] = store.listRuns().entries;
    assert.equal(e.params.lr, 0.1);
    assert.equal(e.status, 'finished');
    assert.deepEqual([e.metrics.loss.last, e.metrics.loss.lastStep, e.metrics.loss.count], [0.25, 2, 3]);
    const dir = path.join(store.runDir(e.id), 'artifacts');
    assert.equal(fs.readFileSync(path.join(dir, 'plots', 'curve.svg'), 'utf8'), '<svg/>');
    // The PNGs decode (Node's zlib) to the pixels given.
    const decode = (file: string) => {
      const b = fs.readFileSync(file);
      assert.equal(b.subarray(0, 8).toString('hex'), '89504e470d0a1a0a');
      const width = b.readUInt32BE(16);
      const height = b.readUInt32BE(20);
      const idatLen = b.readUInt32BE(33);
      const raw = zlib.inflateSync(b.subarray(41, 41 + idatLen));
      return { width, height, color: b[25], raw: [...raw] };
    };
    assert.deepEqual(decode(path.join(dir, 'img', 'rgb.png')), {
      width: 2,
      height: 2,
      color: 2,
      raw: [0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255],
    });
    assert.deepEqual(decode(path.join(dir, 'gray.png')), {
      width: 2,
      height: 2,
      color: 0,
      raw: [0, 0, 128, 0, 255, 64],
    });
  });
});
