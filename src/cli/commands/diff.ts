import type { Command } from 'commander';
import { formatNumber, formatParam, table, termSafe, toJson } from '../../core/format';
import type { FileChange, InputChange, RunDiff } from '../../core/repro/diff';
import { diffRuns } from '../../core/repro/diff';
import type { Store } from '../../core/store/store';

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** `runlens diff RUN_A RUN_B`. */
export function registerDiffCommand(program: Command, openStore: (create?: boolean) => Store, io: Io): void {
  program
    .command('diff')
    .description(
      'what changed between two runs: params, code (between their commits and in their uncommitted diffs), input data, environment, metrics',
    )
    .argument('<runA>', 'the earlier run (id, unique prefix or name)')
    .argument('<runB>', 'the later run')
    .option(
      '--patch',
      'print the code diffs in full (git diff between the commits, and each uncommitted diff)',
    )
    .option('--json', 'print JSON (patches included)')
    .action(
      async (refA: string, refB: string, opts: { patch?: boolean; json?: boolean; pretty?: boolean }) => {
        const d = await diffRuns(openStore(), refA, refB);
        if (opts.json) {
          const { a, b, ...rest } = d;
          io.out(toJson(opts, { a: a.id, b: b.id, ...rest }));
          return;
        }
        io.out(diffText(d, opts.patch === true));
      },
    );
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
