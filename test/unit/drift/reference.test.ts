import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { detectDrift } from '../../../src/core/drift/drift';
import { chi2Sf, ks2sampSorted } from '../../../src/core/drift/stats';
import { repoRoot } from '../../helpers/tmp';

// Expected values: scipy 1.10 (Debian's python3-scipy), computed by test/reference/drift_reference.py
// into test/fixtures/reference/drift/expected.json; the same script wrote the bike-sharing splits.
const EXPECTED = JSON.parse(
  fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'reference', 'drift', 'expected.json'), 'utf8'),
);
const DATA = path.join(repoRoot, 'test', 'fixtures', 'datasets', 'bike-sharing');
const TOL = 1e-6;

function near(actual: number | null, want: number | null, what: string): void {
  if (want === null) {
    assert.equal(actual, null, what);
    return;
  }
  // absolute up to 1, relative above
  assert.ok(
    actual !== null && Math.abs(actual - want) <= TOL * Math.max(1, Math.abs(want)),
    `${what}: ${actual} != scipy ${want}`,
  );
}

async function checkCase(name: string, ref: string, cur: string): Promise<void> {
  const want = EXPECTED[name] as Record<string, { method: string; statistic: number; pValue: number | null }>;
  const report = await detectDrift(path.join(DATA, ref), path.join(DATA, cur), {
    columns: Object.keys(want),
  });
  for (const [col, w] of Object.entries(want)) {
    const c = report.columns.find((x) => x.column === col)!;
    assert.equal(c.method, w.method, `${name}.${col} method`);
    near(c.statistic, w.statistic, `${name}.${col} statistic`);
    near(c.pValue, w.pValue, `${name}.${col} p-value`);
  }
}

describe('drift statistics equal scipy 1.10 within 1e-6 (test/reference/drift_reference.py)', () => {
  test('bike sharing, day 2011 vs 2012 (365 reference rows): ks_2samp exact, chisquare, Z-test', () =>
    checkCase('day', 'day_2011.csv', 'day_2012.csv'));
  test('bike sharing, hour 2011 vs 2012 (8,645 reference rows): Wasserstein/std, Jensen-Shannon', () =>
    checkCase('hour', 'hour_2011.csv', 'hour_2012.csv'));
  test('ks_2samp asymptotic p-values: 744 reference rows vs all 17,379 hours', () =>
    checkCase('hour_asymp', 'hour_2011_jan.csv', 'hour.csv'));
  test('ks_2samp exact on iris model scores, equal and unequal sizes', () => {
    for (const [name, w] of Object.entries(EXPECTED.ks) as [
      string,
      { a: number[]; b: number[]; statistic: number; pValue: number },
    ][]) {
      const r = ks2sampSorted(Float64Array.from(w.a).sort(), Float64Array.from(w.b).sort());
      near(r.statistic, w.statistic, `${name} statistic`);
      near(r.pValue, w.pValue, `${name} p-value`);
    }
  });
  test('chi-square survival function (regularised upper incomplete gamma)', () => {
    for (const { x, df, p } of EXPECTED.chi2_sf as { x: number; df: number; p: number }[]) {
      const got = chi2Sf(x, df);
      assert.ok(
        Math.abs(got - p) <= 1e-12 * Math.max(1, p) || Math.abs(got - p) / p < 1e-10,
        `chi2.sf(${x}, ${df}) = ${got}, scipy ${p}`,
      );
    }
  });
});
