// Run by scale.bench.ts in a process of its own: `node --expose-gc --import tsx explorerModel.ts STORE [MODE]`.
// What the editor does when a store is opened, through the same code without the editor:
//
// - `model` (the default): the workspace model (src/extension/workspace/workspaceModel.ts, FolderStore)
//   brings the listing index up to date and holds it as a RunTable (its columns), then the Experiments
//   view lists every experiment and its first page of runs, newest first (RowsCache, as
//   ExperimentsTree.getChildren with every experiment expanded, as they open), building the entries
//   of the runs shown;
// - `entries`: the model before, one entry object held per run (the baseline).
//
// Prints the time, the CPU time, the JS heap and the ArrayBuffer memory held afterwards (the
// listing's columns are ArrayBuffers, outside the JS heap), and the entries built, as JSON on stdout.
import { TABLE_SECTIONS } from '../../src/core/store/listing';
import { Store } from '../../src/core/store/store';
import type { RunEntry } from '../../src/core/store/types';
import { RowsCache } from '../../src/extension/runs/runRows';
import { RunTable } from '../../src/extension/workspace/runTable';

const PAGE = 100; // the runlens.explorer.pageSize default

const mode = process.argv[3] ?? 'model';
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const mem0 = process.memoryUsage();
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const store = Store.open(process.argv[2]);
const { listing } = store.listing({ sections: TABLE_SECTIONS });
let held: unknown;
let built: number;
let shown = 0;
if (mode === 'entries') {
  const entries = new Map<string, RunEntry>();
  for (let i = 0; i < listing.size; i++) entries.set(listing.id(i), listing.entry(i));
  listing.releaseFile();
  held = entries;
  built = entries.size;
} else {
  listing.close();
  const { table } = RunTable.of(listing);
  const rows = new RowsCache();
  for (const experiment of table.experiments()) {
    const { items } = rows.of('folder', table, experiment, {}, '-start');
    for (const item of items.slice(0, PAGE)) {
      for (const row of item.kind === 'run' ? [item.row] : item.rows) table.at(row);
      shown++;
    }
  }
  held = [table, rows];
  built = table.builtCount;
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
gc?.();
const mem = process.memoryUsage();
const mb = (n: number) => n / 2 ** 20;
process.stdout.write(
  JSON.stringify({
    mode,
    runs: listing.size,
    built,
    shown,
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    heapMb: mb(mem.heapUsed - mem0.heapUsed),
    arrayBuffersMb: mb(mem.arrayBuffers - mem0.arrayBuffers),
    rssMb: mb(mem.rss),
    held: held !== undefined,
  }) + '\n',
);
