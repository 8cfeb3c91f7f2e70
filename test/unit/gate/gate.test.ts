import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { RunlensError } from '../../../src/core/errors';
import { judgeCandidate, gateMarkdown, judge, loadPolicy, parsePolicy } from '../../../src/core/gate/gate';
import { Registry } from '../../../src/core/store/registry';
import { Store } from '../../../src/core/store/store';
import { MetricLog } from '../../../src/core/tracking/metricLog';
import { tempDir } from '../../helpers/tmp';
import { runlens } from '../../helpers/evalCli';

const NO_POLICY = { metrics: {}, required: [], source: null };

function runWith(store: Store, name: string, metrics: Record<string, number>): string {
  const run = store.createRun({ experiment: 'exp', name, status: 'finished' });
  const log = new MetricLog(store.metricsFile(run.id));
  log.log(metrics, 0);
  log.close();
  return run.id;
}

describe('baseline gate', () => {
  test('default policy: no metric with a known goal may get worse', () => {
    const r = judge({ acc: 0.9, loss: 0.3, lr: 1 }, { acc: 0.85, loss: 0.2, lr: 2 }, NO_POLICY);
    assert.deepEqual(
      r.metrics.map((m) => [m.metric, m.verdict]),
      [
        ['acc', 'pass'],
        ['loss', 'fail'],
      ],
    );
    assert.equal(r.verdict, 'fail');
  });

  test('minimum improvement absolute and relative, guard-rail regression, required and missing', () => {
    const policy = parsePolicy(
      {
        metrics: {
          auc: { minImprovement: 0.01 },
          f1: { minImprovement: '5%' },
          latency_ms: { goal: 'min', maxRegression: '10%' },
          size_mb: { maxRegression: 1 },
          recall: {},
        },
        required: ['auc', 'precision'],
      },
      'test',
    );
    const r = judge(
      { auc: 0.905, f1: 0.84, latency_ms: 10.9, size_mb: 12 },
      { auc: 0.9, f1: 0.8, latency_ms: 10, size_mb: 10, recall: 0.7, precision: 0.5 },
      policy,
    );
    const v = Object.fromEntries(r.metrics.map((m) => [m.metric, m.verdict]));
    assert.deepEqual(v, {
      auc: 'fail',
      f1: 'pass',
      latency_ms: 'pass',
      size_mb: 'fail',
      recall: 'missing',
      precision: 'missing',
    });
    assert.equal(r.verdict, 'fail');
    const ok = judge(
      { auc: 0.92, precision: 0.5 },
      { auc: 0.9, precision: 0.5 },
      parsePolicy({ metrics: { auc: { minImprovement: 0.01 } }, required: ['precision'] }, 't'),
    );
    assert.equal(ok.verdict, 'pass');
  });

  test('bad policies name the file and the key', () => {
    const ws = tempDir();
    fs.writeFileSync(path.join(ws, 'runlens.yaml'), 'gate:\n  metrics:\n    auc: { minImprovement: lots }\n');
    assert.throws(
      () => loadPolicy(ws),
      (e: RunlensError) => /runlens\.yaml.*metrics\.auc\.minImprovement/.test(e.message),
    );
    fs.writeFileSync(path.join(ws, 'runlens.yaml'), 'gate:\n  metrics:\n    auc: { goal: up }\n');
    assert.throws(() => loadPolicy(ws), /goal must be min or max/);
    fs.writeFileSync(path.join(ws, 'runlens.yaml'), 'other: 1\n');
    assert.equal(loadPolicy(ws).source, null);
  });

  test("the baseline defaults to the experiment's baseline: a pinned run or a model stage", async () => {
    const ws = tempDir();
    const store = Store.open(path.join(ws, '.runlens'), { create: true });
    const base = runWith(store, 'base', { 'eval/roc_auc': 0.9 });
    const cand = runWith(store, 'cand', { 'eval/roc_auc': 0.95 });
    assert.throws(() => judgeCandidate(store, cand, NO_POLICY), /has no baseline/);
    const registry = new Registry(store);
    await registry.setBaseline('exp', { run: base });
    const r = judgeCandidate(store, cand, NO_POLICY);
    assert.equal(r.baseline.run, base);
    assert.equal(r.verdict, 'pass');
    assert.match(
      gateMarkdown(r),
      /\| eval\/roc_auc \| max \| 0\.9 \| 0\.95 \| 0\.05 \(\+5\.56%\) \| not worse \| ✅ pass \|/,
    );
  });

  test('runlens compare exits 0 on pass, 1 on fail, 2 on error; --json and --markdown', async () => {
    const ws = tempDir();
    const store = Store.open(path.join(ws, '.runlens'), { create: true });
    const base = runWith(store, 'base', { acc: 0.8, latency_ms: 5 });
    const better = runWith(store, 'better', { acc: 0.85, latency_ms: 5.2 });
    const worse = runWith(store, 'worse', { acc: 0.79, latency_ms: 5 });
    await new Registry(store).setBaseline('exp', { run: base });
    fs.writeFileSync(
      path.join(ws, 'runlens.yaml'),
      'gate:\n  metrics:\n    acc: { minImprovement: 0.01 }\n    latency_ms: { maxRegression: "5%" }\n  required: [acc]\n',
    );
    const pass = runlens(['compare', better, '--json'], ws);
    assert.equal(pass.status, 0, pass.stderr);
    assert.equal(JSON.parse(pass.stdout).verdict, 'pass');
    const fail = runlens(['compare', worse, '--markdown'], ws);
    assert.equal(fail.status, 1, fail.stderr);
    assert.match(fail.stdout, /### Runlens gate: ❌ fail/);
    const err = runlens(['compare', 'no-such-run'], ws);
    assert.equal(err.status, 2);
    assert.match(err.stderr, /no-such-run/);
    const explicit = runlens(['compare', worse, '--baseline', better], ws);
    assert.equal(explicit.status, 1);
  });
});
