// The stage graph of a pipeline: which stage writes a dep, upstream stages, order and cycles. Pure:
// the filesystem checks of the parser live in check.ts.
import * as path from 'node:path';
import type { PipelineDef, SourcePos, StageDef } from './types';

/** Normalised relative path for matching deps against outs. */
export function normPath(p: string): string {
  return path.posix.normalize(p.split(path.sep).join('/')).replace(/\/+$/, '');
}

/** The stage that writes `dep` (the dep is the out, or inside an out folder). */
export function producerOf(pipeline: PipelineDef, dep: string): StageDef | undefined {
  const d = normPath(dep);
  return pipeline.stages.find((s) =>
    s.outs.some((o) => d === normPath(o) || d.startsWith(normPath(o) + '/')),
  );
}

/** Direct upstream stages: explicit `after` and the writers of the deps. */
export function upstreamOf(pipeline: PipelineDef, stage: StageDef): string[] {
  const up = new Set(stage.after);
  for (const dep of stage.deps) {
    const p = producerOf(pipeline, dep);
    if (p && p.name !== stage.name) up.add(p.name);
  }
  for (const ref of stageRefs(stage)) up.add(ref);
  return [...up].filter((n) => pipeline.stages.some((s) => s.name === n));
}

/** Stages an action names in its arguments (`run: train`), which it therefore needs first. */
export function stageRefs(stage: StageDef): string[] {
  return ['run', 'candidate', 'gate', 'package']
    .map((k) => stage.with[k])
    .filter((v): v is string => typeof v === 'string');
}

/**
 * The graph's issues: unknown stages in `after` or `with`, a dep that is also an out, an input that
 * neither exists (`inputExists`, the filesystem check in check.ts) nor is written by a stage, a cycle.
 */
export function checkGraph(
  p: PipelineDef,
  err: (pos: SourcePos, m: string) => void,
  inputExists: (dep: string) => boolean,
): void {
  const names = new Set(p.stages.map((s) => s.name));
  for (const s of p.stages) {
    s.after.forEach((a, i) => {
      if (!names.has(a))
        err(s.fieldPos[`after.${i}`] ?? s.pos, `stage "${s.name}": unknown stage "${a}" in after`);
    });
    for (const ref of stageRefs(s)) {
      if (!names.has(ref))
        err(s.fieldPos.with ?? s.pos, `stage "${s.name}": with names unknown stage "${ref}"`);
    }
    s.deps.forEach((d, i) => {
      const produced = producerOf(p, d);
      if (produced?.name === s.name) {
        err(
          s.fieldPos[`deps.${i}`] ?? s.pos,
          `stage "${s.name}": "${d}" is both a dep and an out of the stage`,
        );
      } else if (!produced && !inputExists(d)) {
        err(
          s.fieldPos[`deps.${i}`] ?? s.pos,
          `stage "${s.name}": unknown input "${d}": no such file or folder, and no stage lists it in outs`,
        );
      }
    });
  }
  const order = topoOrder(p);
  if (order.cycle) {
    const first = p.stages.find((s) => s.name === order.cycle![0])!;
    err(first.pos, `cycle between stages: ${order.cycle.join(' -> ')}`);
  }
}

/** Stages in dependency order, or the cycle that prevents one. */
export function topoOrder(p: PipelineDef): { order: string[]; cycle?: string[] } {
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const byName = new Map(p.stages.map((s) => [s.name, s]));
  let cycle: string[] | undefined;
  const visit = (name: string, trail: string[]): void => {
    if (cycle) return;
    const st = state.get(name);
    if (st === 'done') return;
    if (st === 'visiting') {
      cycle = [...trail.slice(trail.indexOf(name)), name];
      return;
    }
    state.set(name, 'visiting');
    for (const up of upstreamOf(p, byName.get(name)!)) visit(up, [...trail, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const s of p.stages) visit(s.name, []);
  return { order, cycle };
}
