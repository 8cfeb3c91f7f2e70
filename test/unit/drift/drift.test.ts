import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { RunlensError } from '../../../src/core/errors';
import { detectDrift } from '../../../src/core/drift/drift';
import { repoRoot, tempDir } from '../../helpers/tmp';
import { runlens } from '../../helpers/evalCli';

const BIKES = path.join(repoRoot, 'test', 'fixtures', 'datasets', 'bike-sharing');

function file(name: string, text: string): string {
  const f = path.join(tempDir(), name);
  fs.writeFileSync(f, text);
  return f;
}

describe('data drift', () => {
  test('bike sharing 2011 vs 2012 drifts: ridership columns flagged, calendar columns not', async () => {
    const r = await detectDrift(path.join(BIKES, 'day_2011.csv'), path.join(BIKES, 'day_2012.csv'), {
      columns: ['season', 'mnth', 'weekday', 'temp', 'casual', 'registered', 'cnt'],
    });
    const drifted = new Set(r.columns.filter((c) => c.drifted).map((c) => c.column));
    assert.deepEqual([...drifted].sort(), ['casual', 'cnt', 'registered']);
    assert.equal(r.tested, 7);
    assert.equal(r.datasetDrift, false);
    // Sorted by severity: the most drifted first.
    assert.ok(['casual', 'cnt', 'registered'].includes(r.columns[0].column));
    const hist = r.columns.find((c) => c.column === 'cnt')!.histogram;
    assert.equal(hist.edges!.length, 31);
    assert.equal(
      hist.reference.reduce((s, x) => s + x, 0),
      365,
    );
    assert.equal(
      hist.current.reduce((s, x) => s + x, 0),
      366,
    );
    const shared = await detectDrift(path.join(BIKES, 'day_2011.csv'), path.join(BIKES, 'day_2012.csv'), {
      columns: ['casual', 'cnt', 'registered', 'temp'],
      driftShare: 0.75,
    });
    assert.equal(shared.share, 0.75);
    assert.equal(shared.datasetDrift, true);
  });

  test('windows of the current data by a column make a drift timeline', async () => {
    const r = await detectDrift(path.join(BIKES, 'day_2011.csv'), path.join(BIKES, 'day_2012.csv'), {
      columns: ['temp', 'cnt'],
      by: 'season',
    });
    assert.deepEqual(
      r.timeline!.windows.map((w) => w.window),
      ['1', '2', '3', '4'],
    );
    assert.equal(
      r.timeline!.windows.reduce((s, w) => s + w.rows, 0),
      366,
    );
    // Each season's temperatures differ from the whole year's; winter 2012 rides like an average 2011 day,
    // the other seasons of 2012 ride more.
    const cnt = r.timeline!.windows.map((w) => w.columns.find((c) => c.column === 'cnt')!.drifted);
    assert.deepEqual(cnt, [false, true, true, true]);
    for (const w of r.timeline!.windows)
      assert.ok(w.columns.find((c) => c.column === 'temp')!.drifted, w.window);
  });

  test('a small memory budget reads the current file once per group of columns, with the same result', async () => {
    const args = [path.join(BIKES, 'hour_2011.csv'), path.join(BIKES, 'hour_2012.csv')] as const;
    const opts = { columns: ['temp', 'hum', 'season', 'cnt', 'weathersit'], by: 'mnth' };
    const once = await detectDrift(...args, opts);
    const split = await detectDrift(...args, { ...opts, memoryBudgetMB: 0.05 });
    assert.deepEqual(split, once);
    assert.equal(once.timeline!.windows.length, 12);
  });

  test('per-column method and threshold, PSI on request, type override', async () => {
    const r = await detectDrift(path.join(BIKES, 'day_2011.csv'), path.join(BIKES, 'day_2012.csv'), {
      columns: ['temp', 'season', 'cnt'],
      methods: { temp: 'psi', cnt: 'wasserstein' },
      thresholds: { cnt: 5 },
      types: { season: 'categorical' },
    });
    const by = Object.fromEntries(r.columns.map((c) => [c.column, c]));
    assert.equal(by.temp.method, 'psi');
    assert.equal(by.temp.pValue, null);
    assert.equal(by.season.type, 'categorical');
    assert.equal(by.season.method, 'chisquare');
    assert.deepEqual(by.season.histogram.categories!.sort(), ['1', '2', '3', '4']);
    assert.equal(by.cnt.threshold, 5);
    assert.equal(by.cnt.drifted, false);
  });

  test('missing rates, text in a numeric column, an all-missing column, mismatched columns', async () => {
    const rows = (n: number, f: (i: number) => string): string =>
      Array.from({ length: n }, (_, i) => f(i)).join('\n') + '\n';
    const ref = file('ref.csv', 'x,c,empty,gone\n' + rows(200, (i) => `${i % 17},${'abc'[i % 3]},,${i}`));
    const cur = file(
      'cur.csv',
      'x,c,empty,extra\n' +
        rows(200, (i) => `${i === 7 ? 'oops' : i % 4 === 0 ? '' : String((i % 17) + 3)},${'abd'[i % 3]},,1`),
    );
    const r = await detectDrift(ref, cur);
    const by = Object.fromEntries(r.columns.map((c) => [c.column, c]));
    assert.equal(by.x.current.invalid, 1);
    assert.equal(by.x.current.missing, 50);
    assert.equal(by.x.missingRateShift, 0.25);
    assert.equal(by.empty.skipped, 'no values in the reference data');
    assert.ok(r.warnings.some((w) => w.column === 'empty' && w.file === ref && /no values/.test(w.message)));
    assert.equal(by.c.type, 'categorical');
    assert.ok(by.c.drifted, 'category "d" replaced "c"');
    const msgs = r.warnings.map((w) => w.message).join('\n');
    assert.match(msgs, /column "x" is numeric but 1 cells are not numbers \(first: line 9, "oops"\)/);
    assert.match(msgs, /column "gone" of the reference is missing from .*cur\.csv/);
    assert.match(msgs, /column "extra" is not in the reference .*ref\.csv/);
    await assert.rejects(detectDrift(ref, file('h.csv', 'x,c\n')), (e: RunlensError) =>
      /h\.csv has a header but no rows/.test(e.message),
    );
    await assert.rejects(detectDrift(ref, cur, { by: 'nope' }), /cur\.csv: no column "nope"/);
  });

  test('runlens drift: table, --json, exit 1 on dataset drift', () => {
    const cwd = tempDir();
    const args = [
      'drift',
      '--reference',
      path.join(BIKES, 'day_2011.csv'),
      '--current',
      path.join(BIKES, 'day_2012.csv'),
      '--column',
      'cnt',
      '--column',
      'casual',
    ];
    const r = runlens(args, cwd);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /2 of 2 columns drifted .*DATASET DRIFT/);
    assert.match(r.stdout, /cnt\s+numeric\s+ks\s+0\.\d+/);
    const j = runlens([...args, '--json', '--no-fail-on-drift', '--by', 'season'], cwd);
    assert.equal(j.status, 0, j.stderr);
    const report = JSON.parse(j.stdout);
    assert.equal(report.timeline.windows.length, 4);
    const bad = runlens(
      [
        'drift',
        '--reference',
        path.join(BIKES, 'day_2011.csv'),
        '--current',
        path.join(BIKES, 'day_2012.csv'),
        '--method',
        'cnt=magic',
      ],
      cwd,
    );
    assert.equal(bad.status, 2);
  });
});
