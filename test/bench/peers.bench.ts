// `npm run bench -- peers`: MLflow 2.12.2's own Python client on the same data, when its kit
// (../shared/mlflow, or $RUNLENS_MLFLOW_KIT) and Debian's Python packages are present.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { scanMetrics } from '../../src/core/store/metrics';
import { Store } from '../../src/core/store/store';
import type { RunRecord } from '../../src/core/store/types';
import { MetricLog } from '../../src/core/tracking/metricLog';
import { benchDir, record } from './common';
import { measureProcess } from './scale.bench';
import { writeSyntheticStore } from './syntheticStore';

const repoRoot = path.resolve(__dirname, '..', '..');
const cli = path.join(repoRoot, 'dist', 'cli.js');
const python = '/usr/bin/python3';
const T0 = 1_790_000_000_000;

/** PYTHONPATH for MLflow's client (its source unpacked from the kit), or why it cannot run. */
function mlflowPath(): string | { missing: string } {
  const kit = process.env.RUNLENS_MLFLOW_KIT ?? path.resolve(repoRoot, '..', 'shared', 'mlflow');
  const tgz = path.join(kit, 'mlflow-2.12.2-src.tgz');
  if (!fs.existsSync(tgz)) return { missing: `no MLflow kit at ${kit}` };
  const src = path.join(benchDir('mlflow-src'), 'src');
  fs.mkdirSync(src);
  const tar = spawnSync('tar', ['-xzf', tgz, '-C', src]);
  if (tar.status !== 0) return { missing: `could not unpack ${tgz}` };
  const pythonPath = [src, path.join(kit, 'shim')].join(':');
  const probe = spawnSync(python, ['-c', 'import mlflow'], {
    env: { ...process.env, PYTHONPATH: pythonPath },
    encoding: 'utf8',
  });
  if (probe.status !== 0)
    return { missing: `MLflow does not import: ${probe.stderr.trim().split('\n').pop()}` };
  return pythonPath;
}

/**
 * MLflow's own Python client next to Runlens on the same data: logging (point by point and
 * log_batch, file store and SQLite, against the Runlens Python client), search_runs over 10,000 runs
 * (against the Runlens Python client's search_runs) and reading a 1,000,000-point series.
 */
export async function peersBench(): Promise<void> {
  const pythonPath = mlflowPath();
  if (typeof pythonPath !== 'string') {
    console.log(`      (skipped: ${pythonPath.missing})`);
    return;
  }
  await loggingPeers(pythonPath);
  searchPeers(pythonPath);
  await historyPeer(pythonPath);
}

