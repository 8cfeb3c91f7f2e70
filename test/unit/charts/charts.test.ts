import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { buildCompareTable } from '../../../src/core/charts/compare';
import {
  ExtremaBuckets,
  bucketsFor,
  downsample,
  downsampleIndices,
  smooth,
} from '../../../src/core/charts/downsample';
import type { RunEntry } from '../../../src/core/store/types';

const seriesArb = fc
  .array(
    fc.oneof(
      { weight: 20, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
      { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) },
    ),
    {
      minLength: 0,
      maxLength: 3000,
    },
  )
  .map((y) => ({ x: y.map((_, i) => i * 2), y }));

describe('downsampling', () => {
  test('keeps first and last points and the min and max of every bucket, in order', () => {
    fc.assert(
      fc.property(seriesArb, fc.integer({ min: 4, max: 600 }), (s, target) => {
        const out = downsample(s, target);
        const n = s.x.length;
        if (n <= target) {
          assert.deepEqual(out, s);
          return;
        }
        assert.equal(out.x[0], s.x[0]);
        assert.equal(out.x.at(-1), s.x[n - 1]);
        for (let i = 1; i < out.x.length; i++) assert.ok(out.x[i] > out.x[i - 1], 'strictly increasing x');
        const byX = new Map(s.x.map((x, i) => [x, s.y[i]]));
        out.x.forEach((x, i) =>
          assert.ok(Object.is(byX.get(x), out.y[i]), 'every kept point is an input point'),
        );
        // Recompute the buckets independently: the narrowest power-of-two width from the first x
        // that needs at most target/2 - 1 buckets, and check their extrema are there.
        const buckets = Math.max(1, Math.floor((target - 2) / 2));
        const span = s.x[n - 1] - s.x[0];
        let width = 2 ** -24;
        while (Math.floor(span / width) >= buckets) width *= 2;
        const kept = new Set(out.x);
        const groups = new Map<number, number[]>();
        for (let i = 0; i < n; i++) {
          const b = Math.floor((s.x[i] - s.x[0]) / width);
          if (!groups.has(b)) groups.set(b, []);
          groups.get(b)!.push(i);
        }
        assert.ok(groups.size <= buckets);
        for (const idx of groups.values()) {
          const finite = idx.filter((i) => Number.isFinite(s.y[i]));
          if (!finite.length) continue;
          const min = Math.min(...finite.map((i) => s.y[i]));
          const max = Math.max(...finite.map((i) => s.y[i]));
          assert.ok(
            finite.some((i) => s.y[i] === min && kept.has(s.x[i])),
            'bucket minimum kept',
          );
          assert.ok(
            finite.some((i) => s.y[i] === max && kept.has(s.x[i])),
            'bucket maximum kept',
          );
          if (idx.some((i) => !Number.isFinite(s.y[i])))
            assert.ok(
              idx.some((i) => !Number.isFinite(s.y[i]) && kept.has(s.x[i])),
              'gaps stay visible',
            );
        }
        assert.ok(out.x.length <= 2 + 3 * buckets);
      }),
      { numRuns: 300 },
    );
  });

  test('buckets fed in pieces equal buckets cut from scratch, at every length', () => {
    // Steps that repeat, jump and stay put; values with ties and gaps; appended in random pieces.
    const grownArb = fc.record({
      gaps: fc.array(
        fc.oneof(
          fc.constant(0),
          fc.constant(1),
          fc.integer({ min: 1, max: 5000 }),
          fc.double({ min: 0, max: 3, noNaN: true }),
        ),
        { minLength: 1, maxLength: 2500 },
      ),
      y: fc.array(
        fc.oneof(
          { weight: 10, arbitrary: fc.integer({ min: -3, max: 3 }) },
          { weight: 10, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
          { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) },
        ),
        { minLength: 2500, maxLength: 2500 },
      ),
      x0: fc.oneof(fc.constant(0), fc.integer({ min: -1000, max: 1_000_000 })),
      cuts: fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 30 }),
      target: fc.integer({ min: 4, max: 300 }),
    });
    fc.assert(
      fc.property(grownArb, ({ gaps, y, x0, cuts, target }) => {
        const x = new Float64Array(gaps.length);
        let at = x0;
        gaps.forEach((g, i) => (x[i] = at += g));
        const ys = Float64Array.from(y.slice(0, gaps.length));
        const live = new ExtremaBuckets(bucketsFor(target));
        let end = 0;
        for (const cut of [...cuts, gaps.length]) {
          end = Math.min(gaps.length, end + cut);
          live.append(x, ys, end);
          // From scratch: the width set from the x range first, one pass, no merging.
          const scratch = ExtremaBuckets.of(x.subarray(0, end), ys.subarray(0, end), bucketsFor(target));
          assert.deepEqual(live.indices(), scratch.indices(), `after ${end} points`);
          if (end > target)
            assert.deepEqual(
              live.indices(),
              downsampleIndices({ x: x.subarray(0, end), y: ys.subarray(0, end) }, target),
            );
          const kept = live.indices();
          assert.equal(kept[0], 0, 'first point kept');
          assert.equal(kept.at(-1), end - 1, 'last point kept');
          const finite = [...ys.subarray(0, end)].filter(Number.isFinite);
          if (finite.length) {
            const keptValues = kept.map((i) => ys[i]);
            assert.ok(keptValues.includes(Math.min(...finite)), 'the minimum kept');
            assert.ok(keptValues.includes(Math.max(...finite)), 'the maximum kept');
          }
          if (end === gaps.length) break;
        }
      }),
      { numRuns: 200 },
    );
  });

  test('a million points become about twice the pixel width; a zoomed range is re-read at full detail', () => {
    const n = 1_000_000;
    const s = {
      x: Array.from({ length: n }, (_, i) => i),
      y: Array.from({ length: n }, (_, i) => Math.sin(i / 1000) + (i === 777_777 ? 50 : 0)),
    };
    const out = downsample(s, 2 * 800);
    // Power-of-two bucket widths use between half and all of the 799 buckets the budget allows.
    assert.ok(out.x.length <= 1600 && out.x.length > 800, `${out.x.length} points`);
    assert.ok(out.y.includes(50 + Math.sin(777.777)), 'a one-point spike survives');
    const zoom = downsample(s, 1600, { min: 1000, max: 1500 });
    assert.equal(zoom.x[0], 999);
    assert.equal(zoom.x.at(-1), 1501);
    assert.equal(zoom.x.length, 503, 'a zoomed range shorter than the target comes back whole');
  });
});

