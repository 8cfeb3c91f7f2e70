import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { loadPredictor } from '../../../src/core/model/predictor';
import {
  applyRow,
  fitPreprocessing,
  inputWidth,
  parsePreprocessing,
  readPreprocessing,
  serialisePreprocessing,
} from '../../../src/core/model/preprocessing';
import { Store } from '../../../src/core/store/store';
import { tempDir } from '../../helpers/tmp';
import { trainedWorkspace } from '../../helpers/servingFixture';

describe('preprocessing', () => {
  const rows = [
    { a: 1, b: 'x', c: 10 },
    { a: 2, b: 'y', c: 10 },
    { a: 6, b: 'x', c: 10 },
  ];
  test('fits mean and population std, one-hot vocabularies; applies in feature order', () => {
    const p = fitPreprocessing(rows, { features: ['a', 'b', 'c'], labels: ['no', 'yes'], target: 't' });
    assert.equal(p.task, 'binary');
    assert.deepEqual(p.features[0], { name: 'a', kind: 'numeric', mean: 3, std: Math.sqrt(14 / 3) });
    assert.deepEqual(p.features[1], { name: 'b', kind: 'categorical', vocabulary: ['x', 'y'] });
    assert.equal(p.features[2].kind === 'numeric' && p.features[2].std, 1, 'a constant column keeps std 1');
    assert.equal(inputWidth(p), 4);
    assert.deepEqual(applyRow(p, { a: 3, b: 'y', c: 12 }), [0, 0, 1, 2]);
    assert.deepEqual(applyRow(p, { a: '3', b: 'unseen', c: 10 }), [0, 0, 0, 0]);
    assert.deepEqual(parsePreprocessing(JSON.parse(serialisePreprocessing(p)), 'p.json'), p);
  });

  test('bad values name the row and field', () => {
    const p = fitPreprocessing(rows, { features: ['a', 'b'] });
    assert.throws(
      () => applyRow(p, { a: NaN, b: 'x' }, 'instances[2]'),
      /instances\[2\]\.a: expected a finite number, got null/,
    );
    assert.throws(() => applyRow(p, { a: 'abc', b: 'x' }), /row\.a: expected a finite number, got "abc"/);
    assert.throws(() => applyRow(p, { a: 1 }), /row\.b: missing/);
    assert.throws(() => applyRow(p, [1, 2] as unknown as Record<string, unknown>), /row: expected an object/);
  });

  test('reads the older quickstart shape and rejects a broken file naming it', () => {
    const dir = tempDir();
    const old = path.join(dir, 'old.json');
    fs.writeFileSync(
      old,
      JSON.stringify({ features: ['a', 'b'], scaling: { mean: [1, 2], std: [2, 0] }, labels: ['n', 'y'] }),
    );
    const p = readPreprocessing(old);
    assert.deepEqual(applyRow(p, { a: 3, b: 5 }), [1, 3]);
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ features: ['a'], scaling: { mean: [1, 2], std: [1] } }));
    assert.throws(
      () => readPreprocessing(bad),
      (e: Error) => e.message.includes(bad) && /one number per feature/.test(e.message),
    );
    fs.writeFileSync(bad, '{"features": [');
    assert.throws(
      () => readPreprocessing(bad),
      new RegExp(`cannot read ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  });
});

describe('predictor on the quickstart model (trained by examples/quickstart/train.js)', () => {
  let modelDir: string;
  let runDir: string;
  let ws: { dir: string; runId: string };
  before(() => {
    ws = trainedWorkspace(6);
    runDir = Store.open(path.join(ws.dir, '.runlens')).runDir(ws.runId);
    modelDir = path.join(runDir, 'artifacts', 'model');
  });

  test('loads without tfjs-node and reports its backend; matches predictions.csv from training', async () => {
    const p = await loadPredictor(modelDir);
    assert.ok(['tensorflow', 'wasm', 'cpu'].includes(p.backend));
    assert.match(p.backendDescription, /TensorFlow\.js backend: /);
    // The validation rows, split exactly as train.js did.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { load, split } = require(path.join(ws.dir, 'dataset.js'));
    const params = JSON.parse(fs.readFileSync(path.join(ws.dir, 'params.json'), 'utf8'));
    const data = load();
    const { val } = split(data, Number(params.val_fraction), Number(params.seed));
    const rows = val.x.map((x: number[]) =>
      Object.fromEntries(data.features.map((f: string, j: number) => [f, x[j]])),
    );
    const got = p.predict(rows);
    const csv = fs
      .readFileSync(path.join(runDir, 'artifacts', 'predictions.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    assert.equal(csv.length, rows.length);
    csv.forEach((line, i) => {
      const [label, prediction, score] = line.split(',').map(Number);
      assert.equal(label, val.y[i]);
      assert.ok(Math.abs(got.scores[i][0] - score) < 1e-6, `row ${i}: ${got.scores[i][0]} vs ${score}`);
      assert.equal(got.predictions[i], data.classes[prediction]);
    });
    p.dispose();
  });

  test('equals a NumPy forward pass over the same weights (independent reference, python3 at test time)', async () => {
    const p = await loadPredictor(modelDir);
    const rows = [
      Object.fromEntries(
        p.preprocessing.features.map((f, j) => [f.name, (f.kind === 'numeric' ? f.mean : 0) + j * 0.01]),
      ),
      Object.fromEntries(
        p.preprocessing.features.map((f) => [f.name, f.kind === 'numeric' ? f.mean + 2 * f.std : 0]),
      ),
      Object.fromEntries(
        p.preprocessing.features.map((f) => [f.name, f.kind === 'numeric' ? f.mean - f.std : 0]),
      ),
    ];
    const got = p.predict(rows).scores.map((s) => s[0]);
    p.dispose();
    const script = path.join(__dirname, '..', '..', 'reference', 'dense_forward.py');
    const r = spawnSync('/usr/bin/python3', [script, modelDir], {
      input: JSON.stringify(rows),
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const want = JSON.parse(r.stdout) as number[];
    want.forEach((w, i) => assert.ok(Math.abs(w - got[i]) < 1e-5, `row ${i}: numpy ${w} vs tfjs ${got[i]}`));
  });

  test('a model whose input width disagrees with the preprocessing is refused', async () => {
    const dir = tempDir();
    fs.cpSync(modelDir, dir, { recursive: true });
    const prep = JSON.parse(fs.readFileSync(path.join(dir, 'preprocessing.json'), 'utf8'));
    prep.features.pop();
    fs.writeFileSync(path.join(dir, 'preprocessing.json'), JSON.stringify(prep));
    await assert.rejects(loadPredictor(dir), /takes 30 inputs but preprocessing\.json describes 29/);
  });
});
