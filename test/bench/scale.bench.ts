import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { newRunId } from '../../src/core/store/ids';
import { METRICS_HEADER, foldSummary, formatPoint } from '../../src/core/store/metrics';
import { RUN_SCHEMA_VERSION } from '../../src/core/store/runFile';
import type { MetricSummary, RunRecord } from '../../src/core/store/types';
import { benchDir, fmt, record } from './common';

const repoRoot = path.resolve(__dirname, '..', '..');
const cli = path.join(repoRoot, 'dist', 'cli.js');
const KEYS = ['loss', 'val_loss', 'acc', 'val_acc', 'lr'];

/**
 * A store of `runs` finished runs (5 params, 5 metrics x 100 points), written file by file the way
 * a finished run leaves them: run.json with its summary, metrics.jsonl, no index yet.
 */
export function makeScaleStore(dir: string, runs: number): string {
  const storeDir = path.join(dir, '.runlens');
  fs.mkdirSync(path.join(storeDir, 'runs'), { recursive: true });
  fs.writeFileSync(
    path.join(storeDir, 'store.json'),
    JSON.stringify({ schema: 'runlens.store', schemaVersion: 1, createdAt: Date.now() }),
  );
  const t0 = Date.now() - runs * 1000;
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  for (let i = 0; i < runs; i++) {
    const id = newRunId(t0 + i * 1000);
    const runDir = path.join(storeDir, 'runs', id);
    fs.mkdirSync(runDir);
    const lines = [METRICS_HEADER];
    const summary: Record<string, MetricSummary> = {};
    for (let step = 0; step < 100; step++) {
      for (const key of KEYS) {
        const p = { key, value: random(), step, time: t0 + i * 1000 + step };
        lines.push(formatPoint(p));
        foldSummary(summary, p);
      }
    }
    fs.writeFileSync(path.join(runDir, 'metrics.jsonl'), lines.join('\n') + '\n');
    const run: RunRecord = {
      schemaVersion: RUN_SCHEMA_VERSION,
      id,
      experiment: `exp${i % 10}`,
      name: `run-${i}`,
      status: 'finished',
      command: ['python', 'train.py'],
      cwd: dir,
      script: 'train.py',
      params: {
        lr: 0.001 * (i % 7),
        batch: 32,
        layers: i % 4,
        dropout: 0.1,
        optimizer: i % 3 ? 'adam' : 'sgd',
      },
      tags: {},
      starred: false,
      startTime: t0 + i * 1000,
      endTime: t0 + i * 1000 + 500,
      exitCode: 0,
      pid: 1,
      host: 'bench',
      git: null,
      environment: { os: 'linux', arch: 'x64' },
      inputs: [],
      summary,
      note: null,
      updatedAt: t0 + i * 1000,
    };
    fs.writeFileSync(path.join(runDir, 'run.json'), JSON.stringify(run, null, 2));
  }
  return storeDir;
}

interface Measured {
  ms: number;
  /** Peak resident memory of the process, MB. */
  rssMb: number;
  /** CPU time (user + system) of the process: less disturbed than wall time on a busy machine. */
  cpuMs: number;
  /** Bytes the process printed. */
  outBytes: number;
}

let preload: string | undefined;

/** A whole `node` process: wall time and peak RSS (reported by the process itself at exit). */
export function measureProcess(args: string[], cwd: string): Measured {
  if (preload === undefined) {
    preload = path.join(benchDir('rss'), 'rss.cjs');
    fs.writeFileSync(
      preload,
      `process.on('exit', () => { const u = process.resourceUsage(); require('fs').writeFileSync(process.env.RUNLENS_BENCH_RSS, JSON.stringify([u.maxRSS / 1024, (u.userCPUTime + u.systemCPUTime) / 1000])); });`,
    );
  }
  const rssFile = path.join(path.dirname(preload), `rss-${process.pid}`);
  const outFile = path.join(path.dirname(preload), 'stdout');
  const out = fs.openSync(outFile, 'w');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-r', preload, ...args], {
    cwd,
    stdio: ['ignore', out, 'pipe'],
    env: { ...process.env, RUNLENS_BENCH_RSS: rssFile },
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  fs.closeSync(out);
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  const [rssMb, cpuMs] = JSON.parse(fs.readFileSync(rssFile, 'utf8')) as number[];
  return { ms, rssMb, cpuMs, outBytes: fs.statSync(outFile).size };
}

