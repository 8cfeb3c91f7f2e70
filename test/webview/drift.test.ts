// The drift webview in headless Chromium, fed reports that core's detectDrift computes here from the
// committed bike-sharing data (2011 as reference, 2012 as current, windows by month).
// Assumes dist/webview is built: node scripts/build.js (test/webview/run.ts builds it first).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { detectDrift } from '../../src/core/drift/drift';
import { monitorPackage } from '../../src/core/drift/monitor';
import { packageModel } from '../../src/core/serving/package';
import { startServer } from '../../src/core/serving/serve';
import { Store } from '../../src/core/store/store';
import { tempDir } from '../helpers/tmp';
import { trainedWorkspace } from '../helpers/servingFixture';
import { driftSnapshot } from '../../src/core/drift/view';
import type { DriftRendered, DriftSnapshot } from '../../src/protocol/drift';
import { inkOf, launchChromium, openWebview, repoRoot, shotsDir } from '../helpers/webview';
import type { ThemeKind, WebviewPage } from '../helpers/webview';

const BIKES = path.join(repoRoot, 'test', 'fixtures', 'datasets', 'bike-sharing');
const reference = path.join(BIKES, 'day_2011.csv');
const current = path.join(BIKES, 'day_2012.csv');

let browser: Browser;
let snapshot: DriftSnapshot;

before(async () => {
  browser = await launchChromium();
  const report = await detectDrift(reference, current, {
    by: 'mnth',
    columns: [
      'season',
      'holiday',
      'weekday',
      'workingday',
      'weathersit',
      'temp',
      'atemp',
      'hum',
      'windspeed',
      'casual',
      'registered',
      'cnt',
    ],
    types: { season: 'categorical', weathersit: 'categorical', weekday: 'categorical' },
  });
  snapshot = driftSnapshot(report, { source: { kind: 'files', reference, current, by: 'mnth' } });
});
after(async () => {
  await browser?.close();
});

/**
 * The quickstart model trained (real train.js), packaged and served; 40 requests from its data set
 * with their true labels as feedback, the last 10 labels flipped; then core's monitorPackage.
 */
async function servedSnapshot(): Promise<DriftSnapshot> {
  const ws = trainedWorkspace(6);
  const pkg = path.join(tempDir(), 'pkg');
  await packageModel(Store.open(path.join(ws.dir, '.runlens')), ws.runId, { out: pkg });
  const logDir = path.join(tempDir(), 'logs');
  const server = await startServer(pkg, {
    port: 0,
    env: { RUNLENS_TF_BACKEND: 'wasm', RUNLENS_LOG_DIR: logDir },
  });
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const d = require(path.join(repoRoot, 'examples', 'quickstart', 'dataset.js')).load() as {
      features: string[];
      classes: string[];
      x: number[][];
      y: number[];
    };
    const feedback = ['request_id,label'];
    for (let i = 0; i < 40; i++) {
      const res = await fetch(server.predictUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': `w-${i}` },
        body: JSON.stringify({ instances: [Object.fromEntries(d.features.map((f, j) => [f, d.x[i][j]]))] }),
      });
      assert.equal(res.status, 200);
      feedback.push(`w-${i},${d.classes[i >= 30 ? 1 - d.y[i] : d.y[i]]}`);
    }
    const file = path.join(tempDir(), 'feedback.csv');
    fs.writeFileSync(file, feedback.join('\n') + '\n');
    const r = await monitorPackage(pkg, { logDir, feedback: { file } });
    return driftSnapshot(r.report, {
      source: { kind: 'serving', dir: pkg, window: 'hour', feedback: file },
      title: 'Serving drift: quickstart',
      currentLabel: `${r.requests} logged requests`,
      online: r.online,
    });
  } finally {
    await server.stop();
  }
}

