import { Registry } from '../store/registry';
import type { Store } from '../store/store';
import type { InputFile, ParamValue } from '../store/types';
import { TAG_PIPELINE_RUN } from '../store/types';
import { readPipelineRun } from './run';
import type { StageResult } from './types';

export interface Lineage {
  model: string;
  version: number;
  sourceRun: string;
  /** The pipeline run that trained it; null when the source run was not a pipeline stage. */
  pipelineRun: string | null;
  trigger: string | null;
  stages: StageResult[];
  /** Hashes of the data the pipeline's stages read (path -> sha256), and the source run's inputs. */
  dataHashes: InputFile[];
  stageInputs: Record<string, Record<string, string | null>>;
  params: Record<string, ParamValue>;
  gitCommit: string | null;
}

/** From a model version (number, "vN", a stage name or "latest"): what produced it. */
export function lineageOf(store: Store, model: string, ref: string | number = 'latest'): Lineage {
  const registry = new Registry(store);
  const mv =
    ref === 'latest'
      ? registry.getVersion(model, registry.getModel(model).versions.at(-1)?.version ?? 0)
      : registry.getVersion(model, ref);
  const run = store.getRun(mv.sourceRun);
  const pipelineRun = run.tags[TAG_PIPELINE_RUN] ?? null;
  const lineage: Lineage = {
    model,
    version: mv.version,
    sourceRun: mv.sourceRun,
    pipelineRun,
    trigger: null,
    stages: [],
    dataHashes: mv.dataHashes.length ? mv.dataHashes : run.inputs,
    stageInputs: {},
    params: { ...run.params, ...(mv.params as Record<string, ParamValue>) },
    gitCommit: mv.gitCommit ?? run.git?.commit ?? null,
  };
  if (!pipelineRun) return lineage;
  let rec;
  try {
    rec = readPipelineRun(store, pipelineRun);
  } catch {
    return lineage;
  }
  lineage.trigger = rec.trigger;
  lineage.stages = rec.stages;
  for (const [stage, inp] of Object.entries(rec.inputs)) lineage.stageInputs[stage] = inp.deps;
  return lineage;
}
