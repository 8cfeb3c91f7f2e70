import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RunlensError, errorMessage, isErrno } from '../errors';
import { formatMaybe } from '../format';
import type { Goal } from '../metrics/goals';
import { goalOf } from '../metrics/goals';
import { foldSummary, scanMetrics } from '../store/metrics';
import { Registry } from '../store/registry';
import type { Store } from '../store/store';
import type { MetricSummary, RunRecord } from '../store/types';

/**
 * The gate's policy lives in the workspace's runlens.yaml (next to .runlens/) under `gate:`:
 *
 *   gate:
 *     metrics:
 *       eval/roc_auc: { goal: max, minImprovement: 0.005 }   # absolute
 *       eval/f1_macro: { minImprovement: "1%" }               # relative to the baseline
 *       latency_ms: { goal: min, maxRegression: "10%" }       # guard rail: may get at most this much worse
 *     required: [eval/roc_auc]
 *
 * Without a policy every metric both runs have whose goal is known must not get worse.
 */
export interface MetricRule {
  goal?: Goal;
  /** The candidate must be better by at least this much (a number, or "N%" of the baseline). */
  minImprovement?: number | string;
  /** Guard rail: the candidate may be worse by at most this much. */
  maxRegression?: number | string;
}

export interface GatePolicy {
  metrics: Record<string, MetricRule>;
  required: string[];
  /** Where the policy came from (null: the default). */
  source: string | null;
}

export type Verdict = 'pass' | 'fail' | 'missing';

export interface MetricVerdict {
  metric: string;
  goal: Goal | null;
  candidate: number | null;
  baseline: number | null;
  delta: number | null;
  relative: number | null;
  rule: string;
  verdict: Verdict;
  required: boolean;
}

export interface GateResult {
  candidate: { run: string; name: string; experiment: string };
  baseline: { run: string; name: string; ref: string };
  policy: string | null;
  metrics: MetricVerdict[];
  /** incomplete: the candidate lacks values the verdict needs (evaluate it first); never a pass. */
  verdict: GateOutcome;
  /** Why the verdict is incomplete (or why nothing was compared). */
  reason?: string;
}

export type GateOutcome = 'pass' | 'fail' | 'incomplete';

/** `runlens compare` exit codes: 0 pass, 1 fail, 2 error, 3 incomplete (the candidate lacks values). */
export const GATE_EXIT: Record<GateOutcome | 'error', number> = { pass: 0, fail: 1, error: 2, incomplete: 3 };

export function loadPolicy(workspace: string): GatePolicy {
  const file = path.join(workspace, 'runlens.yaml');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return { metrics: {}, required: [], source: null };
    throw new RunlensError(`cannot read ${file}: ${errorMessage(e)}`, undefined, 'io');
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new RunlensError(`${file}: not valid YAML: ${errorMessage(e)}`);
  }
  const gate = (doc as { gate?: unknown } | null)?.gate;
  if (gate === undefined || gate === null) return { metrics: {}, required: [], source: null };
  return parsePolicy(gate, `${file} (gate)`);
}

export function parsePolicy(raw: unknown, where: string): GatePolicy {
  if (typeof raw !== 'object' || raw === null)
    throw new RunlensError(`${where}: expected a mapping with metrics and required`);
  const g = raw as { metrics?: unknown; required?: unknown };
  const metrics: Record<string, MetricRule> = {};
  if (g.metrics !== undefined) {
    if (typeof g.metrics !== 'object' || g.metrics === null)
      throw new RunlensError(`${where}: metrics must be a mapping of metric name to rule`);
    for (const [k, v] of Object.entries(g.metrics as Record<string, unknown>)) {
      const rule = (v ?? {}) as MetricRule;
      if (rule.goal !== undefined && rule.goal !== 'min' && rule.goal !== 'max') {
        throw new RunlensError(
          `${where}: metrics.${k}.goal must be min or max, not ${JSON.stringify(rule.goal)}`,
        );
      }
      for (const f of ['minImprovement', 'maxRegression'] as const) {
        if (rule[f] !== undefined) amount(rule[f], 1, `${where}: metrics.${k}.${f}`);
      }
      metrics[k] = rule;
    }
  }
  const required = g.required === undefined ? [] : g.required;
  if (!Array.isArray(required) || !required.every((r) => typeof r === 'string')) {
    throw new RunlensError(`${where}: required must be a list of metric names`);
  }
  return { metrics, required, source: where };
}

