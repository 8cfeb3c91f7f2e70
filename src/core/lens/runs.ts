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
