import { errorMessage } from '../../core/errors';
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
      const message = `Runlens: ${errorMessage(e)}`;
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
