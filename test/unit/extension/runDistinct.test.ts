// How runs shown together are told apart in the Experiments view, and how a run's params are grouped.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { distinguishingParts, paramRows } from '../../../src/extension/runs/runLabels';

const at = (iso: string) => Date.parse(iso);
const run = (id: string, name: string, startTime = at('2024-05-02T10:00:00Z')) => ({ id, name, startTime });

describe('telling runs apart', () => {
  test('long names that start alike show the part that differs, in whole words', () => {
    const parts = distinguishingParts([
      run('a', 'finetune_humpback_calls_unbalanced_lr0.001_seed1_final'),
      run('b', 'finetune_humpback_calls_unbalanced_lr0.001_seed2_final'),
      run('c', 'finetune_humpback_calls_unbalanced_lr0.0003_seed1_final'),
      run('d', 'finetune_humpback_calls_balanced_lr0.001_seed1_final'),
      run('e', 'baseline'),
    ]);
    assert.deepEqual(Object.fromEntries(parts), {
      a: '…unbalanced_lr0.001_seed1…',
      b: '…unbalanced_lr0.001_seed2…',
      c: '…unbalanced_lr0.0003_seed1…',
      d: '…balanced_lr0.001_seed1…',
    });
  });

  test('names differing only at the end show their ending; short names that differ need nothing', () => {
    const parts = distinguishingParts([
      run('a', 'resnet50-imagenet-pretrained-cosine-warmup-v1'),
      run('b', 'resnet50-imagenet-pretrained-cosine-warmup-v2'),
      run('c', 'train'),
      run('d', 'evaluate'),
    ]);
    assert.deepEqual(Object.fromEntries(parts), { a: '…v1', b: '…v2' });
  });

  test('the same name shows the start time, to the second when the minute is shared', () => {
    const parts = distinguishingParts([
      run('a', 'train', at('2024-05-02T10:00:05Z')),
      run('b', 'train', at('2024-05-02T10:00:40Z')),
      run('c', 'train', at('2024-05-03T08:15:00Z')),
      run('d', 'other'),
    ]);
    assert.deepEqual(Object.fromEntries(parts), {
      a: 'started 2024-05-02 10:00:05Z',
      b: 'started 2024-05-02 10:00:40Z',
      c: 'started 2024-05-03 08:15',
    });
  });

  test('in a group, runs with a unique name show their part and repeated names their start time', () => {
    const long = 'distilbert-sst2-finetune-linear-schedule';
    const parts = distinguishingParts([
      run('a', `${long}-fp16`, at('2024-05-02T10:00:00Z')),
      run('b', `${long}-fp16`, at('2024-05-02T11:30:00Z')),
      run('c', `${long}-bf16`),
    ]);
    assert.deepEqual(Object.fromEntries(parts), {
      a: 'started 2024-05-02 10:00',
      b: 'started 2024-05-02 11:30',
      c: '…bf16',
    });
  });
});

describe('params grouped by prefix', () => {
  // Hydra- and Lightning-style keys, as MLflow stores them.
  const keys = [
    'seed',
    'model.encoder.depth',
    'model.encoder.width',
    'model.lr',
    'callbacks/early_stopping/patience',
    'callbacks/early_stopping/monitor',
    'data.path',
    'trainer.strategy.name',
    'trainer.strategy.bucket_cap_mb',
  ];

  test('two or more params sharing a word and separator make a group; one alone keeps its name', () => {
    assert.deepEqual(paramRows(keys), [
      { kind: 'param', key: 'seed', label: 'seed' },
      { kind: 'group', prefix: 'model.', count: 3 },
      { kind: 'group', prefix: 'callbacks/early_stopping/', count: 2 },
      { kind: 'param', key: 'data.path', label: 'data.path' },
      { kind: 'group', prefix: 'trainer.strategy.', count: 2 },
    ]);
  });

  test('groups nest: inside model. the encoder params form their own group', () => {
    assert.deepEqual(paramRows(keys, 'model.'), [
      { kind: 'group', prefix: 'model.encoder.', count: 2 },
      { kind: 'param', key: 'model.lr', label: 'lr' },
    ]);
    assert.deepEqual(paramRows(keys, 'model.encoder.'), [
      { kind: 'param', key: 'model.encoder.depth', label: 'depth' },
      { kind: 'param', key: 'model.encoder.width', label: 'width' },
    ]);
  });

  test('flat params stay flat', () => {
    assert.deepEqual(
      paramRows(['lr', 'epochs', 'batch_size']).map((r) => r.kind),
      ['param', 'param', 'param'],
    );
  });
});
