import * as path from 'node:path';
import type { DriftSnapshot, DriftSource } from '../../protocol/drift';
import { monitorPackage } from './monitor';
import { readManifest } from '../serving/serve';
import { detectDrift } from './drift';
import { driftSnapshot } from './view';

/** A computed drift report: what the webview shows, and the full report for "Save Report". */
export interface DriftResult {
  snapshot: DriftSnapshot;
  report: unknown;
}

/**
 * The drift use case: the report of a source (two files, or a served package's logged requests)
 * and the drift webview's snapshot of it. `show` says how a file path is shown (the editor shows it
 * relative to the workspace).
 */
export async function computeDrift(
  source: DriftSource,
  show: (file: string) => string = (f) => f,
): Promise<DriftResult> {
  if (source.kind === 'files') {
    const report = await detectDrift(source.reference, source.current, source.by ? { by: source.by } : {});
    const snapshot = driftSnapshot(report, {
      source,
      title: `Drift: ${path.basename(source.current)} against ${path.basename(source.reference)}`,
      referenceLabel: show(source.reference),
      currentLabel: show(source.current),
      show,
    });
    return { snapshot, report };
  }
  const r = await monitorPackage(source.dir, {
    window: source.window,
    feedback: source.feedback ? { file: source.feedback } : undefined,
  });
  const m = readManifest(source.dir);
  const snapshot = driftSnapshot(r.report, {
    source,
    title: `Serving drift: ${m.name}${m.version !== null ? ` v${m.version}` : ''}`,
    referenceLabel: `training data (${m.reference?.source ?? 'reference.csv'})`,
    currentLabel: `${r.requests} logged requests`,
    online: r.online,
    show,
    notices: [
      ...(r.skippedLines ? [`${r.skippedLines} unreadable log lines were skipped`] : []),
      ...(source.feedback
        ? []
        : ['No feedback file: online accuracy needs one (runlens.monitor.feedbackFile).']),
    ],
  });
  return {
    snapshot,
    report: {
      requests: r.requests,
      files: r.files,
      skippedLines: r.skippedLines,
      report: r.report,
      online: r.online,
    },
  };
}
