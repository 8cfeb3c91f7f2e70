import * as path from 'node:path';
import type {
  DriftColumnView,
  DriftMethod,
  DriftSnapshot,
  DriftSource,
  OnlineAccuracyView,
} from '../../protocol/drift';
import type { DriftReport, DriftWarning } from './drift';

/** JSON has no NaN: a statistic that is not a number is sent as null. */
function finite(v: number | null): number | null {
  return v === null || !Number.isFinite(v) ? null : v;
}

function names(columns: string[]): string {
  const shown = columns.slice(0, 6).map((c) => `"${c}"`);
  return columns.length > 6 ? `${shown.join(', ')} and ${columns.length - 6} more` : shown.join(', ');
}

/**
 * The engine's warnings, one line per kind and file instead of one per column, with paths as the
 * user knows them (`show`: workspace-relative in the editor, as typed on the command line).
 */
export function groupDriftWarnings(
  warnings: DriftWarning[],
  show: (file: string) => string = (f) => f,
): string[] {
  const groups = new Map<string, DriftWarning[]>();
  for (const w of warnings) {
    const key = `${w.kind}\0${w.file}`;
    groups.set(key, [...(groups.get(key) ?? []), w]);
  }
  const out: string[] = [];
  for (const ws of groups.values()) {
    const { kind, file } = ws[0];
    const cols = ws.map((w) => w.column);
    const n = cols.length;
    const s = n === 1 ? '' : 's';
    switch (kind) {
      case 'missingInCurrent':
        out.push(
          `${n} column${s} of the reference ${n === 1 ? 'is' : 'are'} not in ${show(file)}, not tested: ${names(cols)}`,
        );
        break;
      case 'notInReference':
        out.push(
          `${n} column${s} of ${show(file)} ${n === 1 ? 'is' : 'are'} not in the reference, not tested: ${names(cols)}`,
        );
        break;
      case 'noValues':
        out.push(`${n} column${s} with no values in ${show(file)}, not tested: ${names(cols)}`);
        break;
      case 'invalidCells':
        for (const w of ws) out.push(`${show(file)}: ${w.message}`);
        break;
    }
  }
  return out;
}

/** Why a report with no tested column says nothing about drift. */
export function nothingComparedReason(
  report: DriftReport,
  show: (file: string) => string = (f) => f,
): string | undefined {
  if (report.tested > 0) return undefined;
  if (report.columns.length === 0)
    return `no column of ${show(report.reference.file)} is in ${show(report.current.file)}`;
  const why = [...new Set(report.columns.map((c) => c.skipped).filter((x): x is string => !!x))];
  return `none of the ${report.columns.length} shared column${report.columns.length === 1 ? '' : 's'} could be tested (${why.join('; ')})`;
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
    /** The monitor's online accuracy (drift/monitor.ts); the view keeps the fields the panel shows. */
    online?: OnlineAccuracyView & { warnings: string[] };
    notices?: string[];
    computedAt?: number;
    /** How a file path is shown (workspace-relative in the editor). */
    show?: (file: string) => string;
  },
): DriftSnapshot {
  const nothing = nothingComparedReason(report, o.show);
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
    ...(nothing ? { nothingCompared: nothing } : {}),
    notices: [
      ...groupDriftWarnings(report.warnings, o.show),
      ...(o.online?.warnings ?? []),
      ...(o.notices ?? []),
    ],
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

function onlineView(o: OnlineAccuracyView): OnlineAccuracyView {
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
