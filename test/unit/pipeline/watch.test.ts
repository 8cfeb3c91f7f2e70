// Continuous training's drift trigger: a real packaged quickstart model served over HTTP logs the
// requests it answers; the watcher checks them with the serving monitor and retrains on drift.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parsePipeline } from '../../../src/core/pipeline/parse';
import type { PipelineRunResult } from '../../../src/core/pipeline/types';
import type { DriftCheckRecord } from '../../../src/core/pipeline/watch';
import { Watcher, packageDriftCheck, readTriggers } from '../../../src/core/pipeline/watch';
import { packageModel } from '../../../src/core/serving/package';
import type { ServerHandle } from '../../../src/core/serving/serve';
import { startServer } from '../../../src/core/serving/serve';
import { Store } from '../../../src/core/store/store';
import { waitFor } from '../../helpers/tmp';
import { trainedWorkspace } from '../../helpers/servingFixture';

const ENV = { RUNLENS_TF_BACKEND: 'wasm' };
let ws: { dir: string; runId: string };
let store: Store;
let pkg: string;
let server: ServerHandle;
let train: Record<string, number>[];

before(async () => {
  ws = trainedWorkspace();
  store = Store.open(path.join(ws.dir, '.runlens'));
  pkg = path.join(ws.dir, 'serving', 'qs');
  await packageModel(store, ws.runId, { out: pkg });
  // The server logs to the package's logs/ folder, where the drift trigger reads by default.
  server = await startServer(pkg, { port: 0, env: ENV });
  const ref = fs.readFileSync(path.join(pkg, 'reference.csv'), 'utf8').trim().split('\n');
  const names = ref[0].split(',');
  train = ref.slice(1, 301).map((l) => Object.fromEntries(l.split(',').map((v, j) => [names[j], Number(v)])));
});

after(async () => {
  await server?.stop();
});

async function predict(instances: Record<string, number>[]): Promise<void> {
  const r = await fetch(server.predictUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances }),
  });
  assert.equal(r.status, 200, await r.text());
}

function scaled(rows: Record<string, number>[], by: number): Record<string, number>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v * by])));
}

