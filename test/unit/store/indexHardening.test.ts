import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { RunlensError } from '../../../src/core/errors';
import { importMlflow } from '../../../src/core/importers/mlflow';
import { Registry } from '../../../src/core/store/registry';
import { ownerAlive, readRunFile } from '../../../src/core/store/runFile';
import { Store } from '../../../src/core/store/store';
import { MetricLog } from '../../../src/core/tracking/metricLog';
import { cli, cliAsync, repoRoot, tempDir, waitFor } from '../../helpers/tmp';

function newStore(): Store {
  return Store.open(path.join(tempDir('runlens-index-'), '.runlens'), { create: true });
}

function logPoints(store: Store, id: string, from: number, n: number): void {
  const log = new MetricLog(store.metricsFile(id));
  for (let i = from; i < from + n; i++) log.log({ loss: 1 / (i + 1) }, i);
  log.close();
}

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

describe('the index is never stale', () => {
  test('an MLflow run imported while RUNNING lists its metrics at once (no --reindex)', async () => {
    const root = tempDir('runlens-mlruns-running-');
    const id = 'd0000000000000000000000000000004';
    const w = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    };
    w('0/meta.yaml', "experiment_id: '0'\nlifecycle_stage: active\nname: Default\n");
    w(
      `0/${id}/meta.yaml`,
      `end_time: null\nexperiment_id: '0'\nlifecycle_stage: active\nrun_id: ${id}\nrun_uuid: ${id}\nstart_time: 1750000000000\nstatus: 1\nuser_id: u\n`,
    );
    w(`0/${id}/metrics/loss`, '1750000001000 0.5 0\n1750000002000 0.25 1\n1750000003000 0.125 2\n');
    const store = newStore();
    await importMlflow(store, root);
    const [e] = store.listRuns().entries;
    assert.equal(e.status, 'running');
    assert.equal(e.metrics.loss?.count, 3);
    assert.equal(e.metrics.loss.last, 0.125);
  });

  test('a run marked crashed whose metrics file still grows is re-read', () => {
    const store = newStore();
    const run = store.createRun({ pid: deadPid() });
    logPoints(store, run.id, 0, 5);
    const first = store.listRuns().entries[0];
    assert.equal(first.status, 'crashed');
    assert.equal(first.metrics.loss.count, 5);
    // The training child outlived its launcher and keeps writing.
    logPoints(store, run.id, 5, 7);
    const later = store.listRuns().entries[0];
    assert.equal(later.metrics.loss.count, 12);
    assert.equal(later.metrics.loss.lastStep, 11);
  });

  test('a zombie owner process does not count as alive', () => {
    // python3 forks a child that exits at once and is never reaped: a zombie while the parent sleeps.
    const parent = spawn(
      '/usr/bin/python3',
      [
        '-c',
        'import os,sys,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid,flush=True)\ntime.sleep(30)',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    return new Promise<void>((resolve, reject) => {
      parent.stdout.once('data', (d: Buffer) => {
        try {
          const pid = Number(String(d).trim());
          waitForState(pid, 'Z');
          assert.equal(ownerAlive({ pid, host: os.hostname(), startTime: Date.now() - 1000 }), false);
          assert.equal(ownerAlive({ pid: parent.pid!, host: os.hostname(), startTime: Date.now() }), true);
          resolve();
        } catch (e) {
          reject(e);
        } finally {
          parent.kill('SIGKILL');
        }
      });
    });
  });

  test('SIGKILL of the launcher: the child keeps training and ls shows every point it wrote', async () => {
    const ws = tempDir('runlens-sigkill-');
    Store.open(path.join(ws, '.runlens'), { create: true });
    const client = JSON.stringify(path.join(repoRoot, 'dist', 'client.js'));
    fs.writeFileSync(
      path.join(ws, 'train.js'),
      `const runlens = require(${client});
       const fs = require('fs');
       process.on('SIGHUP', () => {});
       fs.writeFileSync('child.pid', String(process.pid));
       runlens.init();
       let i = 0;
       const t = setInterval(() => {
         runlens.log({ loss: 1 / (i + 1) }, i);
         if (++i === 60) { clearInterval(t); runlens.finish(); fs.writeFileSync('child.done', ''); }
       }, 20);`,
    );
    const launcher = cliAsync(['run', '--no-capture', '--', process.execPath, 'train.js'], { cwd: ws });
    const store = Store.open(path.join(ws, '.runlens'));
    await waitFor('a first flushed point', () => {
      const e = store.listRuns().entries[0];
      return e && (e.metrics.loss?.count ?? 0) > 0;
    });
    launcher.kill('SIGKILL');
    await new Promise((r) => launcher.once('exit', r));
    const early = store.listRuns().entries[0];
    assert.equal(early.status, 'crashed');
    await waitFor('the child to finish', () => fs.existsSync(path.join(ws, 'child.done')), 30_000);
    const late = store.listRuns().entries[0];
    assert.equal(late.metrics.loss.count, 60, 'every point the child wrote');
  });
});

function waitForState(pid: number, state: string): void {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2)[0] === state) return;
    if (Date.now() > deadline) throw new Error(`process ${pid} never reached state ${state}`);
    spawnSync('sleep', ['0.05']);
  }
}

