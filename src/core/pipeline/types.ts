import type { JobResources, ParamValue } from '../store/types';

/** Built-in actions a stage may name; the runner's table (actions.ts) implements them. */
export const ACTION_NAMES = [
  'validate',
  'evaluate',
  'compare',
  'gate',
  'register',
  'package',
  'serve-smoke',
  'drift',
];

/** A place in runlens.yaml (1-based line and column), for diagnostics. */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

export interface PipelineIssue extends SourcePos {
  message: string;
  severity: 'error' | 'warning';
}

export interface StageDef {
  name: string;
  /** A shell command, run as a tracked run. */
  cmd?: string;
  /** A built-in action (validate, evaluate, compare, register, ...). */
  action?: string;
  /** Arguments of the action. */
  with: Record<string, unknown>;
  /** Files or folders the stage reads (relative to the pipeline folder). */
  deps: string[];
  /** Files or folders the stage writes. */
  outs: string[];
  /** Keys of the pipeline params the stage uses and reruns on (none when absent). */
  params?: string[];
  /** Stages that must run first, besides those whose outs are in deps. */
  after: string[];
  experiment?: string;
  /** Where the command runs: here (default), or as a Slurm job the pipeline waits on. */
  on?: 'local' | 'slurm';
  /** What the job asks of the cluster (on: slurm). */
  resources?: JobResources;
  pos: SourcePos;
  /** Positions of fields and list items, by "field" or "field.index". */
  fieldPos: Record<string, SourcePos>;
}

/** `watch: drift:`: retrain when the requests a package served drift from its training data. */
export interface DriftWatch {
  /** The model package folder (relative to the pipeline folder) whose logged requests are checked. */
  package: string;
  /** Its request log folder (default: logs/ in the package). */
  logDir?: string;
  /** Seconds between checks. */
  intervalSec: number;
  pos: SourcePos;
}

export interface PipelineDef {
  file: string;
  /** The folder commands run in and paths are relative to. */
  root: string;
  params: Record<string, ParamValue>;
  /** The params file, when params come from one. */
  paramsFile?: string;
  experiment: string;
  stages: StageDef[];
  /** Defaults of `runlens watch`: paths (with where each is named), a cron schedule, drift of a served package. */
  watch: { paths: { path: string; pos: SourcePos }[]; cron?: string; drift?: DriftWatch };
}

export type StageState = 'queued' | 'running' | 'skipped' | 'succeeded' | 'failed' | 'blocked';

export interface StageEvent {
  pipelineRun: string;
  stage: string;
  state: StageState;
  /** Why: "up to date", "blocked by train", "exit code 1", "gate: fail". */
  reason?: string;
  /** The tracked run of the stage (running, succeeded, failed; skipped: the run it is up to date with). */
  runId?: string;
  durationMs?: number;
}

export interface StageResult {
  stage: string;
  state: Exclude<StageState, 'queued' | 'running'>;
  reason?: string;
  runId?: string;
  durationMs: number;
}

export interface PipelineRunResult {
  id: string;
  ok: boolean;
  stages: StageResult[];
  /** The first failed stage, for the exit message. */
  failed: string[];
  durationMs: number;
}
