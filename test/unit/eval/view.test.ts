// What the evaluation and gate panels are sent: curves thinned in the core, slices worst first.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { evaluateFile } from '../../../src/core/eval/evaluate';
import { evaluationSnapshot, thinCurve } from '../../../src/core/eval/view';
import { repoRoot } from '../../helpers/tmp';

const EVAL = path.join(repoRoot, 'test', 'fixtures', 'reference', 'eval');

describe('evaluation view data', () => {
  test('thinCurve keeps the ends, at most max points, in order, taken from the curve', async () => {
    // scikit-learn's breast cancer predictions: the PR curve has a point per distinct score.
    const r = await evaluateFile(path.join(EVAL, 'breast_cancer.predictions.csv'));
    const pr = r.classification!.prCurves!['1'];
    assert.ok(pr.recall.length > 100, `${pr.recall.length} points`);
    const t = thinCurve(pr.recall, pr.precision, 40);
    assert.ok(t.x.length <= 40 && t.x.length >= 30, `${t.x.length} points`);
    assert.deepEqual([t.x[0], t.y[0]], [pr.recall[0], pr.precision[0]]);
    assert.deepEqual([t.x.at(-1), t.y.at(-1)], [pr.recall.at(-1), pr.precision.at(-1)]);
    let j = 0;
    for (let i = 0; i < t.x.length; i++) {
      while (j < pr.recall.length && (pr.recall[j] !== t.x[i] || pr.precision[j] !== t.y[i])) j++;
      assert.ok(j < pr.recall.length, `point ${i} is a point of the curve, in order`);
    }
    // Small curves pass through untouched.
    assert.deepEqual(thinCurve([0, 0.5, 1], [0, 0.7, 1], 40), { x: [0, 0.5, 1], y: [0, 0.7, 1] });
  });

  test('the snapshot: curves within the budget, baseline overlay, slices worst first', async () => {
    const iris = await evaluateFile(path.join(EVAL, 'iris.predictions.csv'));
    const worse = await evaluateFile(path.join(EVAL, 'iris_never_virginica.predictions.csv'));
    const run = { ref: 'a@ws', id: 'a', name: 'a', experiment: 'iris' };
    const s = evaluationSnapshot(run, iris, { ref: 'b@ws', name: 'b', result: worse }, 10);
    assert.deepEqual(
      s.roc.map((c) => c.label),
      ['setosa', 'versicolor', 'virginica'],
    );
    for (const c of [...s.roc, ...s.pr, ...s.baseline!.roc]) assert.ok(c.x.length <= 10);
    assert.equal(s.roc[2].area, iris.classification!.perClassAuc!.virginica.rocAuc);
    const acc = s.cards.find((c) => c.key === 'eval/accuracy')!;
    assert.deepEqual(
      [acc.value, acc.baseline, acc.goal],
      [iris.metrics['eval/accuracy'], worse.metrics['eval/accuracy'], 'max'],
    );
    assert.equal(
      s.cards.find((c) => c.key === 'eval/brier'),
      undefined,
      'multiclass has no Brier score',
    );
    assert.ok(!s.cards.some((c) => /_(micro|weighted)$/.test(c.key)));

    const sliced = await evaluateFile(path.join(EVAL, 'wine.predictions.csv'), { sliceBy: 'prediction' });
    const ss = evaluationSnapshot(run, sliced);
    const values = ss.slices!.rows.map((r) => r.metric!);
    assert.deepEqual(
      values,
      [...values].sort((x, y) => x - y),
      'ascending accuracy: worst first',
    );
    assert.equal(ss.slices!.rows.length, sliced.slices!.slices.length);
  });
});
