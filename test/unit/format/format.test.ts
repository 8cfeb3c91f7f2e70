import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { formatDuration, formatMaybe, formatNumber, plural } from '../../../src/core/format';

test('numbers: integers in full, else 5 significant digits, exponent below 1e-3 and from 1e6', () => {
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(12345678), '12345678');
  assert.equal(formatNumber(-3), '-3');
  assert.equal(formatNumber(0.912346), '0.91235');
  assert.equal(formatNumber(0.91229), '0.91229');
  assert.equal(formatNumber(0.95), '0.95');
  assert.equal(formatNumber(2.302585093), '2.3026');
  assert.equal(formatNumber(1234.56789), '1234.6');
  assert.equal(formatNumber(0.001), '0.001');
  assert.equal(formatNumber(0.000123456), '1.2346e-4');
  assert.equal(formatNumber(0.0001), '1e-4');
  assert.equal(formatNumber(-2.5e-7), '-2.5e-7');
  assert.equal(formatNumber(1234567.5), '1.2346e+6');
  assert.equal(formatNumber(3e20), '3e+20');
  assert.equal(formatNumber(NaN), 'NaN');
  assert.equal(formatNumber(Infinity), 'Infinity');
  assert.equal(formatNumber(-Infinity), '-Infinity');
  assert.equal(formatMaybe(null), '—');
  assert.equal(formatMaybe(undefined), '—');
  assert.equal(formatMaybe(0.5), '0.5');
});

test('durations: seconds, then minutes with two-digit seconds, then hours with two-digit minutes', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(42_400), '42s');
  assert.equal(formatDuration(65_000), '1m05s');
  assert.equal(formatDuration(59 * 60_000 + 59_000), '59m59s');
  assert.equal(formatDuration(2 * 3600_000 + 3 * 60_000), '2h03m');
});

test('the formatter is browser-safe: esbuild bundles it for the browser without a Node module', async () => {
  const r = await build({
    entryPoints: [path.join(__dirname, '..', '..', '..', 'src', 'core', 'format.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    write: false,
    logLevel: 'silent',
  });
  assert.equal(r.errors.length, 0);
  assert.doesNotMatch(r.outputFiles[0].text, /require\(|node:/);
});

test('counts: singular for one, the plural (regular or given) otherwise, thousands grouped', () => {
  assert.equal(plural(1, 'run'), '1 run');
  assert.equal(plural(0, 'run'), '0 runs');
  assert.equal(plural(2, 'metric'), '2 metrics');
  assert.equal(plural(1200, 'point'), '1,200 points');
  assert.equal(plural(1, 'series', 'series'), '1 series');
  assert.equal(plural(3, 'more line'), '3 more lines');
});
