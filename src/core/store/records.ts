/**
 * Records keyed by what users type (metric keys, params, tags, experiments) are plain objects read
 * and written by their own properties only. A key such as `__proto__`, `constructor` or `toString`
 * is then a key like any other: `obj[key] = v` would set the object's prototype for `__proto__`
 * (pollution, and the key vanishes), and `obj[key]` would find Object.prototype's members.
 * Plain objects (not null-prototype ones) keep JSON, structuredClone and equality as they were.
 */

/** The value stored under `key` itself, never an inherited member. */
export function getOwn<T>(
  record: Readonly<Record<string, T>> | null | undefined,
  key: string,
): T | undefined {
  return record != null && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Store `value` under `key` as an own property, whatever the key. */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  // Only `__proto__` is a setter on Object.prototype; any other key assigned becomes an own property
  // (and the object keeps its fast shape, which defineProperty of every key would lose).
  if (key === '__proto__')
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/** Object.assign by own properties (Object.assign would set the prototype for `__proto__`). */
export function assignOwn<T>(
  target: Record<string, T>,
  source: Readonly<Record<string, T>>,
): Record<string, T> {
  for (const [k, v] of Object.entries(source)) setOwn(target, k, v);
  return target;
}
