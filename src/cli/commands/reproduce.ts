import type { CliContext } from '../context';
import type { Command } from 'commander';
import { termSafe, toJson } from '../../core/format';
import { inputLine, reproduceReportText } from '../../core/repro/text';
import type { ReproduceResult } from '../../core/repro/reproduce';
import { ReproduceError, reproduceRun } from '../../core/repro/reproduce';
import { parseToleranceFlag } from '../../core/repro/tolerance';
import { forwardSignals } from '../options';

/** Exit codes of `runlens reproduce`: 0 reproduced, 1 not reproduced, 2 could not start. */
export const REPRODUCE_EXIT = { reproduced: 0, 'not reproduced': 1, error: 2 } as const;

/** `runlens reproduce RUN`. */
export function registerReproduceCommand(program: Command, { io, setExit, openStore }: CliContext): void {
  program
    .command('reproduce')
    .description(
      'run a recorded run again from its record (commit, uncommitted diff, params, command) in a temporary git worktree and check that every final metric comes out the same',
    )
    .argument('<run>', 'run id, unique prefix or name')
    .option(
      '--tolerance <t>',
      'relative tolerance for metrics without their own in runlens.yaml (reproduce: metrics:); default 1e-6',
    )
    .option('--force', 'go on when an input file changed since the run (its hash differs from the record)')
    .option('--json', 'print the verdict as JSON (the program output goes to stderr)')
    .addHelpText(
      'after',
      '\nExit code: 0 reproduced, 1 not reproduced, 2 could not start (no git, diff does not apply, input changed).\n' +
        'Example:\n  runlens reproduce train-jz9c --tolerance 1e-4',
    )
    .action(
      async (
        ref: string,
        opts: { tolerance?: string; force?: boolean; json?: boolean; pretty?: boolean },
      ) => {
        const tolerance = opts.tolerance === undefined ? undefined : parseToleranceFlag(opts.tolerance);
        const store = openStore();
        const cleanups: (() => void)[] = [];
        let result: ReproduceResult;
        try {
          result = await reproduceRun(store, ref, {
            tolerance,
            onProgress: (m) => io.err(`runlens: ${termSafe(m)}`),
            onInputsChanged: (changed) => {
              if (opts.force)
                io.err(
                  `runlens: warning: going on with changed inputs (--force):\n${changed.map(inputLine).join('\n')}`,
                );
              return opts.force === true;
            },
            onOutput: opts.json ? (chunk) => process.stderr.write(chunk) : undefined,
            onLaunched: (launched) => cleanups.push(forwardSignals(launched)),
          });
        } catch (e) {
          if (!(e instanceof ReproduceError)) throw e;
          if (opts.json)
            io.out(
              toJson(opts, {
                verdict: 'not started',
                reason: e.reason,
                message: e.message,
                inputs: e.inputs,
              }),
            );
          io.err(`runlens: cannot reproduce: ${termSafe(e.message)}`);
          if (e.hint) io.err(`  fix: ${termSafe(e.hint)}`);
          setExit(REPRODUCE_EXIT.error);
          return;
        } finally {
          for (const c of cleanups) c();
        }
        if (opts.json) io.out(toJson(opts, jsonOf(result)));
        else io.out(reproduceReportText(result));
        setExit(REPRODUCE_EXIT[result.verdict]);
      },
    );
}

function jsonOf(r: ReproduceResult) {
  return {
    verdict: r.verdict,
    reason: r.reason,
    original: r.original.id,
    run: r.run.id,
    status: r.run.status,
    commit: r.commit,
    diffApplied: r.diffApplied,
    inputs: r.inputs,
    environment: r.environment,
    metrics: r.metrics,
    extraMetrics: r.extraMetrics,
    laterMetrics: r.laterMetrics,
    tolerance: r.policy.tolerance,
    policy: r.policy.source,
    timings: r.timings,
  };
}
