import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { loadPredictor } from '../../../src/core/model/predictor';
import type { PackageManifest } from '../../../src/core/serving/manifest';
import { packageModel } from '../../../src/core/serving/package';
import type { ServerHandle } from '../../../src/core/serving/serve';
import { smokeTest, startServer } from '../../../src/core/serving/serve';
import { Store } from '../../../src/core/store/store';
import { assertDeepClose } from '../../helpers/close';
import { cli, tempDir } from '../../helpers/tmp';
import { trainedWorkspace } from '../../helpers/servingFixture';

const ENV = { RUNLENS_TF_BACKEND: 'wasm' };

/**
 * The server runs on the WebAssembly backend; this process uses the fastest one installed (tfjs-node
 * on some machines). float32 scores from two backends agree to about 1e-7, not bit for bit.
 */
function closeScores(actual: unknown, want: unknown): void {
  assertDeepClose(actual, want, 1e-5);
}
let ws: { dir: string; runId: string };
let store: Store;
let pkg: string;
let manifest: PackageManifest;
let rows: Record<string, number>[];

before(async () => {
  ws = trainedWorkspace();
  store = Store.open(path.join(ws.dir, '.runlens'));
  pkg = path.join(tempDir(), 'pkg');
  const r = await packageModel(store, ws.runId, { out: pkg });
  manifest = r.manifest;
  rows = JSON.parse(fs.readFileSync(path.join(pkg, 'smoke.json'), 'utf8'));
});

