// HTTPS: the real MLflow server behind a TLS front (a Node https reverse proxy with a self-signed
// certificate made by openssl here). Untrusted, push and pull fail naming the server and what to do;
// MLFLOW_TRACKING_INSECURE_TLS=true works with one warning; NODE_EXTRA_CA_CERTS=cert works.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { appendLines } from '../../src/core/store/fsutil';
import { formatPoint } from '../../src/core/store/metrics';
import { Store } from '../../src/core/store/store';
import { readWatermark } from '../../src/core/sync/state';
import { cliAsync, tempDir } from '../helpers/tmp';
import { assertPushed, assertSeriesEqual, localSeries } from '../helpers/syncCompare';
import type { MlflowServer } from '../helpers/mlflowServer';
import { mlflowServer, readBack } from '../helpers/mlflowServer';

/** The CLI as a child process (asynchronously: the TLS front runs in this process). */
function run(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = cliAsync(args, {
    cwd,
    env: {
      NODE_EXTRA_CA_CERTS: '',
      MLFLOW_TRACKING_INSECURE_TLS: '',
      MLFLOW_TRACKING_SERVER_CERT_PATH: '',
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** An https reverse proxy to `target`, its certificate self-signed for 127.0.0.1. */
async function tlsFront(target: URL, dir: string): Promise<{ uri: string; cert: string; close(): void }> {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const server = https.createServer(
    { key: fs.readFileSync(key), cert: fs.readFileSync(cert) },
    (req, res) => {
      const up = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
        },
      );
      up.on('error', (e) => res.writeHead(502).end(String(e)));
      req.pipe(up);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    uri: `https://127.0.0.1:${port}`,
    cert,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('HTTPS in front of the MLflow server', { timeout: 300_000 }, () => {
  let server: MlflowServer;
  let front: Awaited<ReturnType<typeof tlsFront>>;
  let store: Store;
  let id: string;
  const experiment = `tls-${process.pid}-${Date.now()}`;

  before(async () => {
    server = await mlflowServer();
    front = await tlsFront(new URL(server.uri), tempDir('runlens-tls-'));
    store = Store.open(path.join(tempDir('runlens-tls-store-'), '.runlens'), { create: true });
    const r = store.createRun({ experiment, name: 'over tls', params: { lr: 0.01 }, pid: null });
    id = r.id;
    const lines: string[] = [];
    for (let s = 0; s < 300; s++)
      lines.push(formatPoint({ key: 'loss', value: 1 / (s + 1), step: s, time: 1e12 + s }));
    appendLines(store.metricsFile(id), lines);
    await store.updateRun(id, (x) => ((x.status = 'finished'), (x.endTime = 1e12 + 400)));
  });
  after(() => front?.close());

  test('an untrusted certificate: push and pull fail naming the server and what to do, nothing sent', async () => {
    const push = await run(['--store', store.dir, 'sync', 'push', id, '--to', front.uri], store.root, {});
    assert.equal(push.code, 1, push.stdout);
    assert.match(push.stderr, new RegExp(`TLS certificate of the MLflow server ${front.uri} is not trusted`));
    assert.match(push.stderr, /NODE_EXTRA_CA_CERTS/);
    assert.match(push.stderr, /MLFLOW_TRACKING_INSECURE_TLS=true/);
    assert.equal(readWatermark(store, front.uri, id), undefined);

    const empty = Store.open(path.join(tempDir('runlens-tls-pull-'), '.runlens'), { create: true });
    const pull = await run(['--store', empty.dir, 'sync', 'pull', '--from', front.uri], empty.root, {});
    assert.equal(pull.code, 1, pull.stdout);
    assert.match(pull.stderr, new RegExp(`TLS certificate of the MLflow server ${front.uri} is not trusted`));
    assert.match(pull.stderr, /NODE_EXTRA_CA_CERTS/);
    assert.equal(empty.listRuns().entries.length, 0);
  });

  test('MLFLOW_TRACKING_INSECURE_TLS=true: push works, with one warning', async () => {
    const push = await run(
      ['--store', store.dir, 'sync', 'push', id, '--to', front.uri, '--json'],
      store.root,
      {
        MLFLOW_TRACKING_INSECURE_TLS: 'true',
      },
    );
    assert.equal(push.code, 0, push.stderr);
    const warnings = push.stderr.split('\n').filter((l) => /warning/.test(l));
    assert.equal(warnings.length, 1, push.stderr);
    assert.match(warnings[0], new RegExp(`certificate of ${front.uri} is NOT checked`));
    const report = JSON.parse(push.stdout);
    assert.equal(report.runs[0].points, 300);
    const mlflowRunId: string = report.runs[0].mlflowRunId;
    assert.equal(assertPushed(store, id, readBack(server, [mlflowRunId])[mlflowRunId]), 300);
  });

  test('NODE_EXTRA_CA_CERTS pointing at the certificate: pull works, no warning', async () => {
    const empty = Store.open(path.join(tempDir('runlens-tls-pull-'), '.runlens'), { create: true });
    const pull = await run(
      ['--store', empty.dir, 'sync', 'pull', '--from', front.uri, '--experiment', experiment, '--json'],
      empty.root,
      { NODE_EXTRA_CA_CERTS: front.cert },
    );
    assert.equal(pull.code, 0, pull.stderr);
    assert.doesNotMatch(pull.stderr, /warning/);
    const runs = empty.listRuns().entries;
    assert.equal(runs.length, 1);
    assert.equal(runs[0].name, 'over tls');
    assert.equal(runs[0].tags['runlens.origin'], front.uri);
    assert.equal(
      assertSeriesEqual(localSeries(empty, runs[0].id), localSeries(store, id), 'pulled over https'),
      300,
    );

    // A push through the same front, trusted the same way: nothing new to send.
    const again = await run(
      ['--store', store.dir, 'sync', 'push', id, '--to', front.uri, '--json'],
      store.root,
      {
        NODE_EXTRA_CA_CERTS: front.cert,
      },
    );
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).runs[0].points, 0);
  });
});
