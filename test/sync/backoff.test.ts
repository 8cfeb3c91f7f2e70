// A busy server: a proxy in front of the real MLflow server answers 429 (with Retry-After) and 503
// to some requests. Push and the mirror try again and end with the server's history equal to the
// local one (no point missing or twice); a server that stays busy makes the push give up after a
// bounded number of tries with a clear error, and the next push completes the run exactly.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { appendLines } from '../../src/core/store/fsutil';
import { formatPoint } from '../../src/core/store/metrics';
import { Store } from '../../src/core/store/store';
import { DEFAULT_TRIES, MlflowClient } from '../../src/core/sync/client';
import { findRemote } from '../../src/core/sync/config';
import { MirrorSyncer } from '../../src/core/sync/mirror';
import { readWatermark } from '../../src/core/sync/state';
import { cliAsync, tempDir, waitFor } from '../helpers/tmp';
import { assertPushed } from '../helpers/syncCompare';
import type { MlflowServer } from '../helpers/mlflowServer';
import { mlflowServer, readBack } from '../helpers/mlflowServer';

interface Seen {
  method: string;
  path: string;
  /** A log-batch call carrying metric points. */
  points: boolean;
  status: number | 'forwarded';
  at: number;
}

/** A proxy to `target` that answers `refuse(request number, seen)` instead of forwarding when it says so. */
async function busyProxy(target: URL) {
  const seen: Seen[] = [];
  let refuse: (n: number, s: Seen) => { status: number; retryAfter?: string } | undefined = () => undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const p = (req.url ?? '').split('?')[0];
      let points = false;
      if (p.endsWith('/runs/log-batch')) {
        const o = JSON.parse(body.toString('utf8')) as { metrics?: unknown[] };
        points = (o.metrics?.length ?? 0) > 0;
      }
      const s: Seen = { method: req.method ?? '', path: p, points, status: 'forwarded', at: Date.now() };
      seen.push(s);
      const no = refuse(seen.length, s);
      if (no) {
        s.status = no.status;
        res.writeHead(no.status, {
          'content-type': 'application/json',
          ...(no.retryAfter !== undefined ? { 'retry-after': no.retryAfter } : {}),
        });
        res.end(JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy, try later' }));
        return;
      }
      const up = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
        },
      );
      up.on('error', (e) => res.writeHead(502).end(String(e)));
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    setRefuse: (f: typeof refuse) => (refuse = f),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Every third request refused: 429 with Retry-After: 1, and 503 without, in turn. */
const everyThird = (n: number) =>
  n % 3 === 1 ? (n % 2 === 0 ? { status: 429, retryAfter: '1' } : { status: 503 }) : undefined;

