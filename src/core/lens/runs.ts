import type { RunEntry } from '../store/types';
import type { LensLine } from './recognize';
import { matchesKey } from './recognize';

/**
 * For a script no run names as its own: the runs without a recorded script (imported from MLflow
 * or TensorBoard) that logged the most of the metrics its lines log, at least one.
 */
export function runsByLoggedKeys(entries: RunEntry[], lines: LensLine[]): RunEntry[] {
  let best = 0;
  let out: RunEntry[] = [];
  for (const e of entries) {
    if (e.script) continue;
    const keys = Object.keys(e.metrics);
    const n = lines.filter((l) => keys.some((k) => matchesKey(l, k))).length;
    if (n > best) {
      best = n;
      out = [e];
    } else if (n === best && n > 0) out.push(e);
  }
  return out;
}

/**
 * The runs a script's lenses read, newest first: the runs that recorded `script` (its path relative
 * to the store's root) as their own, a pipeline's stage run of it included; else the imported runs
 * that logged the most of what its `lines` log.
 */
export function runsOfScript(entries: Iterable<RunEntry>, script: string, lines: LensLine[]): RunEntry[] {
  const all = [...entries];
  let runs = all.filter((e) => e.script === script);
  if (!runs.length && lines.length) runs = runsByLoggedKeys(all, lines);
  return runs.sort((a, b) => b.startTime - a.startTime);
}
