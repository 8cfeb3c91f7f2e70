import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  baselineName: string;
  baseline: number;
  /** The target, as text ("ratio >= 0.5", "< 300 ms"). */
  target: string;
  pass: boolean;
}

export const figures: Figure[] = [];

export function record(f: Figure): void {
  figures.push(f);
  const ratio = f.baseline > 0 ? f.value / f.baseline : NaN;
  console.log(
    `${f.pass ? 'PASS' : 'MISS'}  ${f.name}: ${fmt(f.value)} ${f.unit}  |  baseline ${f.baselineName}: ${fmt(f.baseline)} ${f.unit}  |  ratio ${ratio.toFixed(2)}  |  target ${f.target}`,
  );
}

export function fmt(v: number): string {
  if (v >= 1000) return Math.round(v).toLocaleString('en-US');
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(3);
}

export function time<T>(fn: () => T): { ms: number; result: T } {
  const t0 = process.hrtime.bigint();
  const result = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, result };
}

/** Best of n runs (the least disturbed by other work on the machine). */
export function best(n: number, fn: () => void): number {
  let min = Infinity;
  for (let i = 0; i < n; i++) min = Math.min(min, time(fn).ms);
  return min;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function benchDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `runlens-bench-${name}-`));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
