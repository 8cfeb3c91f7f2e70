// Which two runs the compare panel's "What Changed" section compares.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { whatChangedPair } from '../../../src/core/repro/diffView';

const runs = [
  { ref: 'late', startTime: 300 },
  { ref: 'early', startTime: 100 },
  { ref: 'mid', startTime: 200 },
];

test('two runs: the baseline is the reference, else the earlier run', () => {
  const two = runs.slice(0, 2);
  assert.deepEqual(whatChangedPair(two, null, null), { a: 'early', b: 'late' });
  assert.deepEqual(whatChangedPair(two, 'late', null), { a: 'late', b: 'early' });
  // A baseline that is not shown (removed from the comparison) counts as none.
  assert.deepEqual(whatChangedPair(two, 'gone', 'late'), { a: 'early', b: 'late' });
});

test('more runs: only against a baseline, with the chosen run or the first other one', () => {
  const none = whatChangedPair(runs, null, 'mid');
  assert.ok('none' in none && /Choose a baseline .* other 2 runs/.test(none.none));
  assert.deepEqual(whatChangedPair(runs, 'mid', null), { a: 'mid', b: 'late' });
  assert.deepEqual(whatChangedPair(runs, 'mid', 'early'), { a: 'mid', b: 'early' });
  // The chosen run became the baseline: the first other one.
  assert.deepEqual(whatChangedPair(runs, 'mid', 'mid'), { a: 'mid', b: 'late' });
});

test('fewer than two runs: nothing to compare', () => {
  assert.ok('none' in whatChangedPair(runs.slice(0, 1), null, null));
  assert.ok('none' in whatChangedPair([], null, null));
});
