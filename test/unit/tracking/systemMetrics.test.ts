// System metrics of launched runs: real child processes that allocate memory on purpose (the tree's
// RSS from /proc must show it), and the GPU path through a fake nvidia-smi on PATH that prints
// output in nvidia-smi's format (test/fixtures/nvidia-smi/).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { readSeries } from '../../../src/core/store/metrics';
import { Store } from '../../../src/core/store/store';
import { launchRun } from '../../../src/core/tracking/launcher';
import type { LaunchOptions } from '../../../src/core/tracking/launcher';
import { spawn } from 'node:child_process';
import type { MetricPoint } from '../../../src/core/store/types';
import {
  NVIDIA_SMI_ARGS,
  SystemSampler,
  parseNvidiaSmi,
  parseProcStat,
  processTree,
} from '../../../src/core/tracking/systemMetrics';
import { repoRoot, tempDir, waitFor } from '../../helpers/tmp';

/** Holds `mb` MiB (every page written, so it is resident) for `ms`, spinning the CPU meanwhile. */
const holdScript = (mb: number, ms: number) =>
  `const b = Buffer.alloc(${mb} * 1048576, 1); const end = Date.now() + ${ms}; let x = 0; while (Date.now() < end) x += b[x % b.length]; console.log(x > 0);`;

