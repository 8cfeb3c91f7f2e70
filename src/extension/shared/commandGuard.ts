import { RunlensError, errorMessage } from '../../core/errors';
import { TRUSTED_COMMANDS } from '../ids';

export interface GuardHost {
  isTrusted(): boolean;
  warn(message: string): void;
  error(message: string): void;
  /** Where the feature logs (its output channel): a reported error is written there too. */
  log?(line: string): void;
}

/**
 * The one wrapper of every command handler (no vscode import, so that it is unit-tested in Node): a
 * command that runs workspace code is refused in an untrusted workspace, and an error thrown by any
 * handler is reported instead of being lost in the extension host log.
 */
export function guardCommand<A extends unknown[], R>(
  id: string,
  fn: (...args: A) => R | Promise<R>,
  host: GuardHost,
): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    if (TRUSTED_COMMANDS.has(id) && !host.isTrusted()) {
      host.warn(
        'Runlens: this command runs workspace code, so it is disabled in Restricted Mode. Trust this workspace to use it.',
      );
      return undefined;
    }
    try {
      return await fn(...args);
    } catch (e) {
      const hint = errorHint(e);
      const message = `Runlens: ${errorMessage(e)}${hint ? ` (fix: ${hint})` : ''}`;
      host.log?.(message);
      host.error(message);
      return undefined;
    }
  };
}

/**
 * An error that says what the command was doing ("could not serve X: <why>"): a handler throws it
 * and the wrapper reports it, so no handler shows its own error message.
 */
export function failure(what: string, cause: unknown): Error {
  return new Error(`${what}: ${errorMessage(cause)}`, { cause });
}

/**
 * What to do about an error, as the CLI prints it after "fix:": the hint of the RunlensError thrown
 * or of the one a failure() wraps (the editor showed the error without it).
 */
export function errorHint(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c instanceof Error && depth < 5; c = c.cause, depth++)
    if (c instanceof RunlensError && c.hint) return c.hint;
  return undefined;
}