describe('smoothing', () => {
  test("equals TensorBoard's debiased exponential moving average", () => {
    // By hand: w=0.5; EMA 0.5, 1.25, 2.125 divided by 1-0.5^k = 0.5, 0.75, 0.875.
    const out = smooth([1, 2, 3], 0.5);
    assert.deepEqual(
      out.map((v) => Number(v.toFixed(6))),
      [1, 1.666667, 2.428571],
    );
    assert.deepEqual(smooth([4, 4, 4], 0.9), [4, 4, 4], 'a constant series is left alone');
    const gaps = smooth([1, NaN, 3], 0.5);
    assert.ok(Number.isNaN(gaps[1]));
    assert.equal(Number(gaps[2].toFixed(6)), 2.333333, 'NaN does not enter the average: (0.25+1.5)/0.75');
    assert.deepEqual(smooth([1, 5], 0), [1, 5]);
  });
});

function entry(id: string, params: RunEntry['params'], metrics: Record<string, number>): RunEntry {
  return {
    id,
    experiment: 'e',
    name: id,
    status: 'finished',
    script: null,
    params,
    tags: {},
    starred: false,
    startTime: 1000,
    endTime: 61_000,
    gitCommit: 'abc',
    metrics: Object.fromEntries(
      Object.entries(metrics).map(([k, v]) => [
        k,
        { last: v, lastStep: 9, min: v - 1, max: v + 1, count: 10, lastTime: 0 },
      ]),
    ),
    metricsBytes: 0,
    updatedAt: 0,
  };
}

describe('comparison table', () => {
  test('marks differing params, the best run per metric by goal, and deltas to the baseline', () => {
    const t = buildCompareTable(
      [
        { entry: entry('a', { lr: 0.1, bs: 32 }, { loss: 0.5, acc: 0.8 }) },
        { entry: entry('b', { lr: 0.01, bs: 32 }, { loss: 0.4, acc: 0.7, f1: 0.6 }) },
      ],
      { baselineId: 'a' },
    );
    assert.deepEqual(
      t.params.map((p) => [p.key, p.differs]),
      [
        ['bs', false],
        ['lr', true],
      ],
    );
    const loss = t.metrics.find((m) => m.key === 'loss')!;
    assert.equal(loss.goal, 'min');
    assert.deepEqual(
      loss.cells.map((c) => c?.isBest),
      [false, true],
    );
    assert.equal(loss.cells[1]?.delta?.verdict, 'better');
    assert.ok(Math.abs(loss.cells[1]!.delta!.absolute - -0.1) < 1e-12);
    assert.ok(Math.abs(loss.cells[1]!.delta!.relative! - -0.2) < 1e-12);
    const acc = t.metrics.find((m) => m.key === 'acc')!;
    assert.deepEqual(
      acc.cells.map((c) => c?.isBest),
      [true, false],
    );
    assert.equal(acc.cells[1]?.delta?.verdict, 'worse');
    assert.equal(t.metrics.find((m) => m.key === 'f1')!.cells[0], undefined, 'a metric only some runs have');
    assert.equal(t.runs[0].isBaseline, true);
    assert.equal(t.runs[0].durationMs, 60_000);
  });
});
