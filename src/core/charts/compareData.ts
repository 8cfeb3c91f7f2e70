import type { CompareSnapshot, DeltaData, Stat, StatCell } from '../../protocol/compare';
import { STATS } from '../../protocol/compare';
import { delta } from '../metrics/goals';
import type { Goal } from '../metrics/goals';
import type { RunRecord } from '../store/types';
import { buildCompareTable } from './compare';
import type { MetricCell } from './compare';
import { runInfos } from './panelData';
import type { PanelRun, SeriesCache } from './panelData';

export interface CompareInput extends PanelRun {
  record?: RunRecord;
}

/** Each metric's value at `step` (its last point at or before it) per run id. */
export function valuesAtStep(
  runs: PanelRun[],
  step: number,
  cache: SeriesCache,
): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const r of runs) {
    const values: Record<string, number> = {};
    for (const [key, s] of cache.load(r.metricsFile).series) {
      let bestStep = -Infinity;
      for (let i = 0; i < s.steps.length; i++) {
        // The latest point logged for the closest step at or before `step`.
        if (s.steps[i] <= step && s.steps[i] >= bestStep) {
          bestStep = s.steps[i];
          values[key] = s.values[i];
        }
      }
    }
    out.set(r.entry.id, values);
  }
  return out;
}

function statOf(cell: MetricCell | undefined, stat: Stat): number | undefined {
  if (!cell) return undefined;
  switch (stat) {
    case 'last':
      return cell.last;
    case 'best':
      return cell.best;
    case 'min':
      return cell.min;
    case 'max':
      return cell.max;
    case 'atStep':
      return cell.atStep;
  }
}

function jsonDelta(value: number, base: number, goal: Goal | undefined): DeltaData {
  const d = delta(value, base, goal);
  return {
    absolute: Number.isFinite(d.absolute) ? d.absolute : null,
    relative: d.relative ?? null,
    verdict: d.verdict ?? null,
  };
}

/**
 * The compare panel's state: core's comparison table, and for every statistic (latest, best, min,
 * max, value at a step) its cells with the best run marked by the metric's goal and deltas to the
 * baseline run's same statistic. Non-finite values travel as text (JSON has no NaN).
 */
export function buildCompareSnapshot(
  runs: CompareInput[],
  options: {
    cache: SeriesCache;
    baselineRef?: string | null;
    step?: number | null;
    goals?: Record<string, Goal>;
    notices?: string[];
  },
): CompareSnapshot {
  const notices = [...(options.notices ?? [])];
  const baseline = runs.find((r) => r.ref === options.baselineRef);
  let atStep: Map<string, Record<string, number>> | undefined;
  const step = options.step ?? null;
  if (step !== null) {
    try {
      atStep = valuesAtStep(runs, step, options.cache);
    } catch (e) {
      notices.push(`could not read values at step ${step}: ${(e as Error).message}`);
    }
  }
  const table = buildCompareTable(
    runs.map((r) => ({ entry: r.entry, run: r.record })),
    { baselineId: baseline?.entry.id, goals: options.goals, valuesAtStep: atStep },
  );
  const baseIndex = baseline ? runs.indexOf(baseline) : -1;
  const infos = runInfos(runs);
  return {
    runs: table.runs.map((row, i) => ({
      ...infos[i],
      durationMs: row.durationMs,
      gitCommit: row.gitCommit,
      inputs: row.inputs,
      isBaseline: row.isBaseline,
    })),
    params: table.params.map((p) => ({
      key: p.key,
      values: p.values.map((v) => (v === undefined ? null : v)),
      differs: p.differs,
    })),
    metrics: table.metrics.map((m) => {
      const stats = {} as Record<Stat, (StatCell | null)[]>;
      for (const stat of STATS) {
        const values = m.cells.map((c) => statOf(c, stat));
        const finite = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
        const best =
          finite.length > 1 && m.goal
            ? m.goal === 'min'
              ? Math.min(...finite)
              : Math.max(...finite)
            : undefined;
        const base = baseIndex >= 0 ? values[baseIndex] : undefined;
        stats[stat] = values.map((v, i): StatCell | null => {
          if (v === undefined) return null;
          const cell: StatCell = {
            value: Number.isFinite(v) ? v : null,
            isBest: best !== undefined && v === best,
          };
          if (!Number.isFinite(v)) cell.text = String(v);
          if (base !== undefined && i !== baseIndex && Number.isFinite(v) && Number.isFinite(base))
            cell.delta = jsonDelta(v, base, m.goal);
          return cell;
        });
      }
      return { key: m.key, goal: m.goal ?? null, stats };
    }),
    baselineRef: baseline?.ref ?? null,
    step,
    notices,
  };
}
