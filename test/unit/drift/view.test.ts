// The drift webview's snapshot of a real report (bike sharing 2011 against 2012, by month): order,
// tests that ran, per-window columns in table order, and what JSON cannot carry (NaN) made null.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { detectDrift } from '../../../src/core/drift/drift';
import { driftSnapshot } from '../../../src/core/drift/view';
import { repoRoot, tempDir } from '../../helpers/tmp';

const BIKES = path.join(repoRoot, 'test', 'fixtures', 'datasets', 'bike-sharing');

describe('drift snapshot', () => {
  test('columns most severe first, tests counted, timeline columns in table order', async () => {
    const reference = path.join(BIKES, 'day_2011.csv');
    const current = path.join(BIKES, 'day_2012.csv');
    const report = await detectDrift(reference, current, {
      by: 'mnth',
      columns: ['season', 'holiday', 'temp', 'hum', 'casual', 'registered', 'cnt'],
    });
    const s = driftSnapshot(report, { source: { kind: 'files', reference, current, by: 'mnth' } });
    assert.deepEqual(
      s.columns.map((c) => c.column),
      report.columns.map((c) => c.column),
    );
    assert.equal(s.referenceRows, 365);
    assert.equal(s.currentRows, 366);
    assert.equal(s.drifted, report.drifted);
    const counts = new Map<string, number>();
    for (const c of report.columns) counts.set(c.method, (counts.get(c.method) ?? 0) + 1);
    assert.deepEqual(new Map(s.tests.map((t) => [t.method, t.columns])), counts);
    assert.equal(s.timeline!.windows.length, 12);
    for (const w of s.timeline!.windows) {
      assert.deepEqual(
        w.columns.map((c) => c.column),
        s.columns.map((c) => c.column),
      );
      const core = report.timeline!.windows.find((x) => x.window === w.window)!;
      for (const c of w.columns)
        assert.equal(c.drifted, core.columns.find((x) => x.column === c.column)!.drifted);
    }
    // JSON round trip keeps every number (nothing non-finite left in it).
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
  });

  test('a column with no current values is listed as not tested, its statistic null', async () => {
    const dir = tempDir();
    const ref = path.join(dir, 'ref.csv');
    const cur = path.join(dir, 'cur.csv');
    fs.writeFileSync(ref, 'a,b\n' + Array.from({ length: 50 }, (_, i) => `${i},${i % 7}`).join('\n') + '\n');
    fs.writeFileSync(cur, 'a,b\n' + Array.from({ length: 50 }, (_, i) => `${i + 5},`).join('\n') + '\n');
    const report = await detectDrift(ref, cur);
    const s = driftSnapshot(report, { source: { kind: 'files', reference: ref, current: cur } });
    const b = s.columns.find((c) => c.column === 'b')!;
    assert.equal(b.statistic, null);
    assert.match(b.skipped!, /no values in the current data/);
    assert.equal(b.currentMissingRate, 1);
    assert.ok(s.notices.some((n) => /^1 column with no values in .*cur\.csv, not tested: "b"$/.test(n)));
    assert.deepEqual(
      s.tests.map((t) => t.columns),
      [1],
    );
  });
});
