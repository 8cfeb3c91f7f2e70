// The baseline gate webview in headless Chromium, fed verdicts the core reaches over a real store:
// two runs with real evaluations saved (test/fixtures/webview/evaluations.ts), the experiment's
// baseline set, judgeCandidate under the default and a stricter policy, gateSnapshot as the panel builds it.
// Assumes dist/webview is built (node scripts/build.js).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { readEvaluation, saveEvaluation } from '../../src/core/eval/evaluate';
import { gateSnapshot } from '../../src/core/eval/view';
import type { GateResult } from '../../src/core/gate/gate';
import { judgeCandidate, parsePolicy } from '../../src/core/gate/gate';
import { Registry } from '../../src/core/store/registry';
import { Store } from '../../src/core/store/store';
import type { GateSnapshot } from '../../src/protocol/gate';
import { tempDir } from '../helpers/tmp';
import { bikeEvaluations } from '../fixtures/webview/evaluations';
import { inkOf, launchChromium, openWebview, shotsDir } from '../helpers/webview';
import type { ThemeKind, WebviewPage } from '../helpers/webview';

let browser: Browser;
let pass: { result: GateResult; snapshot: GateSnapshot };
let fail: { result: GateResult; snapshot: GateSnapshot };
let noCurves: GateSnapshot;
let incomplete: { result: GateResult; snapshot: GateSnapshot };

before(async () => {
  browser = await launchChromium();
  const bike = await bikeEvaluations();
  const store = Store.open(path.join(tempDir(), '.runlens'), { create: true });
  const base = store.createRun({ experiment: 'bikes', name: 'hour-only', status: 'finished' });
  const cand = store.createRun({ experiment: 'bikes', name: 'hour-and-workday', status: 'finished' });
  const plain = store.createRun({ experiment: 'bikes', name: 'no-evaluation', status: 'finished' });
  const fresh = store.createRun({ experiment: 'bikes', name: 'not-evaluated-yet', status: 'finished' });
  await saveEvaluation(store, base.id, bike.baseline);
  await saveEvaluation(store, cand.id, bike.candidate);
  await saveEvaluation(store, plain.id, bike.regression);
  await new Registry(store).setBaseline('bikes', { run: base.id });
  const snap = (r: GateResult) =>
    gateSnapshot({ candidate: `${r.candidate.run}@ws`, baseline: `${r.baseline.run}@ws` }, r, {
      candidate: readEvaluation(store, r.candidate.run),
      baseline: readEvaluation(store, r.baseline.run),
    });
  const def = judgeCandidate(store, cand.id, { metrics: {}, required: [], source: null });
  pass = { result: def, snapshot: snap(def) };
  const strict = judgeCandidate(
    store,
    cand.id,
    parsePolicy(
      {
        metrics: {
          'eval/roc_auc': { minImprovement: 0.005 },
          'eval/accuracy': { minImprovement: '1%' },
          'eval/log_loss': { goal: 'min', maxRegression: '5%' },
          latency_ms: { goal: 'min', maxRegression: '10%' },
        },
        required: ['eval/roc_auc'],
      },
      'runlens.yaml (gate)',
    ),
  );
  fail = { result: strict, snapshot: snap(strict) };
  noCurves = snap(judgeCandidate(store, plain.id, { metrics: {}, required: [], source: null }));
  const policy = parsePolicy(
    { metrics: { 'eval/roc_auc': { goal: 'max' }, 'eval/accuracy': {} }, required: ['eval/roc_auc'] },
    'runlens.yaml (gate)',
  );
  const notYet = judgeCandidate(store, fresh.id, policy);
  incomplete = { result: notYet, snapshot: snap(notYet) };
});
after(async () => {
  await browser?.close();
});