describe('drift trigger', () => {
  test('served training-like requests do not retrain; drifted requests retrain once, with the reason recorded', async () => {
    // A one-stage pipeline reading the data: what matters is that drift starts it.
    fs.writeFileSync(
      path.join(ws.dir, 'runlens.yaml'),
      [
        'experiment: ct',
        'stages:',
        '  count:',
        `    cmd: node -e "console.log('rows=' + require('fs').readFileSync('data/breast_cancer.csv', 'utf8').trim().split('\\\\n').length)"`,
        '    deps: [data/breast_cancer.csv]',
        'watch:',
        '  paths: [data/breast_cancer.csv]',
        '  drift: { package: serving/qs, interval: 0.2 }',
        '',
      ].join('\n'),
    );
    const done: { r: PipelineRunResult; why: string }[] = [];
    // Every check's answer, in order: a check every 0.2 s replaces lastDriftCheck, so a poll of it
    // can miss the one answer it waits for.
    const checks: DriftCheckRecord[] = [];
    const logged: string[] = [];
    const w = new Watcher(store, path.join(ws.dir, 'runlens.yaml'), {
      onRunDone: (r, why) => done.push({ r, why }),
      onDriftCheck: (c) => checks.push(c),
      log: (line) => logged.push(line),
    });
    /** The first check answered from the index `from` on whose reason matches. */
    const answered = (from: number, re: RegExp) => checks.slice(from).find((c) => re.test(c.reason));
    assert.equal(w.driftPackage, 'serving/qs');
    const before = readTriggers(store).length;
    w.start();
    try {
      await waitFor('a check before any request', () => answered(0, /no request logs/));
      let from = checks.length;
      await predict(train);
      const calm = await waitFor(
        'a drift check of the training-like requests',
        () => answered(from, /in \d+ requests/),
        30_000,
      );
      assert.match(calm.reason, /^no dataset drift: \d+\/30 columns drifted in 300 requests$/);
      assert.equal(calm.drift, false);
      assert.equal(done.length, 0);

      // Every feature scaled by 1.5: far outside the training distribution.
      await predict(scaled(train, 1.5));
      await waitFor('a pipeline run started by drift', () => done.length >= 1, 60_000);
      await w.idle();
      assert.match(done[0].why, /^drift: dataset drift in qs: \d+\/30 columns drifted in 600 requests \(/);
      assert.equal(done[0].r.ok, true);
      const t = readTriggers(store).slice(before);
      assert.equal(t.length, 1);
      assert.equal(t[0].reason, done[0].why);
      assert.equal(t[0].pipelineRun, done[0].r.id);
      assert.equal(store.getRun(done[0].r.stages[0].runId!).status, 'finished');

      // The same logs are not judged again: no retraining loop while nothing new is served.
      const at = Date.now();
      from = checks.length;
      await waitFor('a later check', () => checks.slice(from).find((c) => c.time > at + 500), 10_000);
      assert.equal(w.lastDriftCheck?.reason, 'no new requests since the last check');
      for (const c of checks.slice(from))
        assert.match(c.reason, /^no new requests since the last (check|retrain)$/);
      assert.equal(done.length, 1);

      // Training-like requests after the retrain are judged on their own: the drifted ones that
      // started it are behind the retrain and do not start another.
      from = checks.length;
      await predict(train);
      const after = await waitFor(
        'a check of the requests after the retrain',
        () => answered(from, /in \d+ requests/),
        30_000,
      );
      assert.match(after.reason, /^no dataset drift: \d+\/30 columns drifted in 300 requests$/);
      assert.equal(done.length, 1);

      // The log (what `runlens watch` prints) has each new answer once, not one line per check.
      const answers = logged.filter((l) => l.startsWith('runlens watch: drift check: '));
      assert.ok(checks.length > answers.length, `${checks.length} checks, ${answers.length} logged`);
      assert.equal(answers.filter((l) => /no request logs/.test(l)).length, 1, answers.join('\n'));
      assert.ok(
        answers.some((l) => /^runlens watch: drift check: no dataset drift: \d+\/30 columns drifted/.test(l)),
      );
      answers.forEach((l, i) => assert.notEqual(l, answers[i - 1], `repeated: ${l}`));
    } finally {
      w.stop();
    }
  });

  test('a request logged after the check that started a retrain is judged next, whatever its time; so are rotated and torn logs', async () => {
    // Lines as the server writes them (time: when the request started; logged when it is answered).
    const logs = fs.mkdtempSync(path.join(ws.dir, 'logs-'));
    const file = path.join(logs, 'predictions.jsonl');
    const line = (time: number, id: string, rows: Record<string, number>[]) =>
      JSON.stringify({ time, id, inputs: rows }) + '\n';
    const check = packageDriftCheck(pkg, { logDir: logs });
    const t0 = Date.now();
    fs.writeFileSync(file, line(t0, 'a', scaled(train, 1.5)));
    const first = await check();
    assert.equal(first.drift, true);
    assert.match(first.reason, /columns drifted in 300 requests \(/);

    // Started a minute before that check, answered after it: it has not been judged yet.
    fs.appendFileSync(file, line(t0 - 60_000, 'b', scaled(train, 1.5)));
    const second = await check();
    assert.equal(second.drift, true);
    assert.match(second.reason, /columns drifted in 300 requests \(/);
    assert.deepEqual(await check(), { drift: false, reason: 'no new requests since the last check' });

    // The server rotates the log (predictions.jsonl becomes .1) and starts a new one; its first line
    // is still being written.
    fs.renameSync(file, `${file}.1`);
    const c = line(t0 - 120_000, 'c', train);
    fs.writeFileSync(file, c.slice(0, 1000));
    assert.deepEqual(await check(), { drift: false, reason: 'no new requests since the last retrain' });
    fs.appendFileSync(file, c.slice(1000));
    const third = await check();
    assert.match(third.reason, /^no dataset drift: \d+\/30 columns drifted in 300 requests$/);
  });

  test('the check reports a missing package and missing logs without failing', async () => {
    const check = packageDriftCheck(path.join(ws.dir, 'serving', 'none'));
    assert.deepEqual(await check(), {
      drift: false,
      reason: `no model package in ${path.join(ws.dir, 'serving', 'none')} yet`,
    });
  });
});

describe('watch: drift in runlens.yaml', () => {
  const stages = ['stages:', '  package:', '    action: package', '    with: { model: m, out: serving/m }'];
  test('drift: true watches the package stage out; a bad interval names its line', () => {
    const ok = parsePipeline([...stages, 'watch:', '  drift: true', ''].join('\n'), 'runlens.yaml');
    assert.deepEqual(ok.issues, []);
    assert.equal(ok.pipeline?.watch.drift?.package, 'serving/m');
    assert.equal(ok.pipeline?.watch.drift?.intervalSec, 300);

    const bad = parsePipeline(
      [...stages, 'watch:', '  drift:', '    interval: soon', '    colour: red', ''].join('\n'),
      'runlens.yaml',
    );
    assert.deepEqual(
      bad.issues.map((i) => `${i.line}:${i.column}: ${i.message}`),
      [
        '7:15: watch.drift.interval must be a number of seconds above 0',
        '8:5: watch.drift: unexpected "colour" (expected package, interval, logs)',
      ],
    );
    const none = parsePipeline(
      ['stages:', '  a:', '    cmd: node -v', 'watch:', '  drift: true', ''].join('\n'),
      'runlens.yaml',
    );
    assert.match(none.issues[0].message, /no package stage with an out folder/);
    assert.equal(none.issues[0].line, 5);
  });
});
