// The pure parts of the run commands (no vscode import, so they are unit-tested in plain Node).
import { errorMessage } from '../../core/errors';
import { isQueryText, parseFilter } from '../../core/store/query';
import type { RunEntry } from '../../core/store/types';
import { ORIGIN_TAG } from '../../core/sync/push';

/** One quick-pick item per run; `node` is the tree element the run commands take. */
export function runPickItems(runs: { folder: string; entry: RunEntry }[]): {
  label: string;
  description: string;
  detail: string;
  node: { kind: 'run'; folder: string; id: string };
}[] {
  return runs.map(({ folder, entry }) => ({
    label: entry.name,
    description: `${entry.experiment} · ${entry.status}`,
    detail: entry.id,
    node: { kind: 'run', folder, id: entry.id },
  }));
}

/** What is wrong with a filter typed in the Filter Runs box (its first line), or undefined. */
export function filterInputError(text: string): string | undefined {
  if (!isQueryText(text)) return undefined;
  try {
    parseFilter(text);
    return undefined;
  } catch (e) {
    return errorMessage(e).split('\n')[0];
  }
}

/** The Sort Runs choices: by start time, by name, then each metric in both directions. */
export function sortChoices(metricKeys: string[]): { label: string; value: string }[] {
  return [
    { label: 'Newest first', value: '-start' },
    { label: 'Oldest first', value: 'start' },
    { label: 'Name', value: 'name' },
    ...[...new Set(metricKeys)].sort().flatMap((k) => [
      { label: `${k} (highest first)`, value: `-metrics.${k}` },
      { label: `${k} (lowest first)`, value: `metrics.${k}` },
    ]),
  ];
}

/** A tag typed as `key=value` (the value may hold `=`), or a bare word with an empty value. */
export function parseTagInput(input: string): { key: string; value: string } {
  const [k, ...rest] = input.split('=');
  return { key: k.trim(), value: rest.join('=').trim() };
}

/** The server a run was pulled from (it is a read-only copy), or undefined for a local run. */
export function remoteOrigin(tags: Record<string, string> | undefined): string | undefined {
  return tags?.[ORIGIN_TAG] || undefined;
}
