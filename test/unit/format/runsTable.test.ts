import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runsTable } from '../../../src/core/format';
import type { MetricSummary, RunEntry } from '../../../src/core/store/types';

const m = (last: number): MetricSummary => ({
  last,
  lastStep: 0,
  min: last,
  max: last,
  count: 1,
  lastTime: 0,
});

test("runlens ls: the program's metrics take the columns before the machine's system/ samples", () => {
  const metrics: Record<string, MetricSummary> = {};
  for (const k of ['system/cpu_percent', 'system/gpu0/memory_used_mb', 'system/memory_rss_mb', 'acc', 'loss'])
    metrics[k] = m(1);
  for (const k of ['val_acc', 'val_loss', 'val_auc', 'zz_last']) metrics[k] = m(2);
  const entry = {
    id: '01m8wsd1pqg1ex1jns',
    name: 'r',
    experiment: 'e',
    status: 'finished',
    params: {},
    metrics,
  } as unknown as RunEntry;
  const header = runsTable([entry]).split('\n')[0].trim().split(/\s+/);
  assert.deepEqual(header.slice(6), ['acc', 'loss', 'val_acc', 'val_auc', 'val_loss', 'zz_last']);
  delete metrics.zz_last;
  delete metrics.val_auc;
  const fewer = runsTable([entry]).split('\n')[0].trim().split(/\s+/);
  assert.deepEqual(fewer.slice(6), [
    'acc',
    'loss',
    'val_acc',
    'val_loss',
    'system/cpu_percent',
    'system/gpu0/memory_used_mb',
  ]);
});
