// The metrics chart webview in headless Chromium, fed recorded snapshots (assumes dist/webview is
// built: node scripts/build.js; test/webview/run.ts builds it first).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { MetricsSnapshot, RenderedChart } from '../../src/protocol/metrics';
import { grownSnapshot, manyRunsSnapshot } from '../fixtures/webview/manyRuns';
import { tensorboardLax } from '../fixtures/webview/tensorboardLax';
import { inkOf, launchChromium, openWebview, shotsDir } from '../helpers/webview';
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
    await w.page.screenshot({ path: path.join(shotsDir(), 'metrics-short-series-dark.png'), fullPage: true });
    await done(w);
  });

  test('ended runs that logged nothing say so', async () => {
    const w = await show({ ...tensorboardLax, charts: [] });
    assert.match(
      (await w.page.locator('.empty').textContent()) ?? '',
      /^The 3 runs shown logged no metric and have ended \(finished\): there is nothing to chart\.$/,
    );
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
