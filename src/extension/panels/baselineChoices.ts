// The choices of the baseline picker (no vscode import, so they are unit-tested in plain Node).
import type { RegisteredModel } from '../../core/store/registry';
import type { RunEntry } from '../../core/store/types';

export interface BaselineChoice {
  label: string;
  description: string;
  detail: string;
  /** RUN, or MODEL@vN. */
  ref: string;
}

/**
 * What a candidate can be compared with, in two lists: first what comes from the candidate's own
 * experiment (its model versions, newest first, then its runs that logged metrics, newest first, then
 * the others), then the same from every other experiment.
 */
export function baselineChoices(
  entries: Iterable<RunEntry>,
  models: readonly RegisteredModel[],
  candidate: Pick<RunEntry, 'id' | 'experiment'>,
): { same: BaselineChoice[]; other: BaselineChoice[] } {
  const versions = models
    .flatMap((m) => m.versions.map((v) => ({ m, v })))
    .sort((a, b) => b.v.createdAt - a.v.createdAt)
    .map(({ m, v }) => ({
      experiment: v.experiment,
      choice: {
        label: `${m.name} v${v.version}`,
        description: `${v.stage && v.stage !== 'none' ? `${v.stage} · ` : ''}model version · ${v.experiment}`,
        detail: `run ${v.sourceRun}`,
        ref: `${m.name}@v${v.version}`,
      },
    }));
  const hasMetrics = (e: RunEntry) => Object.keys(e.metrics).length > 0;
  const runs = [...entries]
    .filter((e) => e.id !== candidate.id && e.status !== 'unreadable')
    .sort((a, b) => Number(hasMetrics(b)) - Number(hasMetrics(a)) || b.startTime - a.startTime)
    .map((e) => ({
      experiment: e.experiment,
      choice: {
        label: e.name,
        description: `${e.experiment} · ${e.status}${hasMetrics(e) ? '' : ' · no metrics'}`,
        detail: e.id,
        ref: e.id,
      },
    }));
  const all = [...versions, ...runs];
  return {
    same: all.filter((c) => c.experiment === candidate.experiment).map((c) => c.choice),
    other: all.filter((c) => c.experiment !== candidate.experiment).map((c) => c.choice),
  };
}
