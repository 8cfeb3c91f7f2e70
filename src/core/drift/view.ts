import * as path from 'node:path';
import type { DriftColumnView, DriftSnapshot, DriftSource, OnlineAccuracyView } from '../../protocol/drift';
import type { OnlineAccuracy } from '../serving/monitor';
import type { DriftMethod, DriftReport } from './drift';

/** JSON has no NaN: a statistic that is not a number is sent as null. */
function finite(v: number | null): number | null {
  return v === null || !Number.isFinite(v) ? null : v;
}

/**
 * The drift webview's snapshot of a report: columns most severe first, the tests that ran, the
 * timeline's per-column drift in the table's order, and the online accuracy when there is one.
 */
export function driftSnapshot(
  report: DriftReport,
  o: {
    source: DriftSource;
    title?: string;
    referenceLabel?: string;
    currentLabel?: string;
    online?: OnlineAccuracy;
    notices?: string[];
    computedAt?: number;
  },
): DriftSnapshot {
  // The report's order: most severe first, ties in file order (as the CLI prints them).
  const columns: DriftColumnView[] = [...report.columns]
    .sort((a, b) => b.severity - a.severity)
    .map((c) => ({
      column: c.column,
      type: c.type,
      method: c.method,
      statistic: c.skipped ? null : finite(c.statistic),
      pValue: finite(c.pValue),
      threshold: c.threshold,
      drifted: c.drifted,
      severity: c.severity,
      missingRateShift: c.missingRateShift,
      referenceMissingRate: c.reference.missingRate,
      currentMissingRate: c.current.missingRate,
      histogram: c.histogram,
      ...(c.skipped ? { skipped: c.skipped } : {}),
    }));
  const tests = new Map<DriftMethod, number>();
  for (const c of report.columns) if (!c.skipped) tests.set(c.method, (tests.get(c.method) ?? 0) + 1);
  const order = columns.map((c) => c.column);
  const snapshot: DriftSnapshot = {
    title: o.title ?? `Drift: ${path.basename(report.current.file)}`,
    source: o.source,
    referenceLabel: o.referenceLabel ?? path.basename(report.reference.file),
    currentLabel: o.currentLabel ?? path.basename(report.current.file),
    referenceRows: report.reference.rows,
    currentRows: report.current.rows,
    drifted: report.drifted,
    tested: report.tested,
    share: report.share,
    driftShare: report.driftShare,
    datasetDrift: report.datasetDrift,
    tests: [...tests.entries()].map(([method, n]) => ({ method, columns: n })),
    columns,
    notices: [...report.warnings.map((w) => w.message), ...(o.online?.warnings ?? []), ...(o.notices ?? [])],
    computedAt: o.computedAt ?? Date.now(),
  };
  if (report.timeline) {
    snapshot.timeline = {
      by: report.timeline.by,
      windows: report.timeline.windows.map((w) => {
        const byName = new Map(w.columns.map((c) => [c.column, c]));
        return {
          window: w.window,
          rows: w.rows,
          drifted: w.drifted,
          tested: w.tested,
          share: w.share,
          datasetDrift: w.datasetDrift,
          columns: order.map((name) => {
            const c = byName.get(name);
            return {
              column: name,
              drifted: c?.drifted ?? false,
              statistic: finite(c?.statistic ?? null),
              pValue: finite(c?.pValue ?? null),
            };
          }),
        };
      }),
    };
  }
  if (o.online) snapshot.online = onlineView(o.online);
  return snapshot;
}

function onlineView(o: OnlineAccuracy): OnlineAccuracyView {
  return {
    metric: o.metric,
    value: o.value,
    joined: o.joined,
    feedbackRows: o.feedbackRows,
    unmatchedFeedback: o.unmatchedFeedback,
    unlabeledPredictions: o.unlabeledPredictions,
    windows: o.windows,
  };
}
