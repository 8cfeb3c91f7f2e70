/** `runlens ls`, `show`, `metrics`, `rm` and `restore`: the runs of the store. */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { collect, parseNonNegativeInt, parsePositiveInt } from '../options';
import { listRuns } from './runs/list';
import { printMetrics } from './runs/metrics';
import { showRun } from './runs/show';

export function registerRunsCommands(program: Command, ctx: CliContext): void {
  program
    .command('ls')
    .description('list runs, newest first')
    .option('-e, --experiment <name>', 'only this experiment')
    .option(
      '-w, --where <filter>',
      "filter (repeatable, all must hold): \"metrics.acc > 0.5 and params.opt = 'adam'\", status=finished, tags.team LIKE 'cv%', name~base",
      collect,
      [],
    )
    .option(
      '-s, --sort <fields>',
      'sort: "metrics.acc DESC", -metrics.acc, "params.lr ASC, -start" (an unknown field is an error)',
      '-start',
    )
    .option('-l, --limit <n>', 'show at most n runs', parsePositiveInt)
    .option('--offset <n>', 'skip the first n runs (with --limit: one page)', parseNonNegativeInt)
    .option('--json', 'print JSON (one array)')
    .option('--jsonl', 'print one JSON object a line (for streams and large stores)')
    .option('--removed', 'list removed runs (restore them with `runlens restore`)')
    .option('--reindex', 'rebuild the index from the run folders first')
    .action((opts) => listRuns(opts, ctx));

  program
    .command('show')
    .description('show one run: status, params, metrics, inputs, git')
    .argument('<run>', 'run id, unique id prefix/suffix, or name')
    .option('--json', 'print run.json')
    .action((ref: string, opts) => showRun(ref, opts, ctx));

  program
    .command('metrics')
    .description('print the metric points of a run')
    .argument('<run>', 'run id, unique id prefix/suffix, or name')
    .option('-k, --key <key>', 'only this metric')
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .option('--jsonl', 'print one point a line: {"key","step","value","time"}')
    .option(
      '--points <n>',
      "reduce each series to about N points, as the charts do (first and last point and each bucket's min and max kept)",
    )
    .action((ref: string, opts) => printMetrics(ref, opts, ctx));

  program
    .command('rm')
    .description('remove runs (moved to the store trash; `runlens restore` brings them back)')
    .argument('<runs...>', 'run ids or names')
    .action((refs: string[]) => removeRuns(refs, ctx));

  program
    .command('restore')
    .description('bring back removed runs')
    .argument('<runs...>', 'run ids (see `runlens ls --removed`)')
    .action((ids: string[]) => restoreRuns(ids, ctx));
}

export function removeRuns(refs: string[], { io, openStore }: CliContext): void {
  const store = openStore();
  for (const ref of refs) {
    const id = store.removeRun(ref);
    io.out(`removed ${id} (restore with: runlens restore ${id})`);
  }
}

export async function restoreRuns(ids: string[], { io, openStore }: CliContext): Promise<void> {
  const store = openStore();
  for (const id of ids) {
    const run = await store.restoreRun(id);
    io.out(`restored ${run.id} (${run.name})`);
  }
}
