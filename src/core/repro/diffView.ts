import type { WhatChangedDiff } from '../../protocol/compare';
import { delta, goalOf } from '../metrics/goals';
import type { Goal } from '../metrics/goals';
import type { ParamValue } from '../store/types';
import type { FileChange, RunDiff } from './diff';

// The compare panel's "What Changed" section: the same diff as `runlens diff`, without the run
// records and patches (the code itself opens in VS Code's diff editor), with each metric delta
// judged by the metric's goal.

/** A param value as text, exactly (a learning rate of 0.00011 is not rounded). */
const paramText = (v: ParamValue | undefined): string | null =>
  v === undefined ? null : v === null ? 'null' : String(v);

const files = (f: FileChange[]) => f.map(({ file, added, removed }) => ({ file, added, removed }));

export function whatChangedData(d: RunDiff, goals: Record<string, Goal> = {}): WhatChangedDiff {
  const c = d.code;
  return {
    params: d.params.map((p) => ({ key: p.key, a: paramText(p.a), b: paramText(p.b) })),
    code: {
      a: c.a,
      b: c.b,
      same: c.same,
      commits: c.commits ? files(c.commits.files) : null,
      reason: c.reason,
      workingA: files(c.workingA.files),
      workingB: files(c.workingB.files),
    },
    inputs: d.inputs.map((i) => ({
      path: i.path,
      status: i.status,
      a: i.a ? { sha256: i.a.sha256, size: i.a.size } : null,
      b: i.b ? { sha256: i.b.sha256, size: i.b.size } : null,
      ...(i.table
        ? {
            table: {
              a: { rows: i.table.a.rows, columns: i.table.a.columns.length },
              b: { rows: i.table.b.rows, columns: i.table.b.columns.length },
              addedColumns: i.table.addedColumns,
              removedColumns: i.table.removedColumns,
              typeChanges: i.table.typeChanges,
              drift: i.table.drift && {
                datasetDrift: i.table.drift.datasetDrift,
                drifted: i.table.drift.drifted,
                tested: i.table.drift.tested,
                driftShare: i.table.drift.driftShare,
              },
            },
          }
        : {}),
      ...(i.note ? { note: i.note } : {}),
    })),
    environment: d.environment,
    metrics: d.metrics.map((m) => ({
      ...m,
      verdict:
        m.a !== null && m.b !== null && Number.isFinite(m.a) && Number.isFinite(m.b)
          ? (delta(m.b, m.a, goalOf(m.key, goals)).verdict ?? null)
          : null,
    })),
  };
}

/** A compared run as the pair choice sees it. */
export interface PairRun {
  ref: string;
  startTime: number;
}

/**
 * The two runs "What Changed" compares: with two runs, the baseline (else the earlier run) against
 * the other; with more, the baseline against the chosen run (else the first other one). Null, with
 * the reason, when there is no such pair.
 */
export function whatChangedPair(
  runs: PairRun[],
  baselineRef: string | null,
  chosenRef: string | null,
): { a: string; b: string } | { none: string } {
  if (runs.length < 2) return { none: 'Compare two runs to see what changed between them.' };
  const base = runs.find((r) => r.ref === baselineRef);
  if (runs.length === 2) {
    const [x, y] = base
      ? [base, runs.find((r) => r !== base)!]
      : [...runs].sort((p, q) => p.startTime - q.startTime);
    return { a: x.ref, b: y.ref };
  }
  if (!base)
    return {
      none: `Choose a baseline to see what changed between it and one of the other ${runs.length - 1} runs.`,
    };
  const others = runs.filter((r) => r !== base);
  return { a: base.ref, b: (others.find((r) => r.ref === chosenRef) ?? others[0]).ref };
}
