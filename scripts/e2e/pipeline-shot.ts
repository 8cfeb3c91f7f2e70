// The Pipeline view in a real workbench, for docs/images/pipeline-view.png: the quickstart pipeline
// run from the palette (a screenshot while train runs and after), then continuous training retraining
// after a params change, and the lineage of the registered version in the Models view.
// Run as run-ui.sh runs ui-scenario.ts (same arguments: <baseUrl> <workspaceFolder> <shotsDir>):
//   f=$(mktemp); sed 's#ui-scenario.ts#pipeline-shot.ts#; s#^REPO=.*#REPO='"$PWD"'#' scripts/e2e/run-ui.sh > "$f"
//   bash "$f"
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { chromium } from 'playwright-core';

const [baseUrl, workspace, shots] = process.argv.slice(2);
if (!baseUrl || !workspace || !shots) {
  console.error('usage: pipeline-shot.ts <baseUrl> <workspaceFolder> <shotsDir>');
  process.exit(2);
}
const t0 = Date.now();
const lap = (msg: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

const row = (page: Page, label: RegExp) =>
  page.locator('.part.sidebar .monaco-list-row').filter({ hasText: label }).first();

/** Runs a command through the command palette (F1), by its title (as ui-scenario.ts does). */
async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill('>' + title);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

async function shot(page: Page, name: string): Promise<void> {
  const file = path.join(shots, `pipeline-${name}.png`);
  await page.screenshot({ path: file });
  lap(`screenshot ${file}`);
}

async function main(): Promise<number> {
  fs.mkdirSync(shots, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.E2E_CHROMIUM ?? 'chromium',
    headless: true,
    viewport: { width: 1280, height: 960 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  try {
    await page.goto(`${baseUrl}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
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
    await shot(page, 'running');
    await page
      .locator('.part.sidebar .monaco-list-row[aria-label^="stage serve-smoke: succeeded"]')
      .waitFor({ timeout: 240_000 });
    await page.waitForTimeout(800);
    await shot(page, 'done');

    await runCommand(page, 'Runlens: Start Continuous Training');
    await page.locator('.statusbar-item', { hasText: 'CT: watching' }).waitFor({ timeout: 20_000 });
    const params = JSON.parse(fs.readFileSync(path.join(workspace, 'params.json'), 'utf8'));
    fs.writeFileSync(path.join(workspace, 'params.json'), JSON.stringify({ ...params, epochs: 60 }, null, 2));
    await page.locator('.statusbar-item', { hasText: 'CT: running' }).waitFor({ timeout: 30_000 });
    await page.waitForTimeout(2000);
    await shot(page, 'ct-running');
    await page
      .locator('.statusbar-item', { hasText: 'last: params.json changed' })
      .waitFor({ timeout: 240_000 });
    await page.waitForTimeout(800);
    await shot(page, 'ct-done');

    // The Models view: v1 > Lineage.
    const v1 = page.locator('.part.sidebar .monaco-list-row', { hasText: /^v1/ }).first();
    await v1.click();
    await page.keyboard.press('ArrowRight');
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'Lineage' }).first().click();
    await page.keyboard.press('ArrowRight');
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'params' }).first().waitFor();
    await page.mouse.click(900, 300); // focus away from the tree: no selection outline in the picture
    await page.waitForTimeout(800);
    await shot(page, 'overview');
    await page.locator('.part.sidebar .pane-header .title', { hasText: /^Pipeline$/ }).click();
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'git commit' }).first().waitFor();
    await page.waitForTimeout(800);
    await shot(page, 'lineage');
    return 0;
  } catch (e) {
    await page.screenshot({ path: path.join(shots, 'pipeline-FAILURE.png') }).catch(() => {});
    console.error('pipeline screenshots FAILED:', e);
    return 1;
  } finally {
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  }
}

main().then(
  (status) => process.exit(status),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
