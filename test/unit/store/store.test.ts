import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { newRunId, timeOfRunId, RUN_ID_PATTERN } from '../../../src/core/store/ids';
import { readSeries, scanMetrics, checkMetricValue } from '../../../src/core/store/metrics';
import { readRunFile, updateRunFile } from '../../../src/core/store/runFile';
import { Store } from '../../../src/core/store/store';
import { MetricLog } from '../../../src/core/tracking/metricLog';
import { RunlensError } from '../../../src/core/errors';
import { tempDir } from '../../helpers/tmp';

function newStore(): Store {
  return Store.open(path.join(tempDir(), '.runlens'), { create: true });
}

describe('run ids', () => {
  test('sort by creation time and stay unique within a millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => newRunId(1_790_000_000_000));
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual([...ids].sort(), ids, 'ids made in one millisecond sort in creation order');
    assert.ok(ids.every((id) => RUN_ID_PATTERN.test(id)));
    assert.equal(timeOfRunId(ids[0]), 1_790_000_000_000);
    assert.ok(newRunId(1_790_000_000_001) > ids[ids.length - 1]);
  });
});

describe('store', () => {
  test('creates runs that list newest first with their params and metrics', () => {
    const store = newStore();
    const a = store.createRun({ experiment: 'exp', params: { lr: 0.1 } });
    const b = store.createRun({ experiment: 'exp', params: { lr: 0.01 }, name: 'second' });
    const log = new MetricLog(store.metricsFile(b.id));
    log.log({ loss: 0.5, acc: 0.8 }, 0);
    log.log({ loss: 0.25, acc: 0.9 }, 1);
    log.close();
    const { entries } = store.listRuns();
    assert.deepEqual(
      entries.map((e) => e.id),
      [b.id, a.id],
    );
    assert.equal(entries[0].name, 'second');
    assert.equal(entries[0].metrics.loss.last, 0.25);
    assert.equal(entries[0].metrics.loss.min, 0.25);
    assert.equal(entries[0].metrics.acc.max, 0.9);
    assert.equal(entries[0].metrics.acc.count, 2);
    assert.equal(store.resolveRunId('second'), b.id);
    assert.equal(store.resolveRunId(b.id.slice(-6)), b.id);
  });

  test('keeps NaN and infinities, and refuses strings naming the key', () => {
    const store = newStore();
    const run = store.createRun();
    const log = new MetricLog(store.metricsFile(run.id));
    log.log({ x: NaN }, 0);
    log.log({ x: Infinity }, 1);
    log.log({ x: -Infinity }, 2);
    log.log({ x: 1.5 }, 3);
    log.close();
    assert.throws(
      () => log.log({ acc: 'high' }),
      (e: Error) =>
        e instanceof RunlensError && /metric "acc" must be a number, got the string "high"/.test(e.message),
    );
    assert.throws(() => checkMetricValue('m', { a: 1 }), /metric "m" must be a number, got object/);
    const { series } = readSeries(store.metricsFile(run.id), 'x');
    assert.deepEqual(series.values, [NaN, Infinity, -Infinity, 1.5]);
    const e = store.listRuns().entries[0];
    assert.equal(e.metrics.x.min, -Infinity);
    assert.equal(e.metrics.x.max, Infinity);
  });

  test('NaN and infinities in summaries survive run.json and the index', async () => {
    const store = newStore();
    const run = store.createRun();
    const log = new MetricLog(store.metricsFile(run.id));
    log.log({ loss: NaN, gain: Infinity }, 0);
    log.close();
    await store.updateRun(run.id, (r) => {
      r.status = 'finished';
      r.summary = log.summary;
    });
    assert.ok(Number.isNaN(store.getRun(run.id).summary?.loss.last));
    const reopened = Store.open(store.dir);
    reopened.listRuns();
    const e = Store.open(store.dir).listRuns().entries[0];
    assert.ok(Number.isNaN(e.metrics.loss.last));
    assert.equal(e.metrics.gain.max, Infinity);
  });

  test('skips a torn last line and corrupt lines with a warning that names file and line', () => {
    const store = newStore();
    const run = store.createRun();
    const file = store.metricsFile(run.id);
    fs.appendFileSync(
      file,
      '{"key":"a","value":1,"step":0,"time":1}\nnot json\n{"key":"a","value":2,"step":1,"time":2}\n{"key":"a","val',
    );
    const points: number[] = [];
    const r = scanMetrics(file, (p) => points.push(p.value));
    assert.deepEqual(points, [1, 2]);
    assert.equal(r.partialTail, true);
    assert.equal(r.warnings.length, 1);
    assert.equal(r.warnings[0].line, 3);
    assert.match(r.warnings[0].message, /not valid JSON/);
    // The torn line is not consumed: once completed by its writer, the next read picks it up.
    fs.appendFileSync(file, 'ue":3,"step":2,"time":3}\n');
    const more: number[] = [];
    scanMetrics(file, (p) => more.push(p.value), { fromOffset: r.endOffset });
    assert.deepEqual(more, [3]);
  });

  test('lists a corrupt run.json as unreadable and still loads the others', () => {
    const store = newStore();
    const good = store.createRun({ name: 'good' });
    const bad = store.createRun({ name: 'bad' });
    fs.writeFileSync(path.join(store.runDir(bad.id), 'run.json'), '{"schemaVersion": 1, "id": ');
    const { entries } = store.listRuns();
    const byId = new Map(entries.map((e) => [e.id, e]));
    assert.equal(byId.get(good.id)?.status, 'running');
    assert.equal(byId.get(bad.id)?.status, 'unreadable');
    assert.match(byId.get(bad.id)?.error ?? '', /run\.json is not valid JSON/);
    // Fixed on disk: the next listing reads it again.
    fs.writeFileSync(
      path.join(store.runDir(bad.id), 'run.json'),
      JSON.stringify({ ...bad, status: 'finished' }),
    );
    assert.equal(store.listRuns().entries.find((e) => e.id === bad.id)?.status, 'finished');
  });

  test('refuses a run and a store written by a newer schema without overwriting them', async () => {
    const store = newStore();
    const run = store.createRun();
    const file = path.join(store.runDir(run.id), 'run.json');
    const newer = JSON.stringify({ ...run, schemaVersion: 99 });
    fs.writeFileSync(file, newer);
    const entry = store.listRuns().entries.find((e) => e.id === run.id);
    assert.equal(entry?.status, 'unreadable');
    assert.match(entry?.error ?? '', /schema version 99, newer than this Runlens understands/);
    await assert.rejects(
      updateRunFile(store.runDir(run.id), (r) => (r.name = 'x')),
      /newer than this Runlens/,
    );
    assert.equal(fs.readFileSync(file, 'utf8'), newer);

    fs.writeFileSync(
      path.join(store.dir, 'store.json'),
      JSON.stringify({ schema: 'runlens.store', schemaVersion: 2 }),
    );
    assert.throws(
      () => Store.open(store.dir),
      /written by a newer Runlens \(schema 2, this one reads up to 1\); nothing was changed/,
    );
  });

  test('migrates a run.json written before optional fields existed', () => {
    const store = newStore();
    const dir = path.join(store.runsDir, '01m8aaaaaaaaaaaaaa');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'run.json'),
      JSON.stringify({
        schemaVersion: 1,
        id: '01m8aaaaaaaaaaaaaa',
        experiment: 'old',
        status: 'finished',
        startTime: 5,
      }),
    );
    const run = readRunFile(dir);
    assert.equal(run.name, '01m8aaaaaaaaaaaaaa');
    assert.equal(run.starred, false);
    assert.deepEqual(run.params, {});
    assert.equal(store.listRuns().entries[0].experiment, 'old');
  });

  test('rebuilds a deleted or corrupt index from the run folders', () => {
    const store = newStore();
    const ids = Array.from({ length: 20 }, (_, i) => store.createRun({ params: { i } }).id);
    store.listRuns();
    fs.writeFileSync(path.join(store.dir, 'index.json'), '{ corrupt');
    assert.equal(store.listRuns().entries.length, 20);
    fs.rmSync(path.join(store.dir, 'index.json'));
    fs.rmSync(path.join(store.dir, 'index.journal.jsonl'), { force: true });
    const { entries } = store.listRuns();
    assert.deepEqual(new Set(entries.map((e) => e.id)), new Set(ids));
    assert.ok(fs.existsSync(path.join(store.dir, 'index.json')));
  });

  test('a status change appends one journal line and does not rewrite the index', async () => {
    const store = newStore();
    const runs = Array.from({ length: 30 }, () => store.createRun());
    store.listRuns();
    const indexBefore = fs.statSync(path.join(store.dir, 'index.json')).mtimeMs;
    const journal = path.join(store.dir, 'index.journal.jsonl');
    const linesBefore = fs.existsSync(journal) ? fs.readFileSync(journal, 'utf8').split('\n').length : 1;
    await store.updateRun(runs[3].id, (r) => (r.status = 'finished'));
    assert.equal(fs.readFileSync(journal, 'utf8').split('\n').length, linesBefore + 1);
    assert.equal(fs.statSync(path.join(store.dir, 'index.json')).mtimeMs, indexBefore);
    assert.equal(store.index.load().get(runs[3].id)?.status, 'finished');
  });

  test('removes runs to the trash and restores them', async () => {
    const store = newStore();
    const run = store.createRun({ name: 'keep-me' });
    store.removeRun('keep-me');
    assert.equal(store.listRuns().entries.length, 0);
    assert.deepEqual(store.removedRuns(), [run.id]);
    assert.throws(
      () => store.resolveRunId(run.id),
      (e: Error) => e instanceof RunlensError && /runlens restore/.test(e.hint ?? ''),
    );
    await store.restoreRun(run.id);
    assert.equal(store.listRuns().entries[0].name, 'keep-me');
  });

  test('explains ambiguous and unknown run references', () => {
    const store = newStore();
    store.createRun({ name: 'twin' });
    store.createRun({ name: 'twin' });
    store.listRuns();
    assert.throws(() => store.resolveRunId('twin'), /matches 2 runs/);
    assert.throws(
      () => store.resolveRunId('nope'),
      (e: Error) => e instanceof RunlensError && e.kind === 'notFound',
    );
  });

  test('refuses a store path that cannot be written, naming the path and the fix', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    assert.throws(
      () => Store.open(path.join(dir, 'file', '.runlens'), { create: true }),
      (e: Error) =>
        e instanceof RunlensError &&
        /a part of the path is a file/.test(e.message) &&
        /--store/.test(e.hint ?? ''),
    );
  });
});
