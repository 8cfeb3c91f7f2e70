import type { Command } from 'commander';
import { formatNumber, table, termSafe, toJson } from '../../core/format';
import type { InputCheck, ReproduceResult } from '../../core/repro/reproduce';
import { ReproduceError, reproduceRun } from '../../core/repro/reproduce';
import type { MetricCheck, Tolerance } from '../../core/repro/tolerance';
import { parseToleranceFlag } from '../../core/repro/tolerance';
import type { Store } from '../../core/store/store';

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** Exit codes of `runlens reproduce`: 0 reproduced, 1 not reproduced, 2 could not start. */
export const REPRODUCE_EXIT = { reproduced: 0, 'not reproduced': 1, error: 2 } as const;

/** `runlens reproduce RUN`. */
export function registerReproduceCommand(
  program: Command,
  openStore: (create?: boolean) => Store,
  io: Io,
  setExit: (code: number) => void,
): void {
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
            onLaunched: (launched) => {
              const onSignal = (signal: NodeJS.Signals) =>
                signal === 'SIGINT' && process.stdin.isTTY
                  ? launched.interrupt()
                  : launched.interrupt(signal);
              process.on('SIGINT', onSignal);
              process.on('SIGTERM', onSignal);
              cleanups.push(() => {
                process.off('SIGINT', onSignal);
                process.off('SIGTERM', onSignal);
              });
            },
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
        else io.out(reportText(result));
        setExit(REPRODUCE_EXIT[result.verdict]);
      },
    );
}

function inputLine(i: InputCheck): string {
  if (i.status === 'missing') return `  ${i.path}: missing`;
  if (i.status === 'same')
    return `  ${i.path}: same sha256 (${i.from === 'commit' ? 'from the commit' : 'from the workspace'})`;
  return `  ${i.path}: CHANGED, sha256 ${i.current?.slice(0, 12)} (recorded ${i.recorded.slice(0, 12)})`;
}

function toleranceText(t: Tolerance): string {
  const parts = [];
  if (t.relative) parts.push(`rel ${formatNumber(t.relative)}`);
  if (t.absolute) parts.push(`abs ${formatNumber(t.absolute)}`);
  return parts.join(' or ') || 'exact';
}

function metricRow(m: MetricCheck): string[] {
  return [
    m.metric,
    m.original === null ? '' : String(m.original),
    m.reproduction === null ? '(missing)' : String(m.reproduction),
    m.delta === null ? '' : m.delta === 0 ? '0' : m.delta.toExponential(2),
    m.relative === null ? '' : m.relative === 0 ? '0' : m.relative.toExponential(2),
    toleranceText(m.tolerance),
    m.within ? 'ok' : 'DIFFERS',
  ];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The verdict as people read it: verdict line, what differs, inputs, environment, metrics, timings. */
export function reportText(r: ReproduceResult): string {
  const lines: string[] = [];
  const differing = r.metrics.filter((m) => !m.within);
  const at = `${r.commit.slice(0, 12)}${r.diffApplied ? ' + recorded uncommitted diff' : ''}`;
  lines.push(
    `${r.verdict === 'reproduced' ? 'REPRODUCED' : 'NOT REPRODUCED'}: run ${r.run.id} reproduces ${r.original.id} (${termSafe(r.original.name)}) at ${at}`,
  );
  if (r.reason) lines.push(`  ${termSafe(r.reason)}`);
  for (const m of differing)
    lines.push(
      m.reproduction === null
        ? `  ${termSafe(m.metric)}: not logged by the reproduction (original ${m.original})`
        : `  ${termSafe(m.metric)}: ${m.original} -> ${m.reproduction} (delta ${m.delta?.toExponential(3)}, relative ${m.relative?.toExponential(3) ?? 'n/a'}, tolerance ${toleranceText(m.tolerance)})`,
    );
  if (r.inputs.length) lines.push('', 'inputs:', ...r.inputs.map(inputLine).map(termSafe));
  lines.push('', r.environment.length ? 'environment differences:' : 'environment: same (as recorded)');
  for (const d of r.environment)
    lines.push(`  ${termSafe(d.what)}: ${termSafe(d.a ?? '(none)')} -> ${termSafe(d.b ?? '(none)')}`);
  if (r.metrics.length)
    lines.push(
      '',
      table(
        ['METRIC', 'ORIGINAL', 'REPRODUCTION', 'DELTA', 'RELATIVE', 'TOLERANCE', ''],
        r.metrics.map(metricRow),
      ),
    );
  if (r.extraMetrics.length)
    lines.push(`only in the reproduction: ${r.extraMetrics.map(termSafe).join(', ')}`);
  if (r.policy.source) lines.push(`tolerances from ${r.policy.source}`);
  lines.push(
    '',
    `timings: prepare ${seconds(r.timings.prepareMs)} (worktree, diff, input hashes), run ${seconds(r.timings.runMs)}, total ${seconds(r.timings.totalMs)}`,
  );
  return lines.join('\n');
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
    tolerance: r.policy.tolerance,
    policy: r.policy.source,
    timings: r.timings,
  };
}
