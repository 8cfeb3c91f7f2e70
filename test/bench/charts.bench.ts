// Charts: the metrics panel's data for 100 runs x 4 metrics x 10,000 steps (core, then first
// paint in headless Chromium), and one run of 1,000,000 steps reduced for the webview.
// Needs dist/webview (npm run bench builds it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  SeriesCache,
  buildMetricsSnapshot,
  pointBudget,
  reduceSeries,
} from '../../src/core/charts/panelData';
import type { PanelRun } from '../../src/core/charts/panelData';
import { METRICS_HEADER, formatPoint, readSeries } from '../../src/core/store/metrics';
import { metricsCacheFile } from '../../src/core/store/metricsCache';
import { entry } from '../fixtures/webview/manyRuns';
import { launchChromium, openWebview } from '../helpers/webview';
import { benchDir, best, median, record, time } from './common';

const KEYS = ['loss', 'val/loss', 'accuracy', 'lr'];

export function writeRuns(dir: string, runs: number, steps: number): PanelRun[] {
  const out: PanelRun[] = [];
  for (let r = 0; r < runs; r++) {
    const e = entry(r, { lr: [0.1, 0.01, 0.001][r % 3], seed: r });
    const file = path.join(dir, `${e.id}.jsonl`);
    const lines = [METRICS_HEADER];
    for (let s = 0; s < steps; s++) {
      const t = e.startTime + s * 100;
      const decay = Math.exp(-s / (2000 + 30 * r));
      lines.push(
        formatPoint({ key: 'loss', value: decay + 0.02 * Math.sin(s * 0.7 + r), step: s, time: t }),
        formatPoint({ key: 'val/loss', value: decay * 1.1 + 0.01 * Math.cos(s), step: s, time: t }),
        formatPoint({ key: 'accuracy', value: 1 - decay + 0.01 * Math.sin(s * 1.3), step: s, time: t }),
        formatPoint({ key: 'lr', value: 0.1 * Math.pow(0.999, s), step: s, time: t }),
      );
    }
    fs.writeFileSync(file, lines.join('\n') + '\n');
    out.push({ ref: `bench#${e.id}`, entry: e, metricsFile: file });
  }
  return out;
}

/** CPU time (user + system) of this process since `from`, in whole ms: steadier than wall time on a busy machine. */
function cpuMs(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return Math.round((d.user + d.system) / 1000);
}

