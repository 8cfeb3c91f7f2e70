import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { evaluateFile } from '../../../src/core/eval/evaluate';
import { assertDeepClose } from '../../helpers/close';
import { repoRoot, tempDir } from '../../helpers/tmp';

// Every expected value below was computed by scikit-learn 1.2 (Debian's python3-sklearn) with
// test/reference/eval_reference.py, which also wrote the predictions CSVs these tests read:
// test/fixtures/reference/eval/<case>.predictions.csv -> <case>.expected.json.
const DIR = path.join(repoRoot, 'test', 'fixtures', 'reference', 'eval');
const TOL = 1e-9;
const DRIFT_TOL = 1e-6;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the JSON's shape is sklearn's, checked field by field
function expected(name: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(path.join(DIR, `${name}.expected.json`), 'utf8'));
}

function close(actual: number | undefined, want: number, what: string): void {
  assert.ok(actual !== undefined, `${what}: missing`);
  // absolute up to 1, relative above (an MSE in the thousands agrees to digits, not to 1e-9 absolute)
  assert.ok(
    Math.abs(actual - want) <= TOL * Math.max(1, Math.abs(want)),
    `${what}: ${actual} != sklearn ${want} (diff ${actual - want})`,
  );
}

function closeArray(actual: number[] | undefined, want: number[], what: string): void {
  assert.ok(actual, `${what}: missing`);
  assert.equal(actual.length, want.length, `${what}: ${actual.length} points, sklearn has ${want.length}`);
  want.forEach((w, i) => close(actual[i], w, `${what}[${i}]`));
}

async function checkClassification(name: string, binary: boolean): Promise<void> {
  const want = expected(name);
  const r = await evaluateFile(path.join(DIR, `${name}.predictions.csv`));
  const m = r.classification!;
  assert.ok(m, 'classification metrics');
  assert.deepEqual(m.labels, want.labels);
  close(m.accuracy, want.accuracy, 'accuracy');
  close(m.balancedAccuracy, want.balanced_accuracy, 'balanced_accuracy');
  assert.deepEqual(m.confusionMatrix, want.confusion_matrix);
  for (const label of want.labels as string[]) {
    for (const k of ['precision', 'recall', 'f1'] as const) {
      close(m.perClass[label][k], want.per_class[label][k], `${k}[${label}]`);
    }
    assert.equal(m.perClass[label].support, want.per_class[label].support);
  }
  for (const avg of ['macro', 'micro', 'weighted'] as const) {
    for (const k of ['precision', 'recall', 'f1'] as const) close(m[avg][k], want[avg][k], `${k}_${avg}`);
  }
  close(m.rocAuc, want.roc_auc, 'roc_auc');
  close(m.averagePrecision, want.average_precision, 'average_precision');
  close(m.logLoss, want.log_loss, 'log_loss');
  if (binary) {
    close(m.brier, want.brier, 'brier');
    const pos = m.positiveLabel!;
    closeArray(m.rocCurves![pos].fpr, want.roc_curve.fpr, 'roc fpr');
    closeArray(m.rocCurves![pos].tpr, want.roc_curve.tpr, 'roc tpr');
    closeArray(m.rocCurves![pos].thresholds, want.roc_curve.thresholds, 'roc thresholds');
    closeArray(m.prCurves![pos].precision, want.pr_curve.precision, 'pr precision');
    closeArray(m.prCurves![pos].recall, want.pr_curve.recall, 'pr recall');
    closeArray(m.prCurves![pos].thresholds, want.pr_curve.thresholds, 'pr thresholds');
    closeArray(m.calibration!.probTrue, want.calibration.prob_true, 'calibration prob_true');
    closeArray(m.calibration!.probPred, want.calibration.prob_pred, 'calibration prob_pred');
  } else {
    for (const c of Object.keys(want.roc_curves)) {
      closeArray(m.rocCurves![c].fpr, want.roc_curves[c].fpr, `roc fpr[${c}]`);
      closeArray(m.rocCurves![c].tpr, want.roc_curves[c].tpr, `roc tpr[${c}]`);
      closeArray(m.rocCurves![c].thresholds, want.roc_curves[c].thresholds, `roc thresholds[${c}]`);
      closeArray(m.prCurves![c].precision, want.pr_curves[c].precision, `pr precision[${c}]`);
      closeArray(m.prCurves![c].recall, want.pr_curves[c].recall, `pr recall[${c}]`);
    }
  }
}

describe('evaluation equals scikit-learn 1.2 within 1e-9 (test/reference/eval_reference.py)', () => {
  test('iris: 3 string classes, LogisticRegression probabilities', () => checkClassification('iris', false));
  test('iris, a model that never predicts virginica: zero_division=0', () =>
    checkClassification('iris_never_virginica', false));
  test('wine: 3 numeric classes', () => checkClassification('wine', false));
  test('breast cancer: binary with a score column, curves and calibration', () =>
    checkClassification('breast_cancer', true));
  test('diabetes: regression', async () => {
    const want = expected('diabetes');
    const r = await evaluateFile(path.join(DIR, 'diabetes.predictions.csv'));
    assert.equal(r.task, 'regression');
    const m = r.regression!;
    for (const k of ['mae', 'mse', 'rmse', 'r2', 'mape'] as const) close(m[k], want[k], k);
    assert.equal(r.metrics['eval/rmse'], m.rmse);
  });
});

const hasSklearn =
  spawnSync('/usr/bin/python3', ['-c', 'import sklearn, scipy'], { encoding: 'utf8' }).status === 0;

describe('the committed reference values are current', () => {
  for (const script of ['eval_reference.py', 'drift_reference.py']) {
    test(
      `${script} reproduces its JSON`,
      { skip: !hasSklearn && 'no scikit-learn/scipy in /usr/bin/python3' },
      () => {
        const out = tempDir();
        const r = spawnSync('/usr/bin/python3', [path.join(repoRoot, 'test', 'reference', script)], {
          encoding: 'utf8',
          env: { ...process.env, RUNLENS_REFERENCE_OUT: out },
          timeout: 300_000,
        });
        assert.equal(r.status, 0, r.stderr);
        const committed =
          script === 'eval_reference.py'
            ? DIR
            : path.join(repoRoot, 'test', 'fixtures', 'reference', 'drift');
        const made = fs.readdirSync(out).filter((f) => f.endsWith('.json'));
        assert.ok(made.length > 0);
        // Within the documented tolerances: scipy/sklearn on another machine (BLAS, libm, versions)
        // agree with the committed values to these, not to the last digit.
        const tol = script === 'eval_reference.py' ? TOL : DRIFT_TOL;
        for (const f of made) {
          assertDeepClose(
            JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')),
            JSON.parse(fs.readFileSync(path.join(committed, f), 'utf8')),
            tol,
            f,
          );
        }
      },
    );
  }
});
