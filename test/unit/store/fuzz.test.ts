/**
 * Property-based tests (fast-check) of the readers that take input from outside: run references,
 * metric lines, MLflow stores, TensorBoard event files and prediction CSVs. Each property runs a
 * bounded number of cases (seconds in all); a failure prints the seed and the shrunk input.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { RunlensError } from '../../../src/core/errors';
import { readPredictions } from '../../../src/core/eval/evaluate';
import { importMlflow } from '../../../src/core/importers/mlflow';
import { importTensorboard } from '../../../src/core/importers/tensorboard';
import { isRunId } from '../../../src/core/store/ids';
import { formatPoint, parsePointLine, scanMetrics } from '../../../src/core/store/metrics';
import { Store } from '../../../src/core/store/store';
import type { MetricPoint } from '../../../src/core/store/types';
import { tempDir } from '../../helpers/tmp';

/** Only RunlensErrors (clear, user-facing) may escape a reader; anything else is a crash. */
async function onlyClearErrors(fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof RunlensError)) throw e;
  }
}

const pathish = fc.constantFrom('..', '.', '/', '\\', '~', '%2e', '\0', 'runs', 'run.json', ' ');

describe('fuzz: run references', () => {
  test("any reference resolves to one of the store's ids or is refused, never to a path", () => {
    const store = Store.open(path.join(tempDir('runlens-fuzz-ref-'), '.runlens'), { create: true });
    const runs = ['alpha', 'beta', '../../x', 'a/b'].map((name) => store.createRun({ name }));
    const ids = new Set(runs.map((r) => r.id));
    const ref = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc
        .array(fc.oneof(pathish, fc.constantFrom(...ids), fc.string({ maxLength: 4 })), { maxLength: 6 })
        .map((p) => p.join('/')),
      fc
        .constantFrom(...ids)
        .chain((id) =>
          fc.tuple(fc.nat(17), fc.nat(17)).map(([a, b]) => id.slice(Math.min(a, b), Math.max(a, b) + 1)),
        ),
    );
    fc.assert(
      fc.property(ref, (r) => {
        let got: string;
        try {
          got = store.resolveRunId(r);
        } catch (e) {
          assert.ok(e instanceof RunlensError, String(e));
          return;
        }
        assert.ok(isRunId(got) && ids.has(got), `${JSON.stringify(r)} -> ${got}`);
      }),
      { numRuns: 400 },
    );
  });
});

describe('fuzz: metric lines', () => {
  const point = fc.record({
    key: fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }),
    value: fc.double(),
    step: fc.integer({ min: -1e9, max: 1e12 }),
    time: fc.integer({ min: 0, max: 4e12 }),
  });

  test('formatPoint then parsePointLine gives the point back (NaN and infinities included)', () => {
    fc.assert(
      fc.property(point, fc.boolean(), (p: MetricPoint, stdout) => {
        const q: MetricPoint = stdout ? { ...p, source: 'stdout' } : p;
        const back = parsePointLine(formatPoint(q));
        assert.ok(back !== null && typeof back === 'object');
        assert.deepEqual(back, { ...q, value: Object.is(q.value, -0) ? 0 : q.value });
      }),
      { numRuns: 2000 },
    );
  });

  test('any line is a point, the header, or a reason: never a crash or a wrong-typed point', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.json().map(String),
      point
        .map((p) => formatPoint(p))
        .chain((s) => fc.nat(s.length).map((n) => s.slice(0, n) + s.slice(n + 1))),
    );
    fc.assert(
      fc.property(line, (l) => {
        const r = parsePointLine(l);
        if (r === null || typeof r === 'string') return;
        assert.equal(typeof r.key, 'string');
        assert.equal(typeof r.value, 'number');
        assert.equal(typeof r.step, 'number');
        assert.equal(typeof r.time, 'number');
      }),
      { numRuns: 3000 },
    );
  });

  test('scanMetrics over random files: every valid complete line is read, once', () => {
    const dir = tempDir('runlens-fuzz-scan-');
    let n = 0;
    const lines = fc.array(
      fc.oneof(
        point.map(formatPoint),
        fc.string({ maxLength: 40 }).map((s) => s.replace(/\n/g, '')),
      ),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(lines, fc.string({ maxLength: 20 }), (ls, tail) => {
        const file = path.join(dir, `m${n++}.jsonl`);
        fs.writeFileSync(file, ls.map((l) => l + '\n').join('') + tail.replace(/\n/g, ''));
        const seen: MetricPoint[] = [];
        const r = scanMetrics(file, (p) => seen.push(p));
        const expected = ls
          .map(parsePointLine)
          .filter((p): p is MetricPoint => p !== null && typeof p === 'object');
        assert.equal(seen.length, expected.length);
        assert.equal(r.endOffset, Buffer.byteLength(ls.map((l) => l + '\n').join('')));
        assert.equal(r.partialTail, tail.replace(/\n/g, '').length > 0);
      }),
      { numRuns: 200 },
    );
  });
});

