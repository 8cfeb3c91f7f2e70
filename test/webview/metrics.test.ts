// The metrics chart webview in headless Chromium, fed recorded snapshots (assumes dist/webview is
// built: node scripts/build.js; test/webview/run.ts builds it first).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { MetricsSnapshot, RenderedChart } from '../../src/protocol/metrics';
import { smooth } from '../../src/core/charts/downsample';
import { SeriesCache, buildMetricsSnapshot } from '../../src/core/charts/panelData';
import { Store } from '../../src/core/store/store';
import { formatNumber } from '../../src/core/format';
import { YOLO_KEYS, grownSnapshot, manyRunsSnapshot, yoloSnapshot } from '../fixtures/webview/manyRuns';
import { tensorboardLax } from '../fixtures/webview/tensorboardLax';
import { tempDir } from '../helpers/tmp';
import { inkOf, launchChromium, openWebview, repoRoot, shotsDir } from '../helpers/webview';
import type { ThemeKind, WebviewPage } from '../helpers/webview';

type Rendered = { type: 'rendered'; charts: RenderedChart[]; series: number; points: number };

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

async function show(
  snapshot: MetricsSnapshot,
  theme: ThemeKind = 'light',
  state?: unknown,
): Promise<WebviewPage> {
  const w = await openWebview(browser, 'metrics', { theme, state });
  const ready = await w.waitFor<{ width: number }>('ready');
  assert.ok(ready.width > 200 && ready.width < 1280, `ready carries a chart width (${ready.width})`);
  await w.send({ type: 'snapshot', snapshot });
  await w.waitFor('rendered');
  return w;
}

async function done(w: WebviewPage): Promise<void> {
  assert.deepEqual(w.errors, [], 'no page errors');
  assert.deepEqual(await w.cspViolations(), [], 'nothing blocked by the CSP');
  await w.close();
}

/** The recorded runs cut short: one point of lax/bar_1 per run, ten of lax/bar_2, values scaled to 1e-4. */
function shortRuns(): MetricsSnapshot {
  const cut = (n: number, scale: number) => (c: MetricsSnapshot['charts'][number]) => ({
    ...c,
    series: c.series.map((x) => ({
      ...x,
      steps: x.steps.slice(0, n),
      times: x.times.slice(0, n),
      values: x.values.slice(0, n).map((v) => (v === null ? null : v * scale)),
      nonFinite: [],
      total: n,
    })),
  });
  return {
    ...tensorboardLax,
    charts: [cut(1, 1)(tensorboardLax.charts[0]), cut(10, 1e-4)(tensorboardLax.charts[1])],
  };
}

/**
 * Every run of the tensorboard-reducer test logs and tfevents-js's one-scalar file (real files, see
 * test/fixtures/importers/SOURCES.md), imported by the CLI into a new store, as the host charts them.
 */
function realTensorBoardSnapshot(): MetricsSnapshot {
  const ws = tempDir('runlens-webview-tb-');
  fs.mkdirSync(path.join(ws, '.runlens'));
  const tf = path.join(repoRoot, 'test/fixtures/importers/tfevents');
  for (const dir of ['tensorboard-reducer/tests/runs', 'tfevents-js/src/__tests__/assets']) {
    const r = spawnSync(
      process.execPath,
      [path.join(repoRoot, 'dist/cli.js'), 'import', 'tensorboard', path.join(tf, dir)],
      {
        cwd: ws,
        encoding: 'utf8',
        env: { ...process.env, RUNLENS_STORE: '' },
      },
    );
    assert.equal(r.status, 0, r.stderr || r.stdout);
  }
  const store = Store.open(path.join(ws, '.runlens'));
  const runs = store
    .listRuns()
    .entries.sort((a, b) => a.name.localeCompare(b.name))
    .map((entry) => ({ ref: `real#${entry.id}`, entry, metricsFile: store.metricsFile(entry.id) }));
  return buildMetricsSnapshot(runs, { cache: new SeriesCache(), points: 1200 });
}

