import type { RunEntry } from '../store/types';
import type { LensLine } from './recognize';
import { matchesKey } from './recognize';

/** The columns the lenses read to find a script's runs (core/store/listing.ts's Listing has them). */
export interface RunColumns {
  readonly size: number;
  script(i: number): string | null;
  metricKeys(i: number): string[];
  startTime(i: number): number;
}

/**
 * The rows of the runs a script's lenses read, newest first: the runs that recorded `script` (its
 * path relative to the store's root) as their own, a pipeline's stage run of it included; else the
 * runs without a recorded script (imported from MLflow or TensorBoard) that logged the most of the
 * metrics its `lines` log, at least one. Reads columns only: a store of 100,000 runs builds no entry
 * to answer.
 */
export function scriptRows(cols: RunColumns, script: string, lines: LensLine[]): number[] {
  let rows: number[] = [];
  for (let i = 0; i < cols.size; i++) if (cols.script(i) === script) rows.push(i);
  if (!rows.length && lines.length) {
    let best = 0;
    for (let i = 0; i < cols.size; i++) {
      if (cols.script(i)) continue;
      const keys = cols.metricKeys(i);
      const n = lines.filter((l) => keys.some((k) => matchesKey(l, k))).length;
      if (n > best) {
        best = n;
        rows = [i];
      } else if (n === best && n > 0) rows.push(i);
    }
  }
  return rows.sort((a, b) => cols.startTime(b) - cols.startTime(a));
}

/** scriptRows over entries. */
function columnsOf(entries: RunEntry[]): RunColumns {
  return {
    size: entries.length,
    script: (i) => entries[i].script,
    metricKeys: (i) => Object.keys(entries[i].metrics),
    startTime: (i) => entries[i].startTime,
  };
}

/** The runs a script's lenses read, newest first (see scriptRows). */
export function runsOfScript(entries: Iterable<RunEntry>, script: string, lines: LensLine[]): RunEntry[] {
  const all = [...entries];
  return scriptRows(columnsOf(all), script, lines).map((i) => all[i]);
}
