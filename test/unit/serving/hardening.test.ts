// The packaged prediction server under hostile use: where it listens when started on its own, its
// token check, HEAD requests, a `runlens serve` killed with SIGKILL, and fuzzed requests (fast-check)
// against the request validators and a real server over HTTP.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { RequestError, rowsFromMlflow, rowsFromTfServing } from '../../../src/core/serving/manifest';
import { packageModel } from '../../../src/core/serving/package';
import type { ServerHandle } from '../../../src/core/serving/serve';
import { startServer } from '../../../src/core/serving/serve';
import { bearerMatches } from '../../../src/core/serving/server';
import { Store } from '../../../src/core/store/store';
import { cliAsync, repoRoot, tempDir, waitFor } from '../../helpers/tmp';
import { trainedWorkspace } from '../../helpers/servingFixture';

const ENV = { RUNLENS_TF_BACKEND: 'wasm' };
/** A package's server.js finds TensorFlow.js in Runlens's node_modules (startServer does the same). */
const ALONE = { ...ENV, NODE_PATH: path.join(repoRoot, 'node_modules'), PORT: '0' };
const TOKEN = 's3cret-token';

let pkg: string;
let rows: Record<string, number>[];
let features: string[];

before(async () => {
  const ws = trainedWorkspace(2);
  const store = Store.open(path.join(ws.dir, '.runlens'));
  pkg = path.join(tempDir(), 'pkg');
  await packageModel(store, ws.runId, { out: pkg });
  rows = JSON.parse(fs.readFileSync(path.join(pkg, 'smoke.json'), 'utf8'));
  features = Object.keys(rows[0]);
});

/** True while a process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The first JSON line with event "listening" on a child's stdout. */
function listening(child: ChildProcess): Promise<{ host: string; port: number; url: string }> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (const line of buf.split('\n')) if (line.includes('"listening"')) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

