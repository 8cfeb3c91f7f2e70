// `runlens eval --model`: the quickstart's real TensorFlow.js model (trained here by train.js) predicts
// a data file in process; the evaluation must equal evaluating the same predictions written to a file
// (the predictions made independently here with loadPredictor, the serving code path).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import type { EvaluationResult } from '../../../src/core/eval/evaluate';
import { evaluateFile } from '../../../src/core/eval/evaluate';
import { evaluateModel } from '../../../src/core/eval/modelEval';
import { loadPredictor } from '../../../src/core/model/predictor';
import { Store } from '../../../src/core/store/store';
import { tempDir } from '../../helpers/tmp';
import { runlens } from '../../helpers/evalCli';
import { trainedWorkspace } from '../../helpers/servingFixture';

let ws: { dir: string; runId: string };
let store: Store;
let dataFile: string;
let classes: string[];
let featureNames: string[];
let rows: number[][];
let ys: number[];

function csv(header: string[], body: (string | number)[][]): string {
  return [header.join(','), ...body.map((r) => r.join(','))].join('\n') + '\n';
}

before(() => {
  process.env.RUNLENS_TF_BACKEND = 'wasm';
  ws = trainedWorkspace(6);
  store = Store.open(path.join(ws.dir, '.runlens'));
  // The quickstart's data (scikit-learn's breast cancer set) with named columns, label 0/1.
  const data = createRequire(__filename)(path.join(ws.dir, 'dataset.js')).load();
  classes = data.classes;
  featureNames = data.features;
  rows = data.x;
  ys = data.y;
  dataFile = path.join(tempDir(), 'cancer.csv');
  fs.writeFileSync(
    dataFile,
    csv(
      [...featureNames, 'label'],
      rows.map((r, i) => [...r, ys[i]]),
    ),
  );
});

function runCli(args: string[]) {
  const r = runlens(['--store', path.join(ws.dir, '.runlens'), ...args], ws.dir);
  return r;
}

