import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { readSeries } from '../../../src/core/store/metrics';
import { Store } from '../../../src/core/store/store';
import { cli, repoRoot, tempDir } from '../../helpers/tmp';

const client = JSON.stringify(path.join(repoRoot, 'dist', 'client.js'));

function script(ws: string, name: string, body: string): string {
  fs.writeFileSync(path.join(ws, name), `const runlens = require(${client});\n${body}`);
  return name;
}

function runNode(ws: string, file: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [file], {
    cwd: ws,
    encoding: 'utf8',
    env: { ...process.env, RUNLENS_STORE: '', ...env },
    timeout: 120_000,
  });
}

describe('Node client', () => {
  test('started alone: creates a run in the nearest store and owns its status', () => {
    const ws = tempDir();
    Store.open(path.join(ws, '.runlens'), { create: true });
    fs.mkdirSync(path.join(ws, 'src'));
    fs.writeFileSync(path.join(ws, 'data.csv'), 'x\n1\n');
    script(
      path.join(ws, 'src'),
      'train.js',
      `const run = runlens.init({ experiment: 'alone', params: { lr: 0.1, layers: [1, 2] }, tags: { a: 'b' } });
       for (let i = 0; i < 3; i++) runlens.log({ loss: 1 / (i + 1), odd: i === 1 ? NaN : -Infinity });
       runlens.logParams({ extra: true });
       runlens.setTags({ c: 'd' });
       runlens.logInput('../data.csv');
       fs = require('fs'); fs.writeFileSync('w.bin', 'weights');
       runlens.logArtifact('w.bin', 'model/w.bin');
       assert = require('assert'); assert.throws(() => runlens.log({ acc: 'high' }), /metric "acc" must be a number, got the string "high"/);
       runlens.finish();`,
    );
    const r = runNode(path.join(ws, 'src'), 'train.js');
    assert.equal(r.status, 0, r.stderr);
    const store = Store.open(path.join(ws, '.runlens'));
    const [e] = store.listRuns().entries;
    const run = store.getRun(e.id);
    assert.equal(run.status, 'finished');
    assert.equal(run.experiment, 'alone');
    assert.equal(run.script, 'src/train.js');
    assert.deepEqual(run.params, { lr: 0.1, layers: '1,2', extra: true });
    assert.deepEqual(run.tags, { a: 'b', c: 'd' });
    assert.deepEqual(run.inputs, [
      { path: 'data.csv', size: 4, sha256: createHash('sha256').update('x\n1\n').digest('hex') },
    ]);
    assert.equal(
      fs.readFileSync(path.join(store.runDir(e.id), 'artifacts', 'model', 'w.bin'), 'utf8'),
      'weights',
    );
    assert.deepEqual(readSeries(store.metricsFile(e.id), 'loss').series.steps, [0, 1, 2]);
    assert.deepEqual(readSeries(store.metricsFile(e.id), 'odd').series.values, [-Infinity, NaN, -Infinity]);
    assert.equal(run.summary?.loss.last, 1 / 3);
  });

  test('an uncaught exception ends the run as failed, with its metrics', () => {
    const ws = tempDir();
    script(ws, 'boom.js', `runlens.init(); runlens.log({ loss: 1 }); throw new Error('boom');`);
    const r = runNode(ws, 'boom.js');
    assert.equal(r.status, 1);
    const store = Store.open(path.join(ws, '.runlens'));
    const e = store.listRuns().entries[0];
    assert.equal(e.status, 'failed');
    assert.equal(e.metrics.loss.count, 1);
  });

  test('launched by runlens run: attaches, launched params win, stdout capture stops', () => {
    const ws = tempDir();
    script(
      ws,
      'train.js',
      `const run = runlens.init({ experiment: 'mine', params: { lr: 0.1, epochs: 2 } });
       console.log('loss=99');
       for (let e = 0; e < run.params.epochs; e++) run.log({ loss: run.params.lr * (e + 1) }, e);
       console.log('lr used ' + run.params.lr);`,
    );
    const r = cli(['run', '-p', 'lr=0.5', '--', process.execPath, 'train.js'], { cwd: ws });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /lr used 0\.5/);
    const store = Store.open(path.join(ws, '.runlens'));
    const run = store.getRun(store.listRuns().entries[0].id);
    assert.equal(run.experiment, 'mine', 'no -e given: the script names the experiment');
    assert.deepEqual(run.params, { lr: 0.5, epochs: 2 });
    assert.equal(run.status, 'finished');
    assert.deepEqual(readSeries(store.metricsFile(run.id), 'loss').series.values, [0.5, 1]);
    assert.equal(run.summary?.loss.source, undefined, 'the printed loss=99 was not captured');
  });

  test('tfCallback logs model.fit epochs; the TensorFlow.js backend is reported', () => {
    const ws = tempDir();
    script(
      ws,
      'fit.js',
      `(async () => {
         const { tf, backend } = await runlens.loadTf();
         const run = runlens.init({ tags: { backend } });
         const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 4, activation: 'tanh' }), tf.layers.dense({ units: 1, activation: 'sigmoid' })] });
         model.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
         const x = tf.tensor2d([[0, 0], [0, 1], [1, 0], [1, 1]]);
         const y = tf.tensor2d([[0], [1], [1], [0]]);
         await model.fit(x, y, { epochs: 6, verbose: 0, validationData: [x, y], callbacks: [runlens.tfCallback({ run })] });
         console.log('backend=' + backend);
         run.finish();
       })();`,
    );
    const r = runNode(ws, 'fit.js');
    assert.equal(r.status, 0, r.stderr);
    const backend = /backend=(\w+)/.exec(r.stdout)?.[1];
    assert.ok(backend === 'tensorflow' || backend === 'wasm', `a fast backend was chosen, got ${backend}`);
    const store = Store.open(path.join(ws, '.runlens'));
    const e = store.listRuns().entries[0];
    assert.deepEqual(Object.keys(e.metrics).sort(), ['acc', 'loss', 'val_acc', 'val_loss']);
    assert.deepEqual(readSeries(store.metricsFile(e.id), 'loss').series.steps, [0, 1, 2, 3, 4, 5]);
    assert.equal(e.tags.backend, backend);
  });
});
