// The pure parts of launching from the editor (no vscode import, so they are unit-tested in plain Node).
import * as path from 'node:path';
import { formatDuration } from '../../core/format';
import type { Partition } from '../../core/slurm/slurm';
import type { RunEntry } from '../../core/store/types';

/** A script as a run records it: relative to its workspace folder, with `/` separators. */
export function recordedScript(folder: string, script: string): string {
  return path.relative(folder, script).split(path.sep).join('/');
}

/** The newest run of `script` (absolute) among a folder's runs: its parameters are the next defaults. */
export function lastRunOf(
  entries: RunEntry[],
  folder: string,
  script: string | undefined,
): RunEntry | undefined {
  if (!script) return undefined;
  const rel = recordedScript(folder, script);
  return entries.filter((e) => e.script === rel).sort((a, b) => b.startTime - a.startTime)[0];
}

/** Entry points with the script in the active editor first, so Enter launches what the user is looking at. */
export function orderEntryPoints<E extends { script?: string }>(
  entries: E[],
  activeFile: string | undefined,
): { entry: E; active: boolean }[] {
  const isActive = (e: E) =>
    activeFile !== undefined && e.script !== undefined && path.resolve(e.script) === activeFile;
  return [...entries.filter(isActive), ...entries.filter((e) => !isActive(e))].map((entry) => ({
    entry,
    active: isActive(entry),
  }));
}

/** Where Launch Training runs a script: here, or a Slurm partition (undefined: the cluster's default). */
export type LaunchTarget = { kind: 'local' } | { kind: 'slurm'; partition?: string };

export interface TargetChoice {
  label: string;
  description: string;
  target: LaunchTarget;
}

/** How a target is remembered between launches: "local" or "slurm:PARTITION" ("slurm:" the default). */
export function targetKey(t: LaunchTarget): string {
  return t.kind === 'local' ? 'local' : `slurm:${t.partition ?? ''}`;
}

/**
 * The targets Launch Training offers: Local, then one per Slurm partition as `sinfo` lists them
 * (the cluster's default first), the last choice moved to the top so Enter repeats it. When `sinfo`
 * failed, one Slurm entry for the default partition says why the partitions are missing.
 */
export function targetChoices(
  partitions: readonly Partition[] | { error: string },
  last: string | undefined,
): TargetChoice[] {
  const local: TargetChoice = {
    label: '$(vm) Local',
    description: 'this machine',
    target: { kind: 'local' },
  };
  const slurm: TargetChoice[] =
    'error' in partitions
      ? [
          {
            label: '$(server) Slurm',
            description: `default partition (partitions unknown: ${partitions.error})`,
            target: { kind: 'slurm' },
          },
        ]
      : [...partitions]
          .sort((a, b) => Number(b.isDefault) - Number(a.isDefault))
          .map((p) => ({
            label: `$(server) Slurm: ${p.name}`,
            description: [
              p.isDefault ? 'default' : '',
              p.available ? '' : 'down',
              `${p.nodes} node${p.nodes === 1 ? '' : 's'}`,
              p.timeLimit === null ? 'no time limit' : `limit ${formatDuration(p.timeLimit * 1000)}`,
            ]
              .filter(Boolean)
              .join(' · '),
            target: { kind: 'slurm', partition: p.name },
          }));
  const all = [local, ...slurm];
  const i = last === undefined ? -1 : all.findIndex((c) => targetKey(c.target) === last);
  return i > 0 ? [all[i], ...all.slice(0, i), ...all.slice(i + 1)] : all;
}