describe('runlens eval --model', () => {
  test('equals evaluating the same predictions written to a predictions file', async () => {
    const r = runCli(['eval', '--model', ws.runId, '--data', dataFile, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /TensorFlow\.js backend: WebAssembly/);
    const viaModel = JSON.parse(r.stdout) as EvaluationResult;

    // The same model through the serving predictor, its predictions written as a predictions file.
    const modelDir = path.join(store.runDir(ws.runId), 'artifacts', 'model');
    const p = await loadPredictor(modelDir);
    const out = p.predict(rows.map((r) => Object.fromEntries(featureNames.map((f, j) => [f, r[j]]))));
    p.dispose();
    const predFile = path.join(tempDir(), 'predictions.csv');
    fs.writeFileSync(
      predFile,
      csv(
        ['label', 'prediction', 'score'],
        ys.map((y, i) => [classes[y], out.predictions[i], out.scores[i][0]]),
      ),
    );
    const viaFile = await evaluateFile(predFile, { positiveLabel: classes[1] });

    assert.equal(viaModel.task, 'binary');
    assert.equal(viaModel.n, rows.length);
    assert.deepEqual(Object.keys(viaModel.metrics).sort(), Object.keys(viaFile.metrics).sort());
    for (const [k, v] of Object.entries(viaFile.metrics))
      assert.ok(Math.abs(viaModel.metrics[k] - v) <= 1e-12, `${k}: ${viaModel.metrics[k]} != ${v}`);
    assert.deepEqual(viaModel.classification!.confusionMatrix, viaFile.classification!.confusionMatrix);
    assert.deepEqual(viaModel.classification!.labels, [...classes].sort());
    assert.equal(viaModel.classification!.positiveLabel, 'benign');
    assert.deepEqual(viaModel.classification!.rocCurves, viaFile.classification!.rocCurves);
    // A trained model, not a coin: the quickstart network separates the two classes.
    assert.ok(viaModel.metrics['eval/roc_auc'] > 0.9, `roc_auc ${viaModel.metrics['eval/roc_auc']}`);
    assert.deepEqual(viaModel.source, { model: ws.runId, data: dataFile, backend: viaModel.source!.backend });
    assert.match(viaModel.source!.backend, /WebAssembly/);

    // Saved with the model's run, and its metrics logged there.
    const saved = JSON.parse(
      fs.readFileSync(path.join(store.runDir(ws.runId), 'artifacts', 'evaluation.json'), 'utf8'),
    ) as EvaluationResult;
    assert.deepEqual(saved.metrics, viaModel.metrics);
    const run = Store.open(path.join(ws.dir, '.runlens')).getRun(ws.runId);
    assert.equal(run.summary!['eval/roc_auc'].last, viaModel.metrics['eval/roc_auc']);
  });

  test('in process (core API): class names in the target column and slices work too', async () => {
    const named = path.join(tempDir(), 'named.csv');
    fs.writeFileSync(
      named,
      csv(
        [...featureNames, 'diagnosis', 'site'],
        rows.map((r, i) => [...r, classes[ys[i]], i % 2 ? 'north' : 'south']),
      ),
    );
    const e = await evaluateModel(store, ws.runId, named, { target: 'diagnosis', sliceBy: 'site' });
    const fromIdx = await evaluateModel(store, ws.runId, dataFile);
    assert.deepEqual(e.result.metrics, fromIdx.result.metrics);
    assert.equal(e.result.columns.label, 'diagnosis');
    assert.deepEqual(
      e.result.slices!.slices.map((s) => [s.value, s.n]),
      [
        ['north', Math.floor(rows.length / 2)],
        ['south', Math.ceil(rows.length / 2)],
      ],
    );
  });

  test('bad input: a missing target or feature column, a bad label, an unknown model', () => {
    const noTarget = path.join(tempDir(), 'no-target.csv');
    fs.writeFileSync(noTarget, csv(featureNames, rows.slice(0, 5)));
    let r = runCli(['eval', '--model', ws.runId, '--data', noTarget]);
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.includes(noTarget), r.stderr);
    assert.match(r.stderr, /no column "label"/);

    r = runCli(['eval', '--model', ws.runId, '--data', noTarget, '--target', 'outcome']);
    assert.match(r.stderr, /no column "outcome"/);

    const noFeature = path.join(tempDir(), 'no-feature.csv');
    fs.writeFileSync(
      noFeature,
      csv(
        [...featureNames.slice(1), 'label'],
        rows.slice(0, 5).map((x, i) => [...x.slice(1), ys[i]]),
      ),
    );
    r = runCli(['eval', '--model', ws.runId, '--data', noFeature]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /needs column "radius_mean"/);
    assert.ok(r.stderr.includes(noFeature), r.stderr);

    const badLabel = path.join(tempDir(), 'bad-label.csv');
    fs.writeFileSync(
      badLabel,
      csv(
        [...featureNames, 'label'],
        rows.slice(0, 5).map((x, i) => [...x, i === 3 ? 7 : ys[i]]),
      ),
    );
    r = runCli(['eval', '--model', ws.runId, '--data', badLabel]);
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.includes(`${badLabel}:5: column "label" holds "7"`), r.stderr);

    const badCell = path.join(tempDir(), 'bad-cell.csv');
    fs.writeFileSync(
      badCell,
      csv(
        [...featureNames, 'label'],
        rows.slice(0, 5).map((x, i) => (i === 2 ? ['abc', ...x.slice(1), ys[i]] : [...x, ys[i]])),
      ),
    );
    r = runCli(['eval', '--model', ws.runId, '--data', badCell]);
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.includes(`${badCell}:4: column "radius_mean"`), r.stderr);

    r = runCli(['eval', '--model', 'nosuch@1', '--data', dataFile]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /nosuch/);

    r = runCli(['eval', '--model', ws.runId]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--data/);
  });
});
