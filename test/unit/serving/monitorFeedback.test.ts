// Online accuracy: a real packaged quickstart model served as a child process, real HTTP requests
// with request ids, a feedback file of true labels (breast_cancer.csv's own targets, some flipped on
// purpose), joined by `runlens monitor --feedback`. The expected accuracy is computed here by hand
// from the server's own predictions.jsonl lines.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PackageManifest } from '../../../src/core/serving/manifest';
import { monitorPackage } from '../../../src/core/drift/monitor';
import { packageModel } from '../../../src/core/serving/package';
import type { ServerHandle } from '../../../src/core/serving/serve';
import { startServer } from '../../../src/core/serving/serve';
import { Store } from '../../../src/core/store/store';
import { cli, repoRoot, tempDir } from '../../helpers/tmp';
import { trainedWorkspace } from '../../helpers/servingFixture';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dataset = require(path.join(repoRoot, 'examples', 'quickstart', 'dataset.js')) as {
  load(): { features: string[]; classes: string[]; x: number[][]; y: number[] };
};

const ENV = { RUNLENS_TF_BACKEND: 'wasm' };
let pkg: string;
let manifest: PackageManifest;
let server: ServerHandle;
let logDir: string;
let feedbackCsv: string;
/** request id -> the true label name of each of its rows, as the feedback file says (last line wins). */
const truth = new Map<string, string[]>();

before(async () => {
  const ws = trainedWorkspace(6);
  const store = Store.open(path.join(ws.dir, '.runlens'));
  pkg = path.join(tempDir(), 'pkg');
  manifest = (await packageModel(store, ws.runId, { out: pkg })).manifest;
  logDir = path.join(tempDir(), 'logs');
  server = await startServer(pkg, { port: 0, env: { ...ENV, RUNLENS_LOG_DIR: logDir } });
  const data = dataset.load();
  const row = (i: number) => Object.fromEntries(data.features.map((f, j) => [f, data.x[i][j]]));
  const send = async (id: string, rows: number[]) => {
    const res = await fetch(server.predictUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': id },
      body: JSON.stringify({ instances: rows.map(row) }),
    });
    assert.equal(res.status, 200, await res.text());
    assert.equal(res.headers.get('x-request-id'), id);
  };
  const lines = ['request_id,label'];
  // 40 one-row requests; rows 30-39 get the wrong label on purpose, so accuracy cannot be 1 by luck.
  for (let i = 0; i < 40; i++) {
    await send(`r-${i}`, [i]);
    const y = i >= 30 ? 1 - data.y[i] : data.y[i];
    // Half the labels as indexes (0/1, as the CSV has them), half as names.
    lines.push(`r-${i},${i % 2 ? data.classes[y] : y}`);
    truth.set(`r-${i}`, [data.classes[y]]);
  }
  // A duplicate: the first line for r-0 is wrong, the last one (already written above) must count.
  lines.splice(1, 0, `r-0,${data.classes[1 - data.y[0]]}`);
  // One request of ten rows, labelled in order without a row column.
  const batch = Array.from({ length: 10 }, (_, k) => 100 + k);
  await send('batch-1', batch);
  for (const i of batch) lines.push(`batch-1,${data.classes[data.y[i]]}`);
  truth.set(
    'batch-1',
    batch.map((i) => data.classes[data.y[i]]),
  );
  // Requests nobody labelled, and labels for requests that never reached the server.
  for (let i = 200; i < 205; i++) await send(`nofb-${i}`, [i]);
  for (const g of ['ghost-1', 'ghost-2', 'ghost-3']) lines.push(`${g},benign`);
  feedbackCsv = path.join(tempDir(), 'feedback.csv');
  fs.writeFileSync(feedbackCsv, lines.join('\n') + '\n');
});

after(async () => {
  await server?.stop();
});

/** Accuracy from the log lines themselves: each logged prediction against the label we sent. */
function byHand(): { correct: number; joined: number; windows: Map<string, [number, number]> } {
  let correct = 0;
  let joined = 0;
  const windows = new Map<string, [number, number]>();
  const log = fs.readFileSync(path.join(logDir, 'predictions.jsonl'), 'utf8').trim().split('\n');
  for (const line of log) {
    const rec = JSON.parse(line) as { id: string; time: number; predictions: string[] };
    const labels = truth.get(rec.id);
    if (!labels) continue;
    const hour = new Date(rec.time).toISOString().slice(0, 13);
    const w = windows.get(hour) ?? [0, 0];
    rec.predictions.forEach((p, j) => {
      joined++;
      w[1]++;
      if (p === labels[j]) {
        correct++;
        w[0]++;
      }
    });
    windows.set(hour, w);
  }
  return { correct, joined, windows };
}

