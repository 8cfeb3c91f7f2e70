import { randomBytes } from 'node:crypto';

// Crockford base32, lower case: sorts the same as the numbers it encodes.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const TIME_CHARS = 10;
const RANDOM_CHARS = 8;

let lastTime = -1;
let lastRandom: number[] = [];

/**
 * Run ids: 10 characters of millisecond time then 8 random ones (40 bits), e.g. `01jdx3k9m2a7f3k2q9`.
 * Ids sort by creation time; within one process and millisecond the random part is incremented so
 * they still sort, and two processes in the same millisecond collide with probability 2^-40.
 */
export function newRunId(now = Date.now()): string {
  let random: number[];
  if (now === lastTime) {
    random = increment(lastRandom);
  } else {
    const bytes = randomBytes(RANDOM_CHARS);
    random = Array.from(bytes, (b) => b & 31);
  }
  lastTime = now;
  lastRandom = random;
  return encodeTime(now) + random.map((d) => ALPHABET[d]).join('');
}

function encodeTime(ms: number): string {
  let out = '';
  let t = ms;
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function increment(digits: number[]): number[] {
  const next = digits.slice();
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i] < 31) {
      next[i]++;
      return next;
    }
    next[i] = 0;
  }
  return next;
}

export function timeOfRunId(id: string): number | null {
  if (id.length < TIME_CHARS) return null;
  let t = 0;
  for (const c of id.slice(0, TIME_CHARS)) {
    const d = ALPHABET.indexOf(c);
    if (d < 0) return null;
    t = t * 32 + d;
  }
  return t;
}

export const RUN_ID_PATTERN = /^[0-9a-hjkmnp-tv-z]{18}$/;

/** Is `id` a well-formed run id (and so safe as a folder name under runs/)? */
export function isRunId(id: unknown): id is string {
  return typeof id === 'string' && RUN_ID_PATTERN.test(id);
}
