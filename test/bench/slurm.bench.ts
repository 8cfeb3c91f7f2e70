import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { SlurmLauncher } from '../../src/core/slurm/launcher';
import { Slurm } from '../../src/core/slurm/slurm';
import { JobWatcher } from '../../src/core/slurm/watcher';
import { Store } from '../../src/core/store/store';
import { benchDir, record } from './common';

/** Milliseconds of an async call. */
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const t0 = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, result };
}

function bare(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * On a real Slurm cluster (skipped without one): submitting a 100-task sweep as one array, and one
 * watcher poll over 1,000 queued cluster runs. The jobs are held (--hold) and cancelled after, so
 * nothing runs; the baselines are the bare sbatch and squeue calls timed here.
 */
export async function slurmBench(): Promise<void> {
  if (spawnSync('sinfo', ['-h'], { encoding: 'utf8' }).status !== 0) {
    console.log('skipped: no Slurm cluster (scripts/services/slurm-up.sh starts one)');
    return;
  }
  const dir = benchDir('slurm');
  const store = Store.open(path.join(dir, '.runlens'), { create: true });
  const slurm = new Slurm();
  const launcher = new SlurmLauncher({ slurm, resources: { time: '5', extra: ['--hold'] } });
  const sweep = (n: number) =>
    launcher.startSweep(store, {
      command: 'python3',
      args: ['train.py'],
      cwd: dir,
      paramSets: Array.from({ length: n }, (_, i) => ({ lr: i / n })),
      concurrency: 4,
    });
  const cancel: string[] = [];
  try {
    const baseSubmit = bare([
      'sbatch',
      '--parsable',
      '--hold',
      '--array=0-99%4',
      '-o',
      '/dev/null',
      '--wrap',
      'true',
    ]);
    const s100 = await timed(() => sweep(100));
    cancel.push(s100.result.jobId);
    record({
      name: 'submit a 100-task sweep (100 runs + one sbatch --array)',
      value: s100.ms,
      unit: 'ms',
      baselineName: 'bare sbatch of the same array',
      baseline: baseSubmit,
      target: '< 2000 ms',
      pass: s100.ms < 2000,
    });

    const s1000 = await sweep(1000);
    cancel.push(s1000.jobId);
    const watcher = JobWatcher.forStore(store, { slurm });
    for (const l of [...s100.result.runs, ...s1000.runs]) watcher.add(l.run.id, l.run.job!.id);
    const baseQueue = bare([
      'squeue',
      '-h',
      '-r',
      '-u',
      process.env.USER ?? 'root',
      '-o',
      '%i|%T|%r|%N|%S|%l',
    ]);
    const first = await timed(() => watcher.poll());
    const before = slurm.calls.squeue ?? 0;
    const steady = await timed(() => watcher.poll());
    const calls = (slurm.calls.squeue ?? 0) - before;
    const other = (slurm.calls.scontrol ?? 0) + (slurm.calls.sacct ?? 0);
    console.log(
      `  first poll (writes the pending reason of ${first.result.changed.length} runs): ${first.ms.toFixed(1)} ms`,
    );
    record({
      name: `one watcher poll over ${watcher.size} queued cluster runs (${calls} squeue call, ${other} scontrol/sacct)`,
      value: steady.ms,
      unit: 'ms',
      baselineName: 'bare squeue call',
      baseline: baseQueue,
      target: '< 200 ms and 1 squeue call',
      pass: steady.ms < 200 && calls === 1 && other === 0,
    });
    watcher.dispose();
  } finally {
    if (cancel.length) spawnSync('scancel', cancel);
  }
}
