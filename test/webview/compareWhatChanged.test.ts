// The compare panel's "What Changed" section in headless Chromium, fed what the host computes for
// real runs: three tracked runs (real child processes) in a real git repository, the second with a
// new commit (code and a grown, shifted CSV), an uncommitted edit and another learning rate. The
// section's data comes from the same core diff as `runlens diff` (diffRuns + whatChangedData).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { buildCompareSnapshot } from '../../src/core/charts/compareData';
import { SeriesCache } from '../../src/core/charts/panelData';
import { diffRuns } from '../../src/core/repro/diff';
import { whatChangedData, whatChangedPair } from '../../src/core/repro/diffView';
import type { Store } from '../../src/core/store/store';
import type { RunRecord } from '../../src/core/store/types';
import type { CompareSnapshot, WhatChangedView } from '../../src/protocol/compare';
import { commitAll, newRepo, track, write } from '../helpers/gitRepo';
import { launchChromium, openWebview, shotsDir } from '../helpers/webview';
import type { ThemeKind, WebviewPage } from '../helpers/webview';

const SCRIPT = `const fs = require('node:fs');
const run = require('runlens').init({ params: { lr: 0.1, epochs: 3 } });
const rows = fs.readFileSync('data.csv', 'utf8').trim().split('\\n').slice(1);
for (let e = 0; e < run.params.epochs; e++) run.log({ loss: 1 / (e + 1) / run.params.lr / rows.length }, e);
run.log({ rows: rows.length, score: run.params.lr * 10 });
run.finish();
`;

/** n rows of x (0..1 spread, shifted by `shift`) and a category column; `extra` adds a column. */
function csv(n: number, shift: number, extra = false): string {
  const lines = [extra ? 'x,kind,z' : 'x,kind'];
  for (let i = 0; i < n; i++) {
    const x = ((i * 37) % 100) / 100 + shift;
    lines.push(`${x.toFixed(3)},${i % 3 === 0 ? 'a' : 'b'}${extra ? `,${i}` : ''}`);
  }
  return lines.join('\n') + '\n';
}

let browser: Browser;
let store: Store;
let runs: RunRecord[];
const ref = (r: RunRecord) => `${r.id}@ws`;

before(async () => {
  browser = await launchChromium();
  const repo = newRepo({ 'train.js': SCRIPT, 'data.csv': csv(200, 0) });
  store = repo.store;
  const node = [process.execPath, 'train.js'];
  const a = await track(store, repo.dir, node, { inputs: ['data.csv'], name: 'baseline' });
  write(repo.dir, {
    'train.js': SCRIPT.replace('run.params.lr * 10', 'run.params.lr * 20'),
    'util.js': 'module.exports = 1;\n',
    'data.csv': csv(300, 0.5, true),
  });
  commitAll(repo.dir, 'double the score, new data');
  write(repo.dir, { 'train.js': SCRIPT.replace('run.params.lr * 10', 'run.params.lr * 30') });
  const b = await track(store, repo.dir, node, {
    inputs: ['data.csv'],
    name: 'new-data',
    params: { lr: 0.3 },
  });
  const c = await track(store, repo.dir, node, { inputs: ['data.csv'], name: 'lr-0.2', params: { lr: 0.2 } });
  runs = [a, b, c];
});
after(async () => {
  await browser?.close();
});

function snapshot(shown: RunRecord[], baseline: RunRecord | null): CompareSnapshot {
  const entries = new Map(store.listRuns().entries.map((e) => [e.id, e]));
  return buildCompareSnapshot(
    shown.map((r) => ({
      ref: ref(r),
      entry: entries.get(r.id)!,
      metricsFile: store.metricsFile(r.id),
      record: r,
    })),
    { cache: new SeriesCache(), baselineRef: baseline ? ref(baseline) : null },
  );
}

/** What the panel host sends for these runs and this choice. */
async function whatChanged(
  shown: RunRecord[],
  baseline: RunRecord | null,
  chosen: RunRecord | null,
): Promise<WhatChangedView> {
  const pair = whatChangedPair(
    shown.map((r) => ({ ref: ref(r), startTime: r.startTime })),
    baseline ? ref(baseline) : null,
    chosen ? ref(chosen) : null,
  );
  if ('none' in pair) return { state: 'none', message: pair.none };
  const [a, b] = [pair.a, pair.b].map((x) => shown.find((r) => ref(r) === x)!);
  return {
    state: 'ready',
    a: { ref: ref(a), name: a.name },
    b: { ref: ref(b), name: b.name },
    diff: whatChangedData(await diffRuns(store, a.id, b.id)),
  };
}

