// `runlens metrics RUN --key K --points N`: the charts' reduction on the command line, run as a
// real process (dist/cli.js; node scripts/build.js first).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { downsampleSeries } from '../../../src/core/charts/panelData';
import { METRICS_HEADER, formatPoint, readSeries } from '../../../src/core/store/metrics';
import { Store } from '../../../src/core/store/store';
import { cli, tempDir } from '../../helpers/tmp';

function workspace(n: number): { ws: string; id: string; file: string } {
  const ws = tempDir('runlens-points-');
  const store = Store.open(path.join(ws, '.runlens'), { create: true });
  const run = store.createRun({ name: 'long' });
  const lines = [METRICS_HEADER];
  for (let i = 0; i < n; i++) {
    // A noisy decay with one spike and one NaN: both must survive the reduction.
    const value = i === 31_337 ? 42 : i === 50_001 ? NaN : Math.exp(-i / 20_000) + 0.01 * Math.sin(i);
    lines.push(formatPoint({ key: 'loss', value, step: i, time: 1_790_000_000_000 + i }));
    if (i % 10_000 === 0)
      lines.push(formatPoint({ key: 'acc', value: i / n, step: i, time: 1_790_000_000_000 + i }));
  }
  const file = store.metricsFile(run.id);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return { ws, id: run.id, file };
}

describe('runlens metrics --points', () => {
  const n = 100_000;
  const { ws, id, file } = workspace(n);

  test('--json: about N points, first, last, spike and NaN kept, same as the charts', () => {
    const r = cli(['metrics', id, '--key', 'loss', '--points', '400', '--json'], { cwd: ws });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      loss: { steps: number[]; values: (number | string)[]; times: number[] };
    };
    const s = out.loss;
    assert.ok(s.steps.length <= 400 + 2 && s.steps.length > 300, `${s.steps.length} points`);
    assert.equal(s.steps[0], 0);
    assert.equal(s.steps.at(-1), n - 1);
    assert.equal(s.values[s.steps.indexOf(31_337)], 42);
    assert.equal(s.values[s.steps.indexOf(50_001)], 'NaN');
    assert.equal(s.times[5], 1_790_000_000_000 + s.steps[5]);
    // The same reduction as the core function the panels use, on the series the store reads.
    const expected = downsampleSeries(readSeries(file, 'loss').series, 400);
    assert.deepEqual(s.steps, expected.steps);
  });

  test('--csv honours --points too; a bad N is a usage error', () => {
    const r = cli(['metrics', id, '--key', 'loss', '--points', '50', '--csv'], { cwd: ws });
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split('\n');
    assert.equal(rows[0], 'key,step,value,time');
    // Power-of-two bucket widths use between half and all of the buckets the budget allows.
    assert.ok(rows.length - 1 <= 53 && rows.length - 1 >= 25, `${rows.length - 1} rows`);
    for (const bad of ['1', 'ten', '2.5']) {
      const e = cli(['metrics', id, '--key', 'loss', '--points', bad], { cwd: ws });
      assert.equal(e.status, 2, bad);
      assert.match(
        e.stderr,
        new RegExp(`--points must be a whole number of at least 2, got "${bad.replace('.', '\\.')}"`),
      );
    }
  });

  test('a series shorter than N is printed whole', () => {
    const r = cli(['metrics', id, '--key', 'acc', '--points', '400', '--json'], { cwd: ws });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { acc: { steps: number[] } }).acc.steps,
      Array.from({ length: 10 }, (_, i) => i * 10_000),
    );
  });
});