async function show(theme: ThemeKind = 'light', state?: unknown): Promise<WebviewPage> {
  const w = await openWebview(browser, 'drift', { theme, state, height: 1400 });
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

const rowNames = (w: WebviewPage) => w.page.locator('table.drift tbody tr > th').allTextContents();
const lastRendered = async (w: WebviewPage, n: number) =>
  (await w.waitFor<{ rendered: DriftRendered }>('rendered', n)).rendered;

describe('drift webview', () => {
  for (const theme of ['light', 'dark'] as const) {
    test(`summary, columns by severity, histogram and timeline drawn (${theme})`, async () => {
      const w = await show(theme);
      const s = snapshot;
      // Real data: 2012 rode far more bikes than 2011, the weather did not change.
      const drifted = s.columns.filter((c) => c.drifted).map((c) => c.column);
      assert.ok(drifted.includes('cnt') && drifted.includes('registered'), drifted.join());
      assert.ok(!drifted.includes('temp'));
      const summary = (await w.page.locator('.summary').textContent()) ?? '';
      assert.match(summary, new RegExp(`${s.drifted} of ${s.tested}`));
      // The headline says what drifted: red for dataset drift, amber when some columns drifted
      // below the share, green only when none did.
      const verdict = w.page.locator('.verdict');
      if (s.datasetDrift) assert.match(summary, /Dataset drift detected/);
      else if (s.drifted > 0) {
        assert.equal(await verdict.getAttribute('class'), 'verdict warn');
        assert.match(
          (await verdict.textContent()) ?? '',
          new RegExp(`^${s.drifted} of ${s.tested} columns drifted`),
        );
        assert.match(summary, /No dataset drift: fewer than 50% of the columns drifted/);
      } else assert.equal(await verdict.getAttribute('class'), 'verdict good');
      assert.match(summary, /365 rows/);
      assert.match(summary, /366 rows/);
      for (const t of s.tests) assert.match(summary, new RegExp(`on ${t.columns}`));
      // Most severe first, as core sorted them; drifted columns above the others.
      const names = await rowNames(w);
      assert.deepEqual(
        names,
        s.columns.map((c) => c.column),
      );
      const severities = s.columns.map((c) => c.severity);
      assert.deepEqual(
        severities,
        [...severities].sort((a, b) => b - a),
      );
      assert.equal(await w.page.locator('table.drift tbody tr.drifted').count(), s.drifted);
      // The first column is selected and its histogram drawn, with both series.
      const r = await lastRendered(w, 1);
      assert.equal(r.selected, s.columns[0].column);
      assert.equal(r.histogramBins, s.columns[0].histogram.reference.length);
      assert.equal(r.timelineWindows, 12);
      const hist = await inkOf(w.page, '.histogram canvas');
      assert.ok(hist.ink > 3000 && hist.colors >= 3, `histogram drawn: ${JSON.stringify(hist)}`);
      const line = await inkOf(w.page, '.timeline canvas');
      assert.ok(line.ink > 2000 && line.colors >= 3, `timeline drawn: ${JSON.stringify(line)}`);
      // The heat grid: one row per column, one cell per month, marked where that month drifted.
      assert.equal(await w.page.locator('table.heat tbody tr').count(), s.columns.length);
      assert.equal(await w.page.locator('table.heat thead th').count(), 13);
      const hot = s.timeline!.windows.reduce((n, win) => n + win.columns.filter((c) => c.drifted).length, 0);
      assert.equal(await w.page.locator('table.heat td.hot').count(), hot);
      assert.ok(hot > 0);
      assert.equal(await w.page.locator('.online').isHidden(), true);
      // Every column of the table is in view: nothing clipped at the right edge.
      const fit = await w.page
        .locator('.table-wrap')
        .evaluate((e) => ({ scroll: e.scrollWidth, client: e.clientWidth }));
      assert.ok(fit.scroll <= fit.client, `table ${fit.scroll}px in ${fit.client}px`);
      // Nor the histogram, at the widths of an editor beside the sidebar: it goes below the table
      // when there is no room beside it.
      for (const width of [1000, 1040, 1100, 1200]) {
        await w.page.setViewportSize({ width, height: 1400 });
        const box = await w.page.locator('.histogram').boundingBox();
        const table = await w.page.locator('.table-wrap').evaluate((e) => e.scrollWidth <= e.clientWidth);
        assert.ok(
          box && box.x + box.width <= width,
          `histogram ends at ${box && box.x + box.width}px of ${width}px`,
        );
        assert.ok(table, `table clipped at ${width}px`);
      }
      await w.page.setViewportSize({ width: 1280, height: 1400 });
      await w.page.screenshot({ path: path.join(shotsDir(), `drift-${theme}.png`), fullPage: true });
      await done(w);
    });
  }

  test('nothing compared: a grey verdict with the reason, never "No dataset drift"; grouped warnings', async () => {
    const dir = tempDir();
    const ref = path.join(dir, 'data', 'train.csv');
    const cur = path.join(dir, 'data', 'today.csv');
    fs.mkdirSync(path.dirname(ref));
    const extra = Array.from({ length: 30 }, (_, i) => `feature_${i}`);
    fs.writeFileSync(
      ref,
      ['a', 'b', ...extra].join(',') + '\n' + ',,' + extra.map(() => '1').join(',') + '\n',
    );
    fs.writeFileSync(cur, 'a,b,other\n1,2,3\n4,5,6\n');
    const report = await detectDrift(ref, cur);
    const snap = driftSnapshot(report, {
      source: { kind: 'files', reference: ref, current: cur },
      show: (f) => path.relative(dir, f),
    });
    const w = await openWebview(browser, 'drift', { theme: 'dark', height: 700 });
    await w.waitFor('ready');
    await w.send({ type: 'snapshot', snapshot: snap });
    await w.waitFor('rendered');
    const verdict = w.page.locator('.verdict');
    assert.equal(await verdict.getAttribute('class'), 'verdict none');
    assert.match(
      (await verdict.textContent()) ?? '',
      /^Nothing comparednone of the 2 shared columns could be tested/,
    );
    assert.doesNotMatch((await w.page.locator('.summary').textContent()) ?? '', /No dataset drift/);
    const notices = await w.page.locator('.notices > div').allTextContents();
    assert.deepEqual(notices, [
      '30 columns of the reference are not in data/today.csv, not tested: "feature_0", "feature_1", "feature_2", "feature_3", "feature_4", "feature_5" and 24 more',
      '1 column of data/today.csv is not in the reference, not tested: "other"',
      '2 columns with no values in data/train.csv, not tested: "a", "b"',
    ]);
    await w.page.screenshot({
      path: path.join(shotsDir(), 'drift-nothing-compared-dark.png'),
      fullPage: true,
    });
    await done(w);
  });

  test('keyboard and click selection post selectColumn and change the histogram', async () => {
    const w = await show('light');
    const s = snapshot;
    await w.page.locator('table.drift tbody tr').first().focus();
    await w.page.keyboard.press('ArrowDown');
    assert.deepEqual(await w.waitFor('selectColumn'), { type: 'selectColumn', column: s.columns[1].column });
    let r = await lastRendered(w, 2);
    assert.equal(r.selected, s.columns[1].column);
    assert.equal(
      await w.page.evaluate(() => (document.activeElement as HTMLElement).dataset.column),
      s.columns[1].column,
    );
    assert.match(
      (await w.page.locator('.histogram h2').textContent()) ?? '',
      new RegExp(s.columns[1].column),
    );
    // A categorical column draws one group of bars per category.
    const season = s.columns.find((c) => c.column === 'season')!;
    await w.page.locator('table.drift tbody tr[data-column="season"]').click();
    assert.deepEqual(await w.waitFor('selectColumn', 2), { type: 'selectColumn', column: 'season' });
    r = await lastRendered(w, 3);
    assert.equal(r.histogramBins, season.histogram.categories!.length);
    assert.equal(r.histogramBins, 4);
    // The column-by-window grid marks the same column.
    assert.deepEqual(await w.page.locator('table.heat tbody tr.selected th').allTextContents(), ['season']);
    const ink = await inkOf(w.page, '.histogram canvas');
    assert.ok(ink.ink > 3000, `season bars drawn: ${ink.ink}`);
    await w.page.keyboard.press('End');
    assert.deepEqual(await w.waitFor('selectColumn', 3), {
      type: 'selectColumn',
      column: s.columns[s.columns.length - 1].column,
    });
    await w.page.screenshot({ path: path.join(shotsDir(), 'drift-categorical-light.png'), fullPage: true });
    await done(w);
  });

  test('sorting by a column header (keyboard), then restoring sort and selection from setState', async () => {
    const w = await show('dark');
    const header = w.page.getByRole('button', { name: /^Column/ });
    await header.focus();
    await w.page.keyboard.press('Enter');
    assert.equal(await w.page.locator('th[data-key="column"]').getAttribute('aria-sort'), 'ascending');
    const sortedNames = snapshot.columns.map((c) => c.column).sort((a, b) => a.localeCompare(b));
    assert.deepEqual(await rowNames(w), sortedNames);
    await w.page.keyboard.press('Enter');
    assert.equal(await w.page.locator('th[data-key="column"]').getAttribute('aria-sort'), 'descending');
    assert.deepEqual(await rowNames(w), [...sortedNames].reverse());
    await w.page.getByRole('button', { name: /^p-value/ }).click();
    const shown = await rowNames(w);
    const byP = [...snapshot.columns]
      .filter((c) => c.pValue !== null)
      .sort((a, b) => b.pValue! - a.pValue!)
      .map((c) => c.column);
    assert.deepEqual(shown.slice(0, byP.length), byP, 'numeric columns sort largest first');
    await w.page.locator('table.drift tbody tr[data-column="hum"]').click();
    const state = (await w.state()) as { selected: string; sort: { key: string; descending: boolean } };
    assert.equal(state.selected, 'hum');
    assert.deepEqual(state.sort, { key: 'pValue', descending: true });
    await done(w);

    // A reloaded webview starts from the saved state: same sort, same column selected.
    const again = await show('light', state);
    const r = await lastRendered(again, 1);
    assert.equal(r.selected, 'hum');
    assert.deepEqual(r.order, shown);
    assert.equal(await again.page.locator('th[data-key="pValue"]').getAttribute('aria-sort'), 'descending');
    assert.match((await again.page.locator('.histogram h2').textContent()) ?? '', /hum/);
    await done(again);
  });

  test('serving drift of a real served model: time windows and the online accuracy chart', async () => {
    const s = await servedSnapshot();
    const w = await openWebview(browser, 'drift', { theme: 'dark', height: 1500 });
    await w.waitFor('ready');
    await w.send({ type: 'snapshot', snapshot: s });
    const r = await lastRendered(w, 1);
    assert.equal(r.columns, 30);
    assert.equal(r.accuracyWindows, s.online!.windows.length);
    assert.ok(r.accuracyWindows >= 1);
    assert.equal(await w.page.locator('.online').isVisible(), true);
    const text = (await w.page.locator('.online').textContent()) ?? '';
    assert.match(text, new RegExp(`over ${s.online!.joined} predictions with feedback`));
    assert.match(text, new RegExp(`${(s.online!.value! * 100).toFixed(0)}%`));
    const acc = await inkOf(w.page, '.online canvas');
    assert.ok(acc.ink > 500 && acc.colors >= 2, `accuracy chart drawn: ${JSON.stringify(acc)}`);
    await w.page.screenshot({ path: path.join(shotsDir(), 'drift-serving-dark.png'), fullPage: true });
    await done(w);
  });

  test('buttons post saveReport and refresh; progress, error and unknown messages', async () => {
    const w = await show('light');
    await w.page.getByRole('button', { name: 'Save Report…' }).click();
    assert.deepEqual(await w.waitFor('saveReport'), { type: 'saveReport' });
    await w.page.getByRole('button', { name: 'Refresh' }).click();
    assert.deepEqual(await w.waitFor('refresh'), { type: 'refresh' });
    await w.send({ type: 'progress', text: 'Computing the drift of day_2012.csv…' });
    assert.match((await w.page.locator('.status').textContent()) ?? '', /Computing the drift/);
    await w.send({ type: 'error', text: 'day_2012.csv: no such file' });
    assert.match((await w.page.locator('.status .error').textContent()) ?? '', /no such file/);
    await w.send({ type: 'bogus' });
    assert.ok(w.consoleMessages.some((m) => /ignored a message of unknown type/.test(m)));
    await done(w);
  });
});