/** This PATH without the folders holding an nvidia-smi (a machine with GPUs has one). */
const pathWithoutNvidiaSmi = () =>
  (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((d) => !fs.existsSync(path.join(d, 'nvidia-smi')))
    .join(path.delimiter);

async function launch(ws: string, args: string[], extra: Partial<LaunchOptions> = {}) {
  const store = Store.open(path.join(ws, '.runlens'), { create: true });
  const launched = await launchRun(store, {
    command: process.execPath,
    args,
    cwd: ws,
    onOutput: () => undefined,
    systemMetrics: { intervalMs: 250 },
    ...extra,
  });
  const r = await launched.done;
  assert.equal(r.status, 'finished');
  return { store, run: r.run };
}

test('a run and its child allocating memory: the tree RSS shows both, CPU is sampled, the summary keeps the peak', async () => {
  const ws = tempDir();
  // The parent holds 120 MiB and starts a child that holds 200 MiB: the tree's peak is above 320 MiB.
  fs.writeFileSync(path.join(ws, 'child.js'), holdScript(200, 2500));
  fs.writeFileSync(
    path.join(ws, 'train.js'),
    `const { spawnSync } = require('node:child_process');
const b = Buffer.alloc(120 * 1048576, 1);
spawnSync(process.execPath, ['child.js'], { stdio: 'ignore' });
console.log(b[7]);
`,
  );
  const { store, run } = await launch(ws, ['train.js'], { env: { PATH: pathWithoutNvidiaSmi() } });
  const rss = run.summary?.['system/memory_rss_mb'];
  const cpu = run.summary?.['system/cpu_percent'];
  assert.ok(rss && cpu, JSON.stringify(run.summary));
  assert.ok(rss.count >= 3, `samples: ${rss.count}`);
  assert.ok(rss.max >= 320 && rss.max < 2048, `peak RSS ${rss.max} MiB`);
  // The child spins one core while it holds its memory; more than all cores is not possible.
  assert.ok(cpu.max > 10 && cpu.max <= 100 * os.cpus().length * 1.2, `peak CPU ${cpu.max}%`);
  const { steps } = readSeries(store.metricsFile(run.id), 'system/memory_rss_mb').series;
  assert.deepEqual(
    steps,
    steps.map((_, i) => steps[0] + i),
    'one step per sample',
  );
  // No GPU tool on this PATH: no GPU metrics.
  assert.equal(
    Object.keys(run.summary ?? {}).some((k) => k.includes('gpu')),
    false,
  );
});

test('GPU utilisation and memory come from nvidia-smi when it is on PATH', async () => {
  const ws = tempDir();
  const bin = path.join(ws, 'bin');
  fs.mkdirSync(bin);
  const fixture = path.join(repoRoot, 'test', 'fixtures', 'nvidia-smi', 'query-gpu.csv');
  // Like the real tool, it refuses a query it does not know.
  fs.writeFileSync(
    path.join(bin, 'nvidia-smi'),
    `#!/bin/sh\nif [ "$*" != "${NVIDIA_SMI_ARGS.join(' ')}" ]; then echo "unexpected: $*" >&2; exit 2; fi\ncat '${fixture}'\n`,
    { mode: 0o755 },
  );
  fs.writeFileSync(path.join(ws, 'train.js'), holdScript(10, 1500));
  const { run } = await launch(ws, ['train.js'], {
    env: { PATH: `${bin}${path.delimiter}${process.env.PATH}` },
  });
  const s = run.summary ?? {};
  assert.equal(s['system/gpu0/utilization_percent']?.max, 87);
  assert.equal(s['system/gpu0/memory_used_mb']?.max, 10240);
  assert.equal(s['system/gpu2/utilization_percent']?.max, 3);
  assert.equal(s['system/gpu2/memory_used_mb']?.last, 0);
  assert.equal(s['system/gpu1/utilization_percent'], undefined, 'a GPU reporting [N/A] is left out');
  assert.ok((s['system/gpu0/utilization_percent']?.count ?? 0) >= 2);
});

test('system metrics off: with systemMetrics false, and with RUNLENS_SYSTEM_METRICS=0', async () => {
  for (const extra of [{ systemMetrics: false as const }, { env: { RUNLENS_SYSTEM_METRICS: '0' } }]) {
    const ws = tempDir();
    fs.writeFileSync(path.join(ws, 'train.js'), holdScript(10, 1000));
    const { run } = await launch(ws, ['train.js'], extra);
    assert.deepEqual(
      Object.keys(run.summary ?? {}).filter((k) => k.startsWith('system/')),
      [],
      JSON.stringify(extra),
    );
  }
});

test('parseProcStat reads past a command name with spaces and parentheses; parseNvidiaSmi keeps GPU indexes', () => {
  const stat =
    '4242 (my (odd) name) S 17 4242 17 0 -1 4194304 98 0 0 0 150 30 0 0 20 0 1 0 1361620 3133440 2560 18446744073709551615';
  assert.deepEqual(parseProcStat(stat), { state: 'S', ppid: 17, ticks: 180, rssPages: 2560 });
  assert.equal(parseProcStat('garbage'), null);
  assert.deepEqual(parseNvidiaSmi('87, 10240\n[N/A], [N/A]\n3, 0\n'), [
    { index: 0, utilization: 87, memoryMb: 10240 },
    { index: 2, utilization: 3, memoryMb: 0 },
  ]);
});

test('a program that ended and is not reaped yet (a zombie) gives no sample: no drop to 0 MB at the end', async () => {
  // The shell starts a short child, then becomes a sleep that never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0.05 & exec sleep 5'], { stdio: 'ignore' });
  try {
    const zombie = await waitFor('the child to be a zombie', () =>
      [...processTree(parent.pid!)].find(([pid, s]) => pid !== parent.pid && s.state === 'Z'),
    );
    const sample = async (pid: number) => {
      const points: MetricPoint[] = [];
      const sampler = new SystemSampler(pid, (p) => points.push(p), { intervalMs: 20 });
      sampler.start();
      await waitFor('five samples', () => sampler['step'] >= 5, 5_000);
      sampler.stop();
      return points;
    };
    assert.deepEqual(await sample(zombie[0]), []);
    // The live parent (with the zombie in its tree) is sampled, its memory above 0.
    const rss = (await sample(parent.pid!)).filter((p) => p.key === 'system/memory_rss_mb');
    assert.ok(rss.length >= 4 && rss.every((p) => p.value > 0), JSON.stringify(rss));
  } finally {
    parent.kill();
  }
});
