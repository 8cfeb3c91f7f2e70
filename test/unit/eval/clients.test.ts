// log_predictions (Python client) and logPredictions (Node client) write the file `runlens eval` reads.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { RunlensError } from '../../../src/core/errors';
import { evaluateFile } from '../../../src/core/eval/evaluate';
import * as runlens from '../../../clients/node/runlens';
import { repoRoot, tempDir } from '../../helpers/tmp';

const CLIENT_DIR = path.join(repoRoot, 'clients', 'python');

function python(cwd: string, code: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('/usr/bin/python3', ['-c', code], {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      PYTHONPATH: CLIENT_DIR,
      PYTHONDONTWRITEBYTECODE: '1',
      RUNLENS_STORE: '',
      RUNLENS_RUN_DIR: '',
      RUNLENS_RUN_ID: '',
      RUNLENS_PARAMS: '',
    },
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const hasSklearn = spawnSync('/usr/bin/python3', ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0;

describe('clients log predictions for runlens eval', () => {
  test(
    'Python: numpy labels and predict_proba rows; runlens eval matches scikit-learn',
    { skip: !hasSklearn && 'no scikit-learn in /usr/bin/python3' },
    async () => {
      const ws = tempDir();
      const r = python(
        ws,
        `
import json, runlens
from sklearn import datasets, metrics
from sklearn.linear_model import LogisticRegression
x, y = datasets.load_wine(return_X_y=True)
m = LogisticRegression(max_iter=200).fit(x[::2], y[::2])
proba = m.predict_proba(x[1::2]); pred = m.predict(x[1::2])
run = runlens.init(experiment="wine", store=".runlens")
rel = run.log_predictions(y[1::2], predictions=pred, scores=proba, classes=m.classes_)
run.finish()
print(json.dumps({"dir": run.dir, "rel": rel, "f1": metrics.f1_score(y[1::2], pred, average="macro"),
  "ll": metrics.log_loss(y[1::2], proba)}))
`,
      );
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      assert.equal(out.rel, 'artifacts/predictions.csv');
      const file = path.join(out.dir, out.rel);
      assert.equal(fs.readFileSync(file, 'utf8').split('\n')[0], 'label,prediction,score_0,score_1,score_2');
      const e = await evaluateFile(file);
      // Expected values: scikit-learn in the same Python process, on the same predictions.
      assert.ok(Math.abs(e.classification!.macro.f1 - out.f1) < 1e-9);
      assert.ok(Math.abs(e.classification!.logLoss! - out.ll) < 1e-9);
    },
  );

  test('Python: bad arguments are refused with the lengths', () => {
    const r = python(
      tempDir(),
      `
import runlens
run = runlens.init(store=".runlens")
try:
    run.log_predictions([0, 1, 1], predictions=[0, 1])
except ValueError as e:
    print(e)
`,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /3 labels but 2 predictions/);
  });

  test('Node: logPredictions with a binary score, then evaluate', async () => {
    const ws = tempDir();
    const run = runlens.init({ experiment: 'node', store: path.join(ws, '.runlens') });
    const labels = [0, 1, 1, 0, 1, 0];
    const scores = [0.1, 0.8, 0.35, 0.4, 0.9, 0.05];
    const rel = run.logPredictions({ labels, scores, predictions: scores.map((s) => (s >= 0.5 ? 1 : 0)) });
    run.finish();
    assert.equal(rel, 'artifacts/predictions.csv');
    const e = await evaluateFile(path.join(run.dir, rel));
    // Worked by hand: positives 0.8, 0.35, 0.9; negatives 0.1, 0.4, 0.05: 8 of 9 pairs ordered.
    assert.ok(Math.abs(e.classification!.rocAuc! - 8 / 9) < 1e-12);
    assert.equal(e.classification!.accuracy, 5 / 6);
    assert.throws(
      () => runlens.predictionsCsv({ labels: [1, 2], scores: [[0.5, 0.5], [1]] }),
      (err: RunlensError) => /row 1 has 1 values/.test(err.message),
    );
    assert.equal(
      runlens.predictionsCsv({ labels: ['a,b'], scores: [[1]], classes: ['x'] }),
      'label,score_x\n"a,b",1\n',
    );
  });
});
