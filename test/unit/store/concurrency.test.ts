import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { scanMetrics } from '../../../src/core/store/metrics';
import { Store } from '../../../src/core/store/store';
import { cliAsync, repoRoot, tempDir, waitFor } from '../../helpers/tmp';

const client = JSON.stringify(path.join(repoRoot, 'dist', 'client.js'));

function exited(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => child.on('close', (code) => resolve(code)));
}

describe('several writers at once', () => {
  test('two training runs with the CLI listing meanwhile: nothing is lost', async () => {
    const ws = tempDir();
    fs.writeFileSync(
      path.join(ws, 'train.js'),
      `const runlens = require(${client});
       const run = runlens.init({ experiment: 'race', params: { n: 20000 } });
       for (let i = 0; i < 20000; i++) { run.log({ loss: 1 / (i + 1), acc: i / 20000 }, i); if (i % 2000 === 0) run.flush(); }`,
    );
    Store.open(path.join(ws, '.runlens'), { create: true });
    // Without system metrics: the test counts the metric lines exactly, and a run slowed past the
    // sampler's first tick (a loaded machine) would add system/... points.
    const trainers = [1, 2].map((i) =>
      cliAsync(['run', '-n', `t${i}`, '--no-system-metrics', '--', process.execPath, 'train.js'], {
        cwd: ws,
      }),
    );
    // Meanwhile the CLI lists (refreshing the index) and tags whatever runs exist.
    let listings = 0;
    const done = Promise.all(trainers.map(exited));
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      const ls = cliAsync(['ls', '--json'], { cwd: ws });
      let stderr = '';
      ls.stderr!.on('data', (d) => (stderr += d));
      assert.equal(await exited(ls), 0, stderr);
      listings++;
    }
    assert.deepEqual(await done, [0, 0]);
    const store = Store.open(path.join(ws, '.runlens'));
    const { entries } = store.listRuns();
    assert.equal(entries.length, 2);
    for (const e of entries) {
      assert.equal(e.status, 'finished', `${e.name} finished`);
      assert.equal(e.metrics.loss.count, 20000);
      assert.equal(e.metrics.acc.count, 20000);
      let lines = 0;
      scanMetrics(store.metricsFile(e.id), () => lines++);
      assert.equal(lines, 40000);
    }
    assert.ok(listings > 0);
  });

  test('four processes appending to one metrics file never interleave inside a line', async () => {
    const ws = tempDir();
    const store = Store.open(path.join(ws, '.runlens'), { create: true });
    const run = store.createRun();
    const writer = `
      const { MetricLog } = require(${JSON.stringify(path.join(repoRoot, 'src/core/tracking/metricLog.ts'))});
      const [file, w] = process.argv.slice(1);
      const log = new MetricLog(file);
      for (let i = 0; i < 5000; i++) { log.log({ ['w' + w]: i, ['long_key_to_make_lines_longer_' + w]: Math.PI * i }, i); if (i % 100 === 0) log.flush(); }
      log.close();`;
    const children = [0, 1, 2, 3].map((w) =>
      spawn(process.execPath, ['--import', 'tsx', '-e', writer, store.metricsFile(run.id), String(w)], {
        cwd: repoRoot,
        stdio: 'inherit',
      }),
    );
    assert.deepEqual(await Promise.all(children.map(exited)), [0, 0, 0, 0]);
    const counts = new Map<string, number>();
    const r = scanMetrics(store.metricsFile(run.id), (p) => counts.set(p.key, (counts.get(p.key) ?? 0) + 1));
    assert.deepEqual(r.warnings, []);
    for (let w = 0; w < 4; w++) {
      assert.equal(counts.get('w' + w), 5000);
      assert.equal(counts.get('long_key_to_make_lines_longer_' + w), 5000);
    }
  });

  test('run.json edits from many processes at once all land (lock)', async () => {
    const ws = tempDir();
    const store = Store.open(path.join(ws, '.runlens'), { create: true });
    const run = store.createRun();
    const tagger = `
      const { Store } = require(${JSON.stringify(path.join(repoRoot, 'src/core/store/store.ts'))});
      const [dir, id, prefix] = process.argv.slice(1);
      const store = Store.open(dir);
      (async () => { for (let i = 0; i < 25; i++) await store.updateRun(id, (r) => { r.tags[prefix + i] = 'x'; }); })();`;
    const children = ['a', 'b', 'c'].map((p) =>
      spawn(process.execPath, ['--import', 'tsx', '-e', tagger, store.dir, run.id, p], {
        cwd: repoRoot,
        stdio: 'inherit',
      }),
    );
    assert.deepEqual(await Promise.all(children.map(exited)), [0, 0, 0]);
    const tags = store.getRun(run.id).tags;
    assert.equal(Object.keys(tags).length, 75);
    assert.equal(store.listRuns().entries[0].tags.c24, 'x');
  });
});

describe('killed processes', () => {
  test('a SIGKILLed training script is shown as crashed with every metric it wrote', async () => {
    const ws = tempDir();
    fs.writeFileSync(
      path.join(ws, 'train.js'),
      `const runlens = require(${client});
       const run = runlens.init({ experiment: 'k' });
       for (let i = 0; i < 300; i++) run.log({ loss: i }, i);
       run.flush();
       console.log('ready');
       setInterval(() => {}, 1000);`,
    );
    Store.open(path.join(ws, '.runlens'), { create: true });
    const child = spawn(process.execPath, ['train.js'], { cwd: ws, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await waitFor('the script to log', () => out.includes('ready'));
    const store = Store.open(path.join(ws, '.runlens'));
    assert.equal(store.listRuns().entries[0].status, 'running');
    child.kill('SIGKILL');
    await exited(child);
    const e = store.listRuns().entries[0];
    assert.equal(e.status, 'crashed');
    assert.equal(e.metrics.loss.count, 300);
    assert.equal(e.metrics.loss.last, 299);
    assert.equal(store.getRun(e.id).status, 'crashed', 'crashed is written to run.json');
    assert.ok(store.getRun(e.id).endTime! >= store.getRun(e.id).startTime);
  });

  test('a SIGKILLed launcher leaves a crashed run; SIGTERM to the launcher marks the run killed', async () => {
    const ws = tempDir();
    fs.writeFileSync(
      path.join(ws, 'loop.js'),
      `let i = 0; console.log('ready'); setInterval(() => console.log('loss=' + (1 / ++i)), 20); setTimeout(() => process.exit(0), 15000);`,
    );
    const killed = cliAsync(['run', '-n', 'hard', '--', process.execPath, 'loop.js'], { cwd: ws });
    let out = '';
    killed.stdout!.on('data', (d) => (out += d));
    await waitFor('output', () => out.includes('loss='));
    killed.kill('SIGKILL');
    await exited(killed);
    const soft = cliAsync(['run', '-n', 'soft', '--', process.execPath, 'loop.js'], { cwd: ws });
    let out2 = '';
    soft.stdout!.on('data', (d) => (out2 += d));
    await waitFor('output', () => out2.includes('loss='));
    soft.kill('SIGTERM');
    const code = await exited(soft);
    assert.equal(code, 143, 'exit code 128 + SIGTERM');
    const store = Store.open(path.join(ws, '.runlens'));
    const byName = new Map(store.listRuns().entries.map((e) => [e.name, e]));
    assert.equal(byName.get('soft')?.status, 'killed');
    assert.ok(
      (byName.get('soft')?.metrics.loss?.count ?? 0) > 0,
      'metrics captured from stdout before the kill',
    );
    assert.equal(byName.get('hard')?.status, 'crashed');
  });
});
