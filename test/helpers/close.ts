import assert from 'node:assert/strict';

/**
 * Deep comparison of parsed JSON where numbers may differ by `tol`: absolute for values up to 1,
 * relative above (|a - b| <= tol * max(1, |b|)). Reference values computed by another library or on
 * another machine agree to the documented tolerance, not to the last bit (1e-9 for evaluation
 * metrics, 1e-6 for drift statistics and p-values). Everything else (keys, lengths, strings, null)
 * must be equal.
 */
export function assertDeepClose(actual: unknown, expected: unknown, tol: number, where = '$'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Number.isNaN(expected)) return assert.ok(Number.isNaN(actual), `${where}: ${actual}, expected NaN`);
    if (!Number.isFinite(expected)) return assert.equal(actual, expected, where);
    const diff = Math.abs(actual - expected);
    assert.ok(
      diff <= tol * Math.max(1, Math.abs(expected)),
      `${where}: ${actual} differs from ${expected} by ${diff} (tolerance ${tol}, relative above 1)`,
    );
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${where}: length`);
    expected.forEach((e, i) => assertDeepClose(actual[i], e, tol, `${where}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    assert.ok(
      actual !== null && typeof actual === 'object' && !Array.isArray(actual),
      `${where}: expected an object, got ${JSON.stringify(actual)}`,
    );
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    assert.deepEqual(Object.keys(a).sort(), Object.keys(e).sort(), `${where}: keys`);
    for (const k of Object.keys(e)) assertDeepClose(a[k], e[k], tol, `${where}.${k}`);
    return;
  }
  assert.equal(actual, expected, where);
}
