// How a run reads in the Experiments view, the status bar and CodeLens (no vscode import, so it is
// unit-tested in plain Node).
import { formatDuration, formatNumber, formatParam, formatTime } from '../../core/format';
import { bestOf, delta, goalOf } from '../../core/metrics/goals';
import type { Goal } from '../../core/metrics/goals';
import type { PipelineRunRecord } from '../../core/pipeline/run';
import { importedRunning } from '../../core/importers/mlflow';
import type { RunEntry } from '../../core/store/types';
import { escapeMarkdown } from '../shared/markdown';

/**
 * Runs that train now, for the status bar: running, and not a copy of another tracker's run (an
 * MLflow run imported or pulled while its own store still said RUNNING, often because its process
 * died without ending it: nothing here is training it).
 */
export function trainingNow<R extends { entry: RunEntry }>(runs: readonly R[]): R[] {
  return runs.filter((r) => r.entry.status === 'running' && !importedRunning(r.entry));
}

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

/**
 * A metric's lens: its last value and step, the best value (by the metric's goal) and the change
 * against the baseline. Compact (several metrics on one line): the step is left out when it is
 * `lineStep` (the step the line's first lens shows), the best is "(best)" when it is the last
 * value, and the change is relative only, with no verdict word (its arrow says it).
 */
export function lensTitle(
  key: string,
  latest: RunEntry,
  baseline: RunEntry | undefined,
  goals: Record<string, Goal>,
  compact = false,
  lineStep?: number,
): string {
  const s = latest.metrics[key];
  const goal = goalOf(key, goals);
  const best = bestOf(s, goal);
  let title = `$(graph-line) ${key} ${formatNumber(s.last)}`;
  if (!compact || lineStep !== s.lastStep) title += ` @ step ${s.lastStep}`;
  if (best !== undefined) {
    const bestStep = goal === 'min' ? s.minStep : s.maxStep;
    if (compact && best === s.last && (bestStep === undefined || bestStep === s.lastStep)) title += ' (best)';
    else title += ` · best ${formatNumber(best)}${bestStep !== undefined ? ` @ step ${bestStep}` : ''}`;
  }
  const base = baseline?.metrics[key];
  if (base && baseline!.id !== latest.id) {
    const d = delta(s.last, base.last, goal);
    const sign = d.absolute > 0 ? '+' : '';
    const icon = d.verdict === 'better' ? '$(arrow-up)' : d.verdict === 'worse' ? '$(arrow-down)' : '$(dash)';
    const rel = d.relative !== undefined ? `${sign}${(d.relative * 100).toFixed(1)}%` : undefined;
    if (compact) title += ` · ${icon} ${rel ?? `${sign}${formatNumber(d.absolute)}`} vs baseline`;
    else
      title += ` · ${icon} ${sign}${formatNumber(d.absolute)}${rel ? ` (${rel})` : ''} vs baseline${d.verdict && d.verdict !== 'same' ? ` (${d.verdict})` : ''}`;
  }
  return title;
}