function run(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = cliAsync(args, { cwd });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

function pointsOf(from: number, n: number): string[] {
  const lines: string[] = [];
  for (let s = from; s < from + n; s++) {
    for (const key of ['loss', 'acc', 'lr'])
      lines.push(formatPoint({ key, value: Math.cos(s * 0.01) + key.length, step: s, time: 1e12 + s }));
  }
  return lines;
}

describe('a busy server (429 and 503)', { timeout: 600_000 }, () => {
  let server: MlflowServer;
  let proxy: Awaited<ReturnType<typeof busyProxy>>;

  before(async () => {
    server = await mlflowServer();
    proxy = await busyProxy(new URL(server.uri));
  });
  after(() => proxy?.close());

  test('push tries again after 429/503 and the server ends with exactly the local points', async () => {
    const store = Store.open(path.join(tempDir('runlens-busy-'), '.runlens'), { create: true });
    const r = store.createRun({
      experiment: `busy-${process.pid}`,
      name: 'busy',
      params: { a: 1 },
      pid: null,
    });
    appendLines(store.metricsFile(r.id), pointsOf(0, 4000));
    await store.updateRun(r.id, (x) => ((x.status = 'finished'), (x.endTime = 1e12 + 5000)));
    proxy.seen.length = 0;
    proxy.setRefuse(everyThird);
    const res = await run(
      ['--store', store.dir, 'sync', 'push', r.id, '--to', proxy.uri, '--json'],
      store.root,
    );
    assert.equal(res.code, 0, res.stderr);
    const refused = proxy.seen.filter((s) => s.status !== 'forwarded');
    assert.ok(
      refused.some((s) => s.points && s.status === 429),
      'a batch of points answered 429',
    );
    assert.ok(
      refused.some((s) => s.points && s.status === 503),
      'a batch of points answered 503',
    );
    // Retry-After: 1 is honoured: the batch refused with 429 comes back no sooner than a second later.
    for (const [i, s] of proxy.seen.entries()) {
      if (!(s.points && s.status === 429)) continue;
      const next = proxy.seen.slice(i + 1).find((x) => x.points);
      assert.ok(
        next && next.at - s.at >= 950,
        `the batch after a 429 came ${next && next.at - s.at} ms later`,
      );
    }
    const report = JSON.parse(res.stdout);
    assert.equal(report.runs[0].points, 12_000);
    const id: string = report.runs[0].mlflowRunId;
    assert.equal(assertPushed(store, r.id, readBack(server, [id])[id]), 12_000);
  });

  test('a server that stays busy: the push gives up after a bounded number of tries; the next push completes it exactly', async () => {
    const store = Store.open(path.join(tempDir('runlens-busy-'), '.runlens'), { create: true });
    const r = store.createRun({ experiment: `busy-${process.pid}`, name: 'stays busy', pid: null });
    appendLines(store.metricsFile(r.id), pointsOf(0, 1000));
    await store.updateRun(r.id, (x) => ((x.status = 'finished'), (x.endTime = 1e12 + 2000)));
    proxy.seen.length = 0;
    // Points are refused from the second batch on: the first lands, then the server stays busy.
    let batches = 0;
    proxy.setRefuse((_n, s) => (s.points && ++batches > 1 ? { status: 503 } : undefined));
    const res = await run(['--store', store.dir, 'sync', 'push', r.id, '--to', proxy.uri], store.root);
    assert.equal(res.code, 1, res.stdout);
    assert.match(
      res.stderr,
      new RegExp(
        `the MLflow server ${proxy.uri} answered 503 .*runs/log-batch.*\\(tried ${DEFAULT_TRIES} times\\)`,
      ),
    );
    assert.match(res.stderr, /nothing was lost locally, run the sync again/);
    assert.equal(proxy.seen.filter((s) => s.points && s.status === 503).length, DEFAULT_TRIES);
    const w = readWatermark(store, proxy.uri, r.id)!;
    assert.equal(
      Object.values(w.counts).reduce((a, b) => a + b, 0),
      1000,
    );

    proxy.setRefuse(() => undefined);
    const again = await run(
      ['--store', store.dir, 'sync', 'push', r.id, '--to', proxy.uri, '--json'],
      store.root,
    );
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).runs[0].points, 2000);
    const id = readWatermark(store, proxy.uri, r.id)!.mlflowRunId;
    assert.equal(assertPushed(store, r.id, readBack(server, [id])[id]), 3000);
  });

  test('the mirror tries again after 429/503 while the run trains; the server ends with exactly the local points', async () => {
    const store = Store.open(path.join(tempDir('runlens-busy-mirror-'), '.runlens'), { create: true });
    const r = store.createRun({ experiment: `busy-mirror-${process.pid}`, name: 'training', pid: null });
    proxy.seen.length = 0;
    proxy.setRefuse(everyThird);
    const client = new MlflowClient(findRemote({ flagUri: proxy.uri, env: {} })!);
    const direct = new MlflowClient(findRemote({ flagUri: server.uri, env: {} })!);
    const errors: string[] = [];
    const mirror = new MirrorSyncer(store, client, { intervalMs: 200, onError: (m) => errors.push(m) });
    try {
      assert.equal(await mirror.start(), true);
      for (let chunk = 0; chunk < 5; chunk++) {
        appendLines(store.metricsFile(r.id), pointsOf(chunk * 700, 700));
        await waitFor(
          `chunk ${chunk} on the server`,
          () => (readWatermark(store, proxy.uri, r.id)?.counts.loss ?? 0) === (chunk + 1) * 700,
          60_000,
        );
      }
      await store.updateRun(r.id, (x) => ((x.status = 'finished'), (x.endTime = 1e12 + 4000)));
      const id = readWatermark(store, proxy.uri, r.id)!.mlflowRunId;
      for (const t = Date.now(); (await direct.getRun(id)).info.status !== 'FINISHED';) {
        assert.ok(Date.now() - t < 60_000, 'FINISHED on the server within 60 s');
        await new Promise((res) => setTimeout(res, 200));
      }
      assert.ok(proxy.seen.some((s) => s.points && s.status === 429));
      assert.ok(proxy.seen.some((s) => s.points && s.status === 503));
      assert.ok(client.retried > 0);
      assert.equal(assertPushed(store, r.id, readBack(server, [id])[id]), 10_500);
    } finally {
      await mirror.stop();
      client.close();
      direct.close();
    }
    assert.deepEqual(errors, []);
  });
});
