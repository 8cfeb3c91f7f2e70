export const RUN_STATUSES = ['queued', 'running', 'finished', 'failed', 'killed', 'crashed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** A run whose run.json cannot be read is listed with this status instead of being dropped. */
export type ListedStatus = RunStatus | 'unreadable';

/** Metrics the launcher samples from the machine (CPU, memory, GPUs): how a run ran, not what it computed. */
export const SYSTEM_METRIC_PREFIX = 'system/';

export function isSystemMetric(key: string): boolean {
  return key.startsWith(SYSTEM_METRIC_PREFIX);
}

export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['finished', 'failed', 'killed', 'crashed']);

export type ParamValue = string | number | boolean | null;

/** Tags a pipeline stage's tracked run carries: which pipeline run and stage produced it. */
export const TAG_PIPELINE_RUN = 'runlens.pipeline.run';
export const TAG_STAGE = 'runlens.pipeline.stage';

export interface GitInfo {
  commit: string;
  branch: string | null;
  dirty: boolean;
  /** Artifact path (relative to the run folder) of the uncommitted diff, when dirty. */
  diffArtifact: string | null;
  /**
   * Files in the repository that git did not track (and did not ignore) when the run started, from
   * the repository's top, at most 100; the diff does not hold them. Absent: none (or not recorded).
   */
  untracked?: string[];
  /** How many untracked files there were, when more than `untracked` names. */
  untrackedCount?: number;
}

export interface InputFile {
  path: string;
  size: number;
  sha256: string;
}

export interface Environment {
  os: string;
  arch: string;
  node?: string;
  python?: string;
  /** Installed Python distributions (name -> version), recorded by the Python client. */
  pythonPackages?: Record<string, string>;
}

/** Per-key statistics of a run's metric series. */
export interface MetricSummary {
  last: number;
  lastStep: number;
  min: number;
  max: number;
  /** Steps of the first minimum and maximum (absent in summaries written by Runlens before 0.1). */
  minStep?: number;
  maxStep?: number;
  count: number;
  lastTime: number;
  /** 'stdout' when the points were captured from the program's output. */
  source?: 'stdout';
}

export interface RunRecord {
  schemaVersion: number;
  id: string;
  experiment: string;
  name: string;
  status: RunStatus;
  command: string[] | null;
  cwd: string;
  /** Entry-point script, relative to the workspace (store parent) when inside it. */
  script: string | null;
  params: Record<string, ParamValue>;
  tags: Record<string, string>;
  starred: boolean;
  startTime: number;
  endTime: number | null;
  exitCode: number | null;
  /** Process that owns the run's status (the launcher, or the script when started alone). */
  pid: number | null;
  host: string;
  git: GitInfo | null;
  environment: Environment;
  inputs: InputFile[];
  /** Written when the run ends; readers recompute it from metrics.jsonl when absent. */
  summary: Record<string, MetricSummary> | null;
  note: string | null;
  updatedAt: number;
  /** The cluster job that runs the program, for runs launched on a scheduler (absent: local). */
  job?: JobRecord;
}

/** Resources asked of the scheduler for a job. */
export interface JobResources {
  partition?: string;
  /** Time limit as the scheduler takes it: minutes, "HH:MM:SS", "D-HH:MM". */
  time?: string;
  cpus?: number;
  /** Memory per node: "4G", "500M". */
  mem?: string;
  gpus?: number;
  /** GPU type for --gres=gpu:TYPE:N. */
  gpuType?: string;
  account?: string;
  qos?: string;
  /** Further `#SBATCH` lines, e.g. "--constraint=a100". */
  extra?: string[];
}

/** A run's cluster job, as its scheduler last reported it. */
export interface JobRecord {
  scheduler: 'slurm';
  /** Job id; an array task is "ARRAY_TASK" (123_4). */
  id: string;
  /** Who submitted it: only that user's tools reconcile it with the scheduler. */
  user: string;
  /** The scheduler's state: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ... */
  state: string;
  /** Why it is pending, or why it ended when that was not the program's doing (TIMEOUT, ...). */
  reason: string | null;
  /** Node(s) it runs on. */
  node: string | null;
  submitTime: number;
  /** When the job started on a node. */
  startTime: number | null;
  /** Time limit in seconds (null: none). */
  timeLimit: number | null;
  resources: JobResources;
  /** Sweep (job array) it belongs to. */
  sweep?: string;
  /** The scheduler's final state is recorded: nothing more to reconcile. */
  settled: boolean;
}

export interface MetricPoint {
  key: string;
  value: number;
  step: number;
  time: number;
  source?: 'stdout';
}

/** One row of the index: what listing, filtering and sorting need without opening run folders. */
export interface RunEntry {
  id: string;
  experiment: string;
  name: string;
  status: ListedStatus;
  script: string | null;
  params: Record<string, ParamValue>;
  tags: Record<string, string>;
  starred: boolean;
  startTime: number;
  endTime: number | null;
  gitCommit: string | null;
  metrics: Record<string, MetricSummary>;
  /** Bytes of metrics.jsonl already folded into `metrics`. */
  metricsBytes: number;
  /** mtime (ms) of run.json when the entry was read: a later change (an edit, a corruption) is re-read. */
  runFileMtime?: number;
  updatedAt: number;
  /** Why the run is unreadable. */
  error?: string;
  /** The run's cluster job (runs launched on a scheduler). */
  job?: JobRecord;
}
