import { formatNumber, formatParam, table, termSafe } from '../format';
import type { FileChange, InputChange, RunDiff } from './diff';
import type { InputCheck, ReproduceResult } from './reproduce';
import type { MetricCheck, Tolerance } from './tolerance';

// The reports of `runlens reproduce` and `runlens diff` as people read them, shared by the command
// line and the editor.

export function inputLine(i: InputCheck): string {
  if (i.status === 'missing') return `  ${i.path}: missing`;
  if (i.status === 'same')
    return `  ${i.path}: same sha256 (${i.from === 'commit' ? 'from the commit' : 'from the workspace'})`;
  return `  ${i.path}: CHANGED, sha256 ${i.current?.slice(0, 12)} (recorded ${i.recorded.slice(0, 12)})`;
}

function toleranceText(t: Tolerance): string {
  const parts = [];
  if (t.relative) parts.push(`rel ${formatNumber(t.relative)}`);
  if (t.absolute) parts.push(`abs ${formatNumber(t.absolute)}`);
  return parts.join(' or ') || 'exact';
}

function metricRow(m: MetricCheck): string[] {
  return [
    m.metric,
    m.original === null ? '' : String(m.original),
    m.reproduction === null ? '(missing)' : String(m.reproduction),
    m.delta === null ? '' : m.delta === 0 ? '0' : m.delta.toExponential(2),
    m.relative === null ? '' : m.relative === 0 ? '0' : m.relative.toExponential(2),
    toleranceText(m.tolerance),
    m.within ? 'ok' : 'DIFFERS',
  ];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The verdict as people read it: verdict line, what differs, inputs, environment, metrics, timings. */
export function reproduceReportText(r: ReproduceResult): string {
  const lines: string[] = [];
  const differing = r.metrics.filter((m) => !m.within);
  const at = `${r.commit.slice(0, 12)}${r.diffApplied ? ' + recorded uncommitted diff' : ''}`;
  lines.push(
    `${r.verdict === 'reproduced' ? 'REPRODUCED' : 'NOT REPRODUCED'}: run ${r.run.id} reproduces ${r.original.id} (${termSafe(r.original.name)}) at ${at}${r.job ? ` on Slurm (job ${r.job})` : ''}`,
  );
  if (r.reason) lines.push(`  ${termSafe(r.reason)}`);
  for (const m of differing)
    lines.push(
      m.reproduction === null
        ? `  ${termSafe(m.metric)}: not logged by the reproduction (original ${m.original})`
        : `  ${termSafe(m.metric)}: ${m.original} -> ${m.reproduction} (delta ${m.delta?.toExponential(3)}, relative ${m.relative?.toExponential(3) ?? 'n/a'}, tolerance ${toleranceText(m.tolerance)})`,
    );
  if (r.inputs.length) lines.push('', 'inputs:', ...r.inputs.map(inputLine).map(termSafe));
  if (r.untrackedCount)
    lines.push(
      '',
      `untracked when the original ran (not in its record, so not in the reproduction): ${r.untrackedCount} file(s)`,
      ...r.untracked.map((f) => `  ${termSafe(f)}`),
      ...(r.untrackedCount > r.untracked.length
        ? [`  ... and ${r.untrackedCount - r.untracked.length} more`]
        : []),
    );
  lines.push('', r.environment.length ? 'environment differences:' : 'environment: same (as recorded)');
  for (const d of r.environment)
    lines.push(`  ${termSafe(d.what)}: ${termSafe(d.a ?? '(none)')} -> ${termSafe(d.b ?? '(none)')}`);
  if (r.metrics.length)
    lines.push(
      '',
      table(
        ['METRIC', 'ORIGINAL', 'REPRODUCTION', 'DELTA', 'RELATIVE', 'TOLERANCE', ''],
        r.metrics.map(metricRow),
      ),
    );
  if (r.extraMetrics.length)
    lines.push(`only in the reproduction: ${r.extraMetrics.map(termSafe).join(', ')}`);
  if (r.laterMetrics.length)
    lines.push(
      `not compared, added to the original after its program ended (an evaluation): ${r.laterMetrics.map(termSafe).join(', ')}`,
    );
  if (r.policy.source) lines.push(`tolerances from ${r.policy.source}`);
  lines.push(
    '',
    `timings: prepare ${seconds(r.timings.prepareMs)} (worktree, diff, input hashes), run ${seconds(r.timings.runMs)}${r.timings.queueMs === undefined ? '' : ` (${seconds(r.timings.queueMs)} of it queued)`}, total ${seconds(r.timings.totalMs)}`,
  );
  return lines.join('\n');
}

const short = (c: string | null) => (c ? c.slice(0, 12) : '(no git)');

function filesText(files: FileChange[]): string[] {
  return files.map(
    (f) => `    ${termSafe(f.file)}  ${f.added === null ? 'binary' : `+${f.added} -${f.removed}`}`,
  );
}

function inputText(i: InputChange): string[] {
  const p = termSafe(i.path);
  if (i.status === 'added') return [`  ${p}: only in B (sha256 ${i.b?.sha256.slice(0, 12)})`];
  if (i.status === 'removed') return [`  ${p}: only in A (sha256 ${i.a?.sha256.slice(0, 12)})`];
  if (i.status === 'same') return [`  ${p}: same (sha256 ${i.a?.sha256.slice(0, 12)})`];
  const lines = [
    `  ${p}: CHANGED, sha256 ${i.a?.sha256.slice(0, 12)} -> ${i.b?.sha256.slice(0, 12)}, ${i.a?.size} -> ${i.b?.size} bytes`,
  ];
  const t = i.table;
  if (t) {
    lines.push(
      `    rows ${t.a.rows} -> ${t.b.rows} (${t.b.rows - t.a.rows >= 0 ? '+' : ''}${t.b.rows - t.a.rows})`,
    );
    const cols = [
      ...t.addedColumns.map((c) => `+${c}`),
      ...t.removedColumns.map((c) => `-${c}`),
      ...t.typeChanges.map((c) => `${c.column}: ${c.a} -> ${c.b}`),
    ];
    lines.push(`    columns ${cols.length ? termSafe(cols.join(', ')) : `same (${t.a.columns.length})`}`);
    if (t.drift)
      lines.push(
        `    drift: ${t.drift.datasetDrift ? 'DATASET DRIFT' : 'no dataset drift'}, ${t.drift.drifted.length} of ${t.drift.tested} columns drifted` +
          (t.drift.drifted.length
            ? ` (${termSafe(t.drift.drifted.slice(0, 8).join(', '))}${t.drift.drifted.length > 8 ? ', ...' : ''})`
            : '') +
          `, threshold share ${formatNumber(t.drift.driftShare)}`,
      );
  }
  if (i.note) lines.push(`    ${termSafe(i.note)}`);
  return lines;
}

/** The diff as people read it, one section per kind of change. */
export function diffText(d: RunDiff, patch: boolean): string {
  const out: string[] = [
    `A: ${d.a.id} (${termSafe(d.a.name)}), B: ${d.b.id} (${termSafe(d.b.name)})`,
    '',
    d.params.length ? 'params:' : 'params: same',
    ...d.params.map(
      (p) =>
        `  ${termSafe(p.key)}: ${p.a === undefined ? '(unset)' : termSafe(formatParam(p.a))} -> ${p.b === undefined ? '(unset)' : termSafe(formatParam(p.b))}`,
    ),
    '',
  ];
  const c = d.code;
  if (c.same)
    out.push(`code: same (commit ${short(c.a.commit)}${c.workingA.patch ? ', same uncommitted diff' : ''})`);
  else {
    out.push('code:');
    if (c.reason) out.push(`  commits ${short(c.a.commit)} -> ${short(c.b.commit)}: ${termSafe(c.reason)}`);
    else if (c.commits && c.a.commit === c.b.commit) out.push(`  same commit ${short(c.a.commit)}`);
    else if (c.commits)
      out.push(
        `  commits ${short(c.a.commit)} -> ${short(c.b.commit)}: ${c.commits.files.length} file(s) changed`,
        ...filesText(c.commits.files),
      );
    for (const [who, w] of [
      ['A', c.workingA],
      ['B', c.workingB],
    ] as const)
      out.push(
        w.patch ? `  uncommitted in ${who}: ${w.files.length} file(s)` : `  uncommitted in ${who}: none`,
        ...filesText(w.files),
      );
    if (patch) {
      if (c.commits?.patch)
        out.push(
          '',
          `--- git diff ${short(c.a.commit)} ${short(c.b.commit)}`,
          termSafe(c.commits.patch.trimEnd()),
        );
      if (c.workingA.patch) out.push('', '--- uncommitted in A', termSafe(c.workingA.patch.trimEnd()));
      if (c.workingB.patch) out.push('', '--- uncommitted in B', termSafe(c.workingB.patch.trimEnd()));
    }
  }
  out.push('', d.inputs.length ? 'inputs:' : 'inputs: none recorded', ...d.inputs.flatMap(inputText));
  out.push('', d.environment.length ? 'environment:' : 'environment: same (as recorded)');
  for (const e of d.environment)
    out.push(`  ${termSafe(e.what)}: ${termSafe(e.a ?? '(none)')} -> ${termSafe(e.b ?? '(none)')}`);
  out.push('');
  if (!d.metrics.length) out.push('metrics: none');
  else
    out.push(
      table(
        ['METRIC', 'A', 'B', 'DELTA', 'RELATIVE'],
        d.metrics.map((m) => [
          termSafe(m.key),
          m.a === null ? '' : formatNumber(m.a),
          m.b === null ? '' : formatNumber(m.b),
          m.delta === null ? '' : (m.delta > 0 ? '+' : '') + formatNumber(m.delta),
          m.relative === null ? '' : `${m.relative > 0 ? '+' : ''}${(m.relative * 100).toFixed(2)}%`,
        ]),
      ),
    );
  return out.join('\n');
}
