import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { buildCompareSnapshot, valuesAtStep } from '../../../src/core/charts/compareData';
import {
  SeriesCache,
  buildMetricsSnapshot,
  legendLabels,
  pointBudget,
  reduceSeries,
  runColor,
  seriesCsv,
  zoomSeries,
} from '../../../src/core/charts/panelData';
import type { PanelRun } from '../../../src/core/charts/panelData';
import { METRICS_HEADER, formatPoint } from '../../../src/core/store/metrics';
import { metricsCacheFile, readMetricsCache } from '../../../src/core/store/metricsCache';
import type { MetricPoint, RunEntry } from '../../../src/core/store/types';
import { tempDir } from '../../helpers/tmp';
import { RUNS, config } from '../../fixtures/webview/hydraSweep';

function entry(id: string, params: RunEntry['params'] = {}, name = id): RunEntry {
  return {
    id,
    experiment: 'e',
    name,
    status: 'finished',
    script: null,
    params,
    tags: {},
    starred: false,
    startTime: 1_790_000_000_000,
    endTime: 1_790_000_060_000,
    gitCommit: null,
    metrics: {},
    metricsBytes: 0,
    updatedAt: 0,
  };
}

function writePoints(file: string, points: MetricPoint[], header = true): void {
  const text = (header ? METRICS_HEADER + '\n' : '') + points.map((p) => formatPoint(p) + '\n').join('');
  fs.appendFileSync(file, text);
}

function run(dir: string, id: string, points: MetricPoint[], params: RunEntry['params'] = {}): PanelRun {
  const metricsFile = path.join(dir, `${id}.jsonl`);
  writePoints(metricsFile, points);
  return { ref: `ref-${id}`, entry: entry(id, params), metricsFile };
}

const T0 = 1_790_000_000_000;
const pts = (key: string, values: number[], from = 0): MetricPoint[] =>
  values.map((value, i) => ({ key, value, step: from + i, time: T0 + (from + i) * 1000 }));

