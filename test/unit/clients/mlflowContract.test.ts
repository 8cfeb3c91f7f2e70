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