function bestOf(n: number, args: string[], cwd: string): Measured {
  let best: Measured = { ms: Infinity, rssMb: 0, cpuMs: 0, outBytes: 0 };
  for (let i = 0; i < n; i++) {
    const m = measureProcess(args, cwd);
    if (m.ms < best.ms) best = m;
  }
  return best;
}

interface Row {
  runs: number;
  rebuild: Measured;
  ls: Measured;
  filter: Measured;
  floor: Measured;
}

/**
 * 1k, 10k (and with RUNLENS_BENCH_100K=1 or `npm run bench -- scale100k`, 100k) runs: the whole
 * `runlens` process for an index rebuild, `ls` of all runs sorted by a metric, and a filter, next
 * to the floor of any index-based listing (a node process that reads and parses index.json).
 */
export async function scaleBench(): Promise<void> {
  const sizes = [1_000, 10_000];
  if (process.env.RUNLENS_BENCH_100K === '1' || process.argv.includes('scale100k')) sizes.push(100_000);
  const rows: Row[] = [];
  for (const runs of sizes) {
    const dir = benchDir(`scale-${runs}`);
    const t0 = Date.now();
    const storeDir = makeScaleStore(dir, runs);
    console.log(`      (made ${runs} runs in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    const rebuild = measureProcess([cli, 'ls', '--reindex', '--limit', '1'], dir);
    const n = runs < 100_000 ? 3 : 2;
    const ls = bestOf(n, [cli, 'ls', '--sort', '-metrics.val_acc'], dir);
    const filter = bestOf(
      n,
      [cli, 'ls', '--where', "metrics.val_acc > 0.9 and params.optimizer = 'sgd'", '--sort', 'metrics.loss'],
      dir,
    );
    const index = path.join(storeDir, 'index.json');
    const floor = bestOf(
      n,
      ['-e', `JSON.parse(require('fs').readFileSync(${JSON.stringify(index)}, 'utf8'))`],
      dir,
    );
    rows.push({ runs, rebuild, ls, filter, floor });
    const big = runs === 100_000;
    record({
      name: `${runs} runs: runlens ls, all runs sorted by a metric (whole process)`,
      value: ls.ms,
      unit: 'ms',
      baselineName: 'node reading + parsing index.json',
      baseline: floor.ms,
      target: big ? '< 1,000 ms' : 'informational',
      pass: !big || ls.ms < 1000,
    });
    record({
      name: `${runs} runs: runlens ls --where (metric and param) (whole process)`,
      value: filter.ms,
      unit: 'ms',
      baselineName: 'node reading + parsing index.json',
      baseline: floor.ms,
      target: big ? '< 1,000 ms' : 'informational',
      pass: !big || filter.ms < 1000,
    });
    record({
      name: `${runs} runs: index rebuild (runlens ls --reindex, whole process)`,
      value: rebuild.ms,
      unit: 'ms',
      baselineName: 'node reading + parsing index.json',
      baseline: floor.ms,
      target: big ? '< 30,000 ms' : 'informational',
      pass: !big || rebuild.ms < 30_000,
    });
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log('\n      growth (whole process: wall ms / CPU ms / peak MB)');
  console.log(
    '      runs      ls                      filter                  rebuild                   parse index.json',
  );
  const cell = (m: Measured) => `${fmt(m.ms)} / ${fmt(m.cpuMs)} / ${Math.round(m.rssMb)}`.padEnd(24);
  for (const r of rows)
    console.log(
      `      ${String(r.runs).padEnd(9)} ${cell(r.ls)}${cell(r.filter)}${cell(r.rebuild)}  ${cell(r.floor)}`,
    );
}
