/** `runlens compare`: the baseline gate for a candidate run. */
import type { CliContext } from '../context';
import type { Command } from 'commander';
import { indent } from '../json';
import * as path from 'node:path';
import { RunlensError, errorMessage } from '../../core/errors';
import { formatMaybe } from '../../core/format';
import { GATE_EXIT, judgeCandidate, gateMarkdown, loadPolicy } from '../../core/gate/gate';

export function registerGateCommand(program: Command, { io, setExit, openStore }: CliContext): void {
  program
    .command('compare')
    .description(
      'gate a candidate run against the baseline: exit 0 pass, 1 fail, 2 error, 3 incomplete (evaluate the candidate first)',
    )
    .argument('<candidate>', 'the candidate run (id, prefix or name)')
    .option('--baseline <ref>', "RUN or MODEL@STAGE (default: the candidate experiment's baseline)")
    .option('--json', 'print the verdict as JSON')
    .option('--markdown', 'print the verdict as a Markdown table (for a pull request comment)')
    .addHelpText(
      'after',
      '\nThe policy is the gate: section of runlens.yaml next to .runlens/ (see docs); without one, no metric with a known goal may get worse.\n\nExamples:\n  runlens compare 20250101-abc\n  runlens compare 20250101-abc --baseline mnist-cnn@production --markdown',
    )
    .action(
      (
        candidate: string,
        opts: { baseline?: string; json?: boolean; pretty?: boolean; markdown?: boolean },
      ) => {
        try {
          const store = openStore();
          const policy = loadPolicy(path.dirname(store.dir));
          const r = judgeCandidate(store, candidate, policy, opts.baseline);
          if (opts.json) io.out(JSON.stringify(r, null, indent(opts)));
          else if (opts.markdown) io.out(gateMarkdown(r));
          else {
            io.out(
              `candidate ${r.candidate.name} (${r.candidate.run}) vs baseline ${r.baseline.name} (${r.baseline.ref}): ${r.verdict.toUpperCase()}${r.reason ? ` (${r.reason})` : ''}`,
            );
            for (const m of r.metrics) {
              io.out(
                `  ${m.verdict.padEnd(8)} ${m.metric.padEnd(24)} ${formatMaybe(m.baseline).padStart(12)} -> ${formatMaybe(m.candidate).padEnd(12)} ${m.rule}`,
              );
            }
          }
          setExit(GATE_EXIT[r.verdict]);
        } catch (e) {
          // Any failure to reach a verdict is exit 2, so CI can tell "worse" from "broken".
          io.err(`runlens: error: ${errorMessage(e)}`);
          if (e instanceof RunlensError && e.hint) io.err(`  fix: ${e.hint}`);
          setExit(GATE_EXIT.error);
        }
      },
    );
}
