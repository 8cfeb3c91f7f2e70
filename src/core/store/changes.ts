import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUNS_DIR } from './layout';

/**
 * Change notes (`index.changes`): every process that rewrites a run's run.json appends the run's id,
 * one line, before and after the write. A reader that keeps a listing of ended runs (listingIndex.ts)
 * then re-reads only the noted runs instead of checking every run.json. A note is one O_APPEND
 * write and never waits on a lock; a store that cannot be written loses only the speed-up.
 */
export const CHANGES_FILE = 'index.changes';
/**
 * The notes before the last rotation: a reader that finds index.changes larger than its limit
 * renames it to this name (replacing the one before), so the notes never grow without bound.
 */
export const CHANGES_OLD_FILE = 'index.changes.old';

/** Note that run.json of the run in `runDir` (`<store>/runs/<id>`) changes. */
export function noteRunChange(runDir: string): void {
  const runs = path.dirname(runDir);
  if (path.basename(runs) !== RUNS_DIR) return;
  try {
    fs.appendFileSync(path.join(path.dirname(runs), CHANGES_FILE), path.basename(runDir) + '\n');
  } catch {
    // A read-only or vanished store: readers fall back to checking every run (see listingIndex.ts).
  }
}