describe('panel data', () => {
  test('the series cache reads only appended bytes, waits for torn lines, re-reads a replaced file', () => {
    const dir = tempDir();
    const file = path.join(dir, 'm.jsonl');
    writePoints(file, pts('loss', [3, 2, 1]));
    const cache = new SeriesCache();
    assert.deepEqual([...cache.load(file).series.get('loss')!.values], [3, 2, 1]);
    writePoints(file, pts('loss', [0.5], 3), false);
    fs.appendFileSync(file, '{"key":"loss","value":0.25,"st');
    assert.deepEqual([...cache.load(file).series.get('loss')!.steps], [0, 1, 2, 3]);
    fs.appendFileSync(file, 'ep":4,"time":5}\n');
    assert.deepEqual([...cache.load(file).series.get('loss')!.values], [3, 2, 1, 0.5, 0.25]);
    fs.writeFileSync(
      file,
      METRICS_HEADER + '\n' + formatPoint({ key: 'acc', value: 0.9, step: 0, time: T0 }) + '\n',
    );
    const replaced = cache.load(file);
    assert.deepEqual([...replaced.series.keys()], ['acc']);
  });

  test('a long series is cached as columns on disk; a new reader starts from it and reads on', () => {
    const dir = tempDir();
    const file = path.join(dir, 'metrics.jsonl');
    const n = 6000; // about 400 KB of JSONL: over the size that makes the cache worth writing
    const values = Array.from({ length: n }, (_, i) => (i === 7 ? NaN : Math.sin(i) * 1e3 + i / 3));
    writePoints(file, [...pts('loss', values), ...pts('acc', values.slice(0, 10))]);
    fs.appendFileSync(file, 'not json\n');
    const first = new SeriesCache().load(file);
    const cacheFile = metricsCacheFile(file);
    assert.equal(path.basename(cacheFile), 'metrics.cache');
    assert.ok(fs.existsSync(cacheFile), 'cache written');
    const cached = readMetricsCache(file)!;
    assert.equal(cached.offset, fs.statSync(file).size);
    assert.deepEqual([...cached.series.get('loss')!.values], values);
    // A fresh reader (another process, a reload) gets the same series, warnings and t0 from the cache.
    const second = new SeriesCache().load(file);
    for (const key of ['loss', 'acc'])
      for (const col of ['steps', 'values', 'times'] as const)
        assert.deepEqual(
          [...second.series.get(key)![col]],
          [...first.series.get(key)![col]],
          `${key}.${col}`,
        );
    assert.equal(second.warnings.length, 1);
    assert.match(second.warnings[0].message, /not valid JSON/);
    assert.equal(second.t0, first.t0);
    // Points appended after the cache was written are read from the JSONL on top of it.
    writePoints(file, pts('loss', [42], n), false);
    const third = new SeriesCache().load(file).series.get('loss')!;
    assert.equal(third.values.length, n + 1);
    assert.equal(third.values[n], 42);
    // A step logged out of order (a resumed run) is still drawn in step order, from the cache too.
    writePoints(file, pts('loss', [7], 5), false);
    // Read as the cache's columns plus the JSONL written after it, then with no cache at all.
    for (const withCache of [true, false]) {
      if (!withCache) fs.rmSync(metricsCacheFile(file));
      const f = new SeriesCache({ writeCache: false }).load(file);
      const r = reduceSeries('ref', f.series.get('loss')!, f.t0, 600);
      assert.ok(
        r.steps.every((st, i) => i === 0 || st >= r.steps[i - 1]),
        `reduced steps ascend (${withCache ? 'from the cache' : 'from JSONL'})`,
      );
      assert.equal(r.total, n + 2);
    }
  });

  test('a cache that no longer matches its JSONL, or is torn, is ignored', () => {
    const dir = tempDir();
    const file = path.join(dir, 'metrics.jsonl');
    writePoints(
      file,
      pts(
        'loss',
        Array.from({ length: 6000 }, (_, i) => i),
      ),
    );
    new SeriesCache().load(file);
    assert.ok(readMetricsCache(file));
    // Replaced by other content at least as long: the bytes the cache covered changed.
    fs.writeFileSync(file, '');
    writePoints(
      file,
      pts(
        'val',
        Array.from({ length: 6000 }, (_, i) => i + 0.5),
      ),
    );
    assert.equal(readMetricsCache(file), undefined);
    const replaced = new SeriesCache({ writeCache: false }).load(file);
    assert.deepEqual([...replaced.series.keys()], ['val']);
    // A torn cache file (a crash while copying it around) is not an error either.
    new SeriesCache().load(file);
    const cacheFile = metricsCacheFile(file);
    fs.truncateSync(cacheFile, Math.floor(fs.statSync(cacheFile).size / 2));
    assert.equal(readMetricsCache(file), undefined);
    assert.equal(new SeriesCache().load(file).series.get('val')!.values.length, 6000);
    fs.writeFileSync(cacheFile, 'garbage');
    assert.equal(new SeriesCache().load(file).series.get('val')!.values[5999], 5999.5);
  });

  test('reduceSeries keeps first, last, extrema; every kept point is an input point with its time', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(NaN), fc.constant(Infinity)),
          {
            minLength: 1,
            maxLength: 3000,
          },
        ),
        fc.integer({ min: 8, max: 400 }),
        (values, budget) => {
          const steps = values.map((_, i) => i * 2);
          const times = values.map((_, i) => T0 + i * 37);
          const s = reduceSeries('r', { key: 'k', steps, values, times }, T0, budget);
          assert.equal(s.steps[0], 0);
          assert.equal(s.steps.at(-1), steps.at(-1));
          assert.equal(s.total, values.length);
          for (let k = 0; k < s.steps.length; k++) {
            const i = s.steps[k] / 2;
            assert.equal(s.times[k], times[i]);
            const v = values[i];
            if (Number.isFinite(v)) assert.equal(s.values[k], v);
            else {
              assert.equal(s.values[k], null);
              assert.deepEqual(
                s.nonFinite.find(([at]) => at === k),
                [k, Number.isNaN(v) ? 'NaN' : 'Infinity'],
              );
            }
          }
          const finite = values.filter(Number.isFinite);
          if (finite.length) {
            const kept = s.values.filter((v): v is number => v !== null);
            assert.equal(Math.min(...kept), Math.min(...finite));
            assert.equal(Math.max(...kept), Math.max(...finite));
          }
          if (values.every(Number.isFinite)) assert.ok(s.steps.length <= Math.max(budget, 2));
        },
      ),
      { numRuns: 150 },
    );
  });

  test('steps logged out of order are sorted before reduction', () => {
    const s = reduceSeries(
      'r',
      { key: 'k', steps: [2, 0, 1], values: [20, 0, 10], times: [3, 1, 2] },
      1,
      100,
    );
    assert.deepEqual(s.steps, [0, 1, 2]);
    assert.deepEqual(s.values, [0, 10, 20]);
    assert.deepEqual(s.times, [1, 2, 3]);
  });

  test('snapshot: one chart per key, runs without a key listed as missing, budget per series', () => {
    const dir = tempDir();
    const long = Array.from({ length: 50_000 }, (_, i) => Math.sin(i / 100) + (i === 25_000 ? 50 : 0));
    const runs = [
      run(dir, 'a', [...pts('loss', long), ...pts('acc', [0.5, 0.6])], { lr: 0.1, bs: 32 }),
      run(dir, 'b', pts('loss', [1, 0.5]), { lr: 0.01, bs: 32 }),
      { ref: 'ref-c', entry: entry('c', { lr: 0.01, bs: 32 }), metricsFile: path.join(dir, 'none.jsonl') },
    ];
    const snap = buildMetricsSnapshot(runs, { cache: new SeriesCache(), points: 600 });
    assert.deepEqual(
      snap.charts.map((c) => c.key),
      ['acc', 'loss'],
    );
    const acc = snap.charts[0];
    assert.equal(acc.goal, 'max');
    assert.deepEqual(acc.missing, ['ref-b', 'ref-c']);
    const loss = snap.charts[1];
    assert.equal(loss.goal, 'min');
    assert.deepEqual(loss.missing, ['ref-c']);
    assert.ok(loss.series[0].steps.length <= 600);
    assert.ok(loss.series[0].values.includes(long[25_000]), 'the spike survives');
    assert.equal(loss.series[0].total, 50_000);
    assert.deepEqual(
      snap.runs.map((r) => r.label),
      ['a (lr=0.1)', 'b (lr=0.01)', 'c (lr=0.01)'],
    );
    // JSON round trip (what postMessage does) loses nothing: NaN never appears as a number.
    assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
  });

  test('a live snapshot of growing runs equals one built from scratch on the same files', () => {
    const dir = tempDir();
    const wave = (n: number, from: number, r: number) =>
      Array.from({ length: n }, (_, i) => Math.sin((from + i) / (50 + r)) + ((from + i) % 997 === 0 ? 9 : 0));
    const runs = [0, 1, 2].map((r) => run(dir, `g${r}`, pts('loss', wave(3000 + r * 500, 0, r))));
    const live = new SeriesCache({ writeCache: false });
    const end = [3000, 3500, 4000];
    for (const grow of [1, 7, 300, 2500, 40_000]) {
      runs.forEach((r, i) => {
        // One run stays finished; the others keep logging, now and then a NaN.
        if (i === 2) return;
        const values = wave(grow, end[i], i);
        if (grow > 5) values[grow >> 1] = NaN;
        writePoints(r.metricsFile, pts('loss', values, end[i]), false);
        end[i] += grow;
      });
      for (const points of [64, 600]) {
        const got = buildMetricsSnapshot(runs, { cache: live, points });
        const fresh = buildMetricsSnapshot(runs, { cache: new SeriesCache({ writeCache: false }), points });
        assert.deepEqual(got, fresh, `after ${grow} more points, budget ${points}`);
        const s = got.charts[0].series[0];
        assert.equal(s.total, end[0]);
        assert.equal(s.steps[0], 0);
        assert.equal(s.steps.at(-1), end[0] - 1);
        assert.ok(s.steps.length <= points, `${s.steps.length} points for ${points}`);
        if (grow > 5)
          assert.ok(
            s.nonFinite.some(([, c]) => c === 'NaN'),
            'a NaN stays a gap',
          );
      }
    }
  });

  test('a notice names the first unreadable line of a run and counts the others, in good English', () => {
    const dir = tempDir();
    const two = run(dir, 'two', pts('loss', [1, 0.5]));
    fs.appendFileSync(two.metricsFile, 'not json\n{"key":"loss"\n');
    const three = run(dir, 'three', pts('loss', [1, 0.5]));
    fs.appendFileSync(three.metricsFile, 'not json\nnor this\n{"key":"loss"\n');
    const snap = buildMetricsSnapshot([two, three], { cache: new SeriesCache(), points: 600 });
    assert.equal(snap.notices.length, 2);
    assert.match(snap.notices[0], /^.*two\.jsonl:4: .*not valid JSON.* \(and 1 more line\)$/);
    assert.match(snap.notices[1], /^.*three\.jsonl:4: .*not valid JSON.* \(and 2 more lines\)$/);
  });

  test('zoom re-fetches a step range at full resolution, within the same budget', () => {
    const dir = tempDir();
    const values = Array.from({ length: 100_000 }, (_, i) => i % 7);
    const runs = [run(dir, 'a', pts('loss', values))];
    const cache = new SeriesCache();
    const narrow = zoomSeries(runs, 'loss', { axis: 'step', min: 1000, max: 1199 }, { cache, points: 1000 });
    assert.deepEqual(
      narrow[0].steps,
      Array.from({ length: 202 }, (_, i) => 999 + i),
    );
    const wide = zoomSeries(runs, 'loss', { axis: 'step', min: 0, max: 99_999 }, { cache, points: 1000 });
    assert.ok(wide[0].steps.length <= 1000);
    // Wall and relative time: the same range expressed in ms since the epoch or since the first point.
    const wall = zoomSeries(
      runs,
      'loss',
      { axis: 'wall', min: T0 + 1_000_000, max: T0 + 1_199_000 },
      { cache, points: 1000 },
    );
    const rel = zoomSeries(
      runs,
      'loss',
      { axis: 'relative', min: 1_000_000, max: 1_199_000 },
      { cache, points: 1000 },
    );
    assert.deepEqual(wall[0].steps, narrow[0].steps);
    assert.deepEqual(rel[0].steps, narrow[0].steps);
    assert.deepEqual(zoomSeries(runs, 'nope', { axis: 'step', min: 0, max: 1 }, { cache, points: 10 }), []);
  });

  test('CSV export holds every point, non-finite values spelled out', () => {
    const dir = tempDir();
    const runs = [run(dir, 'a', pts('loss', [1, NaN, -Infinity]))];
    const csv = seriesCsv(runs, 'loss', new SeriesCache());
    assert.equal(
      csv,
      `run,run_id,step,time,value\na,a,0,${T0},1\na,a,1,${T0 + 1000},NaN\na,a,2,${T0 + 2000},-Infinity\n`,
    );
  });

  test('legend labels name differing params only; same names get the id; colours are stable', () => {
    const labels = legendLabels([
      entry('01abcdef', { lr: 0.1, opt: 'adam' }, 'base'),
      entry('01ghijkl', { lr: 0.1, opt: 'adam' }, 'base'),
      entry('01mnopqr', { lr: 0.01, opt: 'adam' }, 'small'),
    ]);
    assert.deepEqual(
      [...labels.values()],
      ['base (lr=0.1, abcdef)', 'base (lr=0.1, ghijkl)', 'small (lr=0.01)'],
    );
    const same = legendLabels([entry('01abcdef', {}, 'x'), entry('01ghijkl', {}, 'x')]);
    assert.deepEqual([...same.values()], ['x (abcdef)', 'x (ghijkl)']);
    assert.equal(runColor('01abcdef'), runColor('01abcdef'));
    const colors = new Set(Array.from({ length: 100 }, (_, i) => runColor(`run-${i}`)));
    assert.ok(colors.size >= 90, `${colors.size} distinct colours for 100 runs`);
    assert.equal(pointBudget(600), 1200);
  });

  test('legend labels of a Hydra sweep: swept params first; per-run paths last; derived params left out', () => {
    // 8 runs x 101 params of a Lightning + Hydra sweep (test/fixtures/webview/hydraSweep.ts).
    const runs = Array.from({ length: RUNS }, (_, i) => entry(`01run${i}`, config(i), `train_${i}`));
    const labels = [...legendLabels(runs).values()];
    // Alphabetical among the swept params; model/params/* (computed from lin1_size) and the
    // per-run checkpoint folder and hydra/job/num are not among the first four.
    assert.equal(
      labels[0],
      'train_0 (data/batch_size=32, model/net/dropout=0, model/net/lin1_size=64, model/optimizer/lr=0.0001, …)',
    );
    assert.equal(new Set(labels).size, RUNS);
    assert.equal(pointBudget(NaN), 1200);
  });
});