/** A rule amount: a number, or "N%" of the baseline's magnitude. */
function amount(v: number | string, baseline: number, where: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  const m = typeof v === 'string' ? /^\s*(-?\d+(?:\.\d+)?)\s*%\s*$/.exec(v) : null;
  if (m) return (Number(m[1]) / 100) * Math.abs(baseline);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new RunlensError(`${where}: expected a number or "N%", not ${JSON.stringify(v)}`);
}

/** Last value of every metric of a run (from its summary, else by reading metrics.jsonl). */
export function runMetrics(store: Store, ref: string | RunRecord): Record<string, number> {
  const run = typeof ref === 'string' ? store.getRun(ref) : ref;
  let summary: Record<string, MetricSummary> | null = run.summary;
  if (!summary) {
    const s: Record<string, MetricSummary> = {};
    scanMetrics(store.metricsFile(run.id), (p) => foldSummary(s, p));
    summary = s;
  }
  return Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, v.last]));
}

/** RUN, or MODEL@STAGE / MODEL@vN of the registry; default: the candidate experiment's baseline. */
export function resolveBaseline(
  store: Store,
  experiment: string,
  ref?: string,
): { run: string; ref: string; metrics?: Record<string, number> } {
  const registry = new Registry(store);
  if (ref === undefined) {
    const b = registry.getBaseline(experiment);
    if (!b) {
      throw new RunlensError(
        `experiment "${experiment}" has no baseline`,
        'pass --baseline RUN or MODEL@STAGE, or set one with `runlens baseline set`',
        'usage',
      );
    }
    const run = registry.baselineRun(experiment)!;
    return { run, ref: b.kind === 'run' ? `run ${b.run}` : `${b.model}@${b.stage}` };
  }
  const at = ref.lastIndexOf('@');
  if (at > 0) {
    const model = ref.slice(0, at);
    const stage = ref.slice(at + 1);
    const mv = registry.getVersion(model, stage);
    return { run: mv.sourceRun, ref, metrics: Object.keys(mv.metrics).length ? mv.metrics : undefined };
  }
  return { run: store.resolveRunId(ref), ref: `run ${ref}` };
}

/** The gate: the candidate run's metrics judged against its baseline's under the policy. */
export function judgeCandidate(
  store: Store,
  candidateRef: string,
  policy: GatePolicy,
  baselineRef?: string,
  goals: Record<string, Goal> = {},
): GateResult {
  const candidate = store.getRun(candidateRef);
  const base = resolveBaseline(store, candidate.experiment, baselineRef);
  const baseRun = store.getRun(base.run);
  const cand = runMetrics(store, candidate.id);
  const baseM = { ...runMetrics(store, baseRun.id), ...(base.metrics ?? {}) };
  return {
    candidate: { run: candidate.id, name: candidate.name, experiment: candidate.experiment },
    baseline: { run: baseRun.id, name: baseRun.name, ref: base.ref },
    policy: policy.source,
    ...judge(cand, baseM, policy, goals),
  };
}

