// The evaluation webview in headless Chromium, fed snapshots the core builds from real evaluations
// (test/fixtures/webview/evaluations.ts). Assumes dist/webview is built (node scripts/build.js).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { MAX_CURVE_POINTS, evaluationSnapshot } from '../../src/core/eval/view';
import type { EvaluationSnapshot, RenderedEvalChart } from '../../src/protocol/evaluation';
import type { BikeEvaluations } from '../fixtures/webview/evaluations';
import { bikeEvaluations, irisEvaluation } from '../fixtures/webview/evaluations';
import { inkOf, launchChromium, openWebview, shotsDir } from '../helpers/webview';
import type { ThemeKind, WebviewPage } from '../helpers/webview';

let browser: Browser;
let bike: BikeEvaluations;
let binary: EvaluationSnapshot;
let regression: EvaluationSnapshot;
let iris: EvaluationSnapshot;

const run = (name: string) => ({ ref: `${name}@file:///ws`, id: name, name, experiment: 'bikes' });

before(async () => {
  browser = await launchChromium();
  bike = await bikeEvaluations();
  binary = evaluationSnapshot(run('hour-and-workday'), bike.candidate, {
    ref: 'hour-only@file:///ws',
    name: 'hour-only',
    result: bike.baseline,
  });
  regression = evaluationSnapshot(run('hourly-means'), bike.regression);
  iris = evaluationSnapshot(run('iris-logreg'), await irisEvaluation());
});
after(async () => {
  await browser?.close();
});

interface Rendered {
  cards: number;
  charts: RenderedEvalChart[];
  normalized: boolean;
}

async function show(
  snapshot: EvaluationSnapshot,
  theme: ThemeKind = 'light',
  state?: unknown,
): Promise<{ w: WebviewPage; rendered: Rendered }> {
  const w = await openWebview(browser, 'evaluation', { theme, state, height: 1000 });
  await w.waitFor('ready');
  await w.send({ type: 'snapshot', snapshot });
  const rendered = await w.waitFor<Rendered>('rendered');
  return { w, rendered };
}

async function done(w: WebviewPage): Promise<void> {
  assert.deepEqual(w.errors, []);
  assert.deepEqual(await w.cspViolations(), []);
  await w.close();
}

async function chartInk(w: WebviewPage, id: string): Promise<void> {
  const { ink, colors } = await inkOf(w.page, `[data-chart="${id}"] canvas`);
  assert.ok(ink > 1500 && colors >= 3, `${id} is drawn (${ink} px, ${colors} colours)`);
}

