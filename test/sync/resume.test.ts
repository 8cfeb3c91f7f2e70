// A push of a 100,000-point run interrupted for real (the server killed mid-push, then the pushing
// process killed), resumed: the server's history equals the local one exactly. Then the two
// moments a process can die around a batch, reproduced from the watermark they leave behind.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { appendLines } from '../../src/core/store/fsutil';
import { formatPoint } from '../../src/core/store/metrics';
import { Store } from '../../src/core/store/store';
import { MlflowClient } from '../../src/core/sync/client';
import { findRemote } from '../../src/core/sync/config';
import { pushRun } from '../../src/core/sync/push';
import { readWatermark, writeWatermark } from '../../src/core/sync/state';
import { cli, cliAsync, tempDir, waitFor } from '../helpers/tmp';
import { assertSeriesEqual, localSeries, remoteSeries } from '../helpers/syncCompare';
import type { MlflowServer } from '../helpers/mlflowServer';
import { readBack, startMlflow } from '../helpers/mlflowServer';

const KEYS = ['loss', 'acc', 'lr', 'grad_norm'];

function exited(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

function sent(store: Store, uri: string, id: string): number {
  try {
    const w = readWatermark(store, uri, id);
    return w ? Object.values(w.counts).reduce((a, b) => a + b, 0) : 0;
  } catch {
    return 0; // between the watermark's temporary file and its rename
  }
}

/** Points of `n` steps of every key, deterministic values. */
function points(from: number, n: number, t0: number): string[] {
  const lines: string[] = [];
  let x = 12345 + from;
  for (let s = from; s < from + n; s++) {
    for (const key of KEYS) {
      x = (x * 1103515245 + 12345) % 2147483648;
      lines.push(formatPoint({ key, value: x / 2147483648 - 0.25, step: s, time: t0 + s }));
    }
  }
  return lines;
}

describe('push resumes exactly', { timeout: 900_000 }, () => {
  let server: MlflowServer;
  let store: Store;
  let id: string;

  before(async () => {
    server = await startMlflow();
    store = Store.open(path.join(tempDir('runlens-resume-'), '.runlens'), { create: true });
    const run = store.createRun({ experiment: 'resume', name: 'long run', params: { lr: 0.1 }, pid: null });
    id = run.id;
    const t0 = Date.now() - 1e7;
    for (let s = 0; s < 25_000; s += 5000) appendLines(store.metricsFile(id), points(s, 5000, t0));
    await store.updateRun(id, (r) => {
      r.status = 'finished';
      r.endTime = Date.now();
    });
    assert.equal(localSeries(store, id).loss.length, 25_000);
  });

  test('the server killed mid-push, the push process killed mid-push: resumed, no point missing or twice', async () => {
    // 1. The server dies while a push is under way.
    const first = cliAsync(['--store', store.dir, 'sync', 'push', id, '--to', server.uri], {
      cwd: store.root,
    });
    const firstDone = exited(first);
    await waitFor(
      'a fifth of the points on the server',
      () => sent(store, server.uri, id) >= 20_000,
      300_000,
    );
    server.stop();
    const r1 = await firstDone;
    assert.equal(r1.code, 1, r1.stderr);
    assert.match(r1.stderr, new RegExp(`cannot reach the MLflow server ${server.uri}|answered 5\\d\\d`));
    const after1 = sent(store, server.uri, id);
    assert.ok(after1 < 100_000, `stopped part-way (${after1})`);

    // 2. Restarted; this time the pushing process itself is killed part-way.
    server.restart();
    const second = cliAsync(['--store', store.dir, 'sync', 'push', id, '--to', server.uri], {
      cwd: store.root,
    });
    const secondDone = exited(second);
    await waitFor('more points on the server', () => sent(store, server.uri, id) >= after1 + 20_000, 300_000);
    second.kill('SIGKILL');
    await secondDone;
    assert.ok(sent(store, server.uri, id) < 100_000);

    // 3. Resumed to the end.
    const r3 = cli(['--store', store.dir, 'sync', 'push', id, '--to', server.uri, '--json'], {
      cwd: store.root,
    });
    assert.equal(r3.status, 0, r3.stderr);
    const report = JSON.parse(r3.stdout);
    assert.equal(report.failed.length, 0);
    const w = readWatermark(store, server.uri, id)!;
    assert.equal(w.pending, null);
    const back = readBack(server, [w.mlflowRunId])[w.mlflowRunId];
    assert.equal(back.status, 'FINISHED');
    assert.equal(assertSeriesEqual(localSeries(store, id), remoteSeries(back), 'after resume'), 100_000);
  });

  test('died after the server took a batch, before the watermark moved: the batch is not sent again', async () => {
    const client = new MlflowClient(findRemote({ flagUri: server.uri, env: {} })!);
    try {
      appendLines(store.metricsFile(id), points(25_000, 250, Date.now()));
      const before = readWatermark(store, server.uri, id)!;
      const r = await pushRun(store, client, id);
      assert.equal(r.points, 1000);
      // The watermark as a process leaves it when killed just after the server answered.
      writeWatermark(store, {
        ...before,
        pending: {
          skipFrom: before.skip,
          skipTo: before.skip + 1000,
          batch: Object.fromEntries(KEYS.map((k) => [k, 250])),
        },
      });
      const again = await pushRun(store, client, id);
      assert.equal(again.reconciled, 1);
      assert.equal(again.points, 0);

      // The other moment: the batch recorded as pending but never sent.
      appendLines(store.metricsFile(id), points(25_250, 125, Date.now()));
      const w = readWatermark(store, server.uri, id)!;
      writeWatermark(store, {
        ...w,
        pending: {
          skipFrom: w.skip,
          skipTo: w.skip + 500,
          batch: Object.fromEntries(KEYS.map((k) => [k, 125])),
        },
      });
      const third = await pushRun(store, client, id);
      assert.equal(third.reconciled, 1);
      assert.equal(third.points, 500);
      const back = readBack(server, [w.mlflowRunId])[w.mlflowRunId];
      assert.equal(assertSeriesEqual(localSeries(store, id), remoteSeries(back), 'after both'), 101_500);
    } finally {
      client.close();
    }
  });

  test('died after creating the server run, before the first watermark: the run is found, not created twice', async () => {
    const client = new MlflowClient(findRemote({ flagUri: server.uri, env: {} })!);
    try {
      const run = store.createRun({ experiment: 'resume', name: 'short', pid: null });
      appendLines(store.metricsFile(run.id), points(0, 300, Date.now()));
      await store.updateRun(run.id, (r) => ((r.status = 'finished'), (r.endTime = Date.now())));
      const first = await pushRun(store, client, run.id, { batchSize: 500 });
      assert.equal(first.created, true);
      // Forget the watermark, as when a push died before writing it: the server holds all 1,200
      // points; the next push must find the run by its runlens.run_id tag and send nothing.
      const { rmSync } = await import('node:fs');
      const { watermarkFile } = await import('../../src/core/sync/state');
      rmSync(watermarkFile(store, server.uri, run.id));
      const again = await pushRun(store, client, run.id);
      assert.equal(again.created, false);
      assert.equal(again.mlflowRunId, first.mlflowRunId);
      assert.equal(again.points, 0);
      const back = readBack(server, [first.mlflowRunId])[first.mlflowRunId];
      assertSeriesEqual(localSeries(store, run.id), remoteSeries(back), 'found again');
    } finally {
      client.close();
    }
  });
});
