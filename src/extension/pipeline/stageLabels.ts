// How a pipeline stage reads in the Pipeline view and the status bar (no vscode import, so it is
// unit-tested in plain Node).
import { formatDuration } from '../../core/format';
import type { StageStatus } from './pipelineRunner';

/** A time of day in the editor's locale ("14:05"). */
export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export const STAGE_LABELS: Record<StageStatus['state'], string> = {
  idle: 'not run',
  pending: 'pending',
  running: 'running',
  succeeded: 'succeeded',
  skipped: 'skipped',
  failed: 'failed',
  blocked: 'blocked',
};

/**
 * A stage recorded as done (succeeded or up to date) whose inputs changed since. A failed or blocked
 * stage keeps saying so: that it reruns next is implied.
 */
export function isStale(s: StageStatus): boolean {
  return s.stale !== undefined && (s.state === 'succeeded' || s.state === 'skipped');
}

/** What a stage's row says after its name: state, why, how long. */
export function stageDescription(s: StageStatus, now = Date.now()): string {
  // Idle and changed since: what matters is that the next run redoes it, and why.
  if (isStale(s)) return `will rerun: ${s.stale}`;
  const took =
    s.state === 'running' && s.startedAt
      ? formatDuration(now - s.startedAt)
      : s.durationMs !== undefined && s.state !== 'skipped' && s.state !== 'blocked'
        ? formatDuration(s.durationMs)
        : '';
  // The icon says the state; the row leads with what matters for each one.
  const parts =
    s.state === 'skipped'
      ? [s.reason === 'up to date' ? 'up to date' : `skipped${s.reason ? `: ${s.reason}` : ''}`]
      : s.state === 'blocked'
        ? [s.reason ?? 'blocked']
        : s.state === 'failed'
          ? [`failed${s.reason ? `: ${s.reason}` : ''}`, took]
          : s.state === 'succeeded'
            ? [took, s.reason]
            : [STAGE_LABELS[s.state], took];
  return parts.filter(Boolean).join(' · ');
}
