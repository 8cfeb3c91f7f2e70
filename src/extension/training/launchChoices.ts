// The pure parts of launching from the editor (no vscode import, so they are unit-tested in plain Node).
import * as path from 'node:path';
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
