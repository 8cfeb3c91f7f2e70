// The Python logging client (clients/python/runlens.py), run as real `python3` processes; the store
// they write is read back with the project's own store code.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { RUN_ID_PATTERN } from '../../../src/core/store/ids';
import { foldSummary, readSeries, scanMetrics } from '../../../src/core/store/metrics';
import { readRunFile, updateRunFile } from '../../../src/core/store/runFile';
import { Store, findStoreDir } from '../../../src/core/store/store';
import type { MetricPoint, MetricSummary, RunRecord } from '../../../src/core/store/types';
import { tempDir, waitFor } from '../../helpers/tmp';

const CLIENT_DIR = path.resolve(__dirname, '..', '..', '..', 'clients', 'python');
const PYTHON = 'python3';

/** The environment of a script started alone: no Runlens variables inherited from this process. */
function pyEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PYTHONPATH: CLIENT_DIR,
    PYTHONDONTWRITEBYTECODE: '1', // no __pycache__ in clients/python
    PYTHONUNBUFFERED: '1',
    RUNLENS_STORE: '',
    RUNLENS_RUN_DIR: '',
    RUNLENS_RUN_ID: '',
    RUNLENS_PARAMS: '',
    RUNLENS_EXPERIMENT: '',
    ...extra,
  };
}

/** Write a Python script; the common indentation of the template is removed. */
function script(dir: string, name: string, code: string): string {
  const lines = code.replace(/^\n/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.map((l) => l.slice(indent)).join('\n') + '\n');
  return file;
}