describe('documents read from disk are validated, one schema each', () => {
  test('malformed but parseable index entries are skipped with a warning naming the file', () => {
    const store = newStore();
    const run = store.createRun({ experiment: 'exp', name: 'good' });
    logPoints(store, run.id, 0, 3);
    store.listRuns({ rebuild: true });
    const indexFile = path.join(store.dir, 'index.json');
    const index = JSON.parse(fs.readFileSync(indexFile, 'utf8'));
    index.runs[run.id].metrics = { loss: 5 };
    index.runs[run.id].params = 'lr=1';
    fs.writeFileSync(indexFile, JSON.stringify(index));
    fs.appendFileSync(
      path.join(store.dir, 'index.journal.jsonl'),
      JSON.stringify({ id: run.id, status: 7, metrics: null }) +
        '\n' +
        JSON.stringify({ id: run.id, updatedAt: 'x' }) +
        '\n',
    );
    const r = store.listRuns();
    assert.equal(r.entries.length, 1);
    assert.equal(r.entries[0].name, 'good');
    assert.equal(r.entries[0].metrics.loss.count, 3, 're-read from the run folder');
    assert.ok(
      r.warnings.some((w) => w.file === indexFile && /index entry/.test(w.message)),
      JSON.stringify(r.warnings),
    );
    assert.ok(
      r.warnings.some((w) => w.file.endsWith('index.journal.jsonl')),
      JSON.stringify(r.warnings),
    );
  });

  test('a run.json whose summary has the wrong type is listed unreadable with the file and field named', () => {
    const store = newStore();
    const run = store.createRun({ status: 'finished' });
    const file = path.join(store.runDir(run.id), 'run.json');
    for (const summary of ['high', { loss: 5 }, { loss: { last: 'x' } }, [1]]) {
      const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
      raw.summary = summary;
      fs.writeFileSync(file, JSON.stringify(raw));
      assert.throws(
        () => readRunFile(store.runDir(run.id)),
        (e: unknown) => e instanceof RunlensError && e.message.includes(file) && /summary/.test(e.message),
        JSON.stringify(summary),
      );
      const [e] = store.listRuns({ rebuild: true }).entries;
      assert.equal(e.status, 'unreadable');
      assert.match(e.error ?? '', /summary/);
    }
  });

  test('a run.json corrupted after the run ended is re-checked by ls, not shown with its old status', () => {
    const store = newStore();
    const run = store.createRun({ status: 'finished' });
    assert.equal(store.listRuns().entries[0].status, 'finished');
    const file = path.join(store.runDir(run.id), 'run.json');
    fs.writeFileSync(file, '{"schemaVersion": 1, "id": ');
    const future = new Date(Date.now() + 5000);
    fs.utimesSync(file, future, future);
    const [e] = store.listRuns().entries;
    assert.equal(e.status, 'unreadable');
    assert.ok(e.error?.includes(file));
  });

  test('store.json = null, or not an object, is a clear error naming it', () => {
    for (const text of ['null', '[]', '"x"', '{"schemaVersion":"1"}']) {
      const dir = path.join(tempDir(), '.runlens');
      fs.mkdirSync(path.join(dir, 'runs'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'store.json'), text);
      assert.throws(
        () => Store.open(dir),
        (e: unknown) => e instanceof RunlensError && e.message.includes(path.join(dir, 'store.json')),
        text,
      );
    }
  });

  test('a malformed model.json is named; model ls skips it with a warning', async () => {
    const store = newStore();
    const run = store.createRun({ status: 'finished' });
    store.addArtifact(run.id, 'model/model.json', '{}');
    const registry = new Registry(store);
    await registry.register('good', run.id);
    const bad = path.join(registry.dir, 'bad', 'model.json');
    fs.mkdirSync(path.dirname(bad), { recursive: true });
    fs.writeFileSync(
      bad,
      JSON.stringify({ schemaVersion: 1, name: 'bad', createdAt: 1, versions: [{ version: 'one' }] }),
    );
    assert.throws(
      () => registry.getModel('bad'),
      (e: unknown) => e instanceof RunlensError && e.message.includes(bad),
    );
    const warnings: string[] = [];
    assert.deepEqual(
      registry.listModels(warnings).map((m) => m.name),
      ['good'],
    );
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0].includes(bad));
    const r = cli(['model', 'ls'], { cwd: path.dirname(store.dir) });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /good/);
    assert.ok(r.stderr.includes(bad), r.stderr);
  });

  test('a malformed baselines.json is named', () => {
    const store = newStore();
    fs.writeFileSync(path.join(store.dir, 'baselines.json'), '{"schemaVersion":1,"experiments":null}');
    const registry = new Registry(store);
    assert.throws(
      () => registry.getBaseline('exp'),
      (e: unknown) => e instanceof RunlensError && e.message.includes('baselines.json'),
    );
  });
});
