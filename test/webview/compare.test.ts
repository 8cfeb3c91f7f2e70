// The compare webview in headless Chromium, fed a snapshot recorded from real MLflow runs
// (assumes dist/webview is built: node scripts/build.js; test/webview/run.ts builds it first).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { CompareSnapshot } from '../../src/protocol/compare';
import { hydraSweep } from '../fixtures/webview/hydraSweep';
import { mlflowDiffusers } from '../fixtures/webview/mlflowDiffusers';
import { inkOf, launchChromium, openWebview, shotsDir } from '../helpers/webview';
import type { ThemeKind, WebviewPage } from '../helpers/webview';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

async function show(
  snapshot: CompareSnapshot,
  theme: ThemeKind = 'light',
  state?: unknown,
): Promise<WebviewPage> {
  const w = await openWebview(browser, 'compare', { theme, state });
  await w.waitFor('ready');
  await w.send({ type: 'snapshot', snapshot });
  await w.waitFor('rendered');
  return w;
}

async function done(w: WebviewPage): Promise<void> {
  assert.deepEqual(w.errors, []);
  assert.deepEqual(await w.cspViolations(), []);
  await w.close();
}

const columnTexts = (w: WebviewPage, col: number) =>
  w.page.locator(`table.compare tbody tr > :nth-child(${col})`).allTextContents();