describe('compare data', () => {
  test('every statistic gets best marks by goal and deltas to the baseline; values at a step', () => {
    const dir = tempDir();
    const a = run(dir, 'a', [...pts('loss', [4, 2, 3]), ...pts('acc', [0.5, 0.7, 0.6])], { lr: 0.1 });
    const b = run(dir, 'b', [...pts('loss', [5, 1, 2]), ...pts('acc', [0.4, 0.8, NaN])], { lr: 0.01 });
    const c = run(dir, 'c', pts('loss', [8, 6]), { lr: 0.1 });
    const cache = new SeriesCache();
    // Summaries as the store computes them (last, min, max).
    a.entry.metrics = {
      loss: { last: 3, lastStep: 2, min: 2, max: 4, count: 3, lastTime: 0 },
      acc: { last: 0.6, lastStep: 2, min: 0.5, max: 0.7, count: 3, lastTime: 0 },
    };
    b.entry.metrics = {
      loss: { last: 2, lastStep: 2, min: 1, max: 5, count: 3, lastTime: 0 },
      acc: { last: NaN, lastStep: 2, min: 0.4, max: 0.8, count: 3, lastTime: 0 },
    };
    c.entry.metrics = { loss: { last: 6, lastStep: 1, min: 6, max: 8, count: 2, lastTime: 0 } };
    const snap = buildCompareSnapshot([a, b, c], { cache, baselineRef: 'ref-a', step: 1 });
    assert.equal(snap.baselineRef, 'ref-a');
    assert.deepEqual(
      snap.runs.map((r) => r.isBaseline),
      [true, false, false],
    );
    assert.deepEqual(snap.params, [{ key: 'lr', values: [0.1, 0.01, 0.1], differs: true }]);
    const loss = snap.metrics.find((m) => m.key === 'loss')!;
    assert.equal(loss.goal, 'min');
    assert.deepEqual(
      loss.stats.last.map((x) => x?.value),
      [3, 2, 6],
    );
    assert.deepEqual(
      loss.stats.last.map((x) => x?.isBest),
      [false, true, false],
    );
    // b: 2 - 3 = -1, relative -1/3, lower loss is better; c: 6 - 3 = +3, +100%.
    assert.deepEqual(loss.stats.last[1]!.delta, { absolute: -1, relative: -1 / 3, verdict: 'better' });
    assert.deepEqual(loss.stats.last[2]!.delta, { absolute: 3, relative: 1, verdict: 'worse' });
    assert.equal(loss.stats.last[0]!.delta, undefined);
    // best (min for loss): a 2, b 1, c 6
    assert.deepEqual(
      loss.stats.best.map((x) => x?.value),
      [2, 1, 6],
    );
    assert.deepEqual(
      loss.stats.best.map((x) => x?.isBest),
      [false, true, false],
    );
    // At step 1: the values logged at step 1.
    assert.deepEqual(
      loss.stats.atStep.map((x) => x?.value),
      [2, 1, 6],
    );
    const acc = snap.metrics.find((m) => m.key === 'acc')!;
    assert.equal(acc.stats.last[1]!.value, null);
    assert.equal(acc.stats.last[1]!.text, 'NaN');
    assert.equal(acc.stats.last[1]!.delta, undefined);
    assert.equal(acc.stats.last[2], null, 'c has no acc');
    assert.equal(acc.stats.max[1]!.isBest, true);
    assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
    // Step past the end: the last point; before the first: nothing.
    assert.deepEqual(valuesAtStep([c], 99, cache).get('c'), { loss: 6 });
    assert.deepEqual(valuesAtStep([c], -1, cache).get('c'), {});
  });
});
