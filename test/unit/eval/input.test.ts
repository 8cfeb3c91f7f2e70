import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { RunlensError } from '../../../src/core/errors';
import { EVALUATION_FILE, evaluateFile, saveEvaluation } from '../../../src/core/eval/evaluate';
import { Store } from '../../../src/core/store/store';
import { repoRoot, tempDir } from '../../helpers/tmp';
import { runlens } from '../../helpers/evalCli';

const REF = path.join(repoRoot, 'test', 'fixtures', 'reference', 'eval');

function file(name: string, text: string): string {
  const f = path.join(tempDir(), name);
  fs.writeFileSync(f, text);
  return f;
}

function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  return assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof RunlensError, String(e));
    assert.match(e.message, re);
    return true;
  });
}

describe('evaluation: inputs', () => {
  test('missing columns, empty files and bad cells name the file, column and line', async () => {
    const noLabel = file('a.csv', 'truth,prediction\n1,1\n');
    await rejects(evaluateFile(noLabel), /a\.csv: no column "label".*truth, prediction/);
    const noPred = file('b.csv', 'label,other\n1,1\n');
    await rejects(evaluateFile(noPred), /b\.csv: no column "prediction"/);
    await rejects(evaluateFile(file('c.csv', '')), /c\.csv is empty/);
    await rejects(evaluateFile(file('d.csv', 'label,prediction\n')), /d\.csv has a header but no rows/);
    const badScore = file('e.csv', 'label,prediction,score\n1,1,0.9\n0,0,abc\n');
    await rejects(evaluateFile(badScore), /e\.csv:3: column "score" is not a number: "abc"/);
    const emptyLabel = file('f.csv', 'label,prediction\n1,1\n,0\n');
    await rejects(evaluateFile(emptyLabel), /f\.csv:3: column "label" is empty/);
    await rejects(evaluateFile(path.join(tempDir(), 'nope.csv')), /no such file/);
  });

  test('a predicted label the truth never has and probabilities not summing to 1 are warned about', async () => {
    const f = file(
      'p.csv',
      'label,prediction,score_a,score_b,score_c\na,a,0.8,0.1,0.1\nb,b,0.1,0.8,0.1\na,c,0.2,0.2,0.7\nb,b,0.3,0.3,0.3\n',
    );
    const r = await evaluateFile(f);
    const unseen = r.warnings.find((w) => /"c" never occurs/.test(w.message));
    assert.ok(unseen, JSON.stringify(r.warnings));
    assert.equal(unseen.line, 4);
    const sums = r.warnings.find((w) => /do not sum to 1/.test(w.message));
    assert.ok(sums);
    assert.match(sums.message, /in 2 rows \(first: line 4/);
    assert.deepEqual(r.classification!.labels, ['a', 'b', 'c']);
  });

  test('JSONL gives the same numbers as CSV; renamed columns; slices', async () => {
    const csv = fs.readFileSync(path.join(REF, 'breast_cancer.predictions.csv'), 'utf8').trim().split('\n');
    const rows = csv.slice(1).map((l, i) => {
      const [label, prediction, score] = l.split(',');
      return JSON.stringify({
        y: Number(label),
        yhat: Number(prediction),
        p: Number(score),
        half: i % 2 ? 'odd' : 'even',
      });
    });
    const f = file('preds.jsonl', rows.join('\n') + '\n');
    const fromJsonl = await evaluateFile(f, {
      labelColumn: 'y',
      predictionColumn: 'yhat',
      scoreColumn: 'p',
      sliceBy: 'half',
    });
    const fromCsv = await evaluateFile(path.join(REF, 'breast_cancer.predictions.csv'));
    assert.deepEqual(fromJsonl.metrics, fromCsv.metrics);
    assert.deepEqual(
      fromJsonl.slices!.slices.map((s) => [s.value, s.n]),
      [
        ['even', Math.ceil(rows.length / 2)],
        ['odd', Math.floor(rows.length / 2)],
      ],
    );
    for (const s of fromJsonl.slices!.slices) assert.ok(s.metrics['eval/roc_auc'] > 0.9);
  });

  test('saved with a run: artifacts/evaluation.json and eval/ metrics in the summary', async () => {
    const ws = tempDir();
    const store = Store.open(path.join(ws, '.runlens'), { create: true });
    const run = store.createRun({ experiment: 'e', status: 'finished' });
    const r = await evaluateFile(path.join(REF, 'diabetes.predictions.csv'));
    await saveEvaluation(store, run.id, r);
    const saved = JSON.parse(
      fs.readFileSync(path.join(store.runDir(run.id), 'artifacts', EVALUATION_FILE), 'utf8'),
    );
    assert.equal(saved.regression.rmse, r.regression!.rmse);
    const lines = fs.readFileSync(store.metricsFile(run.id), 'utf8').trim().split('\n');
    assert.ok(lines.some((l) => l.includes('"eval/rmse"')));
  });

  test('runlens eval prints the metrics and --json the whole evaluation', () => {
    const cwd = tempDir();
    const r = runlens(['eval', path.join(REF, 'iris.predictions.csv')], cwd);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /evaluated 60 rows .* \(multiclass\)/);
    assert.match(r.stdout, /roc_auc\s+\d/);
    const j = runlens(['eval', path.join(REF, 'iris.predictions.csv'), '--json'], cwd);
    const parsed = JSON.parse(j.stdout);
    assert.equal(parsed.classification.labels.length, 3);
    const bad = runlens(['eval', path.join(REF, 'iris.predictions.csv'), '--label-column', 'nope'], cwd);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /no column "nope"/);
  });
});
