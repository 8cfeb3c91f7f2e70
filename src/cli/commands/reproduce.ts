import type { CliContext } from '../context';
import type { Command } from 'commander';
import { termSafe, toJson } from '../../core/format';
import { inputLine, reproduceReportText } from '../../core/repro/text';
import type { ReproduceResult } from '../../core/repro/reproduce';
import { ReproduceError, reproduceRun } from '../../core/repro/reproduce';
import { parseToleranceFlag } from '../../core/repro/tolerance';
import { RunlensError } from '../../core/errors';
import type { JobResources } from '../../core/store/types';
import type { Launcher } from '../../core/tracking/launcher';
import type { Store } from '../../core/store/store';
import { forwardSignals } from '../options';
import { addLaunchOptions, resourcesOf, slurmLauncher } from './slurm';

/** Exit codes of `runlens reproduce`: 0 reproduced, 1 not reproduced, 2 could not start. */
export const REPRODUCE_EXIT = { reproduced: 0, 'not reproduced': 1, error: 2 } as const;

/** `runlens reproduce RUN`. */
export function registerReproduceCommand(program: Command, { io, setExit, openStore }: CliContext): void {
  addLaunchOptions(program.command('reproduce'))
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
      '\nOn Slurm (--on slurm) the reproduction is a batch job with the resources given, else those the\n' +
        'original job had; its worktree is made in the store (which the nodes share), and the verdict comes\n' +
        'when the job ends.\n' +
        'Exit code: 0 reproduced, 1 not reproduced, 2 could not start (no git, diff does not apply, input changed).\n' +
        'Examples:\n  runlens reproduce train-jz9c --tolerance 1e-4\n  runlens reproduce train-jz9c --on slurm --time 30',
    )
    .action(
      async (
        ref: string,
        opts: { tolerance?: string; force?: boolean; json?: boolean; pretty?: boolean } & Record<
          string,
          unknown
        >,
      ) => {
        const tolerance = opts.tolerance === undefined ? undefined : parseToleranceFlag(opts.tolerance);
        if (opts.detach)
          throw new RunlensError(
            "--detach does not apply to reproduce: the verdict needs the job's end",
            'leave it out; the job keeps running if the terminal closes (SIGHUP)',
            'usage',
          );
        const store = openStore();
        const launcher = launcherFor(store, ref, opts);
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
            launcher,
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

/**
 * Local, or Slurm with the resources given on the command line, else the resources the original
 * run's job had (a run that ran on Slurm is reproduced on the same kind of node).
 */
function launcherFor(store: Store, ref: string, opts: Record<string, unknown>): Launcher | undefined {
  const given = resourcesOf(opts);
  if (!given) return undefined;
  const set = (r: JobResources) => Object.values(r).some((v) => v !== undefined);
  const original = store.getRun(ref);
  return slurmLauncher(set(given) ? given : (original.job?.resources ?? {}));
}

function jsonOf(r: ReproduceResult) {
  return {
    verdict: r.verdict,
    target: r.target,
    job: r.job,
    reason: r.reason,
    original: r.original.id,
    run: r.run.id,
    status: r.run.status,
    commit: r.commit,
    diffApplied: r.diffApplied,
    inputs: r.inputs,
    untracked: r.untracked,
    untrackedCount: r.untrackedCount,
    environment: r.environment,
    metrics: r.metrics,
    extraMetrics: r.extraMetrics,
    laterMetrics: r.laterMetrics,
    tolerance: r.policy.tolerance,
    policy: r.policy.source,
    timings: r.timings,
  };
}
