import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { importMlflow } from '../../../src/core/importers/mlflow';
import { Registry } from '../../../src/core/store/registry';
import { Store } from '../../../src/core/store/store';
import { MetricLog } from '../../../src/core/tracking/metricLog';
import { cli, repoRoot, tempDir } from '../../helpers/tmp';

/** Keys that name Object.prototype members; each must be kept like any other key. */
const HOSTILE = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

function hostile<T>(value: (i: number) => T): Record<string, T> {
  return Object.fromEntries([...HOSTILE, 'loss'].map((k, i) => [k, value(i)]));
}

function prototypeClean(): void {
  const probe = {} as Record<string, unknown>;
  assert.equal(probe.count, undefined, 'Object.prototype was polluted');
  assert.equal(Object.getPrototypeOf(probe), Object.prototype);
  assert.equal(Object.keys(Object.prototype).length, 0);
}

function own<T>(record: Record<string, T>, key: string): T {
  const d = Object.getOwnPropertyDescriptor(record, key);
  assert.ok(d, `own key ${key}`);
  return d.value as T;
}

function newStore(): Store {
  return Store.open(path.join(tempDir(), '.runlens'), { create: true });
}

describe('metric, param, tag and baseline keys that name Object.prototype members', () => {
  test('the summary fold keeps them all and pollutes nothing (MetricLog and the index)', () => {
    const store = newStore();
    const run = store.createRun();
    const log = new MetricLog(store.metricsFile(run.id));
    log.log(
      hostile((i) => i + 1),
      0,
    );
    log.log(
      hostile((i) => i + 10),
      1,
    );
    log.close();
    prototypeClean();
    const expected = [...HOSTILE, 'loss'].sort();
    assert.deepEqual(Object.keys(log.summary).sort(), expected);
    assert.equal(own(log.summary, 'constructor').count, 2);
    const entry = store.listRuns({ rebuild: true }).entries[0];
    prototypeClean();
    assert.deepEqual(Object.keys(entry.metrics).sort(), expected);
    assert.equal(own(entry.metrics, '__proto__').last, 10);
    assert.equal(own(entry.metrics, 'toString').max, 12);
    // And read back from the index file (journal then index.json).
    const again = store.listRuns().entries[0];
    assert.deepEqual(Object.keys(again.metrics).sort(), expected);
    prototypeClean();
  });

  test('the Node client keeps such metrics, params and tags', () => {
    const ws = tempDir();
    const store = Store.open(path.join(ws, '.runlens'), { create: true });
    const client = JSON.stringify(path.join(repoRoot, 'dist', 'client.js'));
    fs.writeFileSync(
      path.join(ws, 'train.js'),
      `const runlens = require(${client});
       runlens.init({ experiment: 'keys' });
       runlens.log({ toString: 1, constructor: 2, ['__proto__']: 3, loss: 4 }, 0);
       runlens.logParams({ constructor: 'c', ['__proto__']: 'p', lr: 0.1 });
       runlens.setTags({ toString: 't', ['__proto__']: 'x' });
       runlens.finish();
       console.log(JSON.stringify({ count: ({}).count === undefined }));`,
    );
    const r = spawnSync(process.execPath, ['train.js'], {
      cwd: ws,
      encoding: 'utf8',
      env: { ...process.env, RUNLENS_STORE: '' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { count: true });
    const run = store.getRun(store.listRuns().entries[0].id);
    assert.deepEqual(Object.keys(run.summary ?? {}).sort(), ['__proto__', 'constructor', 'loss', 'toString']);
    assert.deepEqual(Object.keys(run.params).sort(), ['__proto__', 'constructor', 'lr']);
    assert.equal(Object.getOwnPropertyDescriptor(run.params, '__proto__')?.value, 'p');
    assert.deepEqual(Object.keys(run.tags).sort(), ['__proto__', 'toString']);
    prototypeClean();
  });

  test('baseline set __proto__ saves it; baseline of constructor is "none", not a crash', async () => {
    const store = newStore();
    const run = store.createRun({ experiment: '__proto__' });
    const registry = new Registry(store);
    await registry.setBaseline('__proto__', { run: run.id });
    prototypeClean();
    assert.equal(registry.baselineRun('__proto__'), run.id);
    const raw = JSON.parse(fs.readFileSync(path.join(store.dir, 'baselines.json'), 'utf8'));
    assert.equal(Object.getOwnPropertyDescriptor(raw.experiments, '__proto__')?.value.run, run.id);
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      assert.equal(registry.getBaseline(name), undefined, name);
      assert.equal(registry.baselineRun(name), undefined, name);
    }
    const show = cli(['baseline', 'show', 'constructor'], { cwd: path.dirname(store.dir) });
    assert.equal(show.status, 1, show.stderr);
    assert.match(show.stderr, /experiment "constructor" has no baseline/);
    const set = cli(['baseline', 'set', '__proto__', '--run', run.id], { cwd: path.dirname(store.dir) });
    assert.equal(set.status, 0, set.stderr);
    const shown = cli(['baseline', 'show', '__proto__', '--json'], { cwd: path.dirname(store.dir) });
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(run.id));
  });

  test('an MLflow run with such params, tags and metrics imports them all', async () => {
    const root = tempDir('runlens-mlruns-keys-');
    const id = 'c0000000000000000000000000000003';
    const w = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    };
    w('0/meta.yaml', "experiment_id: '0'\nlifecycle_stage: active\nname: Default\n");
    w(
      `0/${id}/meta.yaml`,
      `end_time: 2\nexperiment_id: '0'\nlifecycle_stage: active\nrun_id: ${id}\nrun_uuid: ${id}\nstart_time: 1\nstatus: 3\nuser_id: u\n`,
    );
    for (const k of HOSTILE) {
      w(`0/${id}/params/${k}`, 'p');
      w(`0/${id}/tags/${k}`, 't');
      w(`0/${id}/metrics/${k}`, '1 0.5 0\n2 0.25 1\n');
    }
    const store = newStore();
    await importMlflow(store, root);
    prototypeClean();
    const run = store.getRun(store.listRuns().entries[0].id);
    assert.deepEqual(Object.keys(run.params).sort(), [...HOSTILE].sort());
    for (const k of HOSTILE) assert.equal(Object.getOwnPropertyDescriptor(run.tags, k)?.value, 't', k);
    assert.deepEqual(Object.keys(run.summary ?? {}).sort(), [...HOSTILE].sort());
  });

  test('the CLI keeps --param/--tag with such keys', () => {
    const ws = tempDir();
    Store.open(path.join(ws, '.runlens'), { create: true });
    const r = cli(
      [
        'run',
        '-p',
        '__proto__=1',
        '-p',
        'constructor=2',
        '-t',
        'toString=x',
        '--',
        process.execPath,
        '-e',
        '0',
      ],
      { cwd: ws },
    );
    assert.equal(r.status, 0, r.stderr);
    const store = Store.open(path.join(ws, '.runlens'));
    const run = store.getRun(store.listRuns().entries[0].id);
    assert.deepEqual(Object.keys(run.params).sort(), ['__proto__', 'constructor']);
    assert.deepEqual(Object.keys(run.tags), ['toString']);
  });
});
