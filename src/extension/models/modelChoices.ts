// The pure parts of the model commands (no vscode import, so they are unit-tested in plain Node).
import type { PipelineModel } from '../../core/pipeline/stageRuns';

/** What is wrong with a model name typed in Register Model, or undefined when it is valid. */
export function modelNameError(name: string): string | undefined {
  return /^[A-Za-z0-9][\w.-]{0,99}$/.test(name) ? undefined : 'Letters, digits, ".", "_" and "-"';
}

/**
 * The name Register Model suggests for a run of `experiment`, so that registering by hand adds a
 * version to the model the pipeline registers instead of starting a second one: the model the
 * workspace's pipeline registers from that experiment, else the model that already has versions
 * from it (the newest), else the experiment's name made valid.
 */
export function suggestedModelName(o: {
  experiment: string;
  existing: readonly { name: string; versions: readonly { experiment: string; createdAt: number }[] }[];
  pipeline?: readonly PipelineModel[];
}): string {
  const fromPipeline = o.pipeline?.find((m) => m.experiment === o.experiment && !modelNameError(m.model));
  if (fromPipeline) return fromPipeline.model;
  const newest = (m: (typeof o.existing)[number]) =>
    Math.max(-Infinity, ...m.versions.filter((v) => v.experiment === o.experiment).map((v) => v.createdAt));
  const registered = o.existing.filter((m) => newest(m) > -Infinity).sort((a, b) => newest(b) - newest(a))[0];
  return registered?.name ?? o.experiment.replace(/[^\w.-]/g, '-');
}
