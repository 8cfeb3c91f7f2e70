// `npm run bench -- peers`: MLflow 2.12.2's own Python client on the same data, when its kit
// (../shared/mlflow, or $RUNLENS_MLFLOW_KIT) and Debian's Python packages are present.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Store } from '../../src/core/store/store';
import { MetricLog } from '../../src/core/tracking/metricLog';
import { benchDir, record } from './common';
import { measureProcess } from './scale.bench';

const repoRoot = path.resolve(__dirname, '..', '..');
const cli = path.join(repoRoot, 'dist', 'cli.js');
const python = '/usr/bin/python3';

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

/** Reading one whole 1,000,000-point series: runlens metrics --json vs MLflow's get_metric_history. */
export async function peersBench(): Promise<void> {
  const pythonPath = mlflowPath();
  if (typeof pythonPath !== 'string') {
    console.log(`      (skipped: ${pythonPath.missing})`);
    return;
  }
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