/** The verdict of each metric and the overall one, from two runs' metric values. */
export function judge(
  cand: Record<string, number>,
  base: Record<string, number>,
  policy: GatePolicy,
  goals: Record<string, Goal> = {},
): Pick<GateResult, 'metrics' | 'verdict' | 'reason'> {
  const names = policy.source
    ? [...new Set([...Object.keys(policy.metrics), ...policy.required])]
    : Object.keys(cand).filter((k) => k in base && goalOf(k, goals) !== undefined);
  const out: MetricVerdict[] = [];
  for (const metric of names.sort()) {
    const rule = policy.metrics[metric] ?? {};
    const goal = rule.goal ?? goalOf(metric, goals) ?? null;
    const required = policy.required.includes(metric);
    const c = metric in cand && Number.isFinite(cand[metric]) ? cand[metric] : null;
    const b = metric in base && Number.isFinite(base[metric]) ? base[metric] : null;
    const v: MetricVerdict = {
      metric,
      goal,
      candidate: c,
      baseline: b,
      delta: null,
      relative: null,
      rule: '',
      verdict: 'missing',
      required,
    };
    if (c === null || b === null) {
      v.rule = `${c === null ? 'candidate' : 'baseline'} has no value`;
      // A value the candidate has not logged yet is not a failure: the verdict waits for it.
      v.verdict = required && c !== null ? 'fail' : 'missing';
      out.push(v);
      continue;
    }
    v.delta = c - b;
    v.relative = b !== 0 ? (c - b) / Math.abs(b) : null;
    if (goal === null) {
      v.rule = 'no goal: set goal: min or max';
      v.verdict = 'fail';
      out.push(v);
      continue;
    }
    const gain = goal === 'max' ? c - b : b - c;
    if (rule.maxRegression !== undefined) {
      const limit = amount(rule.maxRegression, b, metric);
      v.rule = `worse by at most ${rule.maxRegression}`;
      v.verdict = -gain <= limit + 1e-12 ? 'pass' : 'fail';
    } else {
      const need = rule.minImprovement !== undefined ? amount(rule.minImprovement, b, metric) : 0;
      v.rule = rule.minImprovement !== undefined ? `better by at least ${rule.minImprovement}` : 'not worse';
      v.verdict = gain >= need - 1e-12 ? 'pass' : 'fail';
    }
    out.push(v);
  }
  // Default policy: the baseline's evaluation metrics the candidate lacks are listed too, so a
  // candidate that was never evaluated is not judged on its training metrics alone.
  if (!policy.source) {
    for (const metric of Object.keys(base).sort()) {
      if (metric.startsWith('eval/') && !(metric in cand) && goalOf(metric, goals) !== undefined)
        out.push({
          metric,
          goal: goalOf(metric, goals) ?? null,
          candidate: null,
          baseline: Number.isFinite(base[metric]) ? base[metric] : null,
          delta: null,
          relative: null,
          rule: 'candidate has no value',
          verdict: 'missing',
          required: false,
        });
    }
  }
  const lacking = out.filter((m) => m.candidate === null && (m.baseline !== null || m.required));
  if (out.some((m) => m.verdict === 'fail')) return { metrics: out, verdict: 'fail' };
  if (lacking.length > 0)
    return {
      metrics: out,
      verdict: 'incomplete',
      reason: `evaluate the candidate first: it has no value for ${lacking.map((m) => m.metric).join(', ')}`,
    };
  if (!out.some((m) => m.verdict === 'pass'))
    return {
      metrics: out,
      verdict: 'incomplete',
      reason: 'nothing compared: the runs have no metric in common with a known goal',
    };
  return { metrics: out, verdict: 'pass' };
}

/** The verdict as one line: "pass", "fail", "incomplete: evaluate the candidate first…". */
export function verdictLine(r: Pick<GateResult, 'verdict' | 'reason'>): string {
  return r.verdict === 'incomplete' ? `incomplete: ${r.reason ?? 'evaluate the candidate first'}` : r.verdict;
}

export function gateMarkdown(r: GateResult): string {
  const icon = { pass: '✅ pass', fail: '❌ fail', missing: '⚠️ missing' };
  const head = { pass: '✅ pass', fail: '❌ fail', incomplete: '⏳ incomplete' }[r.verdict];
  const lines = [
    `### Runlens gate: ${head}`,
    '',
    ...(r.reason ? [`**${r.verdict === 'incomplete' ? 'Incomplete' : 'Note'}:** ${r.reason}.`, ''] : []),
    `Candidate **${r.candidate.name}** (\`${r.candidate.run}\`) vs baseline **${r.baseline.name}** (${r.baseline.ref}).`,
    '',
    '| metric | goal | baseline | candidate | delta | rule | verdict |',
    '|---|---|---:|---:|---:|---|---|',
  ];
  for (const m of r.metrics) {
    const rel =
      m.relative === null ? '' : ` (${m.relative >= 0 ? '+' : ''}${(m.relative * 100).toFixed(2)}%)`;
    lines.push(
      `| ${m.metric}${m.required ? ' *' : ''} | ${m.goal ?? '—'} | ${formatMaybe(m.baseline)} | ${formatMaybe(m.candidate)} | ${m.delta === null ? '—' : formatMaybe(m.delta) + rel} | ${m.rule} | ${icon[m.verdict]} |`,
    );
  }
  if (r.metrics.some((m) => m.required)) lines.push('', '\\* required');
  // relative to the working directory: a PR comment should not show the CI runner's folders
  const policy = r.policy?.split(process.cwd() + path.sep).join('');
  lines.push('', `Policy: ${policy ?? 'default (no metric may get worse)'}`);
  return lines.join('\n');
}
