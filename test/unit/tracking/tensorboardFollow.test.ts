// Live follow of TensorBoard event files written by a launched training process.
// The writer is a real child process that writes a real event file (tensorboard-reducer's
// strict/run_1, see test/fixtures/importers/SOURCES.md) in small pieces, cutting records in the
// middle, as a writer that flushes partial buffers does. Expected values: expected-tfevents.json,
// written by test/fixtures/importers/tfevents_tool.py (an independent Python reader).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { readSeries } from '../../../src/core/store/metrics';
import { Store } from '../../../src/core/store/store';
import { launchRun } from '../../../src/core/tracking/launcher';
import { repoRoot, tempDir } from '../../helpers/tmp';

const FIXTURE = path.join(
  repoRoot,
  'test/fixtures/importers/tfevents/tensorboard-reducer/tests/runs/strict/run_1/events.out.tfevents.1622543341.janoshs-mbp.lan.86862.0',
);
const EXPECTED = JSON.parse(
  fs.readFileSync(path.join(repoRoot, 'test/fixtures/importers/expected-tfevents.json'), 'utf8'),
)['strict/run_1'].series['strict/foo'];

test('scalars written to TensorBoard event files become run metrics while the process trains', async () => {
  const ws = tempDir();
  const store = Store.open(path.join(ws, '.runlens'), { create: true });
  // A file of an older run in another folder: not part of this run.
  fs.mkdirSync(path.join(ws, 'old'));
  const old = path.join(ws, 'old', path.basename(FIXTURE));
  fs.copyFileSync(FIXTURE, old);
  fs.utimesSync(old, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));

  const writer = `
    const fs = require('fs'), path = require('path');
    const data = fs.readFileSync(${JSON.stringify(FIXTURE)});
    fs.mkdirSync('runs/exp1', { recursive: true });
    const out = fs.openSync(path.join('runs/exp1', ${JSON.stringify(path.basename(FIXTURE))}), 'a');
    let at = 0;
    const half = Math.floor(data.length / 2);
    const tick = () => {
      if (at >= data.length) { fs.closeSync(out); console.log('done'); return; }
      // Half way, the writer waits until the test has seen points arrive (the file 'go').
      if (at >= half && !fs.existsSync('go')) { setTimeout(tick, 50); return; }
      fs.writeSync(out, data.subarray(at, at + 333)); // 333 bytes: records end mid-chunk
      at += 333;
      setTimeout(tick, 150);
    };
    tick();`;
  const launched = await launchRun(store, {
    command: process.execPath,
    args: ['-e', writer],
    cwd: ws,
    experiment: 'tb',
    onOutput: () => undefined,
    // The assertions below count this run's metrics exactly: no system/ samples (the sampler's
    // first tick comes after 5 s, which a loaded machine reaches while the writer waits).
    systemMetrics: false,
  });
  // While it writes: some points are already in the run's metrics. The writer holds its second
  // half back until the test has seen points (or 30 s, after which the assertion below reports what
  // was seen); what was seen before that is from the first half only, while the process runs.
  let seenBeforeSecondHalf = -1;
  const holdUntil = Date.now() + 30_000;
  while (launched.status() === 'running' && seenBeforeSecondHalf < 0) {
    const file = store.metricsFile(launched.run.id);
    const seen = fs.existsSync(file) ? readSeries(file, 'strict/foo').series.values.length : 0;
    if (seen > 0 || Date.now() > holdUntil) {
      seenBeforeSecondHalf = seen;
      fs.writeFileSync(path.join(ws, 'go'), '');
    } else await new Promise((r) => setTimeout(r, 100));
  }
  const result = await launched.done;
  assert.equal(result.status, 'finished');
  assert.ok(
    seenBeforeSecondHalf > 0 && seenBeforeSecondHalf < EXPECTED.count,
    `seen while the writer held its second half back: ${seenBeforeSecondHalf}`,
  );

  const { series } = readSeries(store.metricsFile(launched.run.id), 'strict/foo');
  assert.equal(series.values.length, EXPECTED.count);
  assert.equal(series.values[0], EXPECTED.first);
  assert.equal(series.values.at(-1), EXPECTED.last);
  assert.equal(series.steps[0], EXPECTED.firstStep);
  assert.equal(series.steps.at(-1), EXPECTED.lastStep);
  assert.equal(Math.min(...series.values), EXPECTED.min);
  assert.equal(Math.max(...series.values), EXPECTED.max);
  assert.equal(series.times[0], EXPECTED.firstTime);
  // Nothing from the old folder's file.
  const summary = store.listRuns().entries[0].metrics;
  assert.deepEqual(Object.keys(summary), ['strict/foo']);
});
