// Push the quickstart's runs to a real MLflow 2.12.2 server, read them back with MLflow's own Python
// client and compare every param, tag, point and artifact; pull them into an empty store and compare
// with the originals; errors of the server and of the values.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { appendLines } from '../../src/core/store/fsutil';
import { formatPoint } from '../../src/core/store/metrics';
import { Store } from '../../src/core/store/store';
import { MLFLOW_RUN_ID_TAG } from '../../src/core/importers/mlflow';
import { MlflowClient } from '../../src/core/sync/client';
import { findRemote } from '../../src/core/sync/config';
import { ORIGIN_TAG } from '../../src/core/sync/push';
import { readWatermark } from '../../src/core/sync/state';
import { cli, repoRoot, tempDir } from '../helpers/tmp';
import { asSqlStoreKeeps, assertPushed, assertSeriesEqual, localSeries } from '../helpers/syncCompare';
import type { MlflowServer } from '../helpers/mlflowServer';
import { freePort, mlflowServer, mlflowPython, readBack } from '../helpers/mlflowServer';

const quickstart = path.join(repoRoot, 'examples', 'quickstart');

function runlens(args: string[], storeDir: string, env: NodeJS.ProcessEnv = {}) {
  return cli(['--store', storeDir, ...args], { cwd: path.dirname(storeDir), env });
}

