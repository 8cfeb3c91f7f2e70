/**
 * The names of the store's files and folders, in one place (docs/store-format.md describes them).
 * The Python client (clients/python/runlens.py) spells the same names; a contract test checks
 * that both clients write the same layout.
 */

/** The store folder a workspace holds at its root. */
export const STORE_DIR_NAME = '.runlens';
/** The store's own metadata: schema and schema version. */
export const STORE_FILE = 'store.json';
/** One folder per run, named by the run id. */
export const RUNS_DIR = 'runs';
/** Removed runs, until `runlens gc` empties it. */
export const TRASH_DIR = 'trash';
/** Removed experiments: their runs' ids, so that `experiments restore` brings them back. */
export const EXPERIMENTS_TRASH_FILE = 'experiments-trash.json';

export const RUN_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';
export const OUTPUT_FILE = 'output.log';
export const ARTIFACTS_DIR = 'artifacts';
/** Written by a logging client into the run folder it writes. */
export const CLIENT_FILE = 'client.json';
