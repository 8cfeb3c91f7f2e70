// The metrics panel charting the launcher's system/ metrics of real runs: two Node programs that
// allocate memory on purpose (20 MB at a time, touched, up to 160 and 320 MB) and keep a core busy
// between allocations, tracked by the real launcher sampling /proc every 200 ms. The chart of
// system/memory_rss_mb climbs with the allocations; the summary keeps the peak.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { SeriesCache, buildMetricsSnapshot } from '../../src/core/charts/panelData';
import type { RunRecord } from '../../src/core/store/types';
import type { MetricsSnapshot, MetricsViewState, RenderedChart } from '../../src/protocol/metrics';
import { newRepo, track } from '../helpers/gitRepo';
import { inkOf, launchChromium, openWebview, shotsDir } from '../helpers/webview';
import type { ThemeKind } from '../helpers/webview';

const STEP_MB = 20;
const ALLOC = `const run = require('runlens').init({ params: { mb: 160 } });
const chunks = [];
const spin = (ms) => { const end = Date.now() + ms; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1); return x; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  for (let i = 0; (i + 1) * ${STEP_MB} <= run.params.mb; i++) {
    chunks.push(Buffer.alloc(${STEP_MB} * 1024 * 1024, 1)); // filled: every page is touched
    spin(150);
    run.log({ allocated_mb: chunks.length * ${STEP_MB} }, i);
    await sleep(150);
  }
  await sleep(1200); // held, so that the peak is sampled more than once
  run.finish();
})();
`;

type Rendered = { type: 'rendered'; charts: RenderedChart[] };

let browser: Browser;
let snapshot: MetricsSnapshot;
let runs: RunRecord[];

before(async () => {
  browser = await launchChromium();
  const { dir, store } = newRepo({ 'alloc.js': ALLOC });
  const node = [process.execPath, 'alloc.js'];
  const systemMetrics = { intervalMs: 200 };
  runs = [];
  for (const mb of [160, 320])
    runs.push(await track(store, dir, node, { params: { mb }, name: `alloc-${mb}mb`, systemMetrics }));
  const entries = store.listRuns().entries;
  snapshot = buildMetricsSnapshot(
    runs.map((r) => ({
      ref: `real#${r.id}`,
      entry: entries.find((e) => e.id === r.id)!,
      metricsFile: store.metricsFile(r.id),
    })),
    { cache: new SeriesCache(), points: 1200 },
  );
});
after(async () => {
  await browser?.close();
});

describe('metrics webview: system metrics of real runs', () => {
  test('the runs sampled memory and CPU; the peaks are plausible for what they allocated', () => {
    for (const [i, mb] of [160, 320].entries()) {
      const s = runs[i].summary!;
      const rss = s['system/memory_rss_mb'];
      assert.ok(rss && rss.count >= 5, `alloc-${mb}mb: ${rss?.count} memory samples`);
      // Node itself takes some tens of MB; the allocations are all held at the end.
      assert.ok(rss.max >= mb && rss.max < mb + 250, `alloc-${mb}mb: peak RSS ${rss.max} MB`);
      assert.ok(rss.min < rss.max - mb / 2, `alloc-${mb}mb: RSS grew from ${rss.min} to ${rss.max} MB`);
      const cpu = s['system/cpu_percent'];
      assert.ok(cpu && cpu.max > 20 && cpu.max <= 100 * 64, `alloc-${mb}mb: CPU peak ${cpu?.max}%`);
      assert.equal(s.allocated_mb.last, mb);
    }
    assert.ok(runs[1].summary!['system/memory_rss_mb'].max > runs[0].summary!['system/memory_rss_mb'].max);
  });

  // Light: as a panel opens (against step, smoothed); dark: against time since each run started,
  // unsmoothed, where the allocations and the memory samples line up.
  const views: [ThemeKind, Partial<MetricsViewState>][] = [
    ['light', {}],
    ['dark', { xAxis: 'relative', smoothing: 0 }],
  ];
  for (const [theme, state] of views) {
    test(`the system section charts them after the program's own metric (${theme})`, async () => {
      const w = await openWebview(browser, 'metrics', { theme, state });
      await w.waitFor('ready');
      await w.send({ type: 'snapshot', snapshot });
      const r = await w.waitFor<Rendered>('rendered');
      assert.deepEqual(
        r.charts.map((c) => c.key),
        ['allocated_mb', 'system/cpu_percent', 'system/memory_rss_mb'],
      );
      const heads = await w.page.locator('.group > h2 button').allTextContents();
      assert.deepEqual(heads, ['Other1 metric', 'system2 metrics']);
      // Every chart painted (lazily, the ones in view first), each with both runs' lines.
      await w.waitFor('painted', 3);
      for (let i = 0; i < 3; i++) {
        const { ink, colors } = await inkOf(w.page, '.card canvas', i);
        assert.ok(ink > 1000 && colors >= 3, `chart ${i} drawn (${ink} px, ${colors} colours)`);
      }
      const label = (await w.page.locator('.card canvas').nth(2).getAttribute('aria-label')) ?? '';
      const axis = state.xAxis === 'relative' ? 'relative time' : 'step';
      assert.deepEqual(
        r.charts.map((c) => c.xTitle),
        [axis, axis, axis],
      );
      assert.match(label, new RegExp(`^system/memory_rss_mb against ${axis}, 2 runs\\.`));
      await w.page.mouse.move(0, 0);
      await w.page.screenshot({ path: path.join(shotsDir(), `system-metrics-${theme}.png`), fullPage: true });
      assert.deepEqual(w.errors, []);
      assert.deepEqual(await w.cspViolations(), []);
      await w.close();
    });
  }
});
