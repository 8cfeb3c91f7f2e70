// Run by scale.bench.ts in a process of its own: `node --expose-gc --import tsx explorerModel.ts STORE`.
// What the editor's workspace model (src/extension/workspace/workspaceModel.ts, FolderStore) does when
// a store is opened, through the same core calls: the listing index brought up to date and one entry
// held per run (FolderStore.syncEntries with reopen). Prints the time, the CPU time and the heap held
// afterwards, as JSON on stdout.
import { TABLE_SECTIONS } from '../../src/core/store/listing';
import { Store } from '../../src/core/store/store';
import type { RunEntry } from '../../src/core/store/types';

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const heap0 = process.memoryUsage().heapUsed;
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const store = Store.open(process.argv[2]);
const { listing } = store.listing({ sections: TABLE_SECTIONS });
const entries = new Map<string, RunEntry>();
for (let i = 0; i < listing.size; i++) entries.set(listing.id(i), listing.entry(i));
listing.releaseFile();
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
gc?.();
const heapMb = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
process.stdout.write(
  JSON.stringify({ runs: entries.size, ms, cpuMs: (cpu.user + cpu.system) / 1000, heapMb }) + '\n',
);
