/** An error a user can act on: what is wrong, where, and how to fix it. */
export class RunlensError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly kind: 'usage' | 'data' | 'io' | 'notFound' | 'conflict' = 'data',
  ) {
    super(message);
    this.name = 'RunlensError';
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function isErrno(e: unknown, ...codes: string[]): e is NodeJS.ErrnoException {
  return typeof e === 'object' && e !== null && codes.includes((e as NodeJS.ErrnoException).code ?? '');
}
