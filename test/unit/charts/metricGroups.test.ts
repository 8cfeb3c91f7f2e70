// Sections and the name filter of the metrics panel, on the 13 scalar names a YOLOv5 training
// writes to TensorBoard (train/, metrics/, val/ and x/ lr groups) and edge cases of names.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  filterTerms,
  groupMetrics,
  matchesFilter,
  metricPrefix,
} from '../../../src/core/charts/metricGroups';

const YOLO = [
  'metrics/mAP_0.5',
  'metrics/mAP_0.5:0.95',
  'metrics/precision',
  'metrics/recall',
  'train/box_loss',
  'train/cls_loss',
  'train/obj_loss',
  'val/box_loss',
  'val/cls_loss',
  'val/obj_loss',
  'x/lr0',
  'x/lr1',
  'x/lr2',
];

describe('metric prefix', () => {
  test('the text before the first slash', () => {
    assert.equal(metricPrefix('train/box_loss'), 'train');
    assert.equal(metricPrefix('system/gpu0/utilization_percent'), 'system');
    assert.equal(metricPrefix('metrics/mAP_0.5:0.95'), 'metrics');
  });
  test('no prefix without a slash, with a leading one or with nothing after it', () => {
    assert.equal(metricPrefix('loss'), null);
    assert.equal(metricPrefix('/loss'), null);
    assert.equal(metricPrefix('loss/'), null);
    assert.equal(metricPrefix(''), null);
  });
});

describe('groupMetrics', () => {
  test('YOLOv5 scalars: four sections in key order, with every key once', () => {
    const groups = groupMetrics([...YOLO, 'epoch_time']);
    assert.deepEqual(
      groups.map((g) => [g.prefix, g.keys.length]),
      [
        ['metrics', 4],
        ['train', 3],
        ['val', 3],
        ['x', 3],
        [null, 1],
      ],
    );
    assert.deepEqual(groups[1].keys, ['train/box_loss', 'train/cls_loss', 'train/obj_loss']);
    assert.deepEqual(groups.flatMap((g) => g.keys).sort(), [...YOLO, 'epoch_time'].sort());
  });
  test('the ungrouped section comes last, and a prefix of one key joins it in key order', () => {
    const groups = groupMetrics(['accuracy', 'loss', 'lr_schedule', 'val/loss', 'z/a', 'z/b']);
    assert.deepEqual(groups, [
      { prefix: 'z', keys: ['z/a', 'z/b'] },
      { prefix: null, keys: ['accuracy', 'loss', 'lr_schedule', 'val/loss'] },
    ]);
  });
  test('only ungrouped keys make one section; no keys make none', () => {
    assert.deepEqual(groupMetrics(['a', 'b']), [{ prefix: null, keys: ['a', 'b'] }]);
    assert.deepEqual(groupMetrics([]), []);
  });
});

describe('matchesFilter', () => {
  test('every word of the filter, in any case, anywhere in the name', () => {
    assert.deepEqual(
      YOLO.filter((k) => matchesFilter(k, 'val loss')),
      ['val/box_loss', 'val/cls_loss', 'val/obj_loss'],
    );
    assert.deepEqual(
      YOLO.filter((k) => matchesFilter(k, 'MAP')),
      ['metrics/mAP_0.5', 'metrics/mAP_0.5:0.95'],
    );
    assert.deepEqual(
      YOLO.filter((k) => matchesFilter(k, '0.95')),
      ['metrics/mAP_0.5:0.95'],
    );
    assert.deepEqual(
      YOLO.filter((k) => matchesFilter(k, 'box  train')),
      ['train/box_loss'],
    );
  });
  test('an empty or blank filter keeps every metric; one that matches nothing keeps none', () => {
    assert.equal(YOLO.filter((k) => matchesFilter(k, '')).length, YOLO.length);
    assert.equal(YOLO.filter((k) => matchesFilter(k, '  \t')).length, YOLO.length);
    assert.equal(YOLO.filter((k) => matchesFilter(k, 'f1')).length, 0);
  });
  test('filter words are split on white space and lower-cased', () => {
    assert.deepEqual(filterTerms('  Val\tLOSS '), ['val', 'loss']);
    assert.deepEqual(filterTerms(''), []);
  });
});

test("the launcher's system/ section comes after the program's metrics, ungrouped ones included", () => {
  assert.deepEqual(
    groupMetrics(['acc', 'loss', 'system/cpu_percent', 'system/memory_rss_mb', 'train/a', 'train/b']).map(
      (g) => g.prefix,
    ),
    ['train', null, 'system'],
  );
});