describe('evaluation webview', () => {
  for (const theme of ['light', 'dark'] as const) {
    test(`binary: cards, confusion matrix, ROC/PR with the baseline overlaid, calibration, slices (${theme})`, async () => {
      const { w, rendered } = await show(binary, theme);
      assert.equal(await w.page.locator('.card.metric').count(), binary.cards.length);
      assert.equal(rendered.cards, binary.cards.length);
      const acc = w.page.locator('.card.metric[data-key="eval/accuracy"] .value');
      assert.equal(
        await acc.textContent(),
        String(Number(bike.candidate.metrics['eval/accuracy'].toPrecision(5))),
      );
      // The confusion matrix shows the counts of the evaluation, row by row.
      const cells = await w.page.locator('table.confusion tbody td').allTextContents();
      assert.deepEqual(cells.map(Number), bike.candidate.classification!.confusionMatrix.flat());
      // ROC: the candidate, the baseline (dashed) and the chance line; PR: candidate and baseline.
      const byId = Object.fromEntries(rendered.charts.map((c) => [c.id, c]));
      assert.deepEqual(Object.keys(byId).sort(), ['calibration', 'confusion', 'pr', 'roc']);
      assert.equal(byId.roc.datasets, 3);
      assert.equal(byId.pr.datasets, 2);
      // Every point the host posted is drawn (the core thinned them to MAX_CURVE_POINTS a curve).
      const posted = [...binary.pr, ...binary.baseline!.pr].reduce((n, c) => n + c.x.length, 0);
      assert.equal(byId.pr.points, posted);
      assert.ok(posted <= 2 * MAX_CURVE_POINTS);
      for (const id of ['roc', 'pr', 'calibration']) await chartInk(w, id);
      // Slices: worst accuracy first.
      const sliceNames = await w.page.locator('table.slices tbody th').allTextContents();
      const worst = [...bike.candidate.slices!.slices].sort(
        (a, b) => a.metrics['eval/accuracy'] - b.metrics['eval/accuracy'],
      );
      assert.deepEqual(
        sliceNames,
        worst.map((s) => s.value),
      );
      // Baseline deltas on the cards are coloured by goal.
      const delta = w.page.locator('.card.metric[data-key="eval/roc_auc"] .delta');
      const better = bike.candidate.metrics['eval/roc_auc'] > bike.baseline.metrics['eval/roc_auc'];
      assert.equal(await delta.getAttribute('class'), `delta ${better ? 'better' : 'worse'}`);
      await w.page.screenshot({
        path: path.join(shotsDir(), `evaluation-binary-${theme}.png`),
        fullPage: true,
      });
      await done(w);
    });
  }

  test('the counts/normalised toggle works by keyboard and is kept with setState', async () => {
    const { w } = await show(binary);
    const toggle = w.page.locator('button.toggle');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.focus();
    await w.page.keyboard.press('Space');
    const rendered = await w.waitFor<Rendered>('rendered', 2);
    assert.equal(rendered.normalized, true);
    assert.equal(await w.page.locator('button.toggle').getAttribute('aria-pressed'), 'true');
    assert.equal(await w.page.evaluate(() => document.activeElement?.className), 'toggle');
    const cm = bike.candidate.classification!.confusionMatrix;
    const cells = await w.page.locator('table.confusion tbody td').allTextContents();
    const want = cm.flatMap((r) => r.map((v) => `${((v / r.reduce((a, b) => a + b, 0)) * 100).toFixed(1)}%`));
    assert.deepEqual(cells, want);
    assert.deepEqual(await w.state(), { ref: binary.run.ref, normalized: true });
    await done(w);

    // A reloaded panel starts from the saved state.
    const again = await show(binary, 'dark', { ref: binary.run.ref, normalized: true });
    assert.equal(again.rendered.normalized, true);
    assert.deepEqual(await again.w.page.locator('table.confusion tbody td').allTextContents(), want);
    await done(again.w);
  });

  for (const theme of ['light', 'dark'] as const) {
    test(`regression: MAE/RMSE/R²/MAPE, predicted vs actual, residuals (${theme})`, async () => {
      const { w, rendered } = await show(regression, theme);
      const labels = await w.page.locator('.card.metric .label').allTextContents();
      for (const l of ['MAE', 'RMSE', 'R²', 'MAPE']) assert.ok(labels.includes(l), `${l} card`);
      assert.equal(await w.page.locator('table.confusion').count(), 0);
      assert.deepEqual(rendered.charts.map((c) => c.id).sort(), ['residuals', 'scatter']);
      await chartInk(w, 'scatter');
      await chartInk(w, 'residuals');
      const sliceNames = await w.page.locator('table.slices tbody th').allTextContents();
      const worst = [...bike.regression.slices!.slices].sort(
        (a, b) => b.metrics['eval/rmse'] - a.metrics['eval/rmse'],
      );
      assert.deepEqual(
        sliceNames,
        worst.map((s) => s.value),
      );
      await w.page.screenshot({
        path: path.join(shotsDir(), `evaluation-regression-${theme}.png`),
        fullPage: true,
      });
      await done(w);
    });
  }

  test('multiclass: one ROC and PR curve per class, a 3x3 matrix', async () => {
    const { w, rendered } = await show(iris, 'dark');
    const roc = rendered.charts.find((c) => c.id === 'roc')!;
    assert.equal(roc.datasets, 3 + 1);
    assert.equal(await w.page.locator('table.confusion tbody td').count(), 9);
    await chartInk(w, 'roc');
    await w.page.screenshot({
      path: path.join(shotsDir(), 'evaluation-multiclass-dark.png'),
      fullPage: true,
    });
    await done(w);
  });

  test('a run without an evaluation shows the message instead', async () => {
    const { w } = await show(binary);
    await w.send({ type: 'empty', text: 'Run x has no evaluation yet.' });
    await w.waitFor('rendered', 2);
    assert.equal(await w.page.locator('.notices').textContent(), 'Run x has no evaluation yet.');
    assert.equal(await w.page.locator('canvas').count(), 0);
    await done(w);
  });
});
