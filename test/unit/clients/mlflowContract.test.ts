// The MLflow-shaped calls, played by both clients on stores of their own: what must match does,
// byte for byte (metric lines after their times, artifacts, the files of a run folder), and
// params, tags, nesting and summaries agree.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Store } from '../../../src/core/store/store';
import { repoRoot, tempDir } from '../../helpers/tmp';

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

const PYTHON = `import runlens
parent = runlens.init(experiment="contract", name="parent", params={"lr": 0.1, "opt": "adam"}, tags={"team": "cv"}, store=".runlens")
runlens.log_metric("loss", 0.5, step=10, timestamp=1700000000000)
runlens.log_metrics({"acc": 0.9, "f1": 0.75}, step=20, timestamp=1700000000001)
runlens.set_tag("stage", "train")
runlens.log_param("lr", 0.1)
try:
    runlens.log_param("lr", 0.2)
    print("no error")
except ValueError as e:
    print("immutable")
runlens.log_dict({"layers": [64, 32], "name": "mlp", "dropout": 0.25}, "cfg/model.json")
runlens.log_text("line one\\nline two\\n", "notes.txt")
child = runlens.Run(name="child", experiment="contract", store=".runlens", parent=parent)
child.log_metric("acc", 0.8, step=1, timestamp=1700000000002)
child.finish()
runlens.finish()
`;

const NODE = `const runlens = require(${JSON.stringify(path.join(repoRoot, 'dist', 'client.js'))});
const parent = runlens.init({ experiment: 'contract', name: 'parent', params: { lr: 0.1, opt: 'adam' }, tags: { team: 'cv' }, store: '.runlens' });
runlens.logMetric('loss', 0.5, 10, 1700000000000);
runlens.logMetrics({ acc: 0.9, f1: 0.75 }, 20, 1700000000001);
runlens.setTag('stage', 'train');
runlens.logParams({ lr: 0.1 });
try { runlens.logParams({ lr: 0.2 }); console.log('no error'); } catch (e) { console.log(/cannot change once logged/.test(e.message) ? 'immutable' : e.message); }
runlens.logDict({ layers: [64, 32], name: 'mlp', dropout: 0.25 }, 'cfg/model.json');
runlens.logText('line one\\nline two\\n', 'notes.txt');
const child = new runlens.Run({ name: 'child', experiment: 'contract', store: '.runlens', parent });
child.logMetric('acc', 0.8, 1, 1700000000002);
child.finish();
runlens.finish();
`;