function ok(r: { status: number | null; stdout: string; stderr: string }): string {
  assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A run with values that are easy to get wrong: NaN, infinities, tiny and huge numbers, big steps. */
async function edgeRun(store: Store, experiment: string): Promise<string> {
  const run = store.createRun({
    experiment,
    name: 'edge values',
    params: {
      lr: 1e-5,
      layers: 3,
      dropout: 0.1,
      use_bn: true,
      optimizer: 'adamw',
      note: 'épsilon ✓',
      empty: null,
    },
    tags: { team: 'vision', 'data.version': 'v3 ✓' },
    pid: null,
  });
  const t0 = Date.now();
  const values = [0.5, NaN, Infinity, -Infinity, 1e-300, 5e-324, 1.7976931348623157e308, -2.5, 0.1 + 0.2];
  const lines: string[] = [];
  for (let i = 0; i < values.length; i++) {
    lines.push(formatPoint({ key: 'weird', value: values[i], step: i, time: t0 + i }));
    lines.push(formatPoint({ key: 'big step', value: i, step: 2 ** 40 + i, time: t0 + i }));
    lines.push(formatPoint({ key: 'eval/acc', value: i / 10, step: i * 100, time: t0 + i }));
  }
  // Two points at the same step (a resumed loop logs a step again): both are kept.
  lines.push(formatPoint({ key: 'eval/acc', value: 0.99, step: 0, time: t0 + 50 }));
  appendLines(store.metricsFile(run.id), lines);
  await store.updateRun(run.id, (r) => {
    r.status = 'finished';
    r.endTime = t0 + 1000;
  });
  store.addArtifact(run.id, 'notes/readme.txt', 'hello ✓\n');
  return run.id;
}

describe('sync with a real MLflow server', { timeout: 600_000 }, () => {
  let server: MlflowServer;
  let storeDir: string;
  let store: Store;
  const experiment = `quickstart-${process.pid}`;
  let ids: string[] = [];
  let mlflowIds: Record<string, string> = {};

  before(async () => {
    server = await mlflowServer();
    storeDir = path.join(tempDir('runlens-sync-'), '.runlens');
    store = Store.open(storeDir, { create: true });
    for (const [name, lr] of [
      ['tfjs-lr0.01', '0.01'],
      ['tfjs-lr0.003', '0.003'],
    ]) {
      const r = cli(
        [
          'run',
          '-e',
          experiment,
          '-n',
          name,
          '-p',
          `lr=${lr}`,
          '-p',
          'epochs=6',
          '--input',
          'data/breast_cancer.csv',
          '--',
          process.execPath,
          'train.js',
        ],
        { cwd: quickstart, env: { RUNLENS_STORE: storeDir } },
      );
      assert.equal(r.status, 0, r.stderr);
    }
    await edgeRun(store, experiment);
    ids = store
      .listRuns()
      .entries.map((e) => e.id)
      .sort();
    assert.equal(ids.length, 3);
  });

  test('push sends every param, tag, point and artifact; MLflow reads back the same', () => {
    const out = ok(
      runlens(['sync', 'push', '--experiment', experiment, '--to', server.uri, '--json'], storeDir),
    );
    const report = JSON.parse(out);
    assert.equal(report.failed.length, 0);
    assert.equal(report.runs.length, 3);
    const warned = report.runs.flatMap((r: { warnings: string[] }) => r.warnings).join('\n');
    assert.match(warned, /2 infinite value\(s\) of "weird"/);
    mlflowIds = Object.fromEntries(
      report.runs.map((r: { runId: string; mlflowRunId: string }) => [r.runId, r.mlflowRunId]),
    );
    const back = readBack(server, Object.values(mlflowIds));
    let points = 0;
    for (const id of ids) points += assertPushed(store, id, back[mlflowIds[id]]);
    assert.equal(points, report.points);
    // The quickstart runs carry their model files.
    const tfjs = ids.find((id) => store.getRun(id).name === 'tfjs-lr0.01')!;
    assert.ok(back[mlflowIds[tfjs]].artifacts['model/model.json'], 'model artifact on the server');
  });

  test('pushing again sends nothing; new points of a run are sent once', async () => {
    const again = JSON.parse(ok(runlens(['sync', 'push', '--all', '--to', server.uri, '--json'], storeDir)));
    assert.equal(again.points, 0);
    assert.equal(again.requests, 0);
    const edge = ids.find((id) => store.getRun(id).name === 'edge values')!;
    const t = Date.now();
    appendLines(store.metricsFile(edge), [
      formatPoint({ key: 'weird', value: 7, step: 100, time: t }),
      formatPoint({ key: 'late key', value: 1, step: 0, time: t }),
    ]);
    await store.updateRun(edge, (r) => (r.tags = { ...r.tags, reviewed: 'yes' }));
    const third = JSON.parse(ok(runlens(['sync', 'push', edge, '--to', server.uri, '--json'], storeDir)));
    assert.equal(third.points, 2);
    assert.equal(third.runs[0].mlflowRunId, mlflowIds[edge], 'the same server run');
    const back = readBack(server, [mlflowIds[edge]]);
    assertPushed(store, edge, back[mlflowIds[edge]]);
  });

  test('pull into an empty store gives the original runs back', () => {
    const otherDir = path.join(tempDir('runlens-pull-'), '.runlens');
    const out = ok(
      runlens(['sync', 'pull', '--experiment', experiment, '--from', server.uri, '--json'], otherDir),
    );
    const report = JSON.parse(out);
    assert.equal(report.runs.created, 3);
    const pulled = Store.open(otherDir);
    const entries = pulled.listRuns().entries;
    assert.equal(entries.length, 3);
    for (const id of ids) {
      const orig = store.getRun(id);
      const e = entries.find((x) => x.tags[MLFLOW_RUN_ID_TAG] === mlflowIds[id]);
      assert.ok(e, `run ${orig.name} pulled`);
      const copy = pulled.getRun(e.id);
      assert.equal(copy.tags[ORIGIN_TAG], server.uri);
      assert.equal(copy.name, orig.name);
      assert.equal(copy.experiment, orig.experiment);
      assert.equal(copy.status, orig.status);
      assert.equal(copy.startTime, Math.round(orig.startTime));
      assert.equal(copy.endTime, orig.endTime === null ? null : Math.round(orig.endTime));
      // MLflow has no null param: it goes as "" (and comes back as "").
      const params = Object.fromEntries(
        Object.entries(orig.params).map(([k, v]) => [k, v === null ? '' : v]),
      );
      assert.deepEqual(copy.params, params);
      for (const [k, v] of Object.entries(orig.tags)) assert.equal(copy.tags[k], v, `tag ${k}`);
      assertSeriesEqual(
        localSeries(pulled, e.id),
        asSqlStoreKeeps(localSeries(store, id)),
        `pulled ${orig.name}`,
      );
    }
    // Again: nothing changed on the server, nothing is fetched again.
    const again = JSON.parse(
      ok(runlens(['sync', 'pull', '--experiment', experiment, '--from', server.uri, '--json'], otherDir)),
    );
    assert.equal(again.runs.skipped, 3);
    assert.equal(again.points, 0);
    // A pulled run is not pushed back.
    const r = runlens(['sync', 'push', entries[0].id, '--to', server.uri], otherDir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /was pulled from/);
  });

  test('artifacts of pulled runs are fetched on request, byte for byte, and only once', () => {
    const otherDir = path.join(tempDir('runlens-pull-art-'), '.runlens');
    ok(runlens(['sync', 'pull', '--experiment', experiment, '--from', server.uri], otherDir));
    const pulled = Store.open(otherDir);
    const tfjs = ids.find((id) => store.getRun(id).name === 'tfjs-lr0.01')!;
    const e = pulled.listRuns().entries.find((x) => x.tags[MLFLOW_RUN_ID_TAG] === mlflowIds[tfjs])!;
    const localArt = path.join(store.runDir(tfjs), 'artifacts');
    const pulledArt = path.join(pulled.runDir(e.id), 'artifacts');
    const files = (dir: string): Record<string, string> => {
      const out: Record<string, string> = {};
      const walk = (d: string, pre: string) => {
        if (!fs.existsSync(d)) return;
        for (const x of fs.readdirSync(d, { withFileTypes: true })) {
          const rel = pre ? `${pre}/${x.name}` : x.name;
          if (x.isDirectory()) walk(path.join(d, x.name), rel);
          else
            out[rel] = createHash('sha256')
              .update(fs.readFileSync(path.join(d, x.name)))
              .digest('hex');
        }
      };
      walk(dir, '');
      return out;
    };
    const want = files(localArt);
    assert.ok(Object.keys(want).length > 1, 'the pushed run has artifacts');
    // Pull itself fetched none.
    assert.deepEqual(files(pulledArt), {});
    // One folder, then all of them (the server is the run's origin: no --from needed).
    const some = JSON.parse(ok(runlens(['sync', 'artifacts', e.id, '--path', 'model', '--json'], otherDir)));
    assert.ok(some.runs[0].downloaded.length > 0);
    assert.ok(some.runs[0].downloaded.every((f: { path: string }) => f.path.startsWith('model/')));
    const all = JSON.parse(ok(runlens(['sync', 'artifacts', e.id, '--json'], otherDir)));
    assert.equal(all.runs[0].present, some.runs[0].downloaded.length);
    assert.equal(all.runs[0].downloaded.length + all.runs[0].present, Object.keys(want).length);
    assert.deepEqual(files(pulledArt), want);
    const again = JSON.parse(ok(runlens(['sync', 'artifacts', e.id, '--json'], otherDir)));
    assert.equal(again.runs[0].downloaded.length, 0);
    // pull --artifacts fetches them for the runs it pulls.
    const thirdDir = path.join(tempDir('runlens-pull-art-'), '.runlens');
    const withArt = JSON.parse(
      ok(
        runlens(['sync', 'pull', '-e', experiment, '--from', server.uri, '--artifacts', '--json'], thirdDir),
      ),
    );
    const third = Store.open(thirdDir);
    const t = third.listRuns().entries.find((x) => x.tags[MLFLOW_RUN_ID_TAG] === mlflowIds[tfjs])!;
    assert.deepEqual(files(path.join(third.runDir(t.id), 'artifacts')), want);
    assert.equal(withArt.artifacts.length, 3);
    // A local run has no server to fetch from.
    const r = runlens(['sync', 'artifacts', tfjs, '--from', server.uri], storeDir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /was not pulled from an MLflow server/);
  });

  test('a run logged with MLflow on the server, then changed, is pulled incrementally', () => {
    const exp = `team-${process.pid}`;
    const runId = mlflowPython(
      server,
      `import mlflow
mlflow.set_experiment("${exp}")
with mlflow.start_run(run_name="production") as r:
    mlflow.log_params({"alpha": "0.5", "model": "gbm"})
    for i in range(50):
        mlflow.log_metric("auc", 0.5 + i / 100, step=i)
print(r.info.run_id)`,
    ).trim();
    const dir = path.join(tempDir('runlens-pull-'), '.runlens');
    const first = JSON.parse(ok(runlens(['sync', 'pull', '-e', exp, '--from', server.uri, '--json'], dir)));
    assert.equal(first.runs.created, 1);
    assert.equal(first.points, 50);
    mlflowPython(
      server,
      `from mlflow.tracking import MlflowClient
c = MlflowClient()
for i in range(50, 60):
    c.log_metric("${runId}", "auc", 0.9, step=i)`,
    );
    const second = JSON.parse(ok(runlens(['sync', 'pull', '-e', exp, '--from', server.uri, '--json'], dir)));
    assert.equal(second.runs.updated, 1);
    const pulled = Store.open(dir);
    const e = pulled.listRuns().entries.find((x) => x.tags[MLFLOW_RUN_ID_TAG] === runId)!;
    assert.equal(e.metrics.auc.count, 60);
    assert.equal(pulled.getRun(e.id).params.alpha, 0.5);
  });

  test('push --models sends registered versions with their source run, files and stage', async () => {
    const { Registry } = await import('../../src/core/store/registry');
    const registry = new Registry(store);
    const tfjs = ids.find((id) => store.getRun(id).name === 'tfjs-lr0.01')!;
    const model = `qs-model-${process.pid}`;
    const v1 = await registry.register(model, tfjs);
    await registry.promote(model, v1.version, 'production');
    const out = JSON.parse(ok(runlens(['sync', 'push', '--models', '--to', server.uri, '--json'], storeDir)));
    assert.equal(out.failed.length, 0, JSON.stringify(out.failed));
    assert.equal(out.models.versions.length, 1);
    assert.equal(out.models.versions[0].created, true);
    const got = JSON.parse(
      mlflowPython(
        server,
        `import json
from mlflow.tracking import MlflowClient
c = MlflowClient()
v = c.get_model_version("${model}", "1")
files = [f.path for f in c.list_artifacts(v.run_id, "runlens-models/${model}/v1")]
print(json.dumps({"stage": v.current_stage, "run_id": v.run_id, "source": v.source, "tags": v.tags, "files": files}))`,
      ),
    );
    assert.equal(got.stage, 'Production');
    assert.equal(got.run_id, mlflowIds[tfjs]);
    assert.match(got.source, new RegExp(`runlens-models/${model}/v1$`));
    assert.equal(got.tags['runlens.model_version'], '1');
    assert.ok(got.files.length > 0, 'the version files are on the server');
    // The stage is also an alias: models:/<name>@production is this version.
    const byAlias = () =>
      mlflowPython(
        server,
        `from mlflow.tracking import MlflowClient
c = MlflowClient()
out = []
for a in ["production", "staging"]:
    try:
        out.append(a + "=" + c.get_model_version_by_alias("${model}", a).version)
    except Exception as e:
        out.append(a + "=none" if "RESOURCE_DOES_NOT_EXIST" in str(e) or "not found" in str(e).lower() else a + "=error " + str(e))
stages = [c.get_model_version("${model}", str(n)).current_stage for n in range(1, len(c.search_model_versions("name='${model}'")) + 1)]
print(" ".join(out + stages))`,
      ).trim();
    assert.deepEqual(out.models.versions[0].aliases, ['production']);
    assert.equal(byAlias(), 'production=1 staging=none Production');
    // A second version to production (the first archived), then a third to staging: the aliases move.
    const v2 = await registry.register(model, tfjs);
    await registry.promote(model, v2.version, 'production');
    const v3 = await registry.register(model, tfjs);
    await registry.promote(model, v3.version, 'staging');
    const again = JSON.parse(
      ok(runlens(['sync', 'push', '--models', '--to', server.uri, '--json'], storeDir)),
    );
    assert.deepEqual(
      again.models.versions.map((v: { created: boolean; aliases: string[] }) => [v.created, v.aliases]),
      [
        [false, []],
        [true, ['production']],
        [true, ['staging']],
      ],
    );
    assert.equal(byAlias(), 'production=2 staging=3 Archived Production Staging');
    // Archived: its alias is removed; pushing again with nothing new changes nothing.
    await registry.promote(model, v2.version, 'archived');
    ok(runlens(['sync', 'push', '--models', '--to', server.uri, '--json'], storeDir));
    assert.equal(byAlias(), 'production=none staging=3 Archived Archived Staging');
    ok(runlens(['sync', 'push', '--models', '--to', server.uri, '--json'], storeDir));
    assert.equal(byAlias(), 'production=none staging=3 Archived Archived Staging');
  });

  test('a param changed after it was pushed is a conflict naming both values', async () => {
    const edge = ids.find((id) => store.getRun(id).name === 'edge values')!;
    await store.updateRun(edge, (r) => (r.params = { ...r.params, optimizer: 'sgd' }));
    const r = runlens(['sync', 'push', edge, '--to', server.uri], storeDir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /param "optimizer".*"sgd" here but "adamw" on/);
    await store.updateRun(edge, (x) => (x.params = { ...x.params, optimizer: 'adamw' }));
  });

  test('values MLflow would mangle are refused before anything is sent', async () => {
    const s = Store.open(path.join(tempDir('runlens-bad-'), '.runlens'), { create: true });
    const bad = s.createRun({ experiment: `bad-${process.pid}`, name: 'bad', pid: null });
    appendLines(s.metricsFile(bad.id), [
      formatPoint({ key: 'ok', value: 1, step: 0, time: 1 }),
      formatPoint({ key: 'ok', value: 2, step: 0.5, time: 2 }),
    ]);
    const r = runlens(['sync', 'push', bad.id, '--to', server.uri], s.dir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /metric "ok" has step 0.5, and MLflow steps are whole numbers/);
    const w = readWatermark(s, server.uri, bad.id)!;
    // The valid point before it went; the rest waits for a fix.
    assert.equal(w.counts.ok, 1);
    const keyRun = s.createRun({ experiment: `bad-${process.pid}`, name: 'bad key', pid: null });
    appendLines(s.metricsFile(keyRun.id), [formatPoint({ key: 'loss (%)!', value: 1, step: 0, time: 1 })]);
    const r2 = runlens(['sync', 'push', keyRun.id, '--to', server.uri], s.dir);
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /metric name "loss \(%\)!" is not accepted by MLflow/);
  });

  test('unreachable server, wrong path and 401 give clear messages; nothing is lost', async () => {
    const port = await freePort();
    const r = runlens(['sync', 'push', '--all', '--to', `http://127.0.0.1:${port}`], storeDir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`cannot reach the MLflow server http://127.0.0.1:${port}`));
    assert.match(r.stderr, /check that the server runs/);
    const r404 = runlens(['sync', 'pull', '--from', `${server.uri}/not-mlflow`], storeDir);
    assert.equal(r404.status, 1);
    assert.match(r404.stderr, /answered 404/);
    // A server that wants credentials: the token goes as a bearer header, and a 401 says what to set.
    const seen: string[] = [];
    const auth = http.createServer((req, res) => {
      seen.push(String(req.headers.authorization));
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error_code: 'UNAUTHENTICATED', message: 'You are not authenticated.' }));
    });
    await new Promise<void>((res) => auth.listen(0, '127.0.0.1', res));
    const authUri = `http://127.0.0.1:${(auth.address() as { port: number }).port}`;
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'dist/cli.js'), '--store', storeDir, 'sync', 'pull', '--from', authUri],
      {
        env: { ...process.env, MLFLOW_TRACKING_TOKEN: 'tok-123' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((res) => child.on('exit', res));
    auth.close();
    assert.equal(code, 1);
    assert.match(stderr, /answered 401 UNAUTHENTICATED/);
    assert.match(stderr, /MLFLOW_TRACKING_TOKEN/);
    assert.equal(seen[0], 'Bearer tok-123');
    // The store is as it was.
    assert.equal(Store.open(storeDir).listRuns().entries.length, 3);
  });

  test('configuration: flag, runlens.yaml, environment; basic auth; insecure TLS warns', () => {
    const root = tempDir('runlens-cfg-');
    fs.writeFileSync(
      path.join(root, 'runlens.yaml'),
      'remote:\n  mlflow: http://team.example:5000\n  mirror: true\nstages: {}\n',
    );
    const fromYaml = findRemote({ root, env: { MLFLOW_TRACKING_URI: 'http://env:1' } })!;
    assert.equal(fromYaml.uri, 'http://team.example:5000');
    assert.equal(fromYaml.mirror, true);
    assert.equal(findRemote({ root, flagUri: 'http://flag:2', env: {} })!.uri, 'http://flag:2');
    const env = findRemote({
      env: {
        MLFLOW_TRACKING_URI: 'https://env.example/',
        MLFLOW_TRACKING_USERNAME: 'ann',
        MLFLOW_TRACKING_PASSWORD: 'pw',
        MLFLOW_TRACKING_INSECURE_TLS: 'true',
      },
    })!;
    assert.equal(env.uri, 'https://env.example');
    assert.deepEqual(env.auth, { kind: 'basic', username: 'ann', password: 'pw' });
    assert.match(env.warnings[0], /certificate of https:\/\/env.example is NOT checked/);
    assert.equal(findRemote({ env: {} }), undefined);
    assert.throws(() => findRemote({ flagUri: 'sqlite:///x.db', env: {} }), /not an http\(s\) server/);
    assert.throws(() => findRemote({ flagUri: 'http://u:p@h', env: {} }), /has credentials in it/);
    // Credentials never reach the store.
    const c = new MlflowClient(env);
    c.close();
    const text = fs
      .readdirSync(storeDir, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => fs.readFileSync(path.join(d.parentPath ?? d.path, d.name), 'latin1'))
      .join('\n');
    assert.doesNotMatch(text, /tok-123/);
  });
});
