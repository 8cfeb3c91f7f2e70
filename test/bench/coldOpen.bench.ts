// The first chart open of runs whose writers kept their metrics.cache as they appended.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SeriesCache, buildMetricsSnapshot, pointBudget } from '../../src/core/charts/panelData';
import type { PanelRun } from '../../src/core/charts/panelData';
import { METRICS_HEADER } from '../../src/core/store/metrics';
import { readMetricsCache } from '../../src/core/store/metricsCache';
import { MetricLog } from '../../src/core/tracking/metricLog';
import { entry } from '../fixtures/webview/manyRuns';
import { benchDir, best, record } from './common';

/** 100 runs x 4 metrics x 10,000 steps logged through MetricLog (the Node client's and launcher's writer). */
export async function coldOpenBench(): Promise<void> {
  const dir = benchDir('coldopen');
  const runs: PanelRun[] = [];
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < 100; r++) {
    const e = entry(r, { lr: [0.1, 0.01, 0.001][r % 3], seed: r });
    const runDir = path.join(dir, e.id);
    fs.mkdirSync(runDir);
    const file = path.join(runDir, 'metrics.jsonl');
    fs.writeFileSync(file, METRICS_HEADER + '\n');
    const log = new MetricLog(file);
    for (let s = 0; s < 10_000; s++) {
      const decay = Math.exp(-s / (2000 + 30 * r));
      log.log(
        {
          loss: decay + 0.02 * Math.sin(s * 0.7 + r),
          'val/loss': decay * 1.1 + 0.01 * Math.cos(s),
          accuracy: 1 - decay,
          lr: 0.1 * Math.pow(0.999, s),
        },
        s,
        undefined,
        e.startTime + s * 100,
      );
    }
    log.close();
    if (readMetricsCache(file)?.offset !== fs.statSync(file).size) throw new Error('cache not current');
    runs.push({ ref: `bench#${e.id}`, entry: e, metricsFile: file });
  }
  console.log(
    `      (logged 4,000,000 points in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s)`,
  );
  const parseMs = best(3, () => {
    for (const r of runs) {
      const text = fs.readFileSync(r.metricsFile, 'utf8');
      let n = 0;
      for (const line of text.split('\n')) if (line) n += JSON.parse(line).step === undefined ? 0 : 1;
      if (n !== 40_000) throw new Error(`read ${n} points`);
    }
  });
  const points = pointBudget(600);
  const firstMs = best(3, () => {
    const cache = new SeriesCache();
    const snapshot = buildMetricsSnapshot(runs, { cache, points });
    if (snapshot.charts.length !== 4) throw new Error('wrong chart count');
    // Nothing parsed: every file was read from its writer's columns.
    for (const r of runs)
      if (cache.load(r.metricsFile).cachedOffset !== fs.statSync(r.metricsFile).size)
        throw new Error('JSONL parsed');
  });
  record({
    name: 'first chart open ever, 100 runs x 4 metrics x 10,000 steps kept in metrics.cache by their writer',
    value: firstMs,
    unit: 'ms',
    baselineName: 'JSON.parse of every line of the same files',
    baseline: parseMs,
    target: '< 500 ms',
    pass: firstMs < 500,
  });
}
