// Serving the quickstart model (WASM backend) against a bare Node HTTP server returning a constant
// (the HTTP floor), measured with the same client in the same run; and packaging time.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { packageModel } from '../../src/core/serving/package';
import { startServer } from '../../src/core/serving/serve';
import { Store } from '../../src/core/store/store';
import { trainedWorkspace } from '../helpers/servingFixture';
import { benchDir, record } from './common';

const FLOOR_SERVER = `
const body = JSON.stringify({ predictions: [[0.5]], labels: ['x'] });
require('http').createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body); });
}).listen(0, '127.0.0.1', function () { console.log(JSON.stringify({ port: this.address().port })); });
`;

async function startFloor(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['-e', FLOOR_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) =>
    child.stdout.once('data', (d) => resolve(JSON.parse(String(d)).port)),
  );
  return { url: `http://127.0.0.1:${port}/v1/models/quickstart:predict`, stop: () => child.kill('SIGTERM') };
}

/** Latencies (ms) of n POSTs at the given concurrency, and the wall time. */
async function load(
  url: string,
  body: string,
  n: number,
  concurrency: number,
): Promise<{ lat: number[]; seconds: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const u = new URL(url);
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const req = http.request(
        {
          agent,
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(Number(process.hrtime.bigint() - t0) / 1e6)
              : reject(new Error(`status ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const lat: number[] = [];
  let left = n;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) lat.push(await one());
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  return { lat: lat.sort((a, b) => a - b), seconds };
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

export async function servingBench(): Promise<void> {
  const ws = trainedWorkspace(5);
  const store = Store.open(path.join(ws.dir, '.runlens'));
  const out = path.join(benchDir('serving'), 'pkg');
  await packageModel(store, ws.runId, { out }); // warm: esbuild's first start
  const t0 = process.hrtime.bigint();
  await packageModel(store, ws.runId, { out });
  const packMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const c0 = process.hrtime.bigint();
  fs.cpSync(
    path.join(store.runDir(ws.runId), 'artifacts', 'model'),
    path.join(benchDir('serving-copy'), 'model'),
    { recursive: true },
  );
  const copyMs = Number(process.hrtime.bigint() - c0) / 1e6;
  record({
    name: 'package the quickstart model',
    value: packMs,
    unit: 'ms',
    baselineName: 'copying its model files',
    baseline: copyMs,
    target: '< 2000 ms',
    pass: packMs < 2000,
  });

  const rows = JSON.parse(fs.readFileSync(path.join(out, 'smoke.json'), 'utf8'));
  const body = JSON.stringify({ instances: [rows[0]] });
  const s = await startServer(out, { port: 0, env: { RUNLENS_TF_BACKEND: 'wasm', RUNLENS_LOG_SAMPLE: '0' } });
  const floor = await startFloor();
  try {
    for (const c of [1, 16]) {
      const n = c === 1 ? 1000 : 4000;
      await load(s.predictUrl, body, 200, c);
      await load(floor.url, body, 200, c);
      const served = await load(s.predictUrl, body, n, c);
      const bare = await load(floor.url, body, n, c);
      record({
        name: `served p50 latency, concurrency ${c} (${s.backend})`,
        value: pct(served.lat, 50),
        unit: 'ms',
        baselineName: 'bare Node HTTP constant',
        baseline: pct(bare.lat, 50),
        target: c === 1 ? 'ratio <= 3' : 'reported',
        pass: c === 1 ? pct(served.lat, 50) <= 3 * pct(bare.lat, 50) : true,
      });
      record({
        name: `served p99 latency, concurrency ${c} (${s.backend})`,
        value: pct(served.lat, 99),
        unit: 'ms',
        baselineName: 'bare Node HTTP constant',
        baseline: pct(bare.lat, 99),
        target: 'reported',
        pass: true,
      });
      if (c === 16) {
        record({
          name: `throughput, concurrency 16 (${s.backendDescription})`,
          value: n / served.seconds,
          unit: 'req/s',
          baselineName: 'bare Node HTTP constant',
          baseline: n / bare.seconds,
          target: 'reported',
          pass: true,
        });
      }
    }
  } finally {
    floor.stop();
    await s.stop();
  }
}

if (require.main === module) {
  servingBench().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
