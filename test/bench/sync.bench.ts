// Push and pull against a real MLflow 2.12.2 server (scripts/services/mlflow-up.sh), next to MLflow's
// own Python client doing the same work in the same run, each side on a fresh server of its own:
// push 100 runs x 10 metrics x 1,000 points (Runlens `pushRuns` vs MlflowClient.log_batch of 1,000),
// pull them back (Runlens `pullRuns` vs MlflowClient.get_metric_history for every key).
// RUNLENS_BENCH_SYNC_RUNS changes the number of runs.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { appendLines } from '../../src/core/store/fsutil';
import { formatPoint } from '../../src/core/store/metrics';
import { Store } from '../../src/core/store/store';
import { MlflowClient } from '../../src/core/sync/client';
import { findRemote } from '../../src/core/sync/config';
import { pullRuns } from '../../src/core/sync/pull';
import { pushRuns } from '../../src/core/sync/push';
import { startMlflow } from '../helpers/mlflowServer';
import { benchDir, record } from './common';

const KEYS = 10;
const POINTS = 1000;

const PYTHON = String.raw`
import json, math, sys, time
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient
mode, name, runs, keys, points = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
c = MlflowClient()
if mode == "push":
    t0 = time.perf_counter()
    exp = c.create_experiment(name)
    for r in range(runs):
        run = c.create_run(exp, run_name="run-%d" % r)
        ms = [Metric("metric_%d" % k, math.sin(0.001 * s + k + r), 1700000000000 + s, s)
              for s in range(points) for k in range(keys)]
        for i in range(0, len(ms), 1000):
            c.log_batch(run.info.run_id, metrics=ms[i:i + 1000])
        c.set_terminated(run.info.run_id)
    print(json.dumps({"seconds": time.perf_counter() - t0}))
else:
    exp = c.get_experiment_by_name(name)
    t0 = time.perf_counter()
    n = 0
    for run in c.search_runs([exp.experiment_id], max_results=1000):
        for key in run.data.metrics:
            n += len(c.get_metric_history(run.info.run_id, key))
    print(json.dumps({"seconds": time.perf_counter() - t0, "points": n}))
`;

export async function syncBench(): Promise<void> {
  const runs = Number(process.env.RUNLENS_BENCH_SYNC_RUNS ?? 100);
  // Each side pushes into a server of its own, started fresh: the second of two pushes into one
  // server writes into a database already holding the first one's points, which is slower (measured:
  // Runlens 1.16 of Python when it pushed second, 0.85 when it pushed first, 200,000 points each).
  const forPython = await startMlflow();
  const forRunlens = await startMlflow();
  const py = (server: typeof forPython, ...args: string[]) => {
    const r = spawnSync('/usr/bin/python3', ['-c', PYTHON, ...args], {
      encoding: 'utf8',
      env: { ...process.env, MLFLOW_TRACKING_URI: server.uri, PYTHONPATH: server.pythonPath },
      maxBuffer: 1 << 26,
    });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; points?: number };
  };
  try {
    const store = Store.open(path.join(benchDir('sync'), '.runlens'), { create: true });
    const ids: string[] = [];
    for (let r = 0; r < runs; r++) {
      const run = store.createRun({ experiment: 'bench-runlens', name: `run-${r}`, pid: null });
      const lines: string[] = [];
      for (let s = 0; s < POINTS; s++) {
        for (let k = 0; k < KEYS; k++) {
          lines.push(
            formatPoint({
              key: `metric_${k}`,
              value: Math.sin(0.001 * s + k + r),
              step: s,
              time: 1.7e12 + s,
            }),
          );
        }
      }
      appendLines(store.metricsFile(run.id), lines);
      await store.updateRun(run.id, (x) => ((x.status = 'finished'), (x.endTime = Date.now())));
      ids.push(run.id);
    }
    const total = runs * KEYS * POINTS;
    console.log(
      `${runs} runs x ${KEYS} metrics x ${POINTS} points = ${total.toLocaleString('en-US')} points`,
    );

    const pyPush =
      py(forPython, 'push', 'bench-python', String(runs), String(KEYS), String(POINTS)).seconds * 1000;
    const client = new MlflowClient(findRemote({ flagUri: forRunlens.uri, env: {} })!);
    const t0 = performance.now();
    const report = await pushRuns(store, client, ids, { parallel: 4, noArtifacts: true });
    const push = performance.now() - t0;
    if (report.failed.length || report.points !== total)
      throw new Error(`push incomplete: ${JSON.stringify(report.failed[0])}`);
    record({
      name: `sync push ${total.toLocaleString('en-US')} points (${report.requests} requests)`,
      value: push,
      unit: 'ms',
      baselineName: 'MLflow Python client log_batch',
      baseline: pyPush,
      target: 'ratio <= 1',
      pass: push <= pyPush,
    });

    // Each side pulls what the other pushed: the same points, from a server holding only them.
    const pyPull = py(forRunlens, 'pull', 'bench-runlens', '0', '0', '0');
    const fromPython = new MlflowClient(findRemote({ flagUri: forPython.uri, env: {} })!);
    const into = Store.open(path.join(benchDir('sync-pull'), '.runlens'), { create: true });
    const t1 = performance.now();
    const pulled = await pullRuns(into, fromPython, { experiments: ['bench-python'] });
    const pull = performance.now() - t1;
    if (pulled.points !== total || pyPull.points !== total)
      throw new Error(`pull incomplete: ${pulled.points} / ${pyPull.points}`);
    record({
      name: `sync pull ${total.toLocaleString('en-US')} points (${pulled.requests} requests)`,
      value: pull,
      unit: 'ms',
      baselineName: 'MLflow Python client get_metric_history per key',
      baseline: pyPull.seconds * 1000,
      target: 'ratio <= 1',
      pass: pull <= pyPull.seconds * 1000,
    });
    client.close();
    fromPython.close();
  } finally {
    forPython.stop();
    forRunlens.stop();
  }
}
