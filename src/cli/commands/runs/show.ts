/** `runlens show RUN`: one run's status, params, metrics, inputs and git record. */
import {
  formatDuration,
  formatParam,
  formatTime,
  summaryRows,
  table,
  termSafe,
  toJson,
} from '../../../core/format';
import type { CliContext } from '../../context';
import { indent } from '../../options';

export interface ShowRunOptions {
  json?: boolean;
  pretty?: boolean;
}

export function showRun(ref: string, opts: ShowRunOptions, { io, openStore }: CliContext): void {
  const store = openStore();
  const run = store.getRun(ref);
  const entry = store.listRuns().entries.find((e) => e.id === run.id);
  const summary = run.summary ?? entry?.metrics ?? {};
  if (opts.json) {
    io.out(toJson(opts, { ...run, status: entry?.status ?? run.status, summary }));
    return;
  }
  const lines = [
    `run        ${run.id}`,
    `name       ${run.name}`,
    `experiment ${run.experiment}`,
    `status     ${entry?.status ?? run.status}${run.exitCode !== null ? ` (exit code ${run.exitCode})` : ''}`,
    `started    ${formatTime(run.startTime)}${run.endTime ? `, took ${formatDuration(run.endTime - run.startTime)}` : ''}`,
    `command    ${run.command?.join(' ') ?? '(logged by a client)'}`,
    `folder     ${store.runDir(run.id)}`,
  ];
  if (run.git)
    lines.push(
      `git        ${run.git.commit.slice(0, 12)}${run.git.branch ? ` on ${run.git.branch}` : ''}${run.git.dirty ? ' (uncommitted changes, see ' + run.git.diffArtifact + ')' : ''}`,
    );
  if (Object.keys(run.tags).length)
    lines.push(
      `tags       ${Object.entries(run.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  if (Object.keys(run.params).length) {
    lines.push('', 'params', ...Object.entries(run.params).map(([k, v]) => `  ${k} = ${formatParam(v)}`));
  }
  if (Object.keys(summary).length) {
    lines.push(
      '',
      'metrics',
      indent(table(['KEY', 'LAST', 'STEP', 'MIN', 'MAX', 'POINTS'], summaryRows(summary))),
    );
  }
  if (run.inputs.length)
    lines.push('', 'inputs', ...run.inputs.map((i) => `  ${i.path}  ${i.size} bytes  sha256 ${i.sha256}`));
  io.out(termSafe(lines.join('\n')));
}
