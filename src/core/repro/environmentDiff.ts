import type { RunRecord } from '../store/types';

/** One difference in what two runs ran on. */
export interface EnvironmentDifference {
  /** "python", "node", "os", "arch", "tfjs backend", "package numpy". */
  what: string;
  a: string | null;
  b: string | null;
}

/** The TensorFlow.js backend a run used, as the Node client tags it. */
const TFJS_BACKEND_TAG = 'tfjs.backend';

/**
 * The differences that matter between the environments two runs recorded: the interpreter
 * versions, the OS and architecture, the TensorFlow.js backend and, when the Python client recorded
 * them, every installed distribution whose version differs, appeared or went away.
 */
export function environmentDifferences(a: RunRecord, b: RunRecord): EnvironmentDifference[] {
  const out: EnvironmentDifference[] = [];
  const add = (what: string, x: string | null | undefined, y: string | null | undefined) => {
    if ((x ?? null) !== (y ?? null)) out.push({ what, a: x ?? null, b: y ?? null });
  };
  const ea = a.environment ?? { os: '', arch: '' };
  const eb = b.environment ?? { os: '', arch: '' };
  add('python', ea.python, eb.python);
  add('node', ea.node, eb.node);
  add('os', ea.os, eb.os);
  add('arch', ea.arch, eb.arch);
  add('tfjs backend', a.tags?.[TFJS_BACKEND_TAG], b.tags?.[TFJS_BACKEND_TAG]);
  const pa = ea.pythonPackages;
  const pb = eb.pythonPackages;
  // Packages are compared only when both runs recorded them: one missing list says nothing.
  if (pa && pb) {
    const names = [...new Set([...Object.keys(pa), ...Object.keys(pb)])].sort();
    for (const n of names) add(`package ${n}`, pa[n], pb[n]);
  }
  return out;
}
