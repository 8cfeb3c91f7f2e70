import { errorMessage } from '../../core/errors';
import { TRUSTED_COMMANDS } from '../ids';

export interface GuardHost {
  isTrusted(): boolean;
  warn(message: string): void;
  error(message: string): void;
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
      host.error(`Runlens: ${errorMessage(e)}`);
      return undefined;
    }
  };
}
