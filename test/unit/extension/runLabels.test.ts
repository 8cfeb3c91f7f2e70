// How a run reads in the Experiments view, status bar and CodeLens (src/extension/runs/runLabels.ts),
// over entries read back from a real store.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Store } from '../../../src/core/store/store';
import type { JobRecord, MetricSummary, RunEntry } from '../../../src/core/store/types';
import { importMlflow, importedRunning } from '../../../src/core/importers/mlflow';
import {
  jobText,
  keyMetric,
  lensTitle,
  runTooltipMarkdown,
  trainingNow,
} from '../../../src/extension/runs/runLabels';

function entry(o: Parameters<Store['createRun']>[0] = {}): RunEntry {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-labels-'));
  const store = Store.open(path.join(dir, '.runlens'), { create: true });
  store.createRun(o);
  return store.listRuns().entries[0];
}

const summary = (last: number): MetricSummary => ({
  last,
  lastStep: 1,
  min: last,
  max: last,
  count: 1,
  lastTime: 0,
});

const job = (o: Partial<JobRecord>): JobRecord => ({
  scheduler: 'slurm',
  id: '4242',
  user: 'ana',
  state: 'PENDING',
  reason: null,
  node: null,
  submitTime: 0,
  startTime: null,
  timeLimit: null,
  resources: {},
  settled: false,
  ...o,
});

test('the key metric: the sort key when the run has it, else a validation metric with a goal', () => {
  const e = {
    ...entry(),
    metrics: { loss: summary(0.3), val_acc: summary(0.9), acc: summary(0.95), lr: summary(1) },
  };
  assert.equal(keyMetric(e, {}, 'lr'), 'lr');
  assert.equal(keyMetric(e, {}, 'missing'), 'val_acc');
  assert.equal(keyMetric({ ...e, metrics: { lr: summary(1), epoch: summary(3) } }, {}), 'epoch');
  assert.equal(keyMetric({ ...e, metrics: {} }, {}), undefined);
});

test('a cluster run says its job and why it waits or where it runs; a local run says nothing', () => {
  const e = entry();
  assert.equal(jobText(e), '');
  assert.equal(
    jobText({ ...e, status: 'queued', job: job({ reason: 'Resources' }) }),
    'job 4242 (Resources)',
  );
  assert.equal(
    jobText({ ...e, status: 'running', job: job({ state: 'RUNNING', node: 'gpu01' }) }),
    'job 4242 on gpu01',
  );
  assert.equal(
    jobText({ ...e, status: 'crashed', job: job({ state: 'TIMEOUT', reason: 'TIMEOUT' }) }),
    'TIMEOUT',
  );
  assert.equal(jobText({ ...e, status: 'finished', job: job({ state: 'COMPLETED' }) }), '');
});

test('the tooltip escapes what a run names and shows params, metrics, job, git and script', () => {
  const e = entry({ name: 'lr *sweep*', experiment: 'mnist', script: 'train.py', params: { lr: 0.01 } });
  const now = e.startTime + 65_000;
  const md = runTooltipMarkdown(
    {
      ...e,
      metrics: { val_acc: summary(0.9) },
      gitCommit: '0123456789abcdef',
      job: job({
        state: 'RUNNING',
        node: 'gpu01',
        startTime: e.startTime,
        timeLimit: 3600,
        resources: { cpus: 4, gpus: 1 },
      }),
    },
    now,
  );
  assert.match(md, /^\*\*lr \\\*sweep\\\*\*\* — running/);
  assert.ok(md.includes(`\`${e.id}\` · experiment *mnist*`), md);
  assert.ok(md.includes('1m05s so far'), md);
  assert.ok(md.includes('**Params** lr=0\\.01'), md);
  assert.ok(md.includes('**Metrics** val\\_acc 0.9'), md);
  assert.ok(md.includes('**Slurm** job 4242 · RUNNING · gpu01'), md);
  assert.ok(md.includes('**Resources** 4 CPUs\\, 1 GPU'), md);
  assert.ok(md.includes('**Elapsed** 1m05s of 1h00m limit'), md);
  assert.ok(md.includes('**Git** 0123456789ab'), md);
  assert.ok(md.endsWith('**Script** train\\.py'), md);
});

