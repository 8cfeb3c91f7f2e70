/** Types and helpers shared by every webview protocol. No vscode, DOM or node imports. */

/** Compile-time exhaustiveness check for a `switch` over a discriminated union. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}

/**
 * The `type` of a message, or undefined when it is not an object with a string `type`; lets a
 * receiver log and ignore what it does not understand instead of throwing.
 */
export function messageType(m: unknown): string | undefined {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string'
    ? (m as { type: string }).type
    : undefined;
}

/** Every message type a receiver understands, as keys: the compiler rejects a list that misses one. */
export type KnownTypes<M extends { type: string }> = Record<M['type'], true>;

/** Whether `type` (from messageType) is one of `known`; both ends ignore, and log, any other. */
export function isKnownType<M extends { type: string }>(
  type: string | undefined,
  known: KnownTypes<M>,
): type is M['type'] {
  return type !== undefined && Object.prototype.hasOwnProperty.call(known, type);
}

/** A non-finite value as text: webview messages are JSON, where NaN and infinities become null. */
export type NonFiniteCode = 'NaN' | 'Infinity' | '-Infinity';

/** A run as the panels show it. */
export interface RunInfo {
  /** Opaque handle the host understands (workspace folder + run id). */
  ref: string;
  id: string;
  name: string;
  experiment: string;
  status: string;
  /** Legend text: the run's name and the params in which it differs from the others shown. */
  label: string;
  /** CSS colour, stable per run id across panels. */
  color: string;
}
