// Mirror mode: `runlens sync mirror` pushes a run's points while it trains; the training process
// only writes to the store. A second mirror of the same store does not start.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { appendLines } from '../../src/core/store/fsutil';
import { formatPoint } from '../../src/core/store/metrics';
import { Store } from '../../src/core/store/store';
import { MlflowClient } from '../../src/core/sync/client';
import { findRemote } from '../../src/core/sync/config';
import { readWatermark } from '../../src/core/sync/state';
import { cli, cliAsync, tempDir, waitFor } from '../helpers/tmp';
import { assertPushed } from '../helpers/syncCompare';
import { freePort, mlflowServer, readBack } from '../helpers/mlflowServer';
import { MirrorSyncer } from '../../src/core/sync/mirror';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mirror while training', { timeout: 300_000 }, () => {
  test('points reach the server while the run trains; the finished run lands whole', async () => {
    const server = await mlflowServer();
    const store = Store.open(path.join(tempDir('runlens-mirror-'), '.runlens'), { create: true });
    const mirror = cliAsync(
      ['--store', store.dir, 'sync', 'mirror', '--to', server.uri, '--interval', '300'],
      {
        cwd: store.root,
      },
    );
    let out = '';
    mirror.stdout?.on('data', (d) => (out += d));
    mirror.stderr?.on('data', (d) => (out += d));
    const client = new MlflowClient(findRemote({ flagUri: server.uri, env: {} })!);
    try {
      await waitFor('the mirror to start', () => out.includes('mirroring'), 30_000);
      const second = cli(['--store', store.dir, 'sync', 'mirror', '--to', server.uri], { cwd: store.root });
      assert.equal(second.status, 1);
      assert.match(second.stderr, /another mirror of .* is running/);

      const run = store.createRun({
        experiment: `mirror-${process.pid}`,
        name: 'training',
        params: { lr: 0.1 },
      });
      const t0 = Date.now();
      let step = 0;
      const logSome = (n: number) => {
        const lines: string[] = [];
        for (let i = 0; i < n; i++, step++)
          lines.push(formatPoint({ key: 'loss', value: 1 / (1 + step), step, time: t0 + step }));
        appendLines(store.metricsFile(run.id), lines);
      };
      logSome(20);
      // While the run trains, its points show up on the server within seconds.
      const mlflowRunId = await waitFor(
        'the run on the server',
        () => readWatermark(store, server.uri, run.id)?.mlflowRunId,
        30_000,
      );
      let seenWhileRunning = 0;
      for (let round = 0; round < 4; round++) {
        logSome(25);
        const expected = step;
        const t = Date.now();
        for (;;) {
          const n = (await client.getMetricHistory(mlflowRunId, 'loss')).length;
          if (n === expected) break;
          assert.ok(Date.now() - t < 15_000, `the server has ${n} of ${expected} points after 15 s`);
          await sleep(200);
        }
        seenWhileRunning = expected;
        assert.equal((await client.getRun(mlflowRunId)).info.status, 'RUNNING');
      }
      assert.equal(seenWhileRunning, 120);
      await store.updateRun(run.id, (r) => ((r.status = 'finished'), (r.endTime = Date.now())));
      for (
        const t = Date.now();
        (await client.getRun(mlflowRunId)).info.status !== 'FINISHED';
        await sleep(200)
      ) {
        assert.ok(Date.now() - t < 30_000, 'FINISHED on the server within 30 s');
      }
      const back = readBack(server, [mlflowRunId]);
      assert.equal(assertPushed(store, run.id, back[mlflowRunId]), 120);
    } finally {
      client.close();
      mirror.kill('SIGINT');
      await new Promise((r) => mirror.on('exit', r));
    }
    assert.match(out, /stopped; 120 points mirrored/);
  });

  test('a server that cannot be reached: the mirror backs off (1 s, 2 s, 4 s) and the store is untouched', async () => {
    const store = Store.open(path.join(tempDir('runlens-mirror-'), '.runlens'), { create: true });
    const run = store.createRun({ experiment: 'offline', name: 'training' });
    appendLines(store.metricsFile(run.id), [formatPoint({ key: 'loss', value: 1, step: 0, time: 1 })]);
    const before = fs.readFileSync(store.metricsFile(run.id), 'utf8');
    const client = new MlflowClient(
      findRemote({ flagUri: `http://127.0.0.1:${await freePort()}`, env: {} })!,
    );
    const waits: number[] = [];
    const messages: string[] = [];
    const mirror = new MirrorSyncer(store, client, {
      intervalMs: 100,
      onError: (m, ms) => (messages.push(m), waits.push(ms)),
    });
    try {
      assert.equal(await mirror.start(), true);
      await waitFor('three failures', () => waits.length >= 3, 20_000);
    } finally {
      await mirror.stop();
      client.close();
    }
    assert.deepEqual(waits.slice(0, 3), [1000, 2000, 4000]);
    assert.match(messages[0], /cannot reach the MLflow server/);
    assert.equal(fs.readFileSync(store.metricsFile(run.id), 'utf8'), before);
  });
});