/** Run a Python script that prints its wall and CPU ms (of the timed part) as its last line. */
function timedPython(
  code: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): { ms: number; cpuMs: number; out: string } {
  const r = spawnSync(python, ['-c', code], {
    cwd,
    env: { ...env, RUNLENS_STORE: '', RUNLENS_RUN_DIR: '', PYTHONDONTWRITEBYTECODE: '1' },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  const lines = r.stdout.trim().split('\n');
  const [ms, cpuMs] = lines.pop()!.split(' ').map(Number);
  return { ms, cpuMs, out: lines.join('\n') };
}

const TIMER = `import time
def timed(fn, report=None):
    t, c = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
    if report:
        print(report())
    print(wall, cpu)
`;

/**
 * Logging the same points: MLflow's log_metric one call each and log_batch (1,000 metrics a call,
 * its limit) into a file store and SQLite, against the Runlens Python client (one log call a point;
 * it buffers). Rates in points per second of the timed part (the stores made before it).
 */
async function loggingPeers(pythonPath: string): Promise<void> {
  const ws = benchDir('peers-log');
  const env = { ...process.env, PYTHONPATH: `${pythonPath}:${path.join(repoRoot, 'clients', 'python')}` };
  const ours = (n: number) =>
    timedPython(
      `${TIMER}import runlens
run = runlens.init(store=${JSON.stringify(path.join(ws, `rl${n}`, '.runlens'))})
def go():
    for i in range(${n}):
        run.log({"loss": 1 / (i + 1)}, step=i, timestamp=${T0} + i)
    run.finish()
timed(go)`,
      env,
      ws,
    );
  const mlflow = (uri: string, n: number, batch: boolean) =>
    timedPython(
      `${TIMER}import logging
logging.disable(logging.WARNING)
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient
c = MlflowClient(tracking_uri=${JSON.stringify(uri)})
run_id = c.create_run(c.get_experiment_by_name("Default").experiment_id).info.run_id
def one():
    for i in range(${n}):
        c.log_metric(run_id, "loss", 1 / (i + 1), step=i, timestamp=${T0} + i)
def batch():
    for b in range(0, ${n}, 1000):
        c.log_batch(run_id, metrics=[Metric("loss", 1 / (i + 1), ${T0} + i, i) for i in range(b, min(${n}, b + 1000))])
timed(${batch ? 'batch' : 'one'})`,
      env,
      ws,
    );
  const rate = (n: number, r: { ms: number }) => n / (r.ms / 1000);
  // Sizes that keep each MLflow case within a minute here (SQLite commits every call).
  const runlens = ours(100_000);
  const cases = [
    {
      what: 'log_metric one call a point, file store',
      uri: `file://${path.join(ws, 'mlruns')}`,
      n: 2_000,
      batch: false,
    },
    {
      what: 'log_metric one call a point, SQLite',
      uri: `sqlite:///${path.join(ws, 'one.db')}`,
      n: 300,
      batch: false,
    },
    {
      what: 'log_batch of 1,000, file store',
      uri: `file://${path.join(ws, 'mlruns-b')}`,
      n: 20_000,
      batch: true,
    },
    {
      what: 'log_batch of 1,000, SQLite',
      uri: `sqlite:///${path.join(ws, 'batch.db')}`,
      n: 20_000,
      batch: true,
    },
  ];
  for (const c of cases) {
    const theirs = mlflow(c.uri, c.n, c.batch);
    record({
      name: `Runlens Python client, 100,000 points one log call each (CPU ${Math.round(runlens.cpuMs)} ms) vs MLflow ${c.what}, ${c.n.toLocaleString('en-US')} points (CPU ${Math.round(theirs.cpuMs)} ms)`,
      value: rate(100_000, runlens),
      unit: 'points/s',
      baselineName: `MLflow 2.12.2 ${c.what}`,
      baseline: rate(c.n, theirs),
      target: 'reported (ratio > 1: Runlens faster)',
      pass: true,
    });
  }
}

/**
 * search_runs over 10,000 runs (5 params, 5 metrics x 100 points): MLflow's client on a file store
 * holding the same runs (written in its format: meta.yaml, params/, metrics/, tags/) against the
 * Runlens Python client's search_runs on the Runlens store, same filter and order, same rows.
 */
function searchPeers(pythonPath: string): void {
  const runs = 10_000;
  const ws = benchDir('peers-search');
  const store = writeSyntheticStore(ws, runs);
  store.listRuns(); // the index, as any runlens command leaves it
  const mlruns = path.join(ws, 'mlruns');
  const exp = path.join(mlruns, '0');
  fs.mkdirSync(exp, { recursive: true });
  fs.writeFileSync(
    path.join(exp, 'meta.yaml'),
    `artifact_location: file://${exp}\ncreation_time: ${T0}\nexperiment_id: '0'\nlast_update_time: ${T0}\nlifecycle_stage: active\nname: Default\n`,
  );
  for (const id of fs.readdirSync(store.runsDir)) {
    const run = JSON.parse(fs.readFileSync(path.join(store.runsDir, id, 'run.json'), 'utf8')) as RunRecord;
    const dir = path.join(exp, id);
    for (const sub of ['params', 'metrics', 'tags', 'artifacts'])
      fs.mkdirSync(path.join(dir, sub), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'meta.yaml'),
      [
        `artifact_uri: file://${dir}/artifacts`,
        `end_time: ${run.endTime}`,
        "entry_point_name: ''",
        "experiment_id: '0'",
        'lifecycle_stage: active',
        `run_id: ${id}`,
        `run_name: ${run.name}`,
        `run_uuid: ${id}`,
        "source_name: ''",
        'source_type: 4',
        "source_version: ''",
        `start_time: ${run.startTime}`,
        'status: 3',
        'tags: []',
        'user_id: bench',
        '',
      ].join('\n'),
    );
    for (const [k, v] of Object.entries(run.params)) fs.writeFileSync(path.join(dir, 'params', k), String(v));
    fs.writeFileSync(path.join(dir, 'tags', 'mlflow.runName'), run.name);
    const series = new Map<string, string[]>();
    scanMetrics(store.metricsFile(id), (p) => {
      let lines = series.get(p.key);
      if (!lines) series.set(p.key, (lines = []));
      lines.push(`${p.time} ${p.value} ${p.step}`);
    });
    for (const [k, lines] of series) fs.writeFileSync(path.join(dir, 'metrics', k), lines.join('\n') + '\n');
  }
  const env = { ...process.env, PYTHONPATH: `${pythonPath}:${path.join(repoRoot, 'clients', 'python')}` };
  const filter = "metrics.acc > 0.5 and params.optimizer = 'adam'";
  const order = 'metrics.acc DESC';
  const ours = timedPython(
    `${TIMER}import runlens
rows = []
timed(lambda: rows.extend(runlens.search_runs(${JSON.stringify(filter)}, order_by=${JSON.stringify(order)}, output_format="list")), lambda: len(rows))
`,
    env,
    ws,
  );
  const theirs = timedPython(
    `${TIMER}import logging
logging.disable(logging.WARNING)
from mlflow.tracking import MlflowClient
c = MlflowClient(tracking_uri=${JSON.stringify(`file://${mlruns}`)})
rows = []
timed(lambda: rows.extend(c.search_runs(["0"], ${JSON.stringify(filter.replace(' and ', ' AND '))}, order_by=[${JSON.stringify(order)}], max_results=50000)), lambda: len(rows))
`,
    env,
    ws,
  );
  if (ours.out !== theirs.out) throw new Error(`rows differ: Runlens ${ours.out}, MLflow ${theirs.out}`);
  record({
    name: `Runlens Python search_runs, ${runs.toLocaleString('en-US')} runs, ${ours.out} rows, filter + sort (CPU ${Math.round(ours.cpuMs)} ms; MLflow CPU ${Math.round(theirs.cpuMs)} ms)`,
    value: ours.ms,
    unit: 'ms',
    baselineName: 'MLflow 2.12.2 search_runs, file store, same runs and query',
    baseline: theirs.ms,
    target: 'reported (ratio < 1: Runlens faster)',
    pass: true,
  });
}

/** Reading one whole 1,000,000-point series: runlens metrics --json vs MLflow's get_metric_history. */
async function historyPeer(pythonPath: string): Promise<void> {
  const n = 1_000_000;
  const ws = benchDir('peers');
  const t0 = 1_790_000_000_000;
  // Runlens: logged through the writer the clients use (metrics.cache kept current).
  const store = Store.open(path.join(ws, '.runlens'), { create: true });
  const run = store.createRun({ name: 'long' });
  const log = new MetricLog(store.metricsFile(run.id));
  for (let i = 0; i < n; i++) log.log({ loss: 1 / (i + 1) }, i, undefined, t0 + i);
  log.close();
  await store.updateRun(run.id, (r) => {
    r.status = 'finished';
    r.endTime = Date.now();
    r.summary = log.summary;
  });
  // MLflow: a file store run made by its client, the same points in its metric file format
  // ("<timestamp> <value> <step>" a line; a million log_batch rows would take minutes).
  const mlruns = path.join(ws, 'mlruns');
  const env = { ...process.env, PYTHONPATH: pythonPath };
  const made = spawnSync(
    python,
    [
      '-c',
      `import sys, mlflow
mlflow.set_tracking_uri("file://" + sys.argv[1])
with mlflow.start_run() as r:
    mlflow.log_metric("loss", 1.0, step=0, timestamp=${t0})
print(r.info.run_id)`,
      mlruns,
    ],
    { env, encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(made.stderr);
  const runId = made.stdout.trim().split('\n').pop()!;
  const metricFile = path.join(mlruns, '0', runId, 'metrics', 'loss');
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`${t0 + i} ${1 / (i + 1)} ${i}`);
  fs.writeFileSync(metricFile, lines.join('\n') + '\n');
  const script = path.join(ws, 'history.py');
  fs.writeFileSync(
    script,
    `import json, sys
from mlflow.tracking import MlflowClient
c = MlflowClient(tracking_uri="file://" + sys.argv[1])
h = c.get_metric_history(sys.argv[2], "loss")
assert len(h) == ${n}, len(h)
json.dump({"loss": {"key": "loss", "steps": [m.step for m in h], "values": [m.value for m in h], "times": [m.timestamp for m in h]}}, sys.stdout, separators=(",", ":"))
`,
  );
  const best = (args: string[], bin?: string) => {
    let b = measurePython(args, ws, env, bin);
    for (let i = 0; i < 2; i++) {
      const m = measurePython(args, ws, env, bin);
      if (m.ms < b.ms) b = m;
    }
    return b;
  };
  const mlflow = best([script, mlruns, runId], python);
  const ours = best([cli, 'metrics', run.id, '--key', 'loss', '--json']);
  record({
    name: `read one ${n.toLocaleString('en-US')}-point series as JSON, whole process (runlens metrics --json; peak ${Math.round(ours.rssMb)} MB)`,
    value: ours.ms,
    unit: 'ms',
    baselineName: `MLflow 2.12.2 get_metric_history, file store (peak ${Math.round(mlflow.rssMb)} MB)`,
    baseline: mlflow.ms,
    target: 'ratio <= 0.25, peak < 150 MB',
    pass: ours.ms / mlflow.ms <= 0.25 && ours.rssMb < 150,
  });
}

/** A whole process (node by default, else `bin`): wall time and peak memory (GNU time's %M). */
function measurePython(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  bin?: string,
): { ms: number; rssMb: number } {
  if (bin === undefined) return measureProcess(args, cwd);
  const rss = path.join(cwd, 'time.out');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rss, bin, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(r.stderr);
  return { ms, rssMb: Number(fs.readFileSync(rss, 'utf8').trim().split('\n').pop()) / 1024 };
}
