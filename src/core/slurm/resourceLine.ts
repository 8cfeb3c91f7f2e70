// A job's resources as one editable line, `partition=gpu time=2:00:00 cpus=4 gpus=1 sbatch=--constraint=a100`:
// the form the editor shows before a launch on Slurm. The keys are the `runlens run --on slurm` flags.
import { RunlensError } from '../errors';
import type { JobResources } from '../store/types';
import { sbatchOptions } from './script';
import { parseDuration } from './slurm';

/** Line keys in the order they are written, with the JobResources field each one sets. */
const KEYS: readonly (readonly [string, keyof JobResources])[] = [
  ['partition', 'partition'],
  ['time', 'time'],
  ['cpus', 'cpus'],
  ['mem', 'mem'],
  ['gpus', 'gpus'],
  ['gpu-type', 'gpuType'],
  ['account', 'account'],
  ['qos', 'qos'],
  ['sbatch', 'extra'],
];

/** What each key means, for the input's prompt. */
export const RESOURCE_KEYS_HELP =
  'partition= time= (minutes, H:MM:SS or D-HH:MM) cpus= mem= (e.g. 16G) gpus= gpu-type= account= qos= sbatch= (a further #SBATCH option, repeatable); quote a value with spaces';

function quote(v: string): string {
  return /^[^\s"]+$/.test(v) ? v : `"${v.replace(/["\\]/g, '\\$&')}"`;
}

/** The line for a set of resources (keys without a value are left out). */
export function formatResources(r: JobResources): string {
  const parts: string[] = [];
  for (const [key, field] of KEYS) {
    const v = r[field];
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const x of v) parts.push(`${key}=${quote(x)}`);
    else parts.push(`${key}=${quote(String(v))}`);
  }
  return parts.join(' ');
}

/** Words of the line: split on spaces, a "double-quoted part" keeps its spaces (\" and \\ inside). */
function words(text: string): string[] {
  const out: string[] = [];
  let cur: string | undefined;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) cur += text[++i];
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (/\s/.test(c)) {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else if (c === '"') {
      quoted = true;
      cur ??= '';
    } else cur = (cur ?? '') + c;
  }
  if (quoted) throw new RunlensError(`a quote is not closed in "${text}"`, undefined, 'usage');
  if (cur !== undefined) out.push(cur);
  return out;
}

function positive(key: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1)
    throw new RunlensError(`${key}=${v}: ${key} takes a whole number of at least 1`, undefined, 'usage');
  return n;
}

/** Parse a resource line; a clear error names the word that is wrong. */
export function parseResources(text: string): JobResources {
  const r: JobResources = {};
  for (const word of words(text)) {
    const eq = word.indexOf('=');
    const key = eq > 0 ? word.slice(0, eq) : word;
    const value = eq > 0 ? word.slice(eq + 1) : '';
    const field = KEYS.find(([k]) => k === key)?.[1];
    if (!field)
      throw new RunlensError(
        `"${word}" is not a resource: use ${KEYS.map(([k]) => `${k}=`).join(' ')}`,
        undefined,
        'usage',
      );
    if (eq < 0 || value === '')
      throw new RunlensError(`${key} has no value (write ${key}=...)`, undefined, 'usage');
    if (field === 'extra') {
      (r.extra ??= []).push(value);
      continue;
    }
    if (r[field] !== undefined) throw new RunlensError(`${key} is given twice`, undefined, 'usage');
    if (field === 'cpus' || field === 'gpus') r[field] = positive(key, value);
    else if (field === 'time') {
      if (parseDuration(value) === null)
        throw new RunlensError(
          `time=${value} is not a Slurm time limit: minutes, MM:SS, H:MM:SS or D-HH[:MM[:SS]]`,
          undefined,
          'usage',
        );
      r.time = value;
    } else r[field] = value;
  }
  sbatchOptions(r); // the batch script's own checks (names, sizes, #SBATCH lines), before anything is created
  return r;
}