test('the status bar counts runs training now: not an imported MLflow run its own store left RUNNING', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-labels-'));
  const store = Store.open(path.join(dir, '.runlens'), { create: true });
  // A public MLflow store (test/fixtures/importers/SOURCES.md): run 6ea7a69c... is RUNNING in its meta.yaml.
  await importMlflow(
    store,
    path.join(__dirname, '../../fixtures/importers/mlruns/ConvNeXt-V2-UNet/examples/mlruns'),
  );
  const ours = store.createRun({ name: 'training-here' });
  const all = store.listRuns().entries.map((entry) => ({ entry }));
  const imported = all.filter((r) => r.entry.tags['mlflow.run_id'] === '6ea7a69c2af146c2b1c1d46a2525fb79');
  assert.equal(imported.length, 1);
  assert.equal(imported[0].entry.status, 'running', 'the import keeps the status MLflow recorded');
  assert.deepEqual(
    trainingNow(all).map((r) => r.entry.id),
    [ours.id],
  );
  // The same notion drives the explorer (no spinner, no polling) and the tooltip says why.
  assert.equal(importedRunning(imported[0].entry), true);
  assert.equal(importedRunning(all.find((r) => r.entry.id === ours.id)!.entry), false);
  assert.match(runTooltipMarkdown(imported[0].entry), /still said RUNNING.*nothing here is training it/);
  assert.doesNotMatch(
    runTooltipMarkdown(all.find((r) => r.entry.id === ours.id)!.entry),
    /still said RUNNING/,
  );
});

test('a metric lens: long when alone on its line; compact when the line logs several, the tooltip keeping all', () => {
  const series = (o: Partial<MetricSummary>): MetricSummary => ({ ...summary(0), ...o });
  const base = entry();
  const latest = {
    ...entry(),
    metrics: {
      // val_acc peaked at step 17 and fell back; loss is at its lowest at the last step.
      val_acc: series({ last: 0.98246, lastStep: 264, min: 0.5, max: 1, minStep: 0, maxStep: 17 }),
      loss: series({ last: 2.4384e-4, lastStep: 264, min: 2.4384e-4, max: 2.3, minStep: 264, maxStep: 0 }),
    },
  };
  const baseline = {
    ...base,
    metrics: { val_acc: series({ last: 0.99123 }), loss: series({ last: 3.2e-4 }) },
  };
  const goals = {}; // val_acc and loss get their goals from their names (core/metrics/goals.ts)
  // 0.98246 vs 0.99123: -0.00877 (-0.9%), worse for a metric to maximise.
  assert.equal(
    lensTitle('val_acc', latest, baseline, goals),
    '$(graph-line) val_acc 0.98246 @ step 264 · best 1 @ step 17 · $(arrow-down) -0.00877 (-0.9%) vs baseline (worse)',
  );
  assert.equal(
    lensTitle('val_acc', latest, baseline, goals, true),
    '$(graph-line) val_acc 0.98246 @ step 264 · best 1 @ step 17 · $(arrow-down) -0.9% vs baseline',
  );
  // 2.4384e-4 vs 3.2e-4: -23.8%, better for a loss; the last value is the best.
  assert.equal(
    lensTitle('loss', latest, baseline, goals, true),
    '$(graph-line) loss 2.4384e-4 @ step 264 (best) · $(arrow-up) -23.8% vs baseline',
  );
  // After a lens of the same line at that step, the step is not said again.
  assert.equal(
    lensTitle('loss', latest, baseline, goals, true, 264),
    '$(graph-line) loss 2.4384e-4 (best) · $(arrow-up) -23.8% vs baseline',
  );
  assert.match(
    lensTitle('loss', latest, baseline, goals, true, 263),
    /^\$\(graph-line\) loss 2\.4384e-4 @ step 264 /,
  );
  assert.match(lensTitle('loss', latest, baseline, goals), /best 2\.4384e-4 @ step 264 · .* \(better\)$/);
  // The latest run is the baseline: nothing to compare.
  assert.equal(
    lensTitle('loss', latest, latest, goals, true),
    '$(graph-line) loss 2.4384e-4 @ step 264 (best)',
  );
});