describe('metrics webview', () => {
  test('short series: points drawn, no smoothing, compact ticks (dark)', async () => {
    const w = await show(shortRuns(), 'dark');
    const r = await w.waitFor<Rendered>('rendered');
    for (const i of [0, 1]) {
      const { ink } = await inkOf(w.page, '.card canvas', i);
      assert.ok(ink > 300, `chart ${i} draws its few points (${ink} px)`);
    }
    const label = (await w.page.locator('.card canvas').nth(1).getAttribute('aria-label')) ?? '';
    assert.match(label, /^lax\/bar_2 against step, 2 runs\./);
    assert.equal(r.charts.length, 2);
    // Whole steps only, even around a single point.
    for (const c of r.charts)
      for (const t of c.xTicks) assert.match(t, /^-?\d+$/, `${c.key}: tick ${t} is a whole step`);
    await w.page.screenshot({ path: path.join(shotsDir(), 'metrics-short-series-dark.png'), fullPage: true });
    await done(w);
  });

  test('ended runs that logged nothing say so', async () => {
    const w = await show({ ...tensorboardLax, charts: [] });
    assert.match(
      (await w.page.locator('.empty').textContent()) ?? '',
      /^The 3 runs shown logged no metric and have ended \(finished\): there is nothing to chart\.$/,
    );
    assert.equal(await w.page.getByRole('searchbox', { name: 'Filter metrics by name' }).isVisible(), false);
    await done(w);
  });

  for (const theme of ['light', 'dark', 'high-contrast'] as const) {
    test(`draws every chart of recorded TensorBoard runs (${theme})`, async () => {
      const w = await show(tensorboardLax, theme);
      const r = await w.waitFor<Rendered>('rendered');
      assert.deepEqual(
        r.charts.map((c) => c.key),
        tensorboardLax.charts.map((c) => c.key),
      );
      for (const [i, c] of r.charts.entries()) {
        assert.equal(c.xTitle, 'step');
        assert.equal(c.yTitle, c.key);
        assert.ok(c.xTicks.length >= 3, `${c.key} has x tick labels`);
        assert.equal(c.lines, tensorboardLax.charts[i].series.length);
        const { ink, colors } = await inkOf(w.page, '.card canvas', i);
        assert.ok(ink > 2000 && colors >= 3, `${c.key} canvas is drawn (${ink} px, ${colors} colours)`);
      }
      const legend = await w.page.locator('.legend button').allTextContents();
      assert.deepEqual(
        legend,
        tensorboardLax.runs.map((x) => x.label),
      );
      // A metric only some runs have says which runs lack it.
      const partial = tensorboardLax.charts.find((c) => c.missing.length)!;
      const footer = await w.page.locator('.card', { hasText: partial.key }).locator('footer').textContent();
      assert.match(footer ?? '', new RegExp(`No "${partial.key}" in`));
      await w.page.screenshot({
        path: path.join(shotsDir(), `metrics-tensorboard-${theme}.png`),
        fullPage: true,
      });
      await done(w);
    });

    test(`100 runs stay readable: legend, tooltip with every run (${theme})`, async () => {
      const snap = manyRunsSnapshot(100, 2000);
      const w = await show(snap, theme);
      assert.equal(await w.page.locator('.legend button').count(), 100);
      await w.page.screenshot({
        path: path.join(shotsDir(), `metrics-100-runs-${theme}.png`),
        fullPage: true,
      });
      const box = (await w.page.locator('.card canvas').first().boundingBox())!;
      await w.page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
      const rows = await w.page.locator('.tooltip .row').count();
      assert.equal(rows, snap.charts[0].series.length, 'one tooltip row per run with the metric');
      const tip = (await w.page.locator('.tooltip').boundingBox())!;
      assert.ok(tip.y + tip.height <= 900 && tip.x >= 0, 'the tooltip fits in the window');
      await w.page.screenshot({
        path: path.join(shotsDir(), `metrics-100-runs-tooltip-${theme}.png`),
        fullPage: true,
      });
      await done(w);
    });
  }

  test('YOLOv5 scalars in sections by prefix, with counts; collapsing; charts in view painted first', async () => {
    const snap = yoloSnapshot(3, 100, ['loss']);
    const w = await show(snap);
    const r = await w.waitFor<Rendered>('rendered');
    assert.equal(r.charts.length, 14);
    const heads = await w.page.locator('.group > h2 button').allTextContents();
    assert.deepEqual(heads, [
      'metrics4 metrics',
      'train3 metrics',
      'val3 metrics',
      'x3 metrics',
      'Other1 metric',
    ]);
    const sectionKeys = await w.page
      .locator('.group')
      .evaluateAll((gs) => gs.map((g) => [...g.querySelectorAll('.card h3')].map((h) => h.textContent)));
    assert.deepEqual(sectionKeys, [
      YOLO_KEYS.filter((k) => k.startsWith('metrics/')).sort(),
      YOLO_KEYS.filter((k) => k.startsWith('train/')).sort(),
      YOLO_KEYS.filter((k) => k.startsWith('val/')).sort(),
      YOLO_KEYS.filter((k) => k.startsWith('x/')).sort(),
      ['loss'],
    ]);
    // Lazy painting: the charts in view are painted first, those below the fold after them.
    const painted = (await w.posted()).filter((m) => m.type === 'painted').map((m) => m.key as string);
    const tops = await w.page
      .locator('.card')
      .evaluateAll((cs) => cs.map((c) => [c.getAttribute('aria-label'), c.getBoundingClientRect().top]));
    const inView = tops.filter(([, top]) => (top as number) < 900).map(([k]) => k);
    assert.ok(inView.length >= 2 && inView.length < 14, `${inView.length} charts in view`);
    assert.deepEqual(painted.slice(0, inView.length).sort(), [...inView].sort());
    await w.page.screenshot({ path: path.join(shotsDir(), 'metrics-sections-light.png'), fullPage: true });
    await w.page.screenshot({ path: path.join(shotsDir(), 'metrics-sections-view-light.png') });
    // Collapse train/: its cards go, the heading says so, the state keeps it.
    const train = w.page.getByRole('button', { name: /^train/ });
    await train.click();
    assert.equal(await train.getAttribute('aria-expanded'), 'false');
    assert.equal(await w.page.locator('.card', { hasText: 'train/box_loss' }).isVisible(), false);
    assert.equal(await w.page.locator('.card:visible').count(), 11);
    assert.deepEqual(((await w.state()) as { collapsed: string[] }).collapsed, ['train']);
    await w.page.screenshot({
      path: path.join(shotsDir(), 'metrics-sections-collapsed-light.png'),
      fullPage: true,
    });
    await train.click();
    assert.equal(await train.getAttribute('aria-expanded'), 'true');
    const i = await w.page.locator('.card h3').allTextContents();
    const { ink } = await inkOf(w.page, '.card canvas', i.indexOf('train/obj_loss'));
    assert.ok(ink > 2000, `train/obj_loss drawn after expanding (${ink} px)`);
    await done(w);
  });

  test('a section collapsed in the saved state is drawn when opened', async () => {
    const snap = yoloSnapshot(3, 100);
    const w = await show(snap, 'dark', {
      refs: [],
      xAxis: 'step',
      smoothing: 0.6,
      logKeys: [],
      hidden: [],
      filter: '',
      collapsed: ['metrics'],
      tables: [],
    });
    const metrics = w.page.getByRole('button', { name: /^metrics/ });
    assert.equal(await metrics.getAttribute('aria-expanded'), 'false');
    assert.equal(await w.page.locator('.card:visible').count(), 9);
    await metrics.click();
    const i = (await w.page.locator('.card h3').allTextContents()).indexOf('metrics/mAP_0.5');
    await w.page.waitForFunction((n) => {
      const c = document.querySelectorAll<HTMLCanvasElement>('.card canvas')[n];
      return c.clientHeight > 100;
    }, i);
    const { ink, colors } = await inkOf(w.page, '.card canvas', i);
    assert.ok(ink > 2000 && colors >= 3, `metrics/mAP_0.5 drawn once opened (${ink} px, ${colors} colours)`);
    await w.page.screenshot({ path: path.join(shotsDir(), 'metrics-sections-dark.png'), fullPage: true });
    await done(w);
  });

  test('real TensorBoard logs: sections dup_steps, lax and Other; a step logged twice shows both values', async () => {
    const snap = realTensorBoardSnapshot();
    assert.deepEqual(
      snap.charts.map((c) => c.key),
      [
        'dup_steps/bar',
        'dup_steps/foo',
        'hello',
        'lax/bar_1',
        'lax/bar_2',
        'lax/bar_3',
        'lax/bar_4',
        'lax/foo',
        'strict/foo',
      ],
    );
    const w = await show(snap, 'light', {
      refs: [],
      xAxis: 'step',
      smoothing: 0,
      logKeys: [],
      hidden: [],
      filter: '',
      collapsed: [],
      tables: ['dup_steps/bar'],
    });
    assert.deepEqual(await w.page.locator('.group > h2 button').allTextContents(), [
      'dup_steps2 metrics',
      'lax5 metrics',
      'Other2 metrics',
    ]);
    assert.deepEqual(await w.page.locator('.group').last().locator('.card h3').allTextContents(), [
      'hello',
      'strict/foo',
    ]);
    // The table kept in the state is shown; a step logged twice by a run shows both values, in order.
    const chart = snap.charts[0];
    const card = w.page.locator('.card').first();
    assert.equal(await card.getByRole('button', { name: 'Table' }).getAttribute('aria-pressed'), 'true');
    assert.equal(
      await card.locator('caption').textContent(),
      `dup_steps/bar: 3 runs, ${chart.series.reduce((n, x) => n + x.steps.length, 0)} points`,
    );
    // A column per run with the metric, in the panel's run order.
    assert.deepEqual(
      (await card.locator('thead th').allTextContents()).slice(1),
      chart.series.map((x) => ` ${snap.runs.find((r) => r.ref === x.ref)!.label}`),
    );
    const rows = await card
      .locator('tbody tr')
      .evaluateAll((rs) => rs.map((r) => [...r.children].map((c) => c.textContent)));
    const steps = [...new Set(chart.series.flatMap((x) => x.steps))].sort((a, b) => a - b);
    assert.equal(rows.length, steps.length);
    let doubled = 0;
    for (const [j, x] of chart.series.entries()) {
      for (const [i, step] of steps.entries()) {
        const at = x.steps.flatMap((st, k) => (st === step ? [formatNumber(x.values[k]!)] : []));
        if (at.length > 1) doubled++;
        assert.equal(rows[i][0], String(step));
        assert.equal(rows[i][j + 1], at.join(', '), `run ${j} at step ${step}`);
      }
    }
    assert.ok(doubled >= 10, `steps logged twice: ${doubled}`);
    await card.screenshot({ path: path.join(shotsDir(), 'metrics-real-duplicate-steps-table-light.png') });
    await w.page.screenshot({
      path: path.join(shotsDir(), 'metrics-real-tensorboard-light.png'),
      fullPage: true,
    });
    await done(w);
  });

  test('the metric-name filter: matches, counts, nothing matched, kept in the state', async () => {
    const snap = yoloSnapshot(3, 100, ['loss']);
    const w = await show(snap);
    const filter = w.page.getByRole('searchbox', { name: 'Filter metrics by name' });
    const visibleKeys = () => w.page.locator('.card:visible h3').allTextContents();
    await filter.fill('val loss');
    assert.deepEqual(await visibleKeys(), ['val/box_loss', 'val/cls_loss', 'val/obj_loss']);
    assert.equal(await w.page.locator('.filter-status').textContent(), '3 of 14 metrics match.');
    assert.deepEqual(await w.page.locator('.group:visible > h2 button').allTextContents(), ['val3 metrics']);
    await filter.fill('box');
    assert.deepEqual(await visibleKeys(), ['train/box_loss', 'val/box_loss']);
    assert.deepEqual(await w.page.locator('.group:visible > h2 button').allTextContents(), [
      'train1 of 3 metrics',
      'val1 of 3 metrics',
    ]);
    await w.page.screenshot({ path: path.join(shotsDir(), 'metrics-filter-light.png'), fullPage: true });
    await filter.fill('f1');
    assert.deepEqual(await visibleKeys(), []);
    assert.equal(
      await w.page.locator('.filter-status').textContent(),
      'No metric name matches "f1" (14 metrics in all).',
    );
    await filter.fill('MAP');
    assert.deepEqual(await visibleKeys(), ['metrics/mAP_0.5', 'metrics/mAP_0.5:0.95']);
    const state = (await w.state()) as { filter: string };
    assert.equal(state.filter, 'MAP');
    await w.close();
    const again = await show(snap, 'light', state);
    assert.equal(
      await again.page.getByRole('searchbox', { name: 'Filter metrics by name' }).inputValue(),
      'MAP',
    );
    assert.deepEqual(await again.page.locator('.card:visible h3').allTextContents(), [
      'metrics/mAP_0.5',
      'metrics/mAP_0.5:0.95',
    ]);
    await done(again);
  });

  test('Show as table: the values of the data, as the tooltip shows them', async () => {
    const snap = yoloSnapshot(3, 100);
    const w = await show(snap);
    const key = 'metrics/mAP_0.5';
    const chart = snap.charts.find((c) => c.key === key)!;
    const card = w.page.locator('.card', { has: w.page.locator('h3', { hasText: /^metrics\/mAP_0\.5$/ }) });
    const button = card.getByRole('button', { name: 'Table' });
    await button.click();
    assert.equal(await button.getAttribute('aria-pressed'), 'true');
    assert.equal(await card.locator('canvas').isVisible(), false);
    const table = card.getByRole('table');
    assert.deepEqual(await table.locator('thead th').allTextContents(), [
      'step',
      ...snap.runs.map((r) => ` ${r.label}`),
    ]);
    assert.equal(await table.locator('caption').textContent(), `${key}: 3 runs, 210 points, smoothed (raw)`);
    const cells = await table
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
    assert.equal(cells.length, 100);
    // Smoothing 0.6: long series show the smoothed value and the raw one; the 10-point run its own.
    const expected = (s: (typeof chart.series)[number], weight: number) => {
      const sm =
        s.steps.length > 30 && weight > 0
          ? smooth(
              s.values.map((v) => v ?? NaN),
              weight,
            )
          : null;
      return s.values.map((v, i) => (sm ? `${formatNumber(sm[i])} (${formatNumber(v!)})` : formatNumber(v!)));
    };
    for (const [j, s] of chart.series.entries()) {
      const want = expected(s, 0.6);
      for (let i = 0; i < 100; i++) {
        assert.equal(cells[i][0], formatNumber(i));
        assert.equal(cells[i][j + 1], i < s.steps.length ? want[i] : '', `run ${j} at step ${i}`);
      }
    }
    // The tooltip at a step shows the same texts as the table's row.
    await button.click();
    const box = (await card.locator('canvas').boundingBox())!;
    // A step the 10-epoch run has too: every run's row is at that step.
    let tip = '';
    let step = -1;
    for (let x = box.x; x < box.x + box.width && step < 0; x += 2) {
      await w.page.mouse.move(x, box.y + box.height / 2);
      tip = (await w.page.locator('.tooltip').textContent()) ?? '';
      const m = /^step (\d+)/.exec(tip);
      if (m && Number(m[1]) >= 3 && Number(m[1]) <= 9) step = Number(m[1]);
    }
    assert.ok(step > 0, tip);
    const rowTexts = await w.page
      .locator('.tooltip .row')
      .evaluateAll((rs) =>
        rs.map((r) => [r.querySelector('.name')!.textContent, r.lastElementChild!.textContent]),
      );
    assert.equal(rowTexts.length, 3);
    for (const [label, text] of rowTexts) {
      const j = snap.runs.findIndex((r) => r.label === label);
      assert.equal(text, cells[step][j + 1], `${label} at step ${step}: tooltip and table agree`);
      assert.equal(text, expected(chart.series[j], 0.6)[step]);
    }
    await w.page.mouse.move(0, 0);
    await button.click();
    // Without smoothing the cells are the logged values.
    await w.page.getByLabel('Smoothing').fill('0');
    const raw = await table
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
    for (const [j, s] of chart.series.entries())
      for (let i = 0; i < s.steps.length; i++) assert.equal(raw[i][j + 1], formatNumber(s.values[i]!));
    assert.equal(await table.locator('caption').textContent(), `${key}: 3 runs, 210 points`);
    assert.deepEqual(((await w.state()) as { tables: string[] }).tables, [key]);
    await w.page.screenshot({ path: path.join(shotsDir(), 'metrics-table-light.png'), fullPage: true });
    await card.screenshot({ path: path.join(shotsDir(), 'metrics-table-card-light.png') });
    await done(w);
  });

  test('one point, one run: singular words in the table and the chart label', async () => {
    const one = shortRuns();
    const snap = {
      ...one,
      runs: one.runs.slice(0, 1),
      charts: one.charts.map((c) => ({ ...c, series: c.series.slice(0, 1), missing: [] })),
    };
    const w = await show(snap, 'high-contrast');
    const card = w.page.locator('.card').first();
    assert.match((await card.locator('canvas').getAttribute('aria-label')) ?? '', /, 1 run\./);
    await card.getByRole('button', { name: 'Table' }).click();
    assert.equal(await card.locator('caption').textContent(), `${snap.charts[0].key}: 1 run, 1 point`);
    assert.equal(await w.page.locator('.group > h2 button').first().textContent(), 'lax2 metrics');
    await w.page.screenshot({ path: path.join(shotsDir(), 'metrics-one-point-hc.png'), fullPage: true });
    await done(w);
  });

  test('keyboard: one Tab stop per chart, arrow keys inside it, the table reachable', async () => {
    const snap = yoloSnapshot(2, 40, ['loss']);
    const w = await show(snap);
    const page = w.page;
    const focused = () =>
      page.evaluate(() => {
        const a = document.activeElement!;
        const card = a.closest('.card');
        const group = a.closest('.group');
        return `${a.tagName.toLowerCase()}|${card?.getAttribute('aria-label') ?? group?.querySelector('.name')?.textContent ?? ''}|${a.textContent ?? ''}`;
      });
    // Tab from the filter through the page: a heading button per section, then one stop per chart.
    await page.getByRole('searchbox', { name: 'Filter metrics by name' }).focus();
    const stops: string[] = [];
    for (let i = 0; i < 19; i++) {
      await page.keyboard.press('Tab');
      stops.push(await focused());
    }
    const expected: string[] = [];
    for (const [prefix, keys] of [
      ['metrics', YOLO_KEYS.filter((k) => k.startsWith('metrics/')).sort()],
      ['train', YOLO_KEYS.filter((k) => k.startsWith('train/')).sort()],
      ['val', YOLO_KEYS.filter((k) => k.startsWith('val/')).sort()],
      ['x', YOLO_KEYS.filter((k) => k.startsWith('x/')).sort()],
      ['Other', ['loss']],
    ] as const) {
      expected.push(`button|${prefix}|${prefix}${keys.length === 1 ? '1 metric' : `${keys.length} metrics`}`);
      for (const k of keys) expected.push(`canvas|${k}|`);
    }
    assert.deepEqual(stops, expected);
    // Inside the first chart: up to its buttons, right along them, Enter shows the table, down into it.
    await page.locator('.card canvas').first().focus();
    assert.equal(await focused(), 'canvas|metrics/mAP_0.5|');
    await page.keyboard.press('ArrowUp');
    assert.equal(await focused(), 'button|metrics/mAP_0.5|Log');
    for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowRight');
    assert.equal(await focused(), 'button|metrics/mAP_0.5|Table');
    await page.keyboard.press('Enter');
    await page.keyboard.press('ArrowDown');
    assert.match(await focused(), /^div\|metrics\/mAP_0\.5\|metrics\/mAP_0\.5: 2 runs, 50 points/);
    await page
      .locator('.card')
      .first()
      .screenshot({ path: path.join(shotsDir(), 'metrics-keyboard-table-focus-light.png') });
    assert.equal(await page.evaluate(() => document.activeElement!.getAttribute('role')), 'region');
    // Still one stop: Tab leaves for the next chart, Shift+Tab comes back to the table.
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'canvas|metrics/mAP_0.5:0.95|');
    await page.keyboard.press('Shift+Tab');
    assert.match(await focused(), /^div\|metrics\/mAP_0\.5\|/);
    await page.keyboard.press('ArrowUp');
    assert.equal(await focused(), 'button|metrics/mAP_0.5|Table');
    await page.keyboard.press('Home');
    assert.equal(await focused(), 'button|metrics/mAP_0.5|Log');
    await page.keyboard.press('End');
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focused(), 'canvas|metrics/mAP_0.5|');
    // The zoom keys still work on the plot.
    await page.keyboard.press('+');
    const zoom = await w.waitFor<{ key: string }>('zoom');
    assert.equal(zoom.key, 'metrics/mAP_0.5');
    // Section headings are buttons: Enter folds and unfolds.
    await page.getByRole('button', { name: /^train/ }).focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.getByRole('button', { name: /^train/ }).getAttribute('aria-expanded'), 'false');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'button|val|val3 metrics');
    await page.screenshot({ path: path.join(shotsDir(), 'metrics-keyboard-light.png'), fullPage: true });
    await done(w);
  });

  test('legend buttons hide and show a run; Hide all / Show all', async () => {
    const snap = manyRunsSnapshot(4, 300);
    const w = await show(snap);
    const before = await inkOf(w.page, '.card canvas', 0);
    const first = w.page.locator('.legend button').first();
    await first.focus();
    await w.page.keyboard.press('Enter');
    assert.equal(await first.getAttribute('aria-pressed'), 'false');
    assert.deepEqual(((await w.state()) as { hidden: string[] }).hidden, [snap.runs[0].ref]);
    await w.page.getByRole('button', { name: 'Hide all' }).click();
    const hidden = await inkOf(w.page, '.card canvas', 0);
    assert.ok(
      hidden.ink < before.ink,
      `fewer pixels drawn with every run hidden (${hidden.ink} < ${before.ink})`,
    );
    await w.page.getByRole('button', { name: 'Show all' }).click();
    assert.equal(await w.page.locator('.legend button[aria-pressed="true"]').count(), 4);
    await done(w);
  });

  test('NaN and infinite values are gaps, flagged in the tooltip', async () => {
    const snap = manyRunsSnapshot(3, 200, 1200);
    const loss = snap.charts.find((c) => c.key === 'loss')!;
    const s = loss.series.find((x) => x.nonFinite.length)!;
    assert.deepEqual(
      s.nonFinite.map(([, code]) => code),
      ['NaN', 'Infinity'],
    );
    const w = await show(snap, 'dark', { refs: [], xAxis: 'step', smoothing: 0, logKeys: [], hidden: [] });
    const index = [...snap.charts.map((c) => c.key)].indexOf('loss');
    const canvas = w.page.locator('.card canvas').nth(index);
    const nanStep = s.steps[s.nonFinite[0][0]];
    const box = (await canvas.boundingBox())!;
    // Scan across the plot until the tooltip shows the flagged step.
    let flagged = '';
    for (let x = box.x + 40; x < box.x + box.width && !flagged; x += 2) {
      await w.page.mouse.move(x, box.y + box.height / 2);
      const text = (await w.page.locator('.tooltip').textContent()) ?? '';
      if (/NaN ⚠/.test(text)) flagged = text;
    }
    assert.match(flagged, new RegExp(`step ${nanStep}`));
    await done(w);
  });

  test('controls post the right messages: runs picker, CSV, PNG, zoom by keyboard', async () => {
    const snap = manyRunsSnapshot(5, 500);
    const w = await show(snap);
    // Runs picker: uncheck one run and apply.
    await w.page.getByRole('button', { name: /Runs \(5 of 5\)/ }).click();
    await w.page.getByRole('dialog').getByRole('checkbox').nth(2).uncheck();
    await w.page.getByRole('button', { name: 'Show selected runs' }).click();
    const sel = await w.waitFor<{ refs: string[] }>('selectRuns');
    assert.deepEqual(
      sel.refs,
      snap.runs.filter((_, i) => i !== 2).map((r) => r.ref),
    );
    // CSV and PNG of the first chart.
    const card = w.page.locator('.card').first();
    await card.getByRole('button', { name: 'CSV' }).click();
    assert.deepEqual(await w.waitFor('exportCsv'), { type: 'exportCsv', key: snap.charts[0].key });
    await card.getByRole('button', { name: 'PNG' }).click();
    const png = await w.waitFor<{ key: string; dataUrl: string }>('exportPng');
    assert.equal(png.key, snap.charts[0].key);
    const bytes = Buffer.from(png.dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64');
    assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
    assert.ok(bytes.length > 5000, 'the PNG holds a drawn chart');
    // Zoom in by keyboard: a request for the visible step range at full resolution.
    await card.locator('canvas').focus();
    await w.page.keyboard.press('+');
    await w.page.keyboard.press('+');
    const zoom = await w.waitFor<{
      requestId: number;
      key: string;
      range: { axis: string; min: number; max: number };
    }>('zoom');
    assert.equal(zoom.key, snap.charts[0].key);
    assert.equal(zoom.range.axis, 'step');
    assert.ok(
      zoom.range.min > 0 && zoom.range.max < 499 && zoom.range.min < zoom.range.max,
      JSON.stringify(zoom.range),
    );
    // The host answers with the range's points; the chart shows them and says it is zoomed.
    const series = snap.charts[0].series.map((s) => {
      const keep = s.steps
        .map((_, i) => i)
        .filter((i) => s.steps[i] >= zoom.range.min && s.steps[i] <= zoom.range.max);
      return {
        ...s,
        steps: keep.map((i) => s.steps[i]),
        times: keep.map((i) => s.times[i]),
        values: keep.map((i) => s.values[i]),
        nonFinite: [],
      };
    });
    await w.send({ type: 'zoomData', requestId: zoom.requestId, key: zoom.key, range: zoom.range, series });
    await w.page.waitForFunction(() =>
      /Zoomed/.test(document.querySelector('.card footer')?.textContent ?? ''),
    );
    await w.page.keyboard.press('0');
    await w.page.waitForFunction(
      () => !/Zoomed/.test(document.querySelector('.card footer')?.textContent ?? ''),
    );
    await done(w);
  });

  test('x axis, smoothing and log scale are kept with setState and restored', async () => {
    const w = await show(manyRunsSnapshot(3, 300));
    await w.page.getByLabel('X axis').selectOption('relative');
    await w.page.getByLabel('Smoothing').fill('0.3');
    await w.page.locator('.card').first().getByRole('button', { name: 'Log' }).click();
    const state = (await w.state()) as {
      xAxis: string;
      smoothing: number;
      logKeys: string[];
      refs: string[];
    };
    assert.equal(state.xAxis, 'relative');
    assert.equal(state.smoothing, 0.3);
    assert.deepEqual(state.logKeys, ['accuracy']);
    assert.equal(state.refs.length, 3);
    await w.close();
    const again = await show(manyRunsSnapshot(3, 300), 'light', state);
    assert.equal(await again.page.getByLabel('X axis').inputValue(), 'relative');
    assert.equal(await again.page.getByLabel('Smoothing').inputValue(), '0.3');
    const r = await again.waitFor<Rendered>('rendered');
    assert.equal(r.charts[0].xTitle, 'relative time');
    assert.equal(
      await again.page
        .locator('.card')
        .first()
        .getByRole('button', { name: 'Log' })
        .getAttribute('aria-pressed'),
      'true',
    );
    await done(again);
  });

  test('live points are appended in place: same chart, more points', async () => {
    const w = await show(manyRunsSnapshot(10, 1000));
    const first = await w.waitFor<Rendered>('rendered');
    await w.page.evaluate(() => {
      (document.querySelector('.card canvas') as HTMLCanvasElement & { __mark?: boolean }).__mark = true;
    });
    await w.send({ type: 'snapshot', snapshot: grownSnapshot(10, 1000, 100) });
    const second = await w.waitFor<Rendered>('rendered', 2);
    assert.ok(second.points > first.points, `${second.points} > ${first.points}`);
    const same = await w.page.evaluate(
      () =>
        (document.querySelector('.card canvas') as HTMLCanvasElement & { __mark?: boolean }).__mark === true,
    );
    assert.ok(same, 'the chart was updated, not recreated');
    await done(w);
  });

  test('a message of unknown type is logged and ignored; empty states explain themselves', async () => {
    const w = await openWebview(browser, 'metrics', { theme: 'light' });
    await w.waitFor('ready');
    await w.send({ type: 'frobnicate', payload: 1 });
    await w.send('not even an object');
    const empty = manyRunsSnapshot(1, 10);
    await w.send({ type: 'snapshot', snapshot: { ...empty, charts: [] } });
    await w.waitFor('rendered');
    assert.match(
      (await w.page.locator('.empty').textContent()) ?? '',
      /None of the runs shown has logged a metric yet/,
    );
    assert.equal(w.consoleMessages.filter((m) => /ignored a message of unknown type/.test(m)).length, 2);
    await w.send({
      type: 'snapshot',
      snapshot: {
        ...empty,
        runs: [],
        charts: [],
        notices: ['Run x is no longer in the store (deleted or moved); it is left out.'],
      },
    });
    await w.waitFor('rendered', 2);
    assert.match((await w.page.locator('.notices').textContent()) ?? '', /no longer in the store/);
    assert.match((await w.page.locator('.empty').textContent()) ?? '', /No runs shown/);
    await done(w);
  });
});
