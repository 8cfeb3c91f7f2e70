import { getOwn } from '../store/records';
import type { ListedStatus, RunEntry } from '../store/types';
import { TAG_PIPELINE_RUN } from '../store/types';
import type { PipelineRunRecord } from './run';
import type { PipelineDef } from './types';

/**
 * The run ids each recorded pipeline run started (run id -> pipeline run id). A stage skipped as up
 * to date names the run of an earlier pipeline run: it stays with the pipeline run that made it.
 */
export function stageRunIds(records: Iterable<PipelineRunRecord>): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of records)
    for (const s of r.stages ?? [])
      if (s.runId && (s.state === 'succeeded' || s.state === 'failed') && !out.has(s.runId))
        out.set(s.runId, r.id);
  return out;
}

/**
 * The pipeline run that started run `e`: its `runlens.pipeline.run` tag (written when the stage run
 * is created, by the CLI and the editor alike), else the pipeline records' list of stage runs.
 */
export function pipelineRunOf(e: RunEntry, recorded?: ReadonlyMap<string, string>): string | undefined {
  return getOwn(e.tags, TAG_PIPELINE_RUN) || recorded?.get(e.id);
}

/** A list item of the explorer: a run, or the stage runs of one pipeline run grouped together. */
export type RunOrPipeline =
  { kind: 'run'; entry: RunEntry } | { kind: 'pipelineRun'; id: string; runs: RunEntry[] };

/**
 * Group the stage runs of each pipeline run into one item, placed where its first stage run is in
 * `sorted` (so the list keeps its order); the stage runs inside are in the order they started.
 */
export function groupPipelineRuns(
  sorted: readonly RunEntry[],
  recorded?: ReadonlyMap<string, string>,
): RunOrPipeline[] {
  const out: RunOrPipeline[] = [];
  const groups = new Map<string, RunEntry[]>();
  for (const e of sorted) {
    const p = pipelineRunOf(e, recorded);
    if (!p) {
      out.push({ kind: 'run', entry: e });
      continue;
    }
    const g = groups.get(p);
    if (g) g.push(e);
    else {
      const runs = [e];
      groups.set(p, runs);
      out.push({ kind: 'pipelineRun', id: p, runs });
    }
  }
  for (const g of groups.values()) g.sort((a, b) => a.startTime - b.startTime || a.id.localeCompare(b.id));
  return out;
}

/** The runs pipeline run `id` started in `experiment`, in the order they started. */
export function stageRunsOf(
  entries: Iterable<RunEntry>,
  experiment: string,
  id: string,
  recorded?: ReadonlyMap<string, string>,
): RunEntry[] {
  return [...entries]
    .filter((e) => e.experiment === experiment && pipelineRunOf(e, recorded) === id)
    .sort((a, b) => a.startTime - b.startTime || a.id.localeCompare(b.id));
}

/** The status a pipeline run shows: running while a stage runs, failed when one failed, else finished. */
export function pipelineRunStatus(runs: readonly RunEntry[], record?: PipelineRunRecord): ListedStatus {
  const s = new Set(runs.map((r) => r.status));
  if (s.has('running')) return 'running';
  if (s.has('queued')) return 'queued';
  if (record?.ok === false || s.has('failed')) return 'failed';
  if (s.has('crashed')) return 'crashed';
  if (s.has('killed')) return 'killed';
  if (s.has('unreadable')) return 'unreadable';
  return 'finished';
}

/** A model a pipeline's register stage registers, and the experiment of the runs it registers. */
export interface PipelineModel {
  model: string;
  experiment: string;
  stage: string;
}

/**
 * The models the pipeline's `register` stages register (`with.model`), each with the experiment of
 * the stage run it registers (`with.run`'s stage, else the register stage's, else the pipeline's).
 */
export function pipelineModels(p: PipelineDef): PipelineModel[] {
  const byName = new Map(p.stages.map((s) => [s.name, s]));
  return p.stages.flatMap((s) => {
    const model = s.with.model;
    if (s.action !== 'register' || (typeof model !== 'string' && typeof model !== 'number')) return [];
    const source = typeof s.with.run === 'string' ? byName.get(s.with.run) : undefined;
    return [
      { model: String(model), experiment: source?.experiment ?? s.experiment ?? p.experiment, stage: s.name },
    ];
  });
}