describe('fuzz: importers and the predictions CSV reader', () => {
  test('MLflow: random meta.yaml, params, tags and metric files never crash the import', async () => {
    const text = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.constantFrom('status: 3\n', 'start_time: x\n', 'tags: [\n', ': :\n', '- a\n'),
    );
    const metricLine = fc.oneof(
      fc
        .tuple(
          fc.integer(),
          fc.oneof(fc.double().map(String), fc.constantFrom('nan', 'inf', '-inf', 'x')),
          fc.integer(),
        )
        .map((t) => t.join(' ')),
      fc.string({ maxLength: 30 }),
    );
    await fc.assert(
      fc.asyncProperty(
        text,
        text,
        fc.array(metricLine, { maxLength: 8 }),
        fc.string({ minLength: 1, maxLength: 8 }),
        async (meta, param, metric, key) => {
          const root = tempDir('runlens-fuzz-mlruns-');
          const id = 'e0000000000000000000000000000005';
          const w = (rel: string, t: string) => {
            fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
            fs.writeFileSync(path.join(root, rel), t);
          };
          w('0/meta.yaml', "experiment_id: '0'\nlifecycle_stage: active\nname: Default\n");
          w(`0/${id}/meta.yaml`, `run_id: ${id}\nexperiment_id: '0'\nstatus: 3\n${meta}`);
          const safeKey = key.replace(/[/\\\0]/g, '_').replace(/^\.+$/, 'k');
          w(`0/${id}/params/${safeKey}`, param);
          w(`0/${id}/metrics/${safeKey}`, metric.join('\n'));
          const store = Store.open(path.join(tempDir(), '.runlens'), { create: true });
          await onlyClearErrors(() => importMlflow(store, root));
          await onlyClearErrors(() => store.listRuns());
        },
      ),
      { numRuns: 40 },
    );
  });

  test('TensorBoard: random and truncated event files never crash the import', async () => {
    const fixture = path.join(__dirname, '..', '..', 'fixtures', 'importers', 'tfevents');
    const real = fs
      .readdirSync(fixture, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile() && d.name.includes('tfevents'))
      .map((d) => fs.readFileSync(path.join(d.parentPath, d.name)))
      .slice(0, 3);
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
      fc.constantFrom(...real).chain((b) =>
        fc.tuple(fc.nat(b.length), fc.nat(b.length), fc.integer({ min: 0, max: 255 })).map(([cut, at, v]) => {
          const c = Buffer.from(b.subarray(0, Math.max(cut, 1)));
          if (at < c.length) c[at] = v;
          return c;
        }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(bytes, async (b) => {
        const logdir = tempDir('runlens-fuzz-tb-');
        fs.mkdirSync(path.join(logdir, 'run1'));
        fs.writeFileSync(path.join(logdir, 'run1', 'events.out.tfevents.1.host'), b);
        const store = Store.open(path.join(tempDir(), '.runlens'), { create: true });
        await onlyClearErrors(() => importTensorboard(store, logdir));
      }),
      { numRuns: 60 },
    );
  });

  test('predictions CSV: any text is read or refused with a clear error', async () => {
    const dir = tempDir('runlens-fuzz-csv-');
    let n = 0;
    const cellArb = fc.oneof(
      fc.constantFrom('0', '1', 'a', '', '0.5', 'NaN', '"x,y"', '"', '1e309'),
      fc.string({ maxLength: 6 }),
    );
    const csv = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc
        .tuple(
          fc.shuffledSubarray(['label', 'prediction', 'score', 'score_a', 'score_b', 'x'], { minLength: 1 }),
          fc.array(fc.array(cellArb, { minLength: 1, maxLength: 6 }), { maxLength: 12 }),
        )
        .map(([h, rows]) => [h.join(','), ...rows.map((r) => r.join(','))].join('\n')),
    );
    await fc.assert(
      fc.asyncProperty(csv, async (text) => {
        const file = path.join(dir, `p${n++}.csv`);
        fs.writeFileSync(file, text);
        await onlyClearErrors(() => readPredictions(file));
      }),
      { numRuns: 300 },
    );
  });
});
