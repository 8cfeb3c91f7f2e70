// What every command of the CLI gets: where to print, how to set the exit code, the store.
import type { Store } from '../core/store/store';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Long output, written as it is made; the next chunk waits until this one is taken. */
  stream?: (chunks: Iterable<string | Uint8Array>) => Promise<void>;
}

export interface CliContext {
  io: Io;
  setExit: (code: number) => void;
  /** The store the command works on (resolve.ts's rule); `create` for commands that write. */
  openStore: (create?: boolean) => Store;
}
