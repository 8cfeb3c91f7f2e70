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

/** The model registry: one folder per registered model. */
export const REGISTRY_DIR = 'registry';
/** The pinned baseline of each experiment. */
export const BASELINES_FILE = 'baselines.json';
/** The pipeline's state, hash cache, triggers and run records. */
export const PIPELINE_DIR = 'pipeline';
/** One JSON record per pipeline run, inside PIPELINE_DIR. */
export const PIPELINE_RUNS_DIR = 'runs';
/** The lock file beside a file that several writers update (proper-lockfile's default). */
export const LOCK_SUFFIX = '.lock';