/** 100 runs x 4 metrics x 10,000 steps: panel data in core, then the first paint in Chromium. */
export async function chartsPanel(): Promise<void> {
  const dir = benchDir('charts');
  const runs = writeRuns(dir, 100, 10_000);
  const points = pointBudget(600);
  // Baseline: the least any reader does, one JSON.parse per line of the same files.
  const parseMs = best(3, () => {
    for (const r of runs) {
      const text = fs.readFileSync(r.metricsFile, 'utf8');
      let n = 0;
      for (const line of text.split('\n')) if (line) n += JSON.parse(line).step === undefined ? 0 : 1;
      if (n !== 40_000) throw new Error(`read ${n} points`);
    }
  });
  // The first open ever parses the JSONL and leaves each run's binary column cache (metrics.cache).
  // Best of 3 like its baseline, each from no cache at all.
  let snapshot: ReturnType<typeof buildMetricsSnapshot> | undefined;
  const firstMs = best(3, () => {
    for (const r of runs) fs.rmSync(metricsCacheFile(r.metricsFile), { force: true });
    snapshot = buildMetricsSnapshot(runs, { cache: new SeriesCache(), points });
  });
  record({
    name: 'metrics panel data, first open ever (parse JSONL, write the column caches)',
    value: firstMs,
    unit: 'ms',
    baselineName: 'JSON.parse of every line of the same files',
    baseline: parseMs,
    target: 'ratio <= 1.5',
    pass: firstMs / parseMs <= 1.5,
  });
  // Every later open, in a new panel or a new process (an empty in-memory cache), starts from them.
  let coreCpu = Infinity;
  const coreMs = best(3, () => {
    const cpu = process.cpuUsage();
    snapshot = buildMetricsSnapshot(runs, { cache: new SeriesCache(), points });
    coreCpu = Math.min(coreCpu, cpuMs(cpu));
  });
  if (snapshot?.charts.length !== KEYS.length) throw new Error('wrong chart count');
  record({
    name: `metrics panel data, 100 runs x 4 metrics x 10,000 steps (read + downsample; CPU ${coreCpu} ms)`,
    value: coreMs,
    unit: 'ms',
    baselineName: 'JSON.parse of every line of the same files',
    baseline: parseMs,
    target: '< 500 ms',
    pass: coreMs < 500,
  });
  // Live updates: 100 new steps appended to one run (one training run among finished ones), then
  // to every run; only the new bytes are read and only the series that grew are reduced again.
  const cache = new SeriesCache();
  buildMetricsSnapshot(runs, { cache, points });
  const append = (r: PanelRun, from: number) => {
    const lines: string[] = [];
    for (let s = from; s < from + 100; s++)
      for (const key of KEYS)
        lines.push(formatPoint({ key, value: 0.5, step: s, time: r.entry.startTime + s * 100 }));
    fs.appendFileSync(r.metricsFile, lines.join('\n') + '\n');
  };
  append(runs[0], 10_000);
  const oneCpu = process.cpuUsage();
  const oneMs = time(() => buildMetricsSnapshot(runs, { cache, points })).ms;
  record({
    name: `live update after 100 new steps in 1 of the 100 runs (CPU ${cpuMs(oneCpu)} ms)`,
    value: oneMs,
    unit: 'ms',
    baselineName: 'full panel data',
    baseline: coreMs,
    target: 'ratio < 0.5',
    pass: oneMs / coreMs < 0.5,
  });
  for (const r of runs) append(r, r === runs[0] ? 10_100 : 10_000);
  // Each grown series feeds only its new points to its buckets (ExtremaBuckets); what is left is
  // mostly parsing the 40,000 new JSONL lines.
  const liveCpu = process.cpuUsage();
  const liveMs = time(() => buildMetricsSnapshot(runs, { cache, points })).ms;
  record({
    name: `live update after 100 new steps in each of the 100 runs (CPU ${cpuMs(liveCpu)} ms)`,
    value: liveMs,
    unit: 'ms',
    baselineName: 'full panel data',
    baseline: coreMs,
    target: 'ratio < 0.5',
    pass: liveMs / coreMs < 0.5,
  });

  const text = JSON.stringify({ type: 'snapshot', snapshot });
  const browser = await launchChromium();
  try {
    const firsts: number[] = [];
    const alls: number[] = [];
    const parses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const w = await openWebview(browser, 'metrics', { theme: 'dark' });
      await w.waitFor('ready');
      await w.page.evaluate((t) => ((window as unknown as { __msg: string }).__msg = t), text);
      // From the message's arrival (as VS Code delivers it, JSON) to the first chart on screen
      // (`painted`; charts are drawn one per frame, those in view first) and to the last (`rendered`).
      const [parse, first, all] = await w.page.evaluate(async () => {
        const posted = (window as unknown as { __posted: { type: string }[] }).__posted;
        const msg = (window as unknown as { __msg: string }).__msg;
        const p0 = performance.now();
        JSON.parse(msg);
        const parseMs = performance.now() - p0;
        const t0 = performance.now();
        window.dispatchEvent(new MessageEvent('message', { data: JSON.parse(msg) }));
        while (!posted.some((m) => m.type === 'painted')) await new Promise((r) => setTimeout(r, 1));
        const firstMs = performance.now() - t0;
        while (!posted.some((m) => m.type === 'rendered')) await new Promise((r) => setTimeout(r, 1));
        return [parseMs, firstMs, performance.now() - t0];
      });
      firsts.push(first);
      alls.push(all);
      parses.push(parse);
      await w.close();
    }
    const size = `${(text.length / 1e6).toFixed(1)} MB snapshot, 4 charts x 100 runs, raw and smoothed lines`;
    record({
      name: `first paint in headless Chromium, first chart (${size})`,
      value: median(firsts),
      unit: 'ms',
      baselineName: 'JSON.parse of the same message in the page',
      baseline: median(parses),
      target: '< 1000 ms',
      pass: median(firsts) < 1000,
    });
    record({
      name: 'all 4 charts drawn',
      value: median(alls),
      unit: 'ms',
      baselineName: 'JSON.parse of the same message in the page',
      baseline: median(parses),
      target: 'reported',
      pass: true,
    });
  } finally {
    await browser.close();
  }
}

/** 1 run x 1,000,000 steps: the reduction for the webview, and the size of what is posted. */
export async function chartsMillion(): Promise<void> {
  const n = 1_000_000;
  const dir = benchDir('charts-1m');
  const file = path.join(dir, 'metrics.jsonl');
  const lines = [METRICS_HEADER];
  for (let i = 0; i < n; i++)
    lines.push(
      formatPoint({
        key: 'loss',
        value: 1 / (1 + i / 1000) + 0.01 * Math.sin(i),
        step: i,
        time: 1_790_000_000_000 + i * 10,
      }),
    );
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const { series } = readSeries(file, 'loss');
  const readMs = best(3, () => readSeries(file, 'loss'));
  const points = pointBudget(1200);
  let reduced = reduceSeries('r', series, series.times[0], points);
  const downMs = best(5, () => {
    reduced = reduceSeries('r', series, series.times[0], points);
  });
  record({
    name: `downsample 1,000,000 points to ${points}`,
    value: downMs,
    unit: 'ms',
    baselineName: 'reading the series from metrics.jsonl',
    baseline: readMs,
    target: '< 300 ms',
    pass: downMs < 300,
  });
  const payload = Buffer.byteLength(
    JSON.stringify({ type: 'zoomData', requestId: 1, key: 'loss', series: [reduced] }),
  );
  const raw = Buffer.byteLength(JSON.stringify(series));
  record({
    name: 'payload posted to the webview for that series',
    value: payload / 1024,
    unit: 'KB',
    baselineName: 'the full series as JSON',
    baseline: raw / 1024,
    target: '< 200 KB',
    pass: payload < 200 * 1024,
  });
}

export async function chartsBench(): Promise<void> {
  await chartsMillion();
  await chartsPanel();
}