describe('the packaged server started on its own', () => {
  test('binds loopback unless HOST says otherwise; the container images set HOST=0.0.0.0', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...ALONE };
    delete env.HOST;
    const child = spawn(process.execPath, [path.join(pkg, 'server.js')], {
      cwd: pkg,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const info = await listening(child);
      assert.equal(info.host, '127.0.0.1');
      assert.equal((await fetch(`http://127.0.0.1:${info.port}/healthz`)).status, 200);
    } finally {
      child.kill('SIGKILL');
    }
    assert.match(fs.readFileSync(path.join(pkg, 'Dockerfile'), 'utf8'), /HOST=0\.0\.0\.0/);
    assert.match(
      fs.readFileSync(path.join(pkg, 'k8s', 'deployment.yaml'), 'utf8'),
      /name: HOST\s+value: 0\.0\.0\.0/,
    );
  });

  test('a standalone server whose stdin is closed keeps serving (docker run without -i)', async () => {
    const child = spawn(process.execPath, [path.join(pkg, 'server.js')], {
      cwd: pkg,
      env: { ...process.env, ...ALONE },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const info = await listening(child);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(child.exitCode, null);
      assert.equal((await fetch(`${info.url}/healthz`)).status, 200);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('bearer token check', () => {
  test('the token, with the scheme in any case; nothing else', () => {
    assert.equal(bearerMatches(`Bearer ${TOKEN}`, TOKEN), true);
    assert.equal(bearerMatches(`bearer ${TOKEN}`, TOKEN), true);
    for (const h of [
      undefined,
      '',
      TOKEN,
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${TOKEN}`,
      `Bearer  ${TOKEN} `,
      'Bearer ',
    ])
      assert.equal(bearerMatches(h, TOKEN), false, JSON.stringify(h));
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (given, token) => {
        assert.equal(bearerMatches(`Bearer ${given}`, token), given === token);
      }),
      { numRuns: 2000 },
    );
  });
});

/** One raw HTTP request (any method, path and headers), its status, headers and body. */
function request(
  url: string,
  o: { method: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url + o.path, { method: o.method, headers: o.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('the served model under fuzzed requests (real HTTP)', () => {
  let s: ServerHandle;
  before(async () => {
    s = await startServer(pkg, { port: 0, env: { ...ENV, RUNLENS_SERVE_TOKEN: TOKEN } });
  });
  after(async () => {
    await s?.stop();
  });

  test('HEAD /healthz answers 200 with the headers of GET and no body', async () => {
    const head = await request(s.url, { method: 'HEAD', path: '/healthz' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.match(String(head.headers['content-type']), /application\/json/);
    assert.equal((await request(s.url, { method: 'HEAD', path: '/metrics' })).status, 200);
  });

  test('the request validators: rows or a 400 naming what is wrong, for any JSON body', () => {
    const row = fc.oneof(
      fc.constant(rows[0] as unknown),
      fc.dictionary(fc.constantFrom(...features, 'x', '__proto__'), fc.jsonValue()),
      fc.array(fc.oneof(fc.double(), fc.jsonValue()), { maxLength: features.length + 1 }),
    );
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record({ instances: fc.oneof(fc.array(row, { maxLength: 4 }), fc.jsonValue()) }),
      fc.record({
        inputs: fc.oneof(fc.array(row, { maxLength: 4 }), fc.dictionary(fc.string(), fc.jsonValue())),
      }),
      fc.record({ dataframe_split: fc.record({ columns: fc.jsonValue(), data: fc.jsonValue() }) }),
      fc.record({ dataframe_records: fc.oneof(fc.array(row, { maxLength: 4 }), fc.jsonValue()) }),
    );
    fc.assert(
      fc.property(body, fc.boolean(), (b, tf) => {
        try {
          const r = tf ? rowsFromTfServing(b, features) : rowsFromMlflow(b, features);
          assert.ok(Array.isArray(r.rows) && r.rows.length > 0);
          for (const x of r.rows) assert.ok(x !== null && typeof x === 'object' && !Array.isArray(x));
        } catch (e) {
          assert.ok(e instanceof RequestError, `not a RequestError: ${String(e)}`);
          assert.equal(e.status, 400);
          assert.ok(e.message.length > 0);
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('fuzzed method, path, headers and body: a 2xx/4xx JSON answer, never a 500; the server stays up', async () => {
    const predict = new URL(s.predictUrl).pathname;
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
    const paths = fc.oneof(
      fc.constantFrom(
        predict,
        '/invocations',
        '/healthz',
        '/metrics',
        '/v1/models/quickstart',
        '/',
        '/v1/models/x:predict',
      ),
      fc.webPath(),
      fc
        .tuple(fc.constantFrom(predict, '/invocations'), fc.webQueryParameters())
        .map(([p, q]) => `${p}?${q}`),
    );
    const bodies = fc.oneof(
      fc.json(),
      fc.string(),
      fc.constant(JSON.stringify({ instances: rows.slice(0, 2) })),
      fc.constant(JSON.stringify({ dataframe_records: rows.slice(0, 2) })),
      fc.array(fc.jsonValue(), { maxLength: 3 }).map((a) => JSON.stringify({ instances: a })),
    );
    const headers = fc.record(
      {
        'content-type': fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          '',
          'APPLICATION/JSON',
        ),
        authorization: fc.oneof(
          fc.constant(`Bearer ${TOKEN}`),
          fc.constant(`bearer ${TOKEN}`),
          fc.string().map((t) => `Bearer ${t}`),
        ),
      },
      { requiredKeys: [] },
    );
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...methods), paths, headers, bodies, async (method, p, h, body) => {
        const hasBody = method !== 'GET' && method !== 'HEAD';
        const r = await request(s.url, {
          method,
          path: p,
          headers: Object.fromEntries(Object.entries(h).filter(([, v]) => v !== '')) as Record<
            string,
            string
          >,
          body: hasBody ? body : undefined,
        });
        seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
        assert.ok(
          [200, 400, 401, 404, 405, 413, 415].includes(r.status),
          `${method} ${p} -> ${r.status} ${r.body}`,
        );
        if (r.status >= 400 && method !== 'HEAD') assert.equal(typeof JSON.parse(r.body).error, 'string');
      }),
      { numRuns: 400 },
    );
    assert.ok(
      (seen.get(200) ?? 0) > 0 && (seen.get(400) ?? 0) > 0 && (seen.get(401) ?? 0) > 0,
      JSON.stringify([...seen]),
    );
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
  });
});

describe('runlens serve killed with SIGKILL', () => {
  test('its server process stops too and the port is freed', { timeout: 60_000 }, async () => {
    const cli = cliAsync(['serve', pkg, '--port', '0', '--no-smoke'], { cwd: pkg, env: ENV });
    let out = '';
    cli.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const m = await waitFor('the serve banner', () => /at (http:\S+) \(pid (\d+)/.exec(out), 30_000);
    const [url, pid] = [m![1], Number(m![2])];
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    cli.kill('SIGKILL');
    await waitFor('the server process to end', () => !alive(pid), 15_000);
    await assert.rejects(fetch(`${url}/healthz`));
  });
});
