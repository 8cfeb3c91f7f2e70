// `runlens metrics RUN --key K --json/--csv` of a 1,000,000-point series, whole process.
import * as path from 'node:path';
import { Store } from '../../src/core/store/store';
import { MetricLog } from '../../src/core/tracking/metricLog';
import { benchDir, record } from './common';
import { measureProcess } from './scale.bench';

const repoRoot = path.resolve(__dirname, '..', '..');
const cli = path.join(repoRoot, 'dist', 'cli.js');

export async function seriesOutputBench(): Promise<void> {
  const n = 1_000_000;
  const ws = benchDir('series-out');
  const store = Store.open(path.join(ws, '.runlens'), { create: true });
  const run = store.createRun({ name: 'long' });
  const file = store.metricsFile(run.id);
  // Logged the way a training script's client logs it: the writer keeps metrics.cache current.
  const log = new MetricLog(file);
  for (let i = 0; i < n; i++) log.log({ loss: 1 / (i + 1) }, i, undefined, 1_790_000_000_000 + i);
  log.close();
  await store.updateRun(run.id, (r) => {
    r.status = 'finished';
    r.endTime = Date.now();
    r.summary = log.summary;
  });
  const bestOf = (args: string[]) => {
    let best = measureProcess(args, ws);
    for (let i = 0; i < 2; i++) {
      const m = measureProcess(args, ws);
      if (m.ms < best.ms) best = m;
    }
    return best;
  };
  // The floor of any reader of the JSONL: a node process parsing every line.
  const floor = bestOf([
    '-e',
    `let n = 0; for (const l of require('fs').readFileSync(${JSON.stringify(file)}, 'utf8').split('\\n')) if (l) n += JSON.parse(l).step === undefined ? 0 : 1; if (n !== ${n}) process.exit(1);`,
  ]);
  for (const format of ['--json', '--csv']) {
    const m = bestOf([cli, 'metrics', run.id, '--key', 'loss', format]);
    record({
      name: `runlens metrics --key loss ${format} of ${n.toLocaleString('en-US')} points (whole process; peak ${Math.round(m.rssMb)} MB, ${(m.outBytes / 1e6).toFixed(1)} MB out)`,
      value: m.ms,
      unit: 'ms',
      baselineName: `node parsing every JSONL line (peak ${Math.round(floor.rssMb)} MB)`,
      baseline: floor.ms,
      target: 'peak < 150 MB',
      pass: m.rssMb < 150,
    });
  }
}
