import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { RunlensError } from '../../../src/core/errors';
import { newRunId } from '../../../src/core/store/ids';
import { Registry } from '../../../src/core/store/registry';
import { Store } from '../../../src/core/store/store';
import { cli, tempDir } from '../../helpers/tmp';

/** A store at T/ws/.runlens and a valid run document at T/victim/run.json, outside it. */
function storeWithVictim(): { root: string; store: Store; victim: string } {
  const root = tempDir('runlens-refs-');
  const store = Store.open(path.join(root, 'ws', '.runlens'), { create: true });
  const victim = path.join(root, 'victim');
  const sample = store.createRun({ experiment: 'exp', name: 'sample' });
  fs.mkdirSync(victim);
  fs.writeFileSync(
    path.join(victim, 'run.json'),
    fs.readFileSync(path.join(store.runDir(sample.id), 'run.json')),
  );
  return { root, store, victim };
}

function isCode(code: string) {
  return (e: unknown) => e instanceof RunlensError && e.kind === code;
}

describe('run references are ids, unique prefixes/suffixes or names, never paths', () => {
  test('a path that leads to a run.json outside the store is not a run', async () => {
    const { store, victim } = storeWithVictim();
    const before = fs.readFileSync(path.join(victim, 'run.json'), 'utf8');
    for (const ref of ['../../../victim', '../../victim', '/abs/../victim', `${path.sep}victim`]) {
      assert.throws(() => store.resolveRunId(ref), isCode('notFound'), ref);
      assert.throws(() => store.getRun(ref), isCode('notFound'), ref);
    }
    await assert.rejects(
      store.updateRun('../../../victim', (r) => (r.note = 'x')),
      isCode('notFound'),
    );
    assert.equal(fs.readFileSync(path.join(victim, 'run.json'), 'utf8'), before);
  });

  test('ID/../ID resolves to nothing, and a resolved id is always the bare id', () => {
    const { store } = storeWithVictim();
    const run = store.createRun({ experiment: 'exp', name: 'b' });
    assert.throws(() => store.resolveRunId(`${run.id}/../${run.id}`), isCode('notFound'));
    assert.throws(() => store.resolveRunId(`./${run.id}`), isCode('notFound'));
    assert.equal(store.resolveRunId(run.id), run.id);
    // Two runs made in one millisecond share their first 10+ characters (time, then a counter):
    // take the shortest prefix and suffix (at least 5 characters) that no other run has.
    const others = store
      .listRuns()
      .entries.filter((e) => e.id !== run.id)
      .map((e) => e.id);
    let p = 5;
    while (others.some((o) => o.startsWith(run.id.slice(0, p)))) p++;
    let s = 5;
    while (others.some((o) => o.endsWith(run.id.slice(-s)))) s++;
    assert.equal(store.resolveRunId(run.id.slice(0, p)), run.id);
    assert.equal(store.resolveRunId(run.id.slice(-s)), run.id);
    assert.equal(store.resolveRunId('b'), run.id);
  });

  test('a run named like a path is found by its name, and only in the store', () => {
    const { store } = storeWithVictim();
    const run = store.createRun({ experiment: 'exp', name: '../../../victim' });
    assert.equal(store.resolveRunId('../../../victim'), run.id);
  });

  test('store paths are built from well-formed ids only', () => {
    const { store } = storeWithVictim();
    for (const bad of ['..', '../x', 'a/b', '', newRunId().toUpperCase(), newRunId() + 'x']) {
      assert.throws(() => store.runDir(bad), isCode('usage'), bad);
    }
    return assert.rejects(store.restoreRun('../../victim'), isCode('usage'));
  });

  test('baseline set stores the bare id, not the path it was given', async () => {
    const { store } = storeWithVictim();
    const run = store.createRun({ experiment: 'exp', name: 'base' });
    const registry = new Registry(store);
    await assert.rejects(registry.setBaseline('exp', { run: `${run.id}/../${run.id}` }), isCode('notFound'));
    await assert.rejects(registry.setBaseline('exp', { run: '../../../victim' }), isCode('notFound'));
    const b = await registry.setBaseline('exp', { run: run.id.slice(-6) });
    assert.deepEqual(b.kind === 'run' && b.run, run.id);
    assert.equal(registry.baselineRun('exp'), run.id);
  });

  test('CLI: show and eval --run with a path exit non-zero and write nothing outside the store', () => {
    const { root, victim } = storeWithVictim();
    const ws = path.join(root, 'ws');
    const show = cli(['show', '../../../victim'], { cwd: ws });
    assert.notEqual(show.status, 0);
    assert.match(show.stderr, /no run "\.\.\/\.\.\/\.\.\/victim"/);
    fs.writeFileSync(path.join(ws, 'preds.csv'), 'y_true,y_pred\n1,1\n0,1\n');
    const ev = cli(['eval', 'preds.csv', '--run', '../../../victim'], { cwd: ws });
    assert.notEqual(ev.status, 0, ev.stdout);
    assert.deepEqual(fs.readdirSync(victim), ['run.json']);
  });
});

describe('model names are validated by every registry command', () => {
  test('promote of ../../zzpwn is refused and the file outside the registry is untouched', async () => {
    const { root, store } = storeWithVictim();
    const outside = path.join(root, 'zzpwn');
    fs.mkdirSync(outside);
    const doc = {
      schemaVersion: 1,
      name: 'zzpwn',
      createdAt: 1,
      versions: [
        {
          version: 1,
          createdAt: 1,
          sourceRun: newRunId(),
          experiment: 'exp',
          files: [],
          metrics: {},
          params: {},
          dataHashes: [],
          gitCommit: null,
          stage: 'none',
          stageHistory: [],
          description: null,
        },
      ],
    };
    fs.writeFileSync(path.join(outside, 'model.json'), JSON.stringify(doc));
    const before = fs.readFileSync(path.join(outside, 'model.json'), 'utf8');
    const registry = new Registry(store);
    // registry/../../zzpwn = T/ws/zzpwn relative to .runlens/registry; try both depths.
    for (const name of ['../../zzpwn', '../../../zzpwn', 'a/b', '..']) {
      await assert.rejects(registry.promote(name, 1, 'production'), isCode('usage'), name);
      assert.throws(() => registry.getModel(name), isCode('usage'), name);
    }
    assert.equal(fs.readFileSync(path.join(outside, 'model.json'), 'utf8'), before);
    assert.ok(!fs.existsSync(path.join(outside, 'model.json.lock')));
  });

  test('promote of a model that does not exist says so, without taking a lock', async () => {
    const { store } = storeWithVictim();
    const registry = new Registry(store);
    await assert.rejects(
      registry.promote('nosuchmodel', 1, 'staging'),
      (e: unknown) => isCode('notFound')(e) && /no registered model "nosuchmodel"/.test((e as Error).message),
    );
    assert.ok(!fs.existsSync(path.join(store.dir, 'registry', 'nosuchmodel')));
  });
});