describe('runlens monitor --feedback', () => {
  test('joins feedback to logged predictions by request id: accuracy per window, counts', async () => {
    const r = await monitorPackage(pkg, { logDir, feedback: { file: feedbackCsv } });
    const o = r.online!;
    assert.ok(o, 'online accuracy is reported');
    const hand = byHand();
    assert.equal(hand.joined, 50);
    assert.equal(o.metric, 'accuracy');
    assert.equal(o.task, manifest.task);
    assert.equal(o.joined, 50);
    assert.equal(o.feedbackRows, 54);
    assert.equal(o.duplicateFeedback, 1);
    assert.equal(o.unmatchedFeedback, 3);
    assert.equal(o.unlabeledPredictions, 5);
    assert.equal(o.value, hand.correct / hand.joined);
    // Ten labels flipped on purpose: the served model cannot be right about all of them.
    assert.ok(o.value! < 1 && o.value! > 0.5, `accuracy ${o.value}`);
    assert.deepEqual(
      o.windows.map((w) => [w.window, w.joined, w.value]),
      [...hand.windows.entries()].sort().map(([k, [c, n]]) => [k, n, c / n]),
    );
    assert.deepEqual(o.warnings, []);
    // The drift half is unchanged by the feedback.
    assert.equal(r.requests, 55);
    assert.equal(typeof r.report.datasetDrift, 'boolean');
  });

  test('JSONL feedback with renamed columns and an explicit row column gives the same accuracy', async () => {
    const file = path.join(tempDir(), 'feedback.jsonl');
    const out: string[] = [];
    for (const [id, labels] of truth)
      labels.forEach((label, j) => out.push(JSON.stringify({ rid: id, truth: label, idx: j })));
    fs.writeFileSync(file, out.join('\n') + '\n');
    const r = await monitorPackage(pkg, {
      logDir,
      feedback: { file, idColumn: 'rid', labelColumn: 'truth', rowColumn: 'idx' },
    });
    const hand = byHand();
    assert.equal(r.online!.joined, 50);
    assert.equal(r.online!.unmatchedFeedback, 0);
    assert.equal(r.online!.value, hand.correct / hand.joined);
  });

  test('CLI: --feedback prints the online accuracy; a missing column is named', () => {
    const r = cli(['monitor', pkg, '--logs', logDir, '--feedback', feedbackCsv, '--window', 'day'], {
      cwd: path.dirname(pkg),
      env: ENV,
    });
    assert.equal(r.status, 0, r.stderr);
    const hand = byHand();
    assert.match(
      r.stdout,
      new RegExp(
        `online accuracy: ${Number((hand.correct / hand.joined).toPrecision(5))} over 50 joined rows \\(54 feedback rows, 3 unmatched, 5 predictions without feedback, 1 duplicates\\)`,
      ),
    );
    assert.match(r.stdout, /window \d{4}-\d\d-\d\d {2}accuracy 0\.\d{1,5} {2}50 rows/);
    const json = cli(['monitor', pkg, '--logs', logDir, '--feedback', feedbackCsv, '--json'], {
      cwd: path.dirname(pkg),
      env: ENV,
    });
    assert.equal(json.status, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).online.value, hand.correct / hand.joined);
    const bad = cli(['monitor', pkg, '--logs', logDir, '--feedback', feedbackCsv, '--label-column', 'y'], {
      cwd: path.dirname(pkg),
      env: ENV,
    });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /feedback\.csv: no column "y"; columns are request_id, label/);
  });

  test('an empty label and a label the model does not know are reported by line', async () => {
    const empty = path.join(tempDir(), 'empty.csv');
    fs.writeFileSync(empty, 'request_id,label\nr-1,benign\nr-2,\n');
    await assert.rejects(
      monitorPackage(pkg, { logDir, feedback: { file: empty } }),
      /empty\.csv, line 3: column "label" is empty/,
    );
    const unknown = path.join(tempDir(), 'unknown.csv');
    fs.writeFileSync(unknown, 'request_id,label\nr-1,maybe\n');
    const r = await monitorPackage(pkg, { logDir, feedback: { file: unknown } });
    assert.equal(r.online!.joined, 1);
    assert.equal(r.online!.value, 0);
    assert.match(
      r.online!.warnings[0],
      /unknown\.csv, line 2: label "maybe" is not one of the model's labels/,
    );
  });
});
