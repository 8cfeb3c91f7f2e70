// How a run reads in the Experiments view, the status bar and CodeLens (no vscode import, so it is
// unit-tested in plain Node).
import { formatDuration, formatNumber, formatParam } from '../../core/format';
import { goalOf } from '../../core/metrics/goals';
import type { Goal } from '../../core/metrics/goals';
import type { PipelineRunRecord } from '../../core/pipeline/run';
import type { RunEntry } from '../../core/store/types';
import { escapeMarkdown } from '../shared/markdown';

/** Pick the metric that best describes a run: a validation metric with a goal, else any with a goal. */
export function keyMetric(
  entry: RunEntry,
  goals: Record<string, Goal>,
  sortKey?: string,
): string | undefined {
  const keys = Object.keys(entry.metrics);
  if (sortKey && keys.includes(sortKey)) return sortKey;
  const ranked = keys
    .map((k) => ({
      k,
      score:
        (goalOf(k, goals) ? 2 : 0) +
        (/^(val|valid|test|eval)[_/]/.test(k) ? 1 : 0) +
        (goalOf(k, goals) === 'max' ? 0.5 : 0),
    }))
    .sort((a, b) => b.score - a.score || a.k.localeCompare(b.k));
  return ranked[0]?.k;
}

/** A run's tooltip in the Experiments view: status, id, timing, params, metrics, job, git, script. */
export function runTooltipMarkdown(e: RunEntry, now = Date.now()): string {
  const md = { text: '', appendMarkdown: (s: string) => void (md.text += s) };
  md.appendMarkdown(
    `**${escapeMarkdown(e.name)}** — ${e.status}${e.error ? `: ${escapeMarkdown(e.error)}` : ''}\n\n`,
  );
  md.appendMarkdown(`\`${e.id}\` · experiment *${escapeMarkdown(e.experiment)}*\n\n`);
  if (e.startTime) {
    md.appendMarkdown(
      `started ${new Date(e.startTime).toLocaleString()} · ${formatDuration((e.endTime ?? now) - e.startTime)}${e.endTime ? '' : ' so far'}\n\n`,
    );
  }
  const params = Object.entries(e.params);
  if (params.length)
    md.appendMarkdown(
      `**Params** ${params.map(([k, v]) => `${escapeMarkdown(k)}=${escapeMarkdown(formatParam(v))}`).join(', ')}\n\n`,
    );
  const metrics = Object.entries(e.metrics);
  if (metrics.length)
    md.appendMarkdown(
      `**Metrics** ${metrics.map(([k, s]) => `${escapeMarkdown(k)} ${formatNumber(s.last)}`).join(', ')}\n\n`,
    );
  if (e.job) md.appendMarkdown(jobTooltip(e, now));
  if (e.gitCommit) md.appendMarkdown(`**Git** ${e.gitCommit.slice(0, 12)}\n\n`);
  if (e.script) md.appendMarkdown(`**Script** ${escapeMarkdown(e.script)}`);
  return md.text;
}

/** A cluster run in the list: its job id, why it waits, or where it runs. */
export function jobText(e: RunEntry): string {
  const job = e.job;
  if (!job) return '';
  if (e.status === 'queued') return `job ${job.id}${job.reason ? ` (${job.reason})` : ''}`;
  if (e.status === 'running') return `job ${job.id}${job.node ? ` on ${job.node}` : ''}`;
  if (e.status === 'crashed' && job.reason) return job.reason;
  return '';
}

function jobTooltip(e: RunEntry, now: number): string {
  const job = e.job!;
  const r = job.resources;
  const asked = [
    r.partition && `partition ${r.partition}`,
    r.cpus && `${r.cpus} CPUs`,
    r.mem && `${r.mem} memory`,
    r.gpus && `${r.gpus} ${r.gpuType ?? ''} GPU${r.gpus > 1 ? 's' : ''}`.replace('  ', ' '),
    r.account && `account ${r.account}`,
    r.qos && `qos ${r.qos}`,
    ...(r.extra ?? []),
  ].filter(Boolean);
  let text = `**Slurm** job ${job.id} · ${job.state}${job.reason ? ` (${escapeMarkdown(job.reason)})` : ''}${job.node ? ` · ${escapeMarkdown(job.node)}` : ''}\n\n`;
  if (asked.length) text += `**Resources** ${escapeMarkdown(asked.join(', '))}\n\n`;
  if (job.startTime) {
    const elapsed = (e.endTime ?? now) - job.startTime;
    const limit = job.timeLimit ? ` of ${formatDuration(job.timeLimit * 1000)} limit` : '';
    text += `**Elapsed** ${formatDuration(elapsed)}${limit}${job.reason === 'TIMEOUT' ? ' — hit its time limit' : ''}\n\n`;
  } else if (job.timeLimit) text += `**Time limit** ${formatDuration(job.timeLimit * 1000)}\n\n`;
  return text;
}

/** A pipeline run's tooltip: id, file, trigger, timing and each stage's outcome. */
export function pipelineRunTooltipMarkdown(
  id: string,
  record: PipelineRunRecord | undefined,
  runs: readonly RunEntry[],
  now = Date.now(),
): string {
  let text = `**Pipeline run** \`${id}\`${record ? ` · ${escapeMarkdown(record.file)}` : ''}\n\n`;
  if (record) {
    text += `trigger ${escapeMarkdown(record.trigger)} · started ${new Date(record.startTime).toLocaleString()}`;
    text += record.endTime
      ? ` · ${formatDuration(record.endTime - record.startTime)} · ${record.ok ? 'ok' : 'failed'}\n\n`
      : ` · running for ${formatDuration(now - record.startTime)}\n\n`;
    for (const s of record.stages)
      text += `- ${escapeMarkdown(s.stage)}: ${s.state}${s.reason ? ` (${escapeMarkdown(s.reason)})` : ''}\n`;
  } else {
    for (const r of runs) text += `- ${escapeMarkdown(r.name)}: ${r.status}\n`;
  }
  return text;
}
