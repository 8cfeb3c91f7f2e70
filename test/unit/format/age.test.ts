import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAge } from '../../../src/core/format';

test('ages: relative within a week, then the date (with the year when it differs)', () => {
  const now = Date.UTC(2026, 11, 2, 18, 0, 0);
  assert.equal(formatAge(now - 30_000, now), '30s ago');
  assert.equal(formatAge(now - 5 * 3600_000, now), '5h ago');
  assert.equal(formatAge(now - 6 * 86400_000, now), '6d ago');
  assert.equal(formatAge(Date.UTC(2026, 10, 3, 9), now), 'Nov 3');
  assert.equal(formatAge(Date.UTC(2022, 9, 14, 9), now), 'Oct 14, 2022');
});