describe('compare webview', () => {
  for (const theme of ['light', 'dark'] as const) {
    test(`table, best marks, deltas, parallel coordinates and scatter (${theme})`, async () => {
      const s = mlflowDiffusers;
      const w = await show(s, theme);
      assert.equal(await w.page.locator('table.compare tbody tr').count(), s.runs.length);
      // The baseline row comes first and is marked.
      const first = (await w.page.locator('table.compare tbody tr').first().textContent()) ?? '';
      const base = s.runs.find((r) => r.isBaseline)!;
      assert.match(first, new RegExp(`${base.name}.*baseline`));
      // One ★ per metric whose goal is known (best latest value), on the run the host marked.
      const withGoal = s.metrics.filter((m) => m.stats.last.some((c) => c?.isBest));
      assert.equal(await w.page.locator('td.best').count(), withGoal.length);
      // Deltas are coloured by the metric's goal.
      const better = await w.page.locator('.delta.better').count();
      const worse = await w.page.locator('.delta.worse').count();
      const expected = s.metrics.flatMap((m) => m.stats.last.map((c) => c?.delta?.verdict));
      assert.equal(better, expected.filter((v) => v === 'better').length);
      assert.equal(worse, expected.filter((v) => v === 'worse').length);
      for (const i of [0, 1]) {
        const { ink, colors } = await inkOf(w.page, '.charts canvas', i);
        assert.ok(ink > 1500 && colors >= 3, `chart ${i} is drawn (${ink} px, ${colors} colours)`);
      }
      await w.page.screenshot({ path: path.join(shotsDir(), `compare-mlflow-${theme}.png`), fullPage: true });
      await done(w);
    });
  }

  test('sorting by a column (keyboard), only-differing toggle, statistic choice', async () => {
    const s = mlflowDiffusers;
    const w = await show(s);
    const metric = s.metrics.find((m) => m.key === 'avg_throughput')!;
    const header = w.page.getByRole('button', { name: /^avg_throughput/ });
    await header.focus();
    await w.page.keyboard.press('Enter');
    const th = w.page.locator('th[data-col="metric:avg_throughput"]');
    assert.equal(await th.getAttribute('aria-sort'), 'descending');
    const col =
      (await w.page.locator('thead th').allTextContents()).findIndex((t) => t.startsWith('avg_throughput')) +
      1;
    const shown = (await columnTexts(w, col)).map((t) => parseFloat(t));
    const baseIndex = s.runs.findIndex((r) => r.isBaseline);
    const rest = metric.stats.last
      .map((c, i) => ({ v: c!.value!, i }))
      .filter((x) => x.i !== baseIndex)
      .sort((a, b) => b.v - a.v)
      .map((x) => x.v);
    // The baseline stays on top; the others follow, highest first.
    assert.deepEqual(
      shown.slice(1).map((v) => v.toPrecision(4)),
      rest.map((v) => Number(v.toPrecision(5)).toPrecision(4)),
    );
    await w.page.keyboard.press('Enter');
    assert.equal(await th.getAttribute('aria-sort'), 'ascending');
    // Every param of these runs differs, so the toggle shows the same columns; a param equal in all
    // runs would appear only with the toggle off.
    const before = await w.page.locator('thead th').count();
    await w.page.getByLabel('Only params that differ').uncheck();
    assert.equal(
      await w.page.locator('thead th').count(),
      before + s.params.filter((p) => !p.differs).length,
    );
    await w.page.getByLabel('Metric value').selectOption('max');
    const maxCol = (await columnTexts(w, col)).map((t) => parseFloat(t)).sort((a, b) => a - b);
    assert.deepEqual(
      maxCol,
      metric.stats.max.map((c) => Number(c!.value!.toPrecision(5))).sort((a, b) => a - b),
    );
    const state = (await w.state()) as { stat: string; onlyDiffering: boolean; sort: { column: string } };
    assert.equal(state.stat, 'max');
    assert.equal(state.onlyDiffering, false);
    assert.equal(state.sort.column, 'metric:avg_throughput');
    await done(w);
  });

  test('baseline and step controls post messages; unknown messages are ignored', async () => {
    const s = mlflowDiffusers;
    const w = await show(s, 'dark');
    await w.page.getByLabel('Baseline').selectOption(s.runs[2].ref);
    assert.deepEqual(await w.waitFor('setBaseline'), { type: 'setBaseline', ref: s.runs[2].ref });
    await w.page.getByLabel('Baseline').selectOption('');
    assert.deepEqual(await w.waitFor('setBaseline', 2), { type: 'setBaseline', ref: null });
    await w.page.getByLabel('Step', { exact: true }).fill('20');
    await w.page.getByLabel('Step', { exact: true }).press('Enter');
    assert.deepEqual(await w.waitFor('setStep'), { type: 'setStep', step: 20 });
    await w.send({ type: 'bogus' });
    assert.ok(w.consoleMessages.some((m) => /ignored a message of unknown type/.test(m)));
    await w.send({ type: 'snapshot', snapshot: { ...s, runs: s.runs.slice(0, 1), metrics: [], params: [] } });
    await w.waitFor('rendered', 2);
    assert.match((await w.page.locator('.notices').textContent()) ?? '', /two or more runs/);
    await done(w);
  });

  for (const theme of ['light', 'dark'] as const) {
    test(`many nested params (103 per run): metrics in view, params as grouped rows, 8 axes (${theme})`, async () => {
      const s = hydraSweep;
      const w = await show(s, theme);
      const page = w.page;
      // Params are rows of their own table; the runs table keeps run, metrics and source columns,
      // every metric header inside the 1280 px viewport.
      assert.equal(await page.getByLabel('Params as rows').isChecked(), true);
      assert.equal(await page.locator('table.compare:not(.params) th[data-col^="param:"]').count(), 0);
      for (const m of s.metrics) {
        const box = await page.locator(`th[data-col="metric:${m.key}"]`).boundingBox();
        assert.ok(
          box && box.x >= 0 && box.x + box.width <= 1280,
          `${m.key} header is in view (${JSON.stringify(box)})`,
        );
      }
      // Only the params that differ (default), grouped by prefix.
      const differing = s.params.filter((p) => p.differs);
      assert.equal(await page.locator('table.params tr[data-param]').count(), differing.length);
      assert.match((await page.locator('#params-heading').textContent()) ?? '', /16 of 103/);
      const model = page.locator('tr.group[data-group="model"] button');
      assert.equal(await model.getAttribute('aria-expanded'), 'true');
      const inModel = differing.filter((p) => p.key.startsWith('model/')).length;
      assert.ok(inModel >= 2);
      assert.equal(await page.locator('table.params tr[data-param^="model/"]').count(), inModel);
      // Fold with the keyboard, unfold again.
      await model.focus();
      await page.keyboard.press('Enter');
      assert.equal(await page.locator('table.params tr[data-param^="model/"]').count(), 0);
      assert.equal(await model.getAttribute('aria-expanded'), 'false');
      await page.keyboard.press('Enter');
      assert.equal(await page.locator('table.params tr[data-param^="model/"]').count(), inModel);
      // A long value is cut in the middle; its tooltip holds all of it.
      const dirpath = s.params.find((p) => p.key === 'callbacks/model_checkpoint/dirpath')!;
      const cell = page.locator('tr[data-param="callbacks/model_checkpoint/dirpath"] td.param').first();
      // No baseline in these runs: the first column is the first run.
      const full = String(dirpath.values[0]);
      const shown = (await cell.textContent()) ?? '';
      assert.ok(shown.length < full.length && shown.includes('…'), shown);
      assert.ok(full.endsWith(shown.split('…')[1]) && full.startsWith(shown.split('…')[0]));
      await cell.hover();
      assert.equal(await cell.getAttribute('title'), full);
      // Importance: Spearman's rho with the chosen metric; n/a for a text param.
      const header = page.locator('table.params thead th', { hasText: 'Importance' });
      // The first metric with a goal by default; the choice is shared with the parallel coordinates.
      assert.match((await header.getAttribute('title')) ?? '', /Spearman.*Metric: test\/acc \(latest\)/s);
      await page.getByLabel('Importance for').selectOption('val/acc');
      assert.match((await header.getAttribute('title')) ?? '', /Spearman.*Metric: val\/acc \(latest\)/s);
      assert.equal(await page.locator('#parallel-metric').inputValue(), 'val/acc');
      const rho = (key: string) => page.locator(`tr[data-param="${key}"] td.importance`).textContent();
      assert.equal(await rho('callbacks/model_checkpoint/dirpath'), 'n/a');
      assert.match((await rho('model/optimizer/lr')) ?? '', /^-?[01]\.\d\d$/);
      // A float sweep logged as "0.0", 0.1, ... is numeric: it has an importance.
      assert.match((await rho('model/net/dropout')) ?? '', /^-?[01]\.\d\d$/);
      // Parallel coordinates: at most 8 axes by default, numeric params that vary, lr and dropout
      // (what the metric depends on) among them; the scatter's x is the first of them.
      const chips = page.locator('ul.axes li');
      const axes = await chips.evaluateAll((els) => els.map((e) => e.getAttribute('title') ?? ''));
      assert.ok(axes.length > 1 && axes.length <= 8, `${axes.length} axes`);
      for (const key of axes) {
        const p = s.params.find((x) => x.key === key)!;
        // Numbers, or text that spells one: MLflow logs the float 0.0 of a sweep as the text "0.0".
        assert.ok(
          p.differs && p.values.every((v) => typeof v === 'number' || /^-?[\d.]+(e-?\d+)?$/.test(String(v))),
          `${key} is numeric and varies`,
        );
      }
      assert.ok(axes.includes('model/optimizer/lr') && axes.includes('model/net/dropout'), axes.join(', '));
      assert.equal(await page.locator('#scatter-param').inputValue(), axes[0]);
      const { ink } = await inkOf(page, '.charts canvas', 0);
      assert.ok(ink > 1500, `parallel coordinates drawn (${ink} px)`);
      await page.mouse.move(0, 0); // no hover highlight in the picture
      await page.screenshot({
        path: path.join(shotsDir(), `compare-many-params-${theme}.png`),
        fullPage: true,
      });
      // Remove an axis and add one back, by keyboard.
      await page.getByRole('button', { name: `Remove axis ${axes[0]}` }).focus();
      await page.keyboard.press('Enter');
      assert.equal(await chips.count(), axes.length - 1);
      await page.getByLabel('Add axis').focus();
      await page.getByLabel('Add axis').selectOption('callbacks/model_checkpoint/dirpath');
      assert.equal(await chips.count(), axes.length);
      assert.equal(await chips.last().getAttribute('title'), 'callbacks/model_checkpoint/dirpath');
      const saved = (await w.state()) as { axes: string[]; collapsed: string[] };
      assert.deepEqual(saved.axes, [...axes.slice(1), 'callbacks/model_checkpoint/dirpath']);
      await page.getByRole('button', { name: 'Default axes' }).click();
      assert.deepEqual(await chips.evaluateAll((els) => els.map((e) => e.getAttribute('title'))), axes);
      // All 103 params: constant groups appear and fold too.
      await page.getByLabel('Only params that differ').uncheck();
      assert.equal(await page.locator('table.params tr[data-param]').count(), s.params.length);
      const callbacks = s.params.filter((p) => p.key.startsWith('callbacks/')).length;
      assert.equal(await page.locator('table.params tr[data-param^="callbacks/"]').count(), callbacks);
      await page.locator('tr.group[data-group="callbacks"] button').click();
      assert.equal(await page.locator('table.params tr[data-param^="callbacks/"]').count(), 0);
      assert.deepEqual(((await w.state()) as { collapsed: string[] }).collapsed, ['callbacks']);
      // Params back as columns when the user asks for it.
      await page.getByLabel('Params as rows').uncheck();
      assert.equal(await page.locator('.params-section').isHidden(), true);
      assert.equal(await page.locator('th[data-col^="param:"]').count(), s.params.length);
      await done(w);
    });
  }
});