function play(lang: 'python' | 'node') {
  const ws = tempDir();
  const file = path.join(ws, lang === 'python' ? 'train.py' : 'train.js');
  fs.writeFileSync(file, lang === 'python' ? PYTHON : NODE);
  const r = spawnSync(lang === 'python' ? 'python3' : process.execPath, [file], {
    cwd: ws,
    env,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'immutable', lang);
  const store = Store.open(path.join(ws, '.runlens'));
  const entries = store.listRuns().entries;
  const parent = entries.find((e) => e.name === 'parent')!;
  const child = entries.find((e) => e.name === 'child')!;
  const files = (id: string) =>
    fs
      .readdirSync(store.runDir(id), { recursive: true, withFileTypes: false })
      .map(String)
      // metrics.cache is derived from metrics.jsonl (compared below); only the Node client writes it.
      .filter((f) => !f.endsWith('.lock') && f !== 'metrics.cache')
      .sort();
  const body = (id: string, rel: string) => fs.readFileSync(path.join(store.runDir(id), rel), 'utf8');
  return {
    files: files(parent.id),
    childFiles: files(child.id),
    metrics: body(parent.id, 'metrics.jsonl'),
    childMetrics: body(child.id, 'metrics.jsonl'),
    cfg: body(parent.id, 'artifacts/cfg/model.json'),
    notes: body(parent.id, 'artifacts/notes.txt'),
    params: parent.params,
    tags: parent.tags,
    childParent: child.tags['runlens.parentRun'] === parent.id,
    childExperiment: child.experiment,
    status: [parent.status, child.status],
    summary: store.getRun(parent.id).summary,
  };
}

test('both clients write the same store for the MLflow-shaped calls', () => {
  const py = play('python');
  const node = play('node');
  assert.deepEqual(py.files, node.files);
  assert.deepEqual(py.childFiles, node.childFiles);
  assert.equal(py.metrics, node.metrics, 'metrics.jsonl byte for byte (explicit steps and timestamps)');
  assert.equal(py.childMetrics, node.childMetrics);
  assert.equal(py.cfg, node.cfg, 'log_dict / logDict byte for byte');
  assert.equal(py.notes, node.notes);
  assert.deepEqual(py.params, node.params);
  assert.deepEqual(py.tags, node.tags);
  assert.deepEqual(py.summary, node.summary);
  assert.deepEqual([py.childParent, node.childParent], [true, true]);
  assert.deepEqual([py.childExperiment, py.status], ['contract', ['finished', 'finished']]);
  assert.deepEqual([node.childExperiment, node.status], ['contract', ['finished', 'finished']]);
});

// Resume (MLflow's start_run(run_id=...)): a run created and ended by one process, reopened by
// another with init(run_id=...) / init({ runId }), then an unknown id.
const RESUME = {
  python: [
    `import runlens
run = runlens.init(experiment="contract", name="resumable", params={"lr": 0.1}, tags={"team": "cv"}, store=".runlens")
for v in (3.5, 2.5, 1.5):
    runlens.log_metric("loss", v, timestamp=1700000000000)
runlens.finish()
print(run.id)
`,
    `import json, os, sys, runlens
run = runlens.init(run_id=sys.argv[1], params={"lr": 0.1}, tags={"phase": "resumed"}, store=".runlens")
print(run.id)
print(json.load(open(os.path.join(run.dir, "run.json")))["status"])
try:
    runlens.log_param("lr", 0.2)
    print("no error")
except ValueError as e:
    print("immutable")
for v in (1.25, 0.75):
    runlens.log_metric("loss", v, timestamp=1700000000001)
runlens.finish()
try:
    runlens.init(run_id="zzzzzzzzzzzz", store=".runlens")
    print("no error")
except KeyError as e:
    print("unknown:", e.args[0])
try:
    runlens.init(run_id=sys.argv[1], params={"lr": 0.3}, store=".runlens")
    print("no error")
except ValueError as e:
    print("changed:", str("cannot change once logged" in str(e)).lower())
`,
  ],
  node: [
    `const runlens = require(${JSON.stringify(path.join(repoRoot, 'dist', 'client.js'))});
const run = runlens.init({ experiment: 'contract', name: 'resumable', params: { lr: 0.1 }, tags: { team: 'cv' }, store: '.runlens' });
for (const v of [3.5, 2.5, 1.5]) runlens.logMetric('loss', v, undefined, 1700000000000);
runlens.finish();
console.log(run.id);
`,
    `const runlens = require(${JSON.stringify(path.join(repoRoot, 'dist', 'client.js'))});
const fs = require('fs'), path = require('path');
const run = runlens.init({ runId: process.argv[2], params: { lr: 0.1 }, tags: { phase: 'resumed' }, store: '.runlens' });
console.log(run.id);
console.log(JSON.parse(fs.readFileSync(path.join(run.dir, 'run.json'), 'utf8')).status);
try { runlens.logParams({ lr: 0.2 }); console.log('no error'); } catch (e) { console.log(/cannot change once logged/.test(e.message) ? 'immutable' : e.message); }
for (const v of [1.25, 0.75]) runlens.logMetric('loss', v, undefined, 1700000000001);
runlens.finish();
try { runlens.init({ runId: 'zzzzzzzzzzzz', store: '.runlens' }); console.log('no error'); } catch (e) { console.log('unknown:', e.message); }
try { runlens.init({ runId: process.argv[2], params: { lr: 0.3 }, store: '.runlens' }); console.log('no error'); } catch (e) { console.log('changed:', /cannot change once logged/.test(e.message)); }
`,
  ],
};

function playResume(lang: 'python' | 'node') {
  const ws = fs.realpathSync(tempDir());
  const run = (code: string, ...args: string[]) => {
    const file = path.join(ws, lang === 'python' ? 'train.py' : 'train.js');
    fs.writeFileSync(file, code);
    const r = spawnSync(lang === 'python' ? 'python3' : process.execPath, [file, ...args], {
      cwd: ws,
      env,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `${lang}: ${r.stdout}\n${r.stderr}`);
    return r.stdout.trim().split('\n');
  };
  const [id] = run(RESUME[lang][0]);
  const store = Store.open(path.join(ws, '.runlens'));
  const first = store.getRun(id);
  const out = run(RESUME[lang][1], id);
  const record = store.getRun(id);
  return {
    ws,
    id,
    out,
    firstEnd: first.endTime,
    metrics: fs.readFileSync(path.join(store.runDir(id), 'metrics.jsonl'), 'utf8'),
    runs: store.listRuns().entries.length,
    status: [first.status, record.status, record.exitCode],
    params: record.params,
    tags: record.tags,
    summary: record.summary,
    name: record.name,
  };
}

test('both clients resume a run by id the same way (init(run_id=...) / init({ runId }))', () => {
  const py = playResume('python');
  const node = playResume('node');
  for (const r of [py, node]) {
    const who = r === py ? 'python' : 'node';
    assert.equal(r.out[0], r.id, `${who}: the resumed run is the same run`);
    assert.equal(r.out[1], 'running', `${who}: status back to running while resumed`);
    assert.equal(r.out[2], 'immutable', `${who}: params stay immutable`);
    // The unknown id is named, and so is the store it was looked for in.
    assert.match(r.out[3], /^unknown: .*zzzzzzzzzzzz.* in .*\.runlens/, who);
    assert.ok(r.out[3].includes(path.join(r.ws, '.runlens')), `${who}: ${r.out[3]}`);
    assert.equal(r.out[4], 'changed: true', `${who}: a changed param given to init is refused`);
    assert.equal(r.runs, 1, `${who}: no new run was made`);
    assert.deepEqual(r.status, ['finished', 'finished', 0], who);
    assert.equal(r.name, 'resumable');
    assert.deepEqual(r.tags, { team: 'cv', phase: 'resumed' }, who);
    assert.deepEqual(r.params, { lr: 0.1 }, who);
    assert.deepEqual(
      r.summary?.loss && [r.summary.loss.last, r.summary.loss.lastStep, r.summary.loss.count],
      [0.75, 4, 5],
      `${who}: the summary covers the points of both processes`,
    );
  }
  assert.equal(py.metrics, node.metrics, 'metrics.jsonl byte for byte: automatic steps continue 3, 4');
  assert.match(py.metrics, /"step":3.*\n.*"step":4/);
  assert.deepEqual(py.summary, node.summary);
});
