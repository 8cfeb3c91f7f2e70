import { switchedOff } from '../envSwitch';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MetricPoint } from '../store/types';
import { SYSTEM_METRIC_PREFIX as P } from '../store/types';

/** Default time between two samples of a run's CPU, memory and GPUs. */
export const SYSTEM_METRICS_INTERVAL_MS = 5_000;

/** Metric keys of the samples; the run's summary keeps each one's max (the peak). */
export const SYSTEM_KEYS = {
  cpu: `${P}cpu_percent`,
  rss: `${P}memory_rss_mb`,
  gpuUtilization: (i: number) => `${P}gpu${i}/utilization_percent`,
  gpuMemory: (i: number) => `${P}gpu${i}/memory_used_mb`,
} as const;

/** The query the GPU path runs: one line per GPU, "utilization %, memory used MiB". */
export const NVIDIA_SMI_ARGS = ['--query-gpu=utilization.gpu,memory.used', '--format=csv,noheader,nounits'];

export interface SystemSamplerOptions {
  intervalMs?: number;
  /** Environment to find nvidia-smi in (PATH); default this process's. */
  env?: NodeJS.ProcessEnv;
  /** Where the process table is (default /proc). */
  procDir?: string;
}

interface ProcStat {
  /** R, S, D, ... Z: a zombie (ended, not yet reaped by its parent: no memory, no more CPU). */
  state: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
  rssPages: number;
}

let sysconf: { clkTck: number; pageSize: number } | undefined;
function sysconfOf(): { clkTck: number; pageSize: number } {
  if (sysconf) return sysconf;
  const get = (name: string, fallback: number) => {
    const r = spawnSync('getconf', [name], { encoding: 'utf8' });
    const n = Number(r.stdout?.trim());
    return r.status === 0 && Number.isFinite(n) && n > 0 ? n : fallback;
  };
  sysconf = { clkTck: get('CLK_TCK', 100), pageSize: get('PAGESIZE', 4096) };
  return sysconf;
}

/** Fields of /proc/PID/stat after the command name (which may hold spaces and parentheses). */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15, rss 24.
  const ppid = Number(f[1]);
  const ticks = Number(f[11]) + Number(f[12]);
  const rssPages = Number(f[21]);
  return Number.isFinite(ppid) && Number.isFinite(ticks) && Number.isFinite(rssPages)
    ? { state: f[0], ppid, ticks, rssPages }
    : null;
}

