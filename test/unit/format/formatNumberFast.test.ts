import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNumber } from '../../../src/core/format';

/** What formatNumber wrote for 1e-3 <= |v| < 1e6 before its arithmetic path: the decimal of toPrecision(5). */
function reference(v: number): string {
  return String(Number(v.toPrecision(5)));
}

test('formatNumber in 1e-3..1e6 writes what toPrecision(5) writes, ties and powers of ten included', () => {
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const values: number[] = [];
  for (let i = 0; i < 200_000; i++) {
    const mag = 10 ** (Math.floor(random() * 9) - 3);
    values.push((random() < 0.5 ? -1 : 1) * random() * mag);
  }
  for (let e = -3; e <= 5; e++) {
    for (const m of [1, 1.00005, 9.99995, 9.99994999, 9.999950001, 1.23455, 5.00005, 2.5, 99999.5 / 1e4]) {
      const v = m * 10 ** e;
      values.push(v, -v, v * (1 + Number.EPSILON), v * (1 - Number.EPSILON));
    }
  }
  // five-digit decimals and the halfway points between them, as a training log often holds
  for (let n = 10_000; n < 100_000; n += 7)
    for (const e of [-3, -1, 0, 2, 5]) values.push(((n + 0.5) * 10 ** e) / 1e4);
  let checked = 0;
  for (const v of values) {
    const a = Math.abs(v);
    if (a < 1e-3 || a >= 1e6 || Number.isInteger(v)) continue;
    assert.equal(formatNumber(v), reference(v), `formatNumber(${v})`);
    checked++;
  }
  assert.ok(checked > 200_000, `${checked} values`);
});

test('formatNumber on every range: the digits written directly are the decimal toPrecision(5) names', () => {
  /** The rule as stated, with no fast path. */
  const spec = (v: number): string => {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    const a = Math.abs(v);
    if (a < 1e-3 || a >= 1e6) return v.toExponential(4).replace(/\.?0+e/, 'e');
    return String(Number(v.toPrecision(5)));
  };
  const values = [
    NaN,
    Infinity,
    -Infinity,
    0,
    -0,
    1e15,
    1e15 + 2,
    -(2 ** 53),
    1e21,
    5e-324,
    -Number.MAX_VALUE,
  ];
  for (let e = -4; e <= 7; e++)
    for (const m of [1, 1.5, 9.99994, 9.99995, 9.999951, 9.9999999, 1.00001, 1.000049, 1.23405, 7.7]) {
      const v = m * 10 ** e;
      for (const x of [v, -v, v * (1 + Number.EPSILON), v * (1 - Number.EPSILON), v + 0.5, -v - 0.5])
        values.push(x);
    }
  values.push(999999.4, 999999.5, 999999.6, -999999.5, 0.0009999949, 0.000999995, 0.001, 0.0010000049);
  values.push(100000.05, 99999.95, 10000.05, 0.30000000000000004, 12.3, 120.5, 1200.04, 10.0005, 0.01000049);
  for (const v of values) assert.equal(formatNumber(v), spec(v), `formatNumber(${v})`);
});
