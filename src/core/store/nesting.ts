import { getOwn } from './records';
import type { RunEntry } from './types';

/**
 * Nested runs (MLflow's start_run(nested=True), the clients' init(parent=...)): the child carries
 * its parent's id in this tag. The explorer shows a child under its parent.
 */
export const PARENT_TAG = 'runlens.parentRun';

/** The id of the run `e` is nested in, when that run is in `entries`. */
export function parentOf(e: RunEntry, entries: ReadonlyMap<string, RunEntry>): string | undefined {
  const p = getOwn(e.tags, PARENT_TAG);
  return p && p !== e.id && entries.has(p) ? p : undefined;
}

/** The runs nested directly in run `id`. */
export function childrenOf(id: string, entries: ReadonlyMap<string, RunEntry>): RunEntry[] {
  return [...entries.values()].filter((e) => getOwn(e.tags, PARENT_TAG) === id && e.id !== id);
}
