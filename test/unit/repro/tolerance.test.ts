import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  compareFinalMetrics,
  defaultPolicy,
  loadReproducePolicy,
  parseReproducePolicy,
  parseToleranceFlag,
  withinTolerance,
} from '../../../src/core/repro/tolerance';
import { tempDir } from '../../helpers/tmp';

test('relative and absolute tolerance bounds', () => {
  const rel = { relative: 1e-6, absolute: 0 };
  assert.equal(withinTolerance(1, 1 + 1e-7, rel), true);
  assert.equal(withinTolerance(1, 1 + 1e-5, rel), false);
  assert.equal(withinTolerance(0, 0, rel), true);
  assert.equal(withinTolerance(0, 1e-12, rel), false, 'relative to the larger magnitude: 0 vs 1e-12 is 100%');
  assert.equal(withinTolerance(0, 1e-12, { relative: 0, absolute: 1e-9 }), true);
  assert.equal(withinTolerance(NaN, NaN, rel), true);
  assert.equal(withinTolerance(NaN, 1, rel), false);
  assert.equal(withinTolerance(Infinity, Infinity, rel), true);
  assert.equal(withinTolerance(Infinity, 1e308, rel), false);
});

test('compareFinalMetrics: every original metric but system/, missing ones fail, per-metric overrides', () => {
  const policy = parseReproducePolicy({ tolerance: 1e-3, metrics: { b: { absolute: 0.5 } } }, 'x');
  const checks = compareFinalMetrics(
    { a: 1, b: 10, c: 3, 'system/cpu_percent': 50 },
    { a: 1.0005, b: 10.4, 'system/cpu_percent': 90, d: 1 },
    policy,
  );
  assert.deepEqual(
    checks.map((c) => [c.metric, c.within]),
    [
      ['a', true],
      ['b', true],
      ['c', false],
    ],
  );
  assert.equal(checks[1].tolerance.absolute, 0.5);
  assert.ok(Math.abs((checks[0].delta ?? 0) - 0.0005) < 1e-12);
  assert.ok(Math.abs((checks[0].relative ?? 0) - 0.0005 / 1.0005) < 1e-12);
  assert.equal(checks[2].reproduction, null);
});

test('runlens.yaml reproduce: section, and clear errors for bad values', () => {
  const ws = tempDir();
  assert.deepEqual(loadReproducePolicy(ws), defaultPolicy());
  fs.writeFileSync(
    path.join(ws, 'runlens.yaml'),
    'reproduce:\n  tolerance: 1e-4\n  metrics:\n    loss: { relative: 1e-3, absolute: 1e-9 }\n',
  );
  const p = loadReproducePolicy(ws);
  assert.deepEqual(p.tolerance, { relative: 1e-4, absolute: 0 });
  assert.deepEqual(p.metrics.loss, { relative: 1e-3, absolute: 1e-9 });
  fs.writeFileSync(path.join(ws, 'runlens.yaml'), 'reproduce:\n  metrics:\n    loss: { rel: 1 }\n');
  assert.throws(
    () => loadReproducePolicy(ws),
    /runlens\.yaml \(reproduce\): metrics\.loss: unknown key "rel"/,
  );
  fs.writeFileSync(path.join(ws, 'runlens.yaml'), 'reproduce:\n  tolerance: -1\n');
  assert.throws(() => loadReproducePolicy(ws), /tolerance: expected a number >= 0, not -1/);
  assert.equal(parseToleranceFlag('1e-4'), 1e-4);
  assert.throws(() => parseToleranceFlag('abc'), /--tolerance abc: expected a relative tolerance >= 0/);
});
