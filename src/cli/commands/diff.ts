import type { CliContext } from '../context';
import type { Command } from 'commander';
import { toJson } from '../../core/format';
import { diffText } from '../../core/repro/text';
import { diffRuns } from '../../core/repro/diff';

/** `runlens diff RUN_A RUN_B`. */
export function registerDiffCommand(program: Command, { io, openStore }: CliContext): void {
  program
    .command('diff')
    .description(
      'what changed between two runs: params, code (between their commits and in their uncommitted diffs), input data, environment, metrics',
    )
    .argument('<runA>', 'the earlier run (id, unique prefix or name)')
    .argument('<runB>', 'the later run')
    .option(
      '--patch',
      'print the code diffs in full (git diff between the commits, and each uncommitted diff)',
    )
    .option('--json', 'print JSON (patches included)')
    .action(
      async (refA: string, refB: string, opts: { patch?: boolean; json?: boolean; pretty?: boolean }) => {
        const d = await diffRuns(openStore(), refA, refB);
        if (opts.json) {
          const { a, b, ...rest } = d;
          io.out(toJson(opts, { a: a.id, b: b.id, ...rest }));
          return;
        }
        io.out(diffText(d, opts.patch === true));
      },
    );
}
