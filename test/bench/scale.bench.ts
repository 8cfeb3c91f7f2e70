import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { benchDir, fmt, record } from './common';
import { writeSyntheticStore } from './syntheticStore';

const repoRoot = path.resolve(__dirname, '..', '..');
const cli = path.join(repoRoot, 'dist', 'cli.js');
interface Measured {
  ms: number;
  /** Peak resident memory of the process, MB. */
  rssMb: number;
  /** CPU time (user + system) of the process: less disturbed than wall time on a busy machine. */
  cpuMs: number;
  /** Bytes the process printed. */
  outBytes: number;
  /**
   * Time the main thread was ready to run but waited for a CPU (the kernel's run-queue delay,
   * /proc/self/schedstat; 0 where there is none): on a shared machine wall ≈ CPU + this wait.
   */
  waitMs: number;
}

let preload: string | undefined;

/** A whole `node` process: wall time and peak RSS (reported by the process itself at exit). */
export function measureProcess(args: string[], cwd: string): Measured {
  if (preload === undefined) {
    preload = path.join(benchDir('rss'), 'rss.cjs');
    fs.writeFileSync(
      preload,
      `process.on('exit', () => { const fs = require('fs'); const u = process.resourceUsage(); let wait = 0; try { wait = Number(fs.readFileSync('/proc/self/schedstat', 'utf8').split(' ')[1]) / 1e6; } catch {} fs.writeFileSync(process.env.RUNLENS_BENCH_RSS, JSON.stringify([u.maxRSS / 1024, (u.userCPUTime + u.systemCPUTime) / 1000, wait])); });`,
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
  const [rssMb, cpuMs, waitMs] = JSON.parse(fs.readFileSync(rssFile, 'utf8')) as number[];
  return { ms, rssMb, cpuMs, waitMs, outBytes: fs.statSync(outFile).size };
}

interface ModelOpen {
  ms: number;
  cpuMs: number;
  heapMb: number;
  arrayBuffersMb: number;
  rssMb: number;
  built: number;
}

/**
 * What the editor does on opening a store (explorerModel.ts, in a process of its own): `model`, the
 * workspace model holding the listing's columns and the explorer's first page per experiment;
 * `entries`, one entry object per run (the model before, the baseline). Best CPU time of `n`.
 */
function explorerModel(storeDir: string, mode: 'model' | 'entries', n: number): ModelOpen {
  let best: ModelOpen | undefined;
  for (let i = 0; i < n; i++) {
    const r = spawnSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', path.join(__dirname, 'explorerModel.ts'), storeDir, mode],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`explorerModel.ts failed: ${r.stderr}`);
    const m = JSON.parse(r.stdout) as ModelOpen;
    if (!best || m.cpuMs < best.cpuMs) best = m;
  }
  return best!;
}

function bestOf(n: number, args: string[], cwd: string): Measured {
  let best: Measured = { ms: Infinity, rssMb: 0, cpuMs: 0, waitMs: 0, outBytes: 0 };
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
  /** ls --limit 50: one screen */
  page: Measured;
  floor: Measured;
  /** node doing nothing: the start-up every whole-process figure includes */
  node: Measured;
  /** node loading the CLI bundle (runlens --version) */
  cliStart: Measured;
}

/**
 * 1k, 10k (and with RUNLENS_BENCH_100K=1 or `npm run bench -- scale100k`, 100k) runs: the whole
 * `runlens` process for an index rebuild, `ls` of all runs sorted by a metric (the listing index,
 * index.listing), a filter and one page, next to baselines timed in the same run: a node process
 * that reads and parses index.json (what listing cost before the listing index), node doing
 * nothing, and node loading the CLI (`runlens --version`). Wall time, CPU time (user + system, less
 * disturbed by other work on a shared machine) and peak memory of each process.
 */
export async function scaleBench(): Promise<void> {
  const sizes = [1_000, 10_000];
  if (process.env.RUNLENS_BENCH_100K === '1' || process.argv.includes('scale100k')) sizes.push(100_000);
  const rows: Row[] = [];
  const explorer: { runs: number; model: ModelOpen; entries: ModelOpen }[] = [];
  for (const runs of sizes) {
    // RUNLENS_BENCH_SCALE_100K_DIR: a folder whose .runlens holds a synthetic store of 100,000
    // runs made before (writeSyntheticStore; about 200 s to make), used as it is
    const prepared = runs === 100_000 ? process.env.RUNLENS_BENCH_SCALE_100K_DIR : undefined;
    const dir = prepared ? path.resolve(prepared) : benchDir(`scale-${runs}`);
    const t0 = Date.now();
    const storeDir = prepared ? path.join(dir, '.runlens') : writeSyntheticStore(dir, runs).dir;
    if (prepared && fs.readdirSync(path.join(storeDir, 'runs')).length !== runs)
      throw new Error(`RUNLENS_BENCH_SCALE_100K_DIR: ${storeDir} does not hold ${runs} runs`);
    console.log(
      prepared
        ? `      (the ${runs}-run store prepared in ${storeDir})`
        : `      (made ${runs} runs in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
    const rebuild = measureProcess([cli, 'ls', '--reindex', '--limit', '1'], dir);
    const n = runs < 100_000 ? 3 : 2;
    const ls = bestOf(n, [cli, 'ls', '--sort', '-metrics.val_acc'], dir);
    const filter = bestOf(
      n,
      [cli, 'ls', '--where', "metrics.val_acc > 0.9 and params.optimizer = 'sgd'", '--sort', 'metrics.loss'],
      dir,
    );
    const page = bestOf(n, [cli, 'ls', '--sort', '-metrics.val_acc', '--limit', '50'], dir);
    const index = path.join(storeDir, 'index.json');
    const floor = bestOf(
      n,
      ['-e', `JSON.parse(require('fs').readFileSync(${JSON.stringify(index)}, 'utf8'))`],
      dir,
    );
    const node = bestOf(n, ['-e', ''], dir);
    const cliStart = bestOf(n, [cli, '--version'], dir);
    rows.push({ runs, rebuild, ls, filter, page, floor, node, cliStart });
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
      name: `${runs} runs: runlens ls, all runs sorted by a metric (CPU time of the process)`,
      value: ls.cpuMs,
      unit: 'ms',
      baselineName: 'node reading + parsing index.json (CPU)',
      baseline: floor.cpuMs,
      target: 'informational',
      pass: true,
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
      name: `${runs} runs: runlens ls --where (CPU time of the process)`,
      value: filter.cpuMs,
      unit: 'ms',
      baselineName: 'node reading + parsing index.json (CPU)',
      baseline: floor.cpuMs,
      target: 'informational',
      pass: true,
    });
    record({
      name: `${runs} runs: runlens ls --limit 50, sorted by a metric (CPU time of the process)`,
      value: page.cpuMs,
      unit: 'ms',
      baselineName: 'node loading the CLI, runlens --version (CPU)',
      baseline: cliStart.cpuMs,
      target: 'informational',
      pass: true,
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
    const model = explorerModel(storeDir, 'model', n);
    const entries = explorerModel(storeDir, 'entries', n);
    explorer.push({ runs, model, entries });
    record({
      name: `${runs} runs: explorer open (model holding the listing's columns + first page per experiment), CPU time`,
      value: model.cpuMs,
      unit: 'ms',
      baselineName: 'the model before: one entry object per run (CPU)',
      baseline: entries.cpuMs,
      target: big ? '< 1,000 ms' : 'informational',
      pass: !big || model.cpuMs < 1000,
    });
    record({
      name: `${runs} runs: explorer open, memory held (JS heap + the columns' ArrayBuffers)`,
      value: model.heapMb + model.arrayBuffersMb,
      unit: 'MB',
      baselineName: 'the model before: one entry object per run',
      baseline: entries.heapMb + entries.arrayBuffersMb,
      target: big ? '< 300 MB (the whole extension host)' : 'informational',
      pass: !big || model.heapMb + model.arrayBuffersMb < 300,
    });
    if (!prepared) fs.rmSync(dir, { recursive: true, force: true }); // a prepared store is kept
  }
  console.log(
    '\n      explorer open (wall ms / CPU ms / JS heap MB + ArrayBuffer MB held / RSS MB after / entries built)',
  );
  const open = (m: ModelOpen) =>
    `${fmt(m.ms)} / ${fmt(m.cpuMs)} / ${Math.round(m.heapMb)} + ${Math.round(m.arrayBuffersMb)} / ${Math.round(m.rssMb)} / ${m.built}`.padEnd(
      44,
    );
  console.log(
    `      ${'runs'.padEnd(9)} ${'model (columns + first pages)'.padEnd(44)}${'before: an entry per run'.padEnd(44)}CPU ratio`,
  );
  for (const m of explorer)
    console.log(
      `      ${String(m.runs).padEnd(9)} ${open(m.model)}${open(m.entries)}${(m.model.cpuMs / m.entries.cpuMs).toFixed(2)}`,
    );
  console.log(
    '\n      growth (whole process: wall ms / CPU ms / peak MB / ms the main thread waited for a CPU)',
  );
  const heads = [
    'ls (all, sorted)',
    'ls --where',
    'ls --limit 50',
    'rebuild',
    'parse index.json',
    'node -e ""',
    'runlens --version',
  ];
  console.log(`      ${'runs'.padEnd(9)} ${heads.map((h) => h.padEnd(34)).join('')}`);
  const cell = (m: Measured) =>
    `${fmt(m.ms)} / ${fmt(m.cpuMs)} / ${Math.round(m.rssMb)} / ${fmt(m.waitMs)}`.padEnd(34);
  for (const r of rows)
    console.log(
      `      ${String(r.runs).padEnd(9)} ${[r.ls, r.filter, r.page, r.rebuild, r.floor, r.node, r.cliStart].map(cell).join('')}`,
    );
  const base = rows[0];
  if (rows.length > 1) {
    console.log('\n      growth against the 1k row (CPU ms ratios; runs grow 10x per row)');
    for (const r of rows)
      console.log(
        `      ${String(r.runs).padEnd(9)} ${[
          ['ls', r.ls, base.ls],
          ['where', r.filter, base.filter],
          ['rebuild', r.rebuild, base.rebuild],
          ['parse index.json', r.floor, base.floor],
        ]
          .map(
            ([name, m, b]) =>
              `${name as string} x${((m as Measured).cpuMs / (b as Measured).cpuMs).toFixed(1)}`,
          )
          .join('   ')}`,
      );
  }
}