async function show(
  s: CompareSnapshot,
  v: WhatChangedView,
  theme: ThemeKind = 'light',
): Promise<WebviewPage> {
  const w = await openWebview(browser, 'compare', { theme });
  await w.waitFor('ready');
  await w.send({ type: 'snapshot', snapshot: s });
  await w.waitFor('rendered');
  await w.send({ type: 'whatChanged', view: v });
  await w.page.waitForSelector(`section.what-changed[data-state="${v.state}"]`);
  return w;
}

async function done(w: WebviewPage): Promise<void> {
  assert.deepEqual(w.errors, []);
  assert.deepEqual(await w.cspViolations(), []);
  await w.close();
}

const texts = (w: WebviewPage, selector: string) => w.page.locator(selector).allTextContents();

describe('compare webview: what changed', () => {
  for (const theme of ['light', 'dark'] as const) {
    test(`two runs: params, code, input data with drift, environment, metric deltas (${theme})`, async () => {
      const [a, b] = runs;
      // Shown newest first: the earlier run is still the reference.
      const v = await whatChanged([b, a], null, null);
      assert.equal(v.state, 'ready');
      const w = await show(snapshot([b, a], null), v, theme);
      const sec = w.page.locator('section.what-changed');
      assert.match((await sec.locator('header').textContent()) ?? '', /baseline \(reference\) → new-data/);
      // Params: the learning rate, exactly as logged.
      assert.deepEqual(await texts(w, '[data-block="params"] tbody tr[data-key="lr"] > *'), [
        'lr',
        '0.1',
        '0.3',
      ]);
      // Code: the files between the two commits and B's uncommitted edit.
      const code = sec.locator('[data-block="code"]');
      const codeText = (await code.textContent()) ?? '';
      assert.match(codeText, /Commits [0-9a-f]{12} → [0-9a-f]{12}: 3 file\(s\)/);
      assert.deepEqual(await texts(w, '[data-block="code"] [data-files="commits"] li code'), [
        'data.csv',
        'train.js',
        'util.js',
      ]);
      assert.match(codeText, /Uncommitted in baseline: none/);
      assert.match(codeText, /Uncommitted in new-data: 1 file\(s\)train\.js\+1 −1/);
      // Input data: hash, rows, the new column and the drift engine's verdict.
      const input = sec.locator('[data-input="data.csv"]');
      assert.equal(await input.getAttribute('data-status'), 'changed');
      const inputText = (await input.textContent()) ?? '';
      assert.match(inputText, /rows 200 → 300 \(\+100\)/);
      assert.match(inputText, /columns \+z/);
      assert.match(inputText, /Dataset drift 1 of 2 columns drifted \(x\)/);
      assert.match(
        inputText,
        new RegExp(`sha256 ${a.inputs![0].sha256.slice(0, 12)} → ${b.inputs![0].sha256.slice(0, 12)}`),
      );
      assert.match((await sec.locator('[data-block="environment"]').textContent()) ?? '', /Same environment/);
      // Metrics: score 1 -> 9 (higher is better: green), rows +100 (no goal: neutral).
      assert.deepEqual(await texts(w, '[data-block="metrics"] tr[data-key="score"] > *'), [
        'score',
        '1',
        '9',
        '+8',
        '+800.00%',
      ]);
      assert.equal(await sec.locator('tr[data-key="score"] td.delta.better').count(), 2);
      assert.equal(await sec.locator('tr[data-key="rows"] td.delta.neutral').count(), 2);
      // loss has a goal (lower is better): it went down with more rows and a higher rate.
      assert.equal(await sec.locator('tr[data-key="loss"] td.delta.better').count(), 2);
      await w.page.mouse.move(0, 0);
      await sec.screenshot({ path: path.join(shotsDir(), `compare-what-changed-${theme}.png`) });
      // The button asks the host for VS Code's diff editor over the two runs' code, A first.
      await sec.getByRole('button', { name: 'Open Code Diff' }).click();
      assert.deepEqual(await w.waitFor('openCodeDiff'), { type: 'openCodeDiff', a: ref(a), b: ref(b) });
      await done(w);
    });
  }

  test('a chosen baseline is the reference: the same diff the other way round', async () => {
    const [a, b] = runs;
    const v = await whatChanged([a, b], b, null);
    assert.ok(v.state === 'ready');
    assert.deepEqual(v.diff.params, [{ key: 'lr', a: '0.3', b: '0.1' }]);
    const w = await show(snapshot([a, b], b), v);
    assert.match(
      (await w.page.locator('section.what-changed header').textContent()) ?? '',
      /new-data \(reference\) → baseline/,
    );
    assert.deepEqual(await texts(w, '[data-block="metrics"] tr[data-key="score"] > *'), [
      'score',
      '9',
      '1',
      '-8',
      '-88.89%',
    ]);
    assert.equal(await w.page.locator('tr[data-key="score"] td.delta.worse').count(), 2);
    await done(w);
  });

  test('three runs: a baseline is needed; then the other run is chosen in the section', async () => {
    const [a, b, c] = runs;
    const none = await whatChanged(runs, null, null);
    assert.equal(none.state, 'none');
    let w = await show(snapshot(runs, null), none);
    assert.match((await w.page.locator('section.what-changed').textContent()) ?? '', /Choose a baseline/);
    await done(w);

    // Baseline A: B by default, C when chosen.
    const v = await whatChanged(runs, a, null);
    assert.ok(v.state === 'ready' && v.b.ref === ref(b));
    w = await show(snapshot(runs, a), v);
    const select = w.page.getByLabel('Run compared with the reference');
    assert.equal(await select.inputValue(), ref(b));
    assert.deepEqual(await select.locator('option').allTextContents(), ['new-data', 'lr-0.2']);
    await select.selectOption(ref(c));
    assert.deepEqual(await w.waitFor('setWhatChanged'), { type: 'setWhatChanged', ref: ref(c) });
    assert.equal(((await w.state()) as { whatChangedRef: string }).whatChangedRef, ref(c));
    // The host answers computing first, then the diff.
    await w.send({
      type: 'whatChanged',
      view: { state: 'computing', a: v.a, b: { ref: ref(c), name: c.name } },
    });
    await w.page.waitForSelector('section.what-changed[data-state="computing"]');
    assert.match((await w.page.getByRole('status').last().textContent()) ?? '', /Comparing the two runs/);
    const vc = await whatChanged(runs, a, c);
    assert.ok(vc.state === 'ready');
    await w.send({ type: 'whatChanged', view: vc });
    await w.page.waitForSelector('section.what-changed[data-state="ready"]');
    assert.deepEqual(await texts(w, '[data-block="params"] tbody tr[data-key="lr"] > *'), [
      'lr',
      '0.1',
      '0.2',
    ]);
    assert.match(
      (await w.page.locator('[data-block="code"]').textContent()) ?? '',
      /Commits .*: 3 file\(s\)/,
    );
    // C ran with the same uncommitted edit of train.js as B.
    assert.match(
      (await w.page.locator('[data-block="code"]').textContent()) ?? '',
      /Uncommitted in lr-0\.2: 1 file/,
    );
    await done(w);
  });

  test('one run: no section (the notices ask for two runs)', async () => {
    const [a] = runs;
    const w = await openWebview(browser, 'compare', { theme: 'light' });
    await w.waitFor('ready');
    await w.send({ type: 'snapshot', snapshot: snapshot([a], null) });
    await w.waitFor('rendered');
    await w.send({ type: 'whatChanged', view: await whatChanged([a], null, null) });
    await w.page.waitForSelector('section.what-changed', { state: 'hidden' });
    assert.match((await w.page.locator('.notices').textContent()) ?? '', /two or more runs/);
    await done(w);
  });

  test('an error from the host is shown, the rest of the panel stays', async () => {
    const [a, b] = runs;
    const w = await show(snapshot([a, b], null), {
      state: 'error',
      a: { ref: ref(a), name: a.name },
      b: { ref: ref(b), name: b.name },
      message: 'The two runs are in different workspace folders.',
    });
    assert.equal(
      await w.page.getByRole('alert').textContent(),
      'The two runs are in different workspace folders.',
    );
    assert.equal(await w.page.locator('table.compare tbody tr').count(), 2);
    await done(w);
  });
});
