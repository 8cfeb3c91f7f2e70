import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RunlensError, errorMessage, isErrno } from '../errors';
import { isSystemMetric } from '../store/types';

/** How far a reproduced metric may be from the original and still count as the same. */
export interface Tolerance {
  /** |a - b| <= relative * max(|a|, |b|). */
  relative: number;
  /** |a - b| <= absolute (either bound is enough). */
  absolute: number;
}

export const DEFAULT_RELATIVE_TOLERANCE = 1e-6;

/**
 * The reproduction policy of a workspace, from runlens.yaml (next to .runlens/):
 *
 *   reproduce:
 *     tolerance: 1e-6                # relative, for every metric
 *     metrics:
 *       val_loss: 1e-4               # relative, for this metric
 *       val_acc: { absolute: 0.01 }  # absolute (and/or relative:) for this metric
 */
export interface ReproducePolicy {
  tolerance: Tolerance;
  metrics: Record<string, Tolerance>;
  /** Where the policy came from (null: the defaults). */
  source: string | null;
}

export function defaultPolicy(): ReproducePolicy {
  return { tolerance: { relative: DEFAULT_RELATIVE_TOLERANCE, absolute: 0 }, metrics: {}, source: null };
}

export function loadReproducePolicy(workspace: string): ReproducePolicy {
  const file = path.join(workspace, 'runlens.yaml');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return defaultPolicy();
    throw new RunlensError(`cannot read ${file}: ${errorMessage(e)}`, undefined, 'io');
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new RunlensError(`${file}: not valid YAML: ${errorMessage(e).split('\n')[0]}`, undefined, 'usage');
  }
  const section = (doc as { reproduce?: unknown } | null)?.reproduce;
  if (section === undefined || section === null) return defaultPolicy();
  return parseReproducePolicy(section, `${file} (reproduce)`);
}

export function parseReproducePolicy(raw: unknown, where: string): ReproducePolicy {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new RunlensError(`${where}: expected a mapping with tolerance and metrics`, undefined, 'usage');
  const r = raw as { tolerance?: unknown; metrics?: unknown };
  const policy = defaultPolicy();
  policy.source = where;
  if (r.tolerance !== undefined) policy.tolerance = toleranceOf(r.tolerance, `${where}: tolerance`);
  if (r.metrics !== undefined) {
    if (typeof r.metrics !== 'object' || r.metrics === null || Array.isArray(r.metrics))
      throw new RunlensError(
        `${where}: metrics must be a mapping of metric name to tolerance`,
        undefined,
        'usage',
      );
    for (const [k, v] of Object.entries(r.metrics as Record<string, unknown>))
      policy.metrics[k] = toleranceOf(v, `${where}: metrics.${k}`);
  }
  return policy;
}

function toleranceOf(v: unknown, where: string): Tolerance {
  if (typeof v === 'number') return { relative: bound(v, where), absolute: 0 };
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => k !== 'relative' && k !== 'absolute');
    if (unknown.length)
      throw new RunlensError(
        `${where}: unknown key ${unknown.map((k) => `"${k}"`).join(', ')} (expected relative, absolute)`,
        undefined,
        'usage',
      );
    return {
      relative: o.relative === undefined ? 0 : bound(o.relative, `${where}.relative`),
      absolute: o.absolute === undefined ? 0 : bound(o.absolute, `${where}.absolute`),
    };
  }
  throw new RunlensError(
    `${where}: expected a number (relative) or { relative, absolute }, not ${JSON.stringify(v)}`,
    undefined,
    'usage',
  );
}

function bound(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  throw new RunlensError(`${where}: expected a number >= 0, not ${JSON.stringify(v)}`, undefined, 'usage');
}

/** `--tolerance T`: a relative tolerance >= 0. */
export function parseToleranceFlag(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new RunlensError(
      `--tolerance ${text}: expected a relative tolerance >= 0, e.g. 1e-6`,
      undefined,
      'usage',
    );
  return n;
}

/** One final metric of the original run against the reproduction. */
export interface MetricCheck {
  metric: string;
  original: number | null;
  reproduction: number | null;
  /** reproduction - original. */
  delta: number | null;
  /** |delta| / max(|original|, |reproduction|) (0 when both are 0). */
  relative: number | null;
  tolerance: Tolerance;
  within: boolean;
}

export function toleranceFor(policy: ReproducePolicy, metric: string): Tolerance {
  return policy.metrics[metric] ?? policy.tolerance;
}

/** Whether `b` is `a` within `t` (NaN matches NaN, an infinity only itself). */
export function withinTolerance(a: number, b: number, t: Tolerance): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  const d = Math.abs(a - b);
  return d <= t.absolute || d <= t.relative * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * Every final metric of the original compared with the reproduction. Metrics under `system/`
 * (CPU, memory, GPU of the machine) say how it ran, not what it computed, and are left out.
 */
export function compareFinalMetrics(
  original: Record<string, number>,
  reproduction: Record<string, number>,
  policy: ReproducePolicy,
): MetricCheck[] {
  const keys = Object.keys(original).filter((k) => !isSystemMetric(k));
  return keys.sort().map((metric) => {
    const a = original[metric];
    const b = Object.prototype.hasOwnProperty.call(reproduction, metric) ? reproduction[metric] : null;
    const tolerance = toleranceFor(policy, metric);
    if (b === null)
      return {
        metric,
        original: a,
        reproduction: null,
        delta: null,
        relative: null,
        tolerance,
        within: false,
      };
    const delta = b - a;
    const scale = Math.max(Math.abs(a), Math.abs(b));
    const relative = delta === 0 || Number.isNaN(delta) ? (delta === 0 ? 0 : null) : Math.abs(delta) / scale;
    return {
      metric,
      original: a,
      reproduction: b,
      delta,
      relative,
      tolerance,
      within: withinTolerance(a, b, tolerance),
    };
  });
}
