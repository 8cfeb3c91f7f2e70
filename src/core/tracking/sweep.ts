import type { ParamValue } from '../store/types';

/** Every combination of the values given per parameter (a grid sweep), in the order given. */
export function grid(values: Record<string, ParamValue[]>): Record<string, ParamValue>[] {
  let out: Record<string, ParamValue>[] = [{}];
  for (const [k, vs] of Object.entries(values)) out = out.flatMap((p) => vs.map((v) => ({ ...p, [k]: v })));
  return out;
}
