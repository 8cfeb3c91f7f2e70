// How a pipeline stage reads in the Pipeline view (src/extension/pipeline/stageLabels.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StageStatus } from '../../../src/extension/pipeline/pipelineRunner';
import { clock, isStale, stageDescription } from '../../../src/extension/pipeline/stageLabels';

const stage = (o: Partial<StageStatus>): StageStatus => ({
  name: 'train',
  kind: 'cmd python train.py',
  deps: [],
  outs: [],
  state: 'idle',
  ...o,
});

test('each state leads with what matters: why it failed, that it is up to date, how long it took', () => {
  assert.equal(stageDescription(stage({ state: 'idle' })), 'not run');
  assert.equal(stageDescription(stage({ state: 'pending' })), 'pending');
  assert.equal(stageDescription(stage({ state: 'running', startedAt: 1_000 }), 66_000), 'running · 1m05s');
  assert.equal(
    stageDescription(stage({ state: 'succeeded', durationMs: 4_000, reason: 'changed: data.csv' })),
    '4s · changed: data.csv',
  );
  assert.equal(
    stageDescription(stage({ state: 'skipped', reason: 'up to date', durationMs: 9_000 })),
    'up to date',
  );
  assert.equal(
    stageDescription(stage({ state: 'skipped', reason: 'upstream failed' })),
    'skipped: upstream failed',
  );
  assert.equal(
    stageDescription(stage({ state: 'failed', reason: 'exit code 2', durationMs: 1_500 })),
    'failed: exit code 2 · 2s',
  );
  assert.equal(stageDescription(stage({ state: 'blocked' })), 'blocked');
  assert.equal(stageDescription(stage({ state: 'blocked', reason: 'prepare failed' })), 'prepare failed');
});

test('a done stage whose inputs changed says it will rerun and why; a failed one keeps saying it failed', () => {
  const stale = stage({ state: 'succeeded', durationMs: 4_000, stale: 'changed: data/train.csv' });
  assert.equal(isStale(stale), true);
  assert.equal(stageDescription(stale), 'will rerun: changed: data/train.csv');
  const failed = stage({ state: 'failed', reason: 'exit code 1', stale: 'changed: data/train.csv' });
  assert.equal(isStale(failed), false);
  assert.equal(stageDescription(failed), 'failed: exit code 1');
});

test('the clock shows hours and minutes of the local time', () => {
  const t = new Date(2026, 0, 2, 14, 5, 59).getTime();
  assert.match(clock(t), /^(14|02)\D05/);
});
