// The Pipeline view in a real workbench, for docs/images/pipeline-view.png: the quickstart pipeline
// run from the palette (a screenshot while train runs and after), then continuous training retraining
// after a params change, and the lineage of the registered version in the Models view.
// Started as run-ui.sh starts the scenarios: E2E_SCENARIO=pipeline-shot bash scripts/e2e/run-ui.sh
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { lap, main, openWorkbench, runCommand, step, workspace } from './scenario';

const row = (page: Page, label: RegExp) =>
  page.locator('.part.sidebar .monaco-list-row').filter({ hasText: label }).first();

step('running', async (page) => {
  await page.setViewportSize({ width: 1280, height: 960 }); // the lineage's rows down to its git commit fit
  await openWorkbench(page);
  await page.locator('.activitybar .action-item [aria-label*="Runlens"]').first().click();
  await row(page, /^validate-data/).waitFor({ timeout: 60_000 });
  lap('the Pipeline view lists the stages');
  // The Experiments view is not the subject here: collapsed, the Pipeline view has the room.
  await page.locator('.part.sidebar .pane-header .title', { hasText: /^Experiments$/ }).click();
  // A wider sidebar: stage rows carry their reasons, lineage rows their run ids.
  const sash = await page.locator('.part.sidebar').boundingBox();
  if (sash) {
    const x = sash.x + sash.width + 1;
    await page.mouse.move(x, 400);
    await page.mouse.down();
    await page.mouse.move(x + 220, 400, { steps: 8 });
    await page.mouse.up();
  }

  await runCommand(page, 'Runlens: Run Pipeline');
  await page
    .locator('.part.sidebar .monaco-list-row[aria-label^="stage train: running"]')
    .waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1500);
});

step('done', async (page) => {
  await page
    .locator('.part.sidebar .monaco-list-row[aria-label^="stage serve-smoke: succeeded"]')
    .waitFor({ timeout: 240_000 });
  await page.waitForTimeout(800);
});

step('ct-running', async (page) => {
  await runCommand(page, 'Runlens: Start Continuous Training');
  await page.locator('.statusbar-item', { hasText: 'CT: watching' }).waitFor({ timeout: 20_000 });
  const params = JSON.parse(fs.readFileSync(path.join(workspace, 'params.json'), 'utf8'));
  fs.writeFileSync(path.join(workspace, 'params.json'), JSON.stringify({ ...params, epochs: 60 }, null, 2));
  await page.locator('.statusbar-item', { hasText: 'CT: running' }).waitFor({ timeout: 30_000 });
  await page.waitForTimeout(2000);
});

step('ct-done', async (page) => {
  await page
    .locator('.statusbar-item', { hasText: 'last: params.json changed' })
    .waitFor({ timeout: 240_000 });
  await page.waitForTimeout(800);
});

step('overview', async (page) => {
  // The Models view: v1 > Lineage.
  const v1 = page.locator('.part.sidebar .monaco-list-row', { hasText: /^v1/ }).first();
  await v1.click();
  await page.keyboard.press('ArrowRight');
  await page.locator('.part.sidebar .monaco-list-row', { hasText: 'Lineage' }).first().click();
  await page.keyboard.press('ArrowRight');
  await page.locator('.part.sidebar .monaco-list-row', { hasText: 'params' }).first().waitFor();
  await page.mouse.click(900, 300); // focus away from the tree: no selection outline in the picture
  await page.waitForTimeout(800);
});

step('lineage', async (page) => {
  // the Pipeline and Team views folded: the Models view has the room for the whole lineage
  await page.locator('.part.sidebar .pane-header .title', { hasText: /^Pipeline$/ }).click();
  const team = page.locator('.part.sidebar .pane-header[aria-expanded="true"] .title', { hasText: /^Team$/ });
  if (await team.count()) await team.click();
  await page.locator('.part.sidebar .monaco-list-row', { hasText: 'git commit' }).first().waitFor();
  await page.waitForTimeout(800);
});

main();