async function show(
  snapshot: GateSnapshot,
  theme: ThemeKind = 'light',
  state?: unknown,
): Promise<WebviewPage> {
  const w = await openWebview(browser, 'gate', { theme, state });
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

describe('gate webview', () => {
  test('the core reached the verdicts the tests rely on', () => {
    assert.equal(pass.result.verdict, 'pass');
    assert.equal(fail.result.verdict, 'fail');
    const v = Object.fromEntries(fail.result.metrics.map((m) => [m.metric, m.verdict]));
    assert.deepEqual(v, {
      'eval/accuracy': 'fail',
      'eval/log_loss': 'pass',
      'eval/roc_auc': 'pass',
      latency_ms: 'missing',
    });
  });

  for (const theme of ['light', 'dark'] as const) {
    for (const which of ['pass', 'fail'] as const) {
      test(`${which}: verdict, per-metric table, overlaid curves (${theme})`, async () => {
        const { result, snapshot } = which === 'pass' ? pass : fail;
        const w = await show(snapshot, theme);
        const rendered = await w.waitFor<{ verdict: string; rows: number; charts: number }>('rendered');
        assert.deepEqual(rendered, {
          type: 'rendered',
          verdict: which,
          rows: result.metrics.length,
          charts: 2,
        });
        assert.equal(
          await w.page.locator('.verdict .big').textContent(),
          which === 'pass' ? '✓ PASS' : '✗ FAIL',
        );
        assert.match((await w.page.locator('.verdict').getAttribute('class')) ?? '', new RegExp(which));
        // One row per metric, in the core's order, with its verdict badge.
        const rows = w.page.locator('table.gate tbody tr');
        assert.equal(await rows.count(), result.metrics.length);
        assert.deepEqual(
          await w.page
            .locator('table.gate tbody tr')
            .evaluateAll((trs) => trs.map((t) => t.getAttribute('data-metric'))),
          result.metrics.map((m) => m.metric),
        );
        assert.deepEqual(
          await w.page.locator('table.gate tbody .badge').evaluateAll((b) => b.map((x) => x.className)),
          result.metrics.map((m) => `badge ${m.verdict}`),
        );
        // Deltas: absolute and relative, as the core computed them.
        const auc = result.metrics.find((m) => m.metric === 'eval/roc_auc')!;
        const cells = await w.page.locator('tr[data-metric="eval/roc_auc"] td').allTextContents();
        assert.equal(cells[3], `+${Number(auc.delta!.toPrecision(5))}`);
        assert.equal(cells[4], `+${(auc.relative! * 100).toFixed(2)}%`);
        for (const i of [0, 1]) {
          const { ink, colors } = await inkOf(w.page, '.charts canvas', i);
          assert.ok(ink > 1500 && colors >= 3, `chart ${i} is drawn (${ink} px, ${colors} colours)`);
        }
        assert.deepEqual(await w.state(), {
          candidateRef: snapshot.candidate.ref,
          baselineRef: snapshot.baseline.ref,
        });
        await w.page.screenshot({
          path: path.join(shotsDir(), `gate-${which}-${theme}.png`),
          fullPage: true,
        });
        await done(w);
      });
    }
  }

  test('Copy Markdown and Change Baseline post to the host, by keyboard', async () => {
    const w = await show(fail.snapshot, 'dark', {
      candidateRef: fail.snapshot.candidate.ref,
      baselineRef: null,
    });
    await w.page.getByRole('button', { name: 'Copy Markdown' }).focus();
    await w.page.keyboard.press('Enter');
    await w.waitFor('copyMarkdown');
    await w.page.keyboard.press('Tab');
    assert.equal(await w.page.evaluate(() => document.activeElement?.textContent), 'Change Baseline…');
    await w.page.keyboard.press('Space');
    await w.waitFor('pickBaseline');
    await w.send({ type: 'notice', text: 'Copied the verdict as Markdown.' });
    assert.equal(await w.page.locator('.notices').textContent(), 'Copied the verdict as Markdown.');
    const types = (await w.posted()).map((m) => m.type);
    assert.deepEqual(types, ['ready', 'rendered', 'copyMarkdown', 'pickBaseline']);
    await done(w);
  });

  for (const theme of ['light', 'dark'] as const)
    test(`a candidate never evaluated: INCOMPLETE with the reason and an Evaluate button (${theme})`, async () => {
      assert.equal(incomplete.result.verdict, 'incomplete');
      const w = await show(incomplete.snapshot, theme);
      const rendered = await w.waitFor<{ verdict: string }>('rendered');
      assert.equal(rendered.verdict, 'incomplete');
      assert.equal(await w.page.locator('.verdict .big > div').first().textContent(), '… INCOMPLETE');
      assert.match(
        (await w.page.locator('.verdict .reason').textContent()) ?? '',
        /^evaluate the candidate first: it has no value for eval\/accuracy, eval\/roc_auc$/,
      );
      assert.equal(await w.page.locator('.verdict.fail').count(), 0, 'not shown as a failure');
      const button = w.page.getByRole('button', { name: 'Evaluate Candidate…' });
      assert.ok(await button.isVisible());
      await w.page.screenshot({
        path: path.join(shotsDir(), `gate-incomplete-${theme}.png`),
        fullPage: true,
      });
      await button.focus();
      await w.page.keyboard.press('Enter');
      await w.waitFor('evaluateCandidate');
      await done(w);
    });

  test('the Evaluate button is hidden when the verdict is complete', async () => {
    const w = await show(pass.snapshot);
    assert.equal(await w.page.getByRole('button', { name: 'Evaluate Candidate…' }).isVisible(), false);
    await done(w);
  });

  test('without evaluations on both runs: no curves, a hint instead', async () => {
    assert.equal(noCurves.curves, null);
    const w = await show(noCurves);
    assert.equal(await w.page.locator('.charts canvas').count(), 0);
    assert.match((await w.page.locator('.charts').textContent()) ?? '', /both runs have an evaluation/);
    await done(w);
  });
});