/** The process `root` and all its descendants, from one read of the process table. */
export function processTree(root: number, procDir = '/proc'): Map<number, ProcStat> {
  const all = new Map<number, ProcStat>();
  let names: string[];
  try {
    names = fs.readdirSync(procDir);
  } catch {
    return all;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = parseProcStat(fs.readFileSync(path.join(procDir, name, 'stat'), 'utf8'));
      if (s) all.set(Number(name), s);
    } catch {
      /* the process ended while the table was read */
    }
  }
  const children = new Map<number, number[]>();
  for (const [pid, s] of all) {
    const siblings = children.get(s.ppid);
    if (siblings) siblings.push(pid);
    else children.set(s.ppid, [pid]);
  }
  const tree = new Map<number, ProcStat>();
  const stack = all.has(root) ? [root] : [];
  while (stack.length) {
    const pid = stack.pop()!;
    if (tree.has(pid)) continue;
    tree.set(pid, all.get(pid)!);
    stack.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** `nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits` output. */
export function parseNvidiaSmi(text: string): { index: number; utilization: number; memoryMb: number }[] {
  const gpus: { index: number; utilization: number; memoryMb: number }[] = [];
  text
    .split(/\r?\n/)
    .filter((line) => line.trim())
    .forEach((line, index) => {
      const [u, m] = line.split(',').map((c) => Number(c.trim()));
      // "[N/A]" (a GPU that does not report) becomes NaN: that GPU is left out of this sample.
      if (Number.isFinite(u) && Number.isFinite(m)) gpus.push({ index, utilization: u, memoryMb: m });
    });
  return gpus;
}

/**
 * Samples a running program from outside it, so the program pays nothing: CPU (percent of one core,
 * summed over the process tree) and resident memory of the tree from /proc, and, when nvidia-smi is
 * on PATH, each GPU's utilisation and memory. Each sample is one step of `system/...` metrics.
 */
export class SystemSampler {
  private timer: NodeJS.Timeout | undefined;
  private step = 0;
  private last: { time: number; ticks: Map<number, number> } | undefined;
  private gpu: 'unknown' | 'yes' | 'no' = 'unknown';
  private gpuBusy = false;
  private stopped = false;

  constructor(
    private readonly rootPid: number,
    private readonly push: (p: MetricPoint) => void,
    private readonly options: SystemSamplerOptions = {},
  ) {}

  start(): void {
    // The first reading only sets the CPU baseline: a percentage needs two readings.
    this.readTree();
    this.timer = setInterval(() => this.sample(), this.options.intervalMs ?? SYSTEM_METRICS_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private readTree(): Map<number, ProcStat> {
    const tree = processTree(this.rootPid, this.options.procDir);
    const ticks = new Map([...tree].map(([pid, s]) => [pid, s.ticks]));
    this.last = { time: Date.now(), ticks };
    return tree;
  }

  private sample(): void {
    const before = this.last;
    const tree = this.readTree();
    const time = this.last!.time;
    const step = this.step++;
    // A program that has ended but is not reaped yet is a zombie with no memory: a sample of it
    // would chart a drop to 0 MB at the end of every run.
    const live = [...tree.values()].some((p) => p.state !== 'Z' && p.state !== 'X');
    if (live && before) {
      const { clkTck, pageSize } = sysconfOf();
      // Ticks of processes seen both times, plus all ticks of processes started since.
      let ticks = 0;
      for (const [pid, s] of tree) ticks += s.ticks - (before.ticks.get(pid) ?? 0);
      const seconds = (time - before.time) / 1000;
      const rss = [...tree.values()].reduce((a, s) => a + s.rssPages, 0) * pageSize;
      if (seconds > 0)
        this.push({
          key: SYSTEM_KEYS.cpu,
          value: round((Math.max(0, ticks) / clkTck / seconds) * 100),
          step,
          time,
        });
      this.push({ key: SYSTEM_KEYS.rss, value: round(rss / 1048576), step, time });
    }
    this.sampleGpus(step, time);
  }

  private sampleGpus(step: number, time: number): void {
    if (this.gpu === 'no' || this.gpuBusy) return;
    this.gpuBusy = true;
    execFile(
      'nvidia-smi',
      NVIDIA_SMI_ARGS,
      { env: this.options.env ?? process.env, timeout: 10_000, encoding: 'utf8' },
      (err, stdout) => {
        this.gpuBusy = false;
        if (err) {
          // Not installed (or no driver): stop asking. A failure after it worked is one lost sample.
          if (this.gpu === 'unknown') this.gpu = 'no';
          return;
        }
        this.gpu = 'yes';
        if (this.stopped) return;
        for (const g of parseNvidiaSmi(stdout)) {
          this.push({ key: SYSTEM_KEYS.gpuUtilization(g.index), value: g.utilization, step, time });
          this.push({ key: SYSTEM_KEYS.gpuMemory(g.index), value: g.memoryMb, step, time });
        }
      },
    );
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

/** `systemMetrics` of a launch: off with false, or with RUNLENS_SYSTEM_METRICS=0 in the environment. */
export type SystemMetricsOption = boolean | { intervalMs: number };

/** Start sampling a launched program unless turned off; the caller stops it when the program ends. */
export function startSystemSampler(
  pid: number | undefined,
  option: SystemMetricsOption | undefined,
  env: NodeJS.ProcessEnv,
  push: (p: MetricPoint) => void,
): SystemSampler | undefined {
  if (pid === undefined || option === false || switchedOff(env.RUNLENS_SYSTEM_METRICS)) return undefined;
  const sampler = new SystemSampler(pid, push, {
    env,
    intervalMs: typeof option === 'object' ? option.intervalMs : undefined,
  });
  sampler.start();
  return sampler;
}