/** A run's tooltip in the Experiments view: status, id, timing, params, metrics, job, git, script. */
export function runTooltipMarkdown(e: RunEntry, now = Date.now()): string {
  const md = { text: '', appendMarkdown: (s: string) => void (md.text += s) };
  md.appendMarkdown(
    `**${escapeMarkdown(e.name)}** — ${e.status}${e.error ? `: ${escapeMarkdown(e.error)}` : ''}\n\n`,
  );
  if (importedRunning(e))
    md.appendMarkdown(
      'Imported while its MLflow store still said RUNNING (often a process that died without ending the run); nothing here is training it.\n\n',
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

/** Names at least this long are told apart when they start alike: the tree cuts them off. */
const LONG_NAME = 24;
const SEPARATOR = /[\s_\-./:=,]/;

/**
 * What tells apart runs shown together whose names read alike — the same name, or long names that
 * start the same (the view cuts them off): the part of each name that differs from the others
 * ("…lr0.01_seed2…"), else, for the same name, its start time. Runs whose name reads apart from
 * the others are not in the map.
 */
export function distinguishingParts(
  runs: readonly Pick<RunEntry, 'id' | 'name' | 'startTime'>[],
): Map<string, string> {
  const groups = new Map<string, Pick<RunEntry, 'id' | 'name' | 'startTime'>[]>();
  for (const r of runs) {
    const key = r.name.length >= LONG_NAME ? `\u0000${r.name.slice(0, LONG_NAME)}` : r.name;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out = new Map<string, string>();
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const names = group.map((r) => r.name);
    const shortest = Math.min(...names.map((n) => n.length));
    let prefix = 0;
    while (prefix < shortest && names.every((n) => n[prefix] === names[0][prefix])) prefix++;
    let suffix = 0;
    while (
      suffix < shortest - prefix &&
      names.every((n) => n[n.length - 1 - suffix] === names[0][names[0].length - 1 - suffix])
    )
      suffix++;
    const parts = group.map((r) => {
      // Whole words: back to the start of the word the difference begins in, on to the end of the one it ends in.
      let from = prefix;
      while (from > 0 && !SEPARATOR.test(r.name[from - 1])) from--;
      let to = r.name.length - suffix;
      while (to < r.name.length && !SEPARATOR.test(r.name[to])) to++;
      const part = r.name.slice(from, to);
      return part ? `${from > 0 ? '…' : ''}${part}${to < r.name.length ? '…' : ''}` : '';
    });
    const startTimes = group.map((r) => formatTime(r.startTime || null).slice(0, 16));
    group.forEach((r, i) => {
      const sameName = group.filter((o) => o.name === r.name);
      if (sameName.length === 1 && parts[i]) out.set(r.id, parts[i]);
      else {
        // The same name: the start time, to the second when the minute is shared too.
        const minute = startTimes[i];
        const clash = group.filter((o, j) => o.name === r.name && startTimes[j] === minute).length > 1;
        out.set(r.id, `started ${clash ? formatTime(r.startTime || null) : minute}`);
      }
    });
  }
  return out;
}

/** A row of a run's params in the tree: a param, or the params that share a prefix (`model.`, `callbacks/`). */
export type ParamRow =
  { kind: 'param'; key: string; label: string } | { kind: 'group'; prefix: string; count: number };

/**
 * The rows of a run's params under `prefix`: the params whose names go on with the same word and
 * separator (`model.encoder.depth`, `model.lr` -> `model.`), two or more, make one group; the others
 * are listed by the rest of their name. Rows keep the order the params were logged in.
 */
export function paramRows(keys: readonly string[], prefix = ''): ParamRow[] {
  const under = keys.filter((k) => k.startsWith(prefix) && k.length > prefix.length);
  const headOf = (k: string) => /^[^./]+[./](?=.)/.exec(k.slice(prefix.length))?.[0];
  const counts = new Map<string, number>();
  for (const k of under) {
    const head = headOf(k);
    if (head) counts.set(head, (counts.get(head) ?? 0) + 1);
  }
  const rows: ParamRow[] = [];
  const seen = new Set<string>();
  for (const k of under) {
    const head = headOf(k);
    if (head && counts.get(head)! > 1) {
      if (seen.has(head)) continue;
      seen.add(head);
      // A group holding only one group is that group (`trainer.` for `trainer.callbacks.*` alone).
      let group = prefix + head;
      for (let inner = paramRows(under, group); inner.length === 1 && inner[0].kind === 'group';) {
        group = inner[0].prefix;
        inner = paramRows(under, group);
      }
      rows.push({ kind: 'group', prefix: group, count: counts.get(head)! });
    } else rows.push({ kind: 'param', key: k, label: k.slice(prefix.length) });
  }
  return rows;
}
