// Option parsers and output helpers shared by the commands of the CLI.
import type { Command } from 'commander';
import { RunlensError } from '../core/errors';
import type { LaunchedRun } from '../core/tracking/launcher';

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Every command that prints JSON (`--json`) prints it compact; `--pretty` indents it for people. */
export function addPrettyOption(command: Command): void {
  for (const c of command.commands) {
    if (c.options.some((o) => o.long === '--json') && !c.options.some((o) => o.long === '--pretty'))
      c.option('--pretty', 'indent the JSON for people (with --json)');
    addPrettyOption(c);
  }
}

export function parseNonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new RunlensError(`"${v}" is not a whole number of 0 or more`, undefined, 'usage');
  return n;
}

export function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new RunlensError(`"${v}" is not a positive whole number`, undefined, 'usage');
  return n;
}

export function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => '  ' + l)
    .join('\n');
}

export function parsePoints(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 2)
    throw new RunlensError(
      `--points must be a whole number of at least 2, got "${text}"`,
      undefined,
      'usage',
    );
  return n;
}

/** Calls `handler` on each of these signals until the returned function is called. */
export function onSignals(
  handler: (signal: NodeJS.Signals) => void,
  signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): () => void {
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

/**
 * Ctrl-C and SIGTERM stop a local run until the returned function is called. A terminal's Ctrl-C
 * already reached the program (same process group): it is only recorded.
 */
export function forwardSignals(launched: LaunchedRun): () => void {
  const interactive = process.stdin.isTTY === true;
  return onSignals((signal) =>
    signal === 'SIGINT' && interactive ? launched.interrupt() : launched.interrupt(signal),
  );
}