function post(url: string, body: string | object, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('runlens package', () => {
  test('writes the model, manifest, server, package.json, Dockerfile, k8s and model card', () => {
    for (const f of [
      'model/model.json',
      'model/weights.bin',
      'model/preprocessing.json',
      'manifest.json',
      'server.js',
      'package.json',
      'Dockerfile',
      'k8s/deployment.yaml',
      'k8s/service.yaml',
      'MODEL_CARD.md',
      'smoke.json',
    ]) {
      assert.ok(fs.existsSync(path.join(pkg, f)), f);
    }
    assert.equal(manifest.sourceRun, ws.runId);
    assert.equal(manifest.inputSchema.length, 30);
    assert.deepEqual(manifest.inputSchema[0], { name: 'radius_mean', type: 'number' });
    assert.deepEqual(manifest.labels, ['malignant', 'benign']);
    assert.equal(manifest.dataHashes[0].path, 'data/breast_cancer.csv');
    assert.match(manifest.dataHashes[0].sha256, /^[0-9a-f]{64}$/);
    assert.equal(manifest.gate, null);
    const pj = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8'));
    for (const v of Object.values({ ...pj.dependencies, ...pj.optionalDependencies }))
      assert.match(String(v), /^\d+\.\d+\.\d+$/, 'pinned');
    assert.ok(pj.dependencies['@tensorflow/tfjs-backend-wasm']);
    assert.ok(pj.optionalDependencies['@tensorflow/tfjs-node']);
    const card = fs.readFileSync(path.join(pkg, 'MODEL_CARD.md'), 'utf8');
    assert.match(card, /## Baseline verdict\n\nnot evaluated/);
    assert.match(card, new RegExp(`Source run: ${ws.runId}`));
    assert.match(card, /\| val_acc \| 0\.\d+ \|/);
  });

  test('Dockerfile: slim Node base, non-root user, health check, exposed port', () => {
    // Instructions with their continuation lines joined.
    const lines = fs
      .readFileSync(path.join(pkg, 'Dockerfile'), 'utf8')
      .replace(/\\\n\s*/g, '')
      .split('\n');
    const from = lines.find((l) => l.startsWith('FROM '));
    assert.match(from ?? '', /^FROM node:\d+[\w.-]*-slim$/);
    const user = lines.filter((l) => l.startsWith('USER ')).at(-1);
    assert.ok(user && !/root|\b0\b/.test(user), `USER ${user}`);
    assert.ok(lines.indexOf(user) < lines.findIndex((l) => l.startsWith('CMD ')), 'USER before CMD');
    assert.ok(lines.some((l) => l.startsWith('HEALTHCHECK ') && l.includes('CMD')));
    assert.ok(lines.some((l) => l.includes('/healthz')));
    assert.ok(lines.includes('EXPOSE 8080'));
    assert.ok(
      lines.some((l) => l.includes('HOST=0.0.0.0')),
      'the container binds all interfaces',
    );
  });

  test('k8s manifests: probes on /healthz, resources, non-root, service targets the port', () => {
    const d = parse(fs.readFileSync(path.join(pkg, 'k8s/deployment.yaml'), 'utf8'));
    const s = parse(fs.readFileSync(path.join(pkg, 'k8s/service.yaml'), 'utf8'));
    assert.equal(d.kind, 'Deployment');
    assert.equal(d.apiVersion, 'apps/v1');
    assert.deepEqual(d.spec.selector.matchLabels, d.spec.template.metadata.labels);
    const c = d.spec.template.spec.containers[0];
    assert.equal(c.readinessProbe.httpGet.path, '/healthz');
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    assert.equal(c.ports[0].containerPort, 8080);
    assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
    assert.equal(d.spec.template.spec.securityContext.runAsNonRoot, true);
    assert.equal(s.kind, 'Service');
    assert.deepEqual(s.spec.selector, d.spec.template.metadata.labels);
    assert.equal(s.spec.ports[0].targetPort, c.ports[0].name);
  });

  test('refuses a run whose gate verdict is fail unless forced', async () => {
    const gate = path.join(store.runDir(ws.runId), 'artifacts', 'gate.json');
    fs.writeFileSync(gate, JSON.stringify({ verdict: 'fail' }));
    try {
      const out = path.join(tempDir(), 'p');
      await assert.rejects(packageModel(store, ws.runId, { out }), /gate verdict is fail/);
      assert.equal(fs.existsSync(out), false, 'nothing written');
      const r = await packageModel(store, ws.runId, { out, force: true });
      assert.equal(r.manifest.forced, true);
      assert.match(fs.readFileSync(path.join(out, 'MODEL_CARD.md'), 'utf8'), /\*\*fail\*\*.*--force/);
    } finally {
      fs.rmSync(gate);
    }
  });
});

describe('the packaged server (child process, real HTTP)', () => {
  let s: ServerHandle;
  before(async () => {
    s = await startServer(pkg, { port: 0, env: ENV });
  });
  after(async () => {
    await s?.stop();
  });

  test('health, status and metrics', async () => {
    const h = await fetch(`${s.url}/healthz`);
    assert.equal(h.status, 200);
    assert.equal((await h.json()).status, 'ok');
    const st = await (await fetch(`${s.url}/v1/models/quickstart`)).json();
    assert.equal(st.model_version_status[0].state, 'AVAILABLE');
    assert.equal(st.metadata.sourceRun, ws.runId);
    assert.match(st.metadata.backend, /WebAssembly/);
  });

  test('TF Serving and MLflow formats give the in-process predictions', async () => {
    const local = await loadPredictor(path.join(pkg, 'model'));
    const some = rows.slice(0, 20);
    const want = local.predict(some);
    local.dispose();
    const features = manifest.inputSchema.map((f) => f.name);
    const a = await (await post(s.predictUrl, { instances: some })).json();
    closeScores(a.predictions, want.scores);
    assert.deepEqual(a.labels, want.predictions);
    const b = await (
      await post(s.predictUrl, { instances: some.map((r) => features.map((f) => r[f])) })
    ).json();
    closeScores(b.predictions, want.scores);
    const cols = Object.fromEntries(features.map((f) => [f, some.map((r) => r[f])]));
    const c = await (await post(s.predictUrl, { inputs: cols })).json();
    closeScores(c.outputs, want.scores);
    const split = { columns: features, data: some.map((r) => features.map((f) => r[f])) };
    const d = await (await post(`${s.url}/invocations`, { dataframe_split: split })).json();
    assert.deepEqual(d.predictions, want.predictions);
    closeScores(d.scores, want.scores);
    const e = await (await post(`${s.url}/invocations`, { dataframe_records: some })).json();
    assert.deepEqual(e.predictions, want.predictions);
    const f = await (await post(`${s.url}/invocations`, { instances: some })).json();
    closeScores(f.scores, want.scores);
    assert.ok(new Set(want.predictions).size === 2, 'the rows cover both classes');
  });

  test('bad requests: 400 naming the field, 415, 413, 404; the server stays up', async () => {
    const bad = async (body: string | object, field: RegExp, url = s.predictUrl) => {
      const r = await post(url, body);
      const j = await r.json();
      assert.equal(r.status, 400, JSON.stringify(j));
      assert.match(j.error, field);
    };
    await bad('{"instances": [', /malformed JSON/);
    await bad('{"instances": [[NaN]]}', /malformed JSON/);
    await bad({ instances: [[1, 2, 3]] }, /instances\[0\]: expected 30 values/);
    await bad(
      { instances: [{ ...rows[0], texture_mean: 'NaN' }] },
      /\.texture_mean: expected a finite number, got "NaN"/,
    );
    await bad({ instances: [rows[0], { ...rows[1], area_worst: null }] }, /\[1\]\.area_worst: missing/);
    await bad({ instances: [] }, /instances: empty list/);
    await bad({ rows: [] }, /"instances" or "inputs"/);
    await bad(
      { dataframe_split: { columns: ['a'], data: [[1, 2]] } },
      /dataframe_split.data\[0\]: expected 1 values/,
      `${s.url}/invocations`,
    );
    const r415 = await post(s.predictUrl, 'a,b', { 'content-type': 'text/csv' });
    assert.equal(r415.status, 415);
    const big = JSON.stringify({ instances: Array(8000).fill(rows[0]) });
    assert.ok(big.length > 1 << 20);
    assert.equal((await post(s.predictUrl, big)).status, 413);
    assert.equal((await post(`${s.url}/v1/models/other:predict`, { instances: [rows[0]] })).status, 404);
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    const m = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(m, /runlens_requests_total\{endpoint="predict",code="400"\} \d+/);
    assert.match(m, /runlens_request_errors_total\{endpoint="predict"\} \d+/);
    assert.match(m, /runlens_request_duration_seconds_bucket\{endpoint="predict",le="\+Inf"\} \d+/);
    assert.match(m, /runlens_backend_info\{backend="wasm"\} 1/);
    // The formats test before this one predicted 6 requests of 20 rows.
    assert.match(m, /runlens_predictions_total 120\n/);
  });

  test('smoke test: served equals in-process on the evaluation rows', async () => {
    // The rows train.js evaluated on, kept as the run's validation.csv artifact (a header, then rows).
    const validation = fs
      .readFileSync(path.join(store.runDir(ws.runId), 'artifacts', 'validation.csv'), 'utf8')
      .trim()
      .split('\n');
    assert.equal(manifest.smoke?.source, 'validation.csv (run artifact)');
    assert.equal(rows.length, validation.length - 1);
    assert.equal(rows[0].radius_mean, Number(validation[1].split(',')[0]));
    const r = await smokeTest(s);
    assert.equal(r.rows, validation.length - 1);
    assert.equal(r.maxDifference, 0);
    assert.equal(r.labelMismatches, 0);
    assert.equal(r.ok, true);
  });
});

describe('server under load, auth, drain and restart', () => {
  test('10,000 requests with 200 in flight: all answered, every prediction logged across rotations', async () => {
    const logDir = path.join(tempDir(), 'logs');
    const s = await startServer(pkg, {
      port: 0,
      env: { ...ENV, RUNLENS_LOG_DIR: logDir, RUNLENS_LOG_MAX_BYTES: '400000', RUNLENS_LOG_KEEP: '1000' },
    });
    try {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 200 });
      const u = new URL(s.predictUrl);
      const one = (i: number) =>
        new Promise<number>((resolve, reject) => {
          const body = JSON.stringify({ instances: [rows[i % rows.length]] });
          const req = http.request(
            {
              agent,
              host: u.hostname,
              port: u.port,
              path: u.pathname,
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-request-id': `r${i}` },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      const N = 10_000;
      // Resident memory of the server process (Linux /proc), after warm-up and at the end.
      const rss = (pid: number) =>
        Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
      let rssAfterWarmup = 0;
      let next = 0;
      const codes = new Map<number, number>();
      await Promise.all(
        Array.from({ length: 200 }, async () => {
          while (next < N) {
            const i = next++;
            if (i === 2000) rssAfterWarmup = rss(s.pid);
            const c = await one(i);
            codes.set(c, (codes.get(c) ?? 0) + 1);
          }
        }),
      );
      agent.destroy();
      assert.deepEqual([...codes], [[200, N]]);
      const grown = rss(s.pid) - rssAfterWarmup;
      assert.ok(grown < 40, `memory flat: grew ${grown.toFixed(1)} MB over 8,000 requests`);
      const files = fs.readdirSync(logDir);
      assert.ok(files.length > 1, `rotated: ${files.join(', ')}`);
      const ids = new Set<string>();
      for (const f of files) {
        for (const line of fs.readFileSync(path.join(logDir, f), 'utf8').split('\n')) {
          if (line) ids.add(JSON.parse(line).id);
        }
      }
      assert.equal(ids.size, N);
      assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    } finally {
      await s.stop();
    }
  });

  test('bearer token protects predict endpoints; health stays open', async () => {
    const s = await startServer(pkg, { port: 0, env: { ...ENV, RUNLENS_SERVE_TOKEN: 'sekret' } });
    try {
      assert.equal((await post(s.predictUrl, { instances: [rows[0]] })).status, 401);
      assert.equal(
        (await post(`${s.url}/invocations`, { instances: [rows[0]] }, { authorization: 'Bearer wrong' }))
          .status,
        401,
      );
      assert.equal(
        (await post(s.predictUrl, { instances: [rows[0]] }, { authorization: 'Bearer sekret' })).status,
        200,
      );
      assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
      assert.equal((await smokeTest(s, { token: 'sekret' })).ok, true);
    } finally {
      await s.stop();
    }
  });

  test('SIGTERM drains a request in flight, then exits 0; a restart serves the same predictions', async () => {
    const s = await startServer(pkg, { port: 0, env: ENV });
    const before = await (await post(s.predictUrl, { instances: rows })).json();
    const u = new URL(s.predictUrl);
    const body = JSON.stringify({ instances: [rows[0]] });
    const answer = new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        s.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 100);
    });
    assert.equal(await answer, 200);
    assert.equal(await s.exited, 0);
    const again = await startServer(pkg, { port: 0, env: ENV });
    try {
      const after = await (await post(again.predictUrl, { instances: rows })).json();
      assert.deepEqual(after, before);
    } finally {
      await again.stop();
    }
  });

  test('CLI: runlens package and runlens serve --once with the smoke test', () => {
    const out = path.join(tempDir(), 'cli-pkg');
    const p = cli(['--store', path.join(ws.dir, '.runlens'), 'package', ws.runId, '--out', out], {
      cwd: ws.dir,
      env: ENV,
    });
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stdout, /packaged quickstart from run/);
    const r = cli(['serve', out, '--port', '0', '--once'], { cwd: ws.dir, env: ENV });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /serving quickstart at http:\/\/127\.0\.0\.1:\d+/);
    assert.match(
      r.stdout,
      /smoke test passed: \d+ rows from validation\.csv \(run artifact\), largest score difference 0\.00e\+0/,
    );
    assert.match(r.stdout, /one request: 200 \{"predictions":\[\[/);
  });
});

describe('runlens monitor', () => {
  test('no drift for training rows, drift for shifted rows, by hour window', async () => {
    const logDir = path.join(tempDir(), 'logs');
    const s = await startServer(pkg, { port: 0, env: { ...ENV, RUNLENS_LOG_DIR: logDir } });
    const { monitorPackage } = await import('../../../src/core/drift/monitor');
    try {
      const ref = fs.readFileSync(path.join(pkg, 'reference.csv'), 'utf8').trim().split('\n');
      const names = ref[0].split(',');
      const train = ref
        .slice(1, 301)
        .map((l) => Object.fromEntries(l.split(',').map((v, j) => [names[j], Number(v)])));
      assert.equal((await post(s.predictUrl, { instances: train })).status, 200);
      const same = await monitorPackage(pkg, { logDir });
      assert.equal(same.requests, 300);
      assert.equal(same.report.datasetDrift, false);
      // Every feature scaled by 1.5: far outside the training distribution.
      const shifted = train.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v * 1.5])));
      assert.equal((await post(s.predictUrl, { instances: shifted })).status, 200);
      const drift = await monitorPackage(pkg, { logDir });
      assert.equal(drift.requests, 600);
      assert.ok(drift.report.drifted > same.report.drifted);
      assert.equal(drift.report.datasetDrift, true);
      assert.ok((drift.report.timeline?.windows.length ?? 0) >= 1);
    } finally {
      await s.stop();
    }
  });
});