function runPy(cwd: string, args: string[], env: NodeJS.ProcessEnv = pyEnv()) {
  const r = spawnSync(PYTHON, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return r;
}

function startPy(cwd: string, args: string[], env: NodeJS.ProcessEnv = pyEnv()) {
  const child: ChildProcess = spawn(PYTHON, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, done, out: () => out, err: () => err };
}

function assertOk(r: { status: number | null; stdout: string; stderr: string }): void {
  assert.equal(r.status, 0, `python failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

function newWorkspace(): { ws: string; store: Store } {
  const ws = fs.realpathSync(tempDir('runlens-py-'));
  return { ws, store: Store.open(path.join(ws, '.runlens'), { create: true }) };
}

function points(file: string): MetricPoint[] {
  const out: MetricPoint[] = [];
  const scan = scanMetrics(file, (p) => out.push(p));
  assert.deepEqual(scan.warnings, [], 'every metric line parses');
  assert.equal(scan.partialTail, false, 'no torn last line');
  return out;
}

function onlyRun(store: Store): RunRecord {
  const { entries } = store.listRuns();
  assert.equal(entries.length, 1, `one run in the store, found ${entries.length}`);
  return readRunFile(store.runDir(entries[0].id));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const pythonVersion = spawnSync(PYTHON, ['-c', 'import platform; print(platform.python_version())'], {
  encoding: 'utf8',
}).stdout.trim();

test('creates a run in the nearest .runlens above the working directory', { timeout: 60_000 }, () => {
  const { ws, store } = newWorkspace();
  script(
    ws,
    'src/train.py',
    `
    import runlens
    run = runlens.init()
    runlens.log({"loss": 0.5, "acc": 0.1})
    runlens.log({"loss": 0.25, "acc": 0.2})
    print(run.id)
    `,
  );
  const cwd = path.join(ws, 'src', 'deep');
  fs.mkdirSync(cwd, { recursive: true });
  const r = runPy(cwd, ['../train.py']);
  assertOk(r);
  assert.ok(!fs.existsSync(path.join(cwd, '.runlens')), 'no store made in the working directory');
  assert.ok(!fs.existsSync(path.join(ws, 'src', '.runlens')));

  const run = onlyRun(store);
  assert.equal(run.id, r.stdout.trim());
  assert.match(run.id, RUN_ID_PATTERN);
  assert.ok(Math.abs(Number(timeOfId(run.id)) - run.startTime) < 60_000, 'the id encodes the creation time');
  assert.equal(run.status, 'finished');
  assert.equal(run.exitCode, 0);
  assert.equal(run.experiment, 'default');
  assert.equal(run.script, 'src/train.py');
  assert.equal(run.name, `train-${run.id.slice(-4)}`);
  assert.equal(run.cwd, cwd);
  assert.equal(run.host, os.hostname());
  assert.equal(typeof run.pid, 'number');
  assert.ok(run.endTime !== null && run.endTime >= run.startTime);
  assert.ok(Array.isArray(run.command) && run.command.some((a) => a.endsWith('train.py')));
  assert.equal(run.environment.python, pythonVersion);
  assert.equal(typeof run.environment.os, 'string');
  assert.equal(run.environment.arch, os.arch());
  assert.equal(typeof run.environment.pythonPackages, 'object');
  assert.deepEqual(run.summary?.loss, {
    last: 0.25,
    lastStep: 1,
    min: 0.25,
    max: 0.5,
    minStep: 1,
    maxStep: 0,
    count: 2,
    lastTime: run.summary?.loss.lastTime,
  });
  assert.deepEqual(readSeries(store.metricsFile(run.id), 'acc').series.values, [0.1, 0.2]);
  assert.deepEqual(readSeries(store.metricsFile(run.id), 'acc').series.steps, [0, 1]);

  const lines = fs.readFileSync(store.metricsFile(run.id), 'utf8').split('\n');
  assert.equal(lines[0], '{"schema":"runlens.metrics","schemaVersion":1}');
  assert.match(lines[1], /^\{"key":"loss","value":0\.5,"step":0,"time":\d{13}\}$/);
  const client = JSON.parse(fs.readFileSync(path.join(store.runDir(run.id), 'client.json'), 'utf8'));
  assert.equal(client.language, 'python');
  assert.equal(typeof client.version, 'string');
  assert.equal(typeof client.pid, 'number');
  assert.ok(fs.statSync(path.join(store.runDir(run.id), 'artifacts')).isDirectory());
  assert.deepEqual(
    fs.readdirSync(store.runsDir).filter((n) => n.startsWith('.')),
    [],
    'no temporary folder left',
  );
});

function timeOfId(id: string): number {
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  return [...id.slice(0, 10)].reduce((t, c) => t * 32 + alphabet.indexOf(c), 0);
}

test('creates ./.runlens when there is none, and honours $RUNLENS_STORE', { timeout: 60_000 }, () => {
  const ws = fs.realpathSync(tempDir('runlens-py-'));
  script(ws, 'fit.py', 'import runlens\nrunlens.init(experiment="e1")\nrunlens.log({"x": 1})\n');
  if (findStoreDir(ws, {}) === undefined) {
    const before = Date.now();
    assertOk(runPy(ws, ['fit.py']));
    const meta = JSON.parse(fs.readFileSync(path.join(ws, '.runlens', 'store.json'), 'utf8'));
    assert.equal(meta.schema, 'runlens.store');
    assert.equal(meta.schemaVersion, 1);
    assert.ok(meta.createdAt >= before - 1000 && meta.createdAt <= Date.now());
    const run = onlyRun(Store.open(path.join(ws, '.runlens')));
    assert.equal(run.experiment, 'e1');
    assert.equal(run.script, 'fit.py');
  }
  const other = path.join(fs.realpathSync(tempDir('runlens-py-')), 'elsewhere', '.runlens');
  assertOk(runPy(ws, ['fit.py'], pyEnv({ RUNLENS_STORE: other, RUNLENS_EXPERIMENT: 'from-env' })));
  const run = onlyRun(Store.open(other));
  assert.equal(run.experiment, 'e1', 'the experiment argument wins over $RUNLENS_EXPERIMENT');
  assert.equal(run.script, path.join(ws, 'fit.py'), 'a script outside the workspace keeps its absolute path');
});

test('records params, tags, inputs and artifacts', { timeout: 60_000 }, () => {
  const { ws, store } = newWorkspace();
  fs.mkdirSync(path.join(ws, 'data'));
  const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 256));
  fs.writeFileSync(path.join(ws, 'data', 'train.bin'), data);
  fs.writeFileSync(path.join(ws, 'model.bin'), 'weights\n');
  script(
    ws,
    'train.py',
    `
    import runlens
    class Odd:
        def __str__(self):
            return "odd!"
    run = runlens.init(
        experiment="exp1",
        name="my-run",
        params={"lr": 0.01, "layers": [64, 32], "none": None, "flag": True, "epochs": 3, "obj": Odd()},
        tags={"team": "vision", "n": 5},
    )
    runlens.log_params({"extra": 5})
    runlens.log_param("optimizer", "adam")
    runlens.set_tags({"stage": "dev"})
    print(runlens.log_input("data/train.bin")["sha256"])
    runlens.log_input("data/train.bin")  # logged twice: recorded once
    print(runlens.log_artifact("model.bin"))
    print(runlens.log_artifact("model.bin", name="best/model.bin"))
    print(sorted(run.params.items()) == sorted({"lr": 0.01, "layers": "[64, 32]", "none": None, "flag": True,
        "epochs": 3, "obj": "odd!", "extra": 5, "optimizer": "adam"}.items()))
    runlens.finish()
    try:
        runlens.log({"x": 1})
    except RuntimeError as e:
        print(e)
    `,
  );
  const r = runPy(ws, ['train.py']);
  assertOk(r);
  const sha = createHash('sha256').update(data).digest('hex');
  const out = r.stdout.trim().split('\n');
  assert.equal(out[0], sha);
  assert.deepEqual(out.slice(1, 4), ['artifacts/model.bin', 'artifacts/best/model.bin', 'True']);
  assert.match(out[4], /call runlens\.init\(\) first/);

  const run = onlyRun(store);
  assert.equal(run.experiment, 'exp1');
  assert.equal(run.name, 'my-run');
  assert.equal(run.status, 'finished');
  assert.deepEqual(run.params, {
    lr: 0.01,
    layers: '[64, 32]',
    none: null,
    flag: true,
    epochs: 3,
    obj: 'odd!',
    extra: 5,
    optimizer: 'adam',
  });
  assert.deepEqual(run.tags, { team: 'vision', n: '5', stage: 'dev' });
  assert.deepEqual(run.inputs, [{ path: 'data/train.bin', size: data.length, sha256: sha }]);
  const artifacts = path.join(store.runDir(run.id), 'artifacts');
  assert.equal(fs.readFileSync(path.join(artifacts, 'model.bin'), 'utf8'), 'weights\n');
  assert.equal(fs.readFileSync(path.join(artifacts, 'best', 'model.bin'), 'utf8'), 'weights\n');
  assert.ok(!fs.existsSync(path.join(store.runDir(run.id), 'run.json.lock')), 'the lock is released');
  const entry = store.listRuns().entries[0];
  assert.deepEqual(entry.params, run.params, 'the index sees the params');
});

test('keeps NaN and infinities, and folds the summary as foldSummary does', { timeout: 60_000 }, () => {
  const { ws, store } = newWorkspace();
  script(
    ws,
    'train.py',
    `
    import math, runlens
    class Scalar:  # like numpy.float32: not a float, but has __float__
        def __init__(self, v):
            self.v = v
        def __float__(self):
            return float(self.v)
    class Index:  # like numpy.int64
        def __index__(self):
            return 7
    runlens.init()
    runlens.log({"x": math.nan, "y": 2.0, "z": math.nan})
    runlens.log({"x": math.inf, "y": math.nan, "z": math.nan})
    runlens.log({"x": -math.inf, "y": 1.0, "z": math.nan, "i": Index()})
    runlens.log({"x": Scalar(1.5), "y": True, "z": float("nan")}, step=10)
    runlens.log({"x": 2.5}, step=5)
    `,
  );
  assertOk(runPy(ws, ['train.py']));
  const run = onlyRun(store);
  const file = store.metricsFile(run.id);
  const x = readSeries(file, 'x').series;
  assert.deepEqual(x.values, [NaN, Infinity, -Infinity, 1.5, 2.5]);
  assert.deepEqual(x.steps, [0, 1, 2, 10, 5], 'an explicit step does not move the automatic counter');
  assert.deepEqual(readSeries(file, 'y').series.values, [2, NaN, 1, 1]);
  assert.deepEqual(readSeries(file, 'i').series.values, [7]);
  const text = fs.readFileSync(file, 'utf8');
  for (const v of ['"NaN"', '"Infinity"', '"-Infinity"']) assert.ok(text.includes(`"value":${v}`));

  // The summary written by Python is what foldSummary makes of the same points (run.json keeps
  // non-finite numbers as the strings metrics.jsonl uses; readers decode them).
  const expected: Record<string, MetricSummary> = {};
  for (const p of points(file)) foldSummary(expected, p);
  assert.deepEqual(run.summary, expected);
  const raw = JSON.parse(fs.readFileSync(path.join(store.runDir(run.id), 'run.json'), 'utf8'));
  assert.deepEqual([raw.summary.z.min, raw.summary.x.max], ['NaN', 'Infinity']);
  assert.deepEqual([run.summary?.y.min, run.summary?.y.max], [1, 2], 'NaN never becomes min or max');
  assert.deepEqual([run.summary?.z.min, run.summary?.z.max], [NaN, NaN], 'unless all points are NaN');
  assert.deepEqual([run.summary?.x.last, run.summary?.x.lastStep], [1.5, 10]);
});

test('refuses a string metric, naming the key, and the run fails', { timeout: 60_000 }, () => {
  const { ws, store } = newWorkspace();
  script(
    ws,
    'train.py',
    `
    import runlens
    runlens.init()
    runlens.log({"loss": 0.5})
    for bad in (None, [1], {"a": 1}):
        try:
            runlens.log({"v": bad})
        except TypeError as e:
            print(e)
    try:
        runlens.log({"ok": 1, "bad": b"x"})
    except TypeError as e:
        print(e)
    runlens.log({"acc": "high"})
    print("not reached")
    `,
  );
  const r = runPy(ws, ['train.py']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /TypeError: metric "acc" must be a number, got the string 'high'/);
  assert.doesNotMatch(r.stdout, /not reached/);
  assert.match(r.stdout, /metric "v" must be a number, got None/);
  assert.match(r.stdout, /metric "v" must be a number, got a list/);
  assert.match(r.stdout, /metric "v" must be a number, got a dict/);
  assert.match(r.stdout, /metric "bad" must be a number, got bytes/);
  const run = onlyRun(store);
  assert.equal(run.status, 'failed');
  assert.equal(run.exitCode, 1);
  const keys = points(store.metricsFile(run.id)).map((p) => p.key);
  assert.deepEqual(keys, ['loss'], 'a refused log() writes none of its points');

  // Without init(), nothing is created and the error says what to do.
  const bare = fs.realpathSync(tempDir('runlens-py-'));
  script(bare, 'bare.py', 'import runlens\nrunlens.log({"a": 1})\n');
  const r2 = runPy(bare, ['bare.py'], pyEnv({ RUNLENS_STORE: path.join(bare, '.runlens') }));
  assert.equal(r2.status, 1);
  assert.match(r2.stderr, /RuntimeError: .*call runlens\.init\(\) first/);
  assert.ok(!fs.existsSync(path.join(bare, '.runlens')));
});

test(
  'as a context manager: finished, or failed on an exception; sys.exit codes count',
  { timeout: 60_000 },
  () => {
    const { ws, store } = newWorkspace();
    script(
      ws,
      'train.py',
      `
    import runlens
    with runlens.init(name="ok") as run:
        run.log({"a": 1})
    try:
        with runlens.init(name="caught") as run:
            run.log({"a": 2})
            raise ValueError("boom")
    except ValueError:
        pass
    with runlens.init(name="uncaught") as run:
        raise RuntimeError("uncaught boom")
    `,
    );
    const r = runPy(ws, ['train.py']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /RuntimeError: uncaught boom/);
    script(
      ws,
      'exit3.py',
      'import runlens, sys\nrunlens.init(name="exit3")\nrunlens.log({"a": 1})\nsys.exit(3)\n',
    );
    assert.equal(runPy(ws, ['exit3.py']).status, 3);
    script(ws, 'raise.py', 'import runlens\nrunlens.init(name="raised")\nraise KeyError("k")\n');
    assert.equal(runPy(ws, ['raise.py']).status, 1);

    const byName = new Map(store.listRuns().entries.map((e) => [e.name, readRunFile(store.runDir(e.id))]));
    const got = Object.fromEntries([...byName].map(([n, run]) => [n, [run.status, run.exitCode]]));
    assert.deepEqual(got, {
      ok: ['finished', 0],
      caught: ['failed', 1],
      uncaught: ['failed', 1],
      exit3: ['failed', 3],
      raised: ['failed', 1],
    });
    assert.deepEqual(byName.get('ok')?.summary?.a.last, 1);
  },
);

test('attaches to a run launched by Runlens: merges params, leaves the status', { timeout: 60_000 }, () => {
  const { ws, store } = newWorkspace();
  const launched = store.createRun({
    experiment: 'launched-exp',
    params: { lr: 0.5, epochs: 3 },
    tags: { launcher: 'yes' },
    command: ['python3', 'train.py'],
    script: 'train.py',
  });
  const runDir = store.runDir(launched.id);
  const launchEnv = (run: RunRecord, extra: NodeJS.ProcessEnv = {}) =>
    pyEnv({
      RUNLENS_RUN_DIR: store.runDir(run.id),
      RUNLENS_RUN_ID: run.id,
      RUNLENS_STORE: store.dir,
      RUNLENS_PARAMS: JSON.stringify(run.params),
      ...extra,
    });
  script(
    ws,
    'train.py',
    `
    import json, runlens
    run = runlens.init(experiment="mine", name="attached-name", params={"lr": 0.1, "batch": 32},
                       tags={"client": "py"})
    print(json.dumps({"id": run.id, "params": run.params, "attached": run.attached}))
    run.log({"loss": 0.5})
    run.log({"loss": 0.4})
    runlens.finish()
    `,
  );
  const r = runPy(ws, ['train.py'], launchEnv(launched));
  assertOk(r);
  const printed = JSON.parse(r.stdout);
  assert.equal(printed.id, launched.id);
  assert.equal(printed.attached, true);
  assert.deepEqual(printed.params, { lr: 0.5, batch: 32, epochs: 3 }, 'values given to the launcher win');

  const run = readRunFile(runDir);
  assert.equal(run.status, 'running', 'the launcher owns the status');
  assert.equal(run.endTime, null);
  assert.equal(run.exitCode, null);
  assert.equal(run.pid, process.pid);
  assert.equal(run.summary, null);
  assert.deepEqual(run.params, { lr: 0.5, epochs: 3, batch: 32 });
  assert.deepEqual(run.tags, { launcher: 'yes', client: 'py' });
  assert.equal(run.name, 'attached-name');
  assert.equal(run.experiment, 'mine', 'no -e given to the launcher: the script names the experiment');
  assert.equal(run.environment.node, process.version, 'the launcher’s environment is kept');
  assert.equal(run.environment.os, launched.environment.os);
  assert.equal(run.environment.python, pythonVersion);
  assert.equal(typeof run.environment.pythonPackages, 'object');
  assert.deepEqual(readSeries(store.metricsFile(run.id), 'loss').series.steps, [0, 1]);
  assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'client.json'), 'utf8')).language, 'python');
  assert.equal(store.listRuns().entries.length, 1, 'no other run was created');

  // finish(status="failed") inside a launched run is kept as a tag; -e given to the launcher wins.
  const second = store.createRun({ experiment: 'launched-exp', params: {} });
  script(
    ws,
    'fail.py',
    'import runlens\nrunlens.init(experiment="other")\nrunlens.finish(status="failed")\n',
  );
  assertOk(runPy(ws, ['fail.py'], launchEnv(second, { RUNLENS_EXPERIMENT: 'launched-exp' })));
  const failed = readRunFile(store.runDir(second.id));
  assert.equal(failed.status, 'running');
  assert.equal(failed.experiment, 'launched-exp');
  assert.equal(failed.tags['runlens.client_status'], 'failed');
});

test(
  'SIGTERM mid-training: killed, exit 143, every point logged before it is kept',
  { timeout: 60_000 },
  async () => {
    const { ws, store } = newWorkspace();
    script(
      ws,
      'train.py',
      `
    import time, runlens
    runlens.init()
    for i in range(1000000):
        runlens.log({"loss": 1.0 / (i + 1), "i": i})
        print(i, flush=True)
        time.sleep(0.002)
    `,
    );
    const py = startPy(ws, ['train.py']);
    await waitFor('200 steps', () => py.out().split('\n').length > 200, 30_000);
    py.child.kill('SIGTERM');
    const { code, signal } = await py.done;
    assert.equal(signal, null);
    assert.equal(code, 143, py.err());
    assert.equal(py.err(), '');
    const printed = py.out().trim().split('\n').map(Number);
    const lastPrinted = printed[printed.length - 1];

    const run = onlyRun(store);
    assert.equal(run.status, 'killed');
    assert.equal(run.exitCode, 143);
    assert.ok(run.endTime !== null);
    const steps = readSeries(store.metricsFile(run.id), 'i').series.values;
    assert.ok(steps.length >= lastPrinted + 1, `${steps.length} points, last printed step ${lastPrinted}`);
    assert.deepEqual(
      steps,
      steps.map((_, i) => i),
      'no point lost or repeated',
    );
    assert.equal(run.summary?.i.count, steps.length);
  },
);

test('5,000 points logged quickly then exit: all are written', { timeout: 60_000 }, () => {
  const { ws, store } = newWorkspace();
  script(
    ws,
    'train.py',
    `
    import runlens
    runlens.init()
    for i in range(5000):
        runlens.log({"loss": 1.0 / (i + 1)})
    `,
  );
  assertOk(runPy(ws, ['train.py']));
  const run = onlyRun(store);
  assert.equal(run.status, 'finished', 'atexit finishes a run left open');
  const { series } = readSeries(store.metricsFile(run.id), 'loss');
  assert.equal(series.steps.length, 5000);
  assert.deepEqual(
    series.steps,
    series.steps.map((_, i) => i),
  );
  assert.equal(run.summary?.loss.count, 5000);
  assert.equal(run.summary?.loss.min, 1 / 5000);
});

test('buffered points reach the disk within a second', { timeout: 60_000 }, async () => {
  const { ws, store } = newWorkspace();
  script(
    ws,
    'train.py',
    `
    import time, runlens
    run = runlens.init()
    print(run.id, flush=True)
    runlens.log({"x": 42})
    print("logged", flush=True)
    time.sleep(30)
    `,
  );
  const py = startPy(ws, ['train.py']);
  try {
    await waitFor('the point to be logged', () => py.out().includes('logged'), 30_000);
    const id = py.out().split('\n')[0].trim();
    const file = store.metricsFile(id);
    // The client flushes at least once a second; the script sleeps 30 s, so a point on disk while it
    // still runs shows the periodic flush without timing it (a loaded machine may be slow).
    await waitFor('the point in metrics.jsonl', () => points(file).length === 1, 20_000);
    assert.deepEqual(
      points(file).map((p) => [p.key, p.value, p.step]),
      [['x', 42, 0]],
    );
    assert.equal(py.child.exitCode, null, 'written while the script still runs');
  } finally {
    py.child.kill('SIGKILL');
    await py.done;
  }
});

test('two processes logging into one attached run: no lost or torn lines', { timeout: 90_000 }, async () => {
  const { ws, store } = newWorkspace();
  const run = store.createRun({ params: {} });
  const go = path.join(ws, 'go');
  script(
    ws,
    'worker.py',
    `
    import os, sys, time, runlens
    who = sys.argv[1]
    run = runlens.init(tags={"worker_" + who: "yes"})
    print("ready", flush=True)
    while not os.path.exists(${JSON.stringify(go)}):
        time.sleep(0.002)
    for step in range(2000):
        run.log({who + "_a": step, who + "_b": -step * 0.5, who + "_λ": step / 3, who + "_d": 1e-9 * step},
                step=step)
        if step % 3 == 0:
            run.flush()  # thousands of appends racing with the other process
    runlens.finish()
    `,
  );
  const env = pyEnv({ RUNLENS_RUN_DIR: store.runDir(run.id), RUNLENS_PARAMS: '{}' });
  const workers = ['p1', 'p2'].map((who) => startPy(ws, ['worker.py', who], env));
  await waitFor('both workers', () => workers.every((w) => w.out().includes('ready')), 30_000);
  fs.writeFileSync(go, '');
  for (const w of workers) {
    const { code } = await w.done;
    assert.equal(code, 0, w.err());
  }
  const all = points(store.metricsFile(run.id));
  assert.equal(all.length, 2 * 4 * 2000);
  const text = fs.readFileSync(store.metricsFile(run.id), 'utf8');
  assert.equal(text.split('\n').length, 2 * 4 * 2000 + 2, 'header, points, final newline');
  for (const who of ['p1', 'p2']) {
    for (const k of ['a', 'b', 'λ', 'd']) {
      const steps = all.filter((p) => p.key === `${who}_${k}`).map((p) => p.step);
      assert.deepEqual(
        steps,
        Array.from({ length: 2000 }, (_, i) => i),
        `${who}_${k}: every step once, in order`,
      );
    }
  }
  const after = readRunFile(store.runDir(run.id));
  assert.equal(after.status, 'running');
  assert.deepEqual(after.tags, { worker_p1: 'yes', worker_p2: 'yes' });
});

test(
  'a forked child logs into the run but never ends it; the summary covers its points',
  { timeout: 60_000, skip: process.platform === 'win32' },
  () => {
    const { ws, store } = newWorkspace();
    script(
      ws,
      'train.py',
      `
      import multiprocessing as mp, time, runlens
      run = runlens.init()
      run.log({"parent": 1.0})
      def child(stop, logged):
          runlens.log({"child": 2.0}, step=0)
          runlens.flush()  # multiprocessing children leave with os._exit, skipping the exit flush
          logged.set()
          if stop:
              time.sleep(30)
      ctx = mp.get_context("fork")
      for stop in (False, True):
          logged = ctx.Event()
          p = ctx.Process(target=child, args=(stop, logged))
          p.start()
          logged.wait(20)
          if stop:
              p.terminate()  # SIGTERM, as DataLoader does to its workers
          p.join()
          print(p.exitcode)
      run.log({"parent": 0.5})
      `,
    );
    const r = runPy(ws, ['train.py']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['0', '143']);
    const run = onlyRun(store);
    assert.equal(run.status, 'finished');
    assert.deepEqual(run.tags, {}, 'the child stopped by SIGTERM did not speak for the run');
    assert.equal(run.summary?.parent.count, 2);
    assert.equal(run.summary?.parent.min, 0.5);
    assert.equal(run.summary?.child.count, 2, 'the owner folds points other processes wrote');
    assert.equal(points(store.metricsFile(run.id)).length, 4);
  },
);

test(
  'run.json edits from Python and Node at the same time all land (the lock)',
  { timeout: 90_000 },
  async () => {
    const { ws, store } = newWorkspace();
    const run = store.createRun({ params: {} });
    const runDir = store.runDir(run.id);
    const go = path.join(ws, 'go');
    script(
      ws,
      'tags.py',
      `
    import os, time, runlens
    run = runlens.init()
    print("ready", flush=True)
    while not os.path.exists(${JSON.stringify(go)}):
        time.sleep(0.002)
    for i in range(50):
        run.set_tags({"py%d" % i: str(i)})
        run.log_params({"py%d" % i: i})
        time.sleep(0.001)
    `,
    );
    const py = startPy(ws, ['tags.py'], pyEnv({ RUNLENS_RUN_DIR: runDir }));
    await waitFor('python ready', () => py.out().includes('ready'), 30_000);
    fs.writeFileSync(go, '');
    for (let i = 0; i < 50; i++) {
      await updateRunFile(runDir, (r) => {
        r.tags[`node${i}`] = String(i);
      });
      await sleep(1);
    }
    const { code } = await py.done;
    assert.equal(code, 0, py.err());
    const after = readRunFile(runDir);
    const expectedTags: Record<string, string> = {};
    for (let i = 0; i < 50; i++) {
      expectedTags[`py${i}`] = String(i);
      expectedTags[`node${i}`] = String(i);
    }
    assert.deepEqual(after.tags, expectedTags);
    assert.equal(Object.keys(after.params).length, 50);
    assert.ok(!fs.existsSync(path.join(runDir, 'run.json.lock')), 'no lock left behind');
    assert.deepEqual(
      fs.readdirSync(runDir).filter((n) => n.endsWith('.tmp')),
      [],
      'no temporary file left behind',
    );
  },
);
