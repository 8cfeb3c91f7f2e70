// What a person sees: the packaged extension in a real VS Code workbench (code-server), driven by
// playwright-core in headless Chromium, with a screenshot after every step (scenario.ts). Started by
// run-ui.sh: node --import tsx scripts/e2e/ui-scenario.ts <baseUrl> <workspaceFolder> <shotsDir>
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { lap, main, openRunlensView, openWorkbench, quickOpen, step, workspace } from './scenario';

// ---- the scenario ---------------------------------------------------------------------------------

step('workbench', openWorkbench);

step('runlens-view', async (page) => {
  if (!(await openRunlensView(page)))
    lap('no Runlens item in the activity bar (no view container contributed?)');
});

step('command-palette', async (page) => {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill('>Runlens');
  await page.locator('.quick-input-widget .monaco-list-row').first().waitFor({ timeout: 10_000 });
  const titles = await page.locator('.quick-input-widget .monaco-list-row .label-name').allInnerTexts();
  lap(`palette shows ${titles.length} Runlens commands: ${titles.slice(0, 8).join(' | ')}`);
});

/** Scrolls the editor to the line of train.js that prints the epoch's metrics. */
async function revealLoggingLine(page: Page): Promise<void> {
  const line = fs
    .readFileSync(path.join(workspace, 'train.js'), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes('val_acc='));
  await page.locator('.monaco-editor textarea').first().focus();
  await page.keyboard.press('Control+G');
  await page.keyboard.type(String(line + 1));
  await page.keyboard.press('Enter');
  await page.waitForTimeout(300);
}

step('open-training-script', async (page) => {
  await quickOpen(page, 'train.js');
  // Before any run: a lens to run the script, and the logging line waiting for values.
  await page
    .locator('.codelens-decoration', { hasText: 'Run with Runlens' })
    .first()
    .waitFor({ timeout: 30_000 });
  await revealLoggingLine(page);
  await page
    .locator('.codelens-decoration', { hasText: 'no values yet' })
    .first()
    .waitFor({ timeout: 10_000 });
});

step('launch-from-palette', async (page) => {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill('>Runlens: Launch Training...');
  await page
    .locator('.quick-input-widget .monaco-list-row', { hasText: 'Launch Training...' })
    .first()
    .click();
  // the entry points: the detected training scripts of the workspace
  const entry = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'train.js' }).first();
  await entry.waitFor({ timeout: 15_000 });
  await entry.click();
  // Where Slurm is installed (sbatch on PATH) the targets come next: this scenario trains here.
  const local = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'this machine' }).first();
  if (
    await local.waitFor({ timeout: 5_000 }).then(
      () => true,
      () => false,
    )
  )
    await local.click();
  // the run appears in the explorer while it trains
  const sidebar = page.locator('.part.sidebar');
  await sidebar.locator('.monaco-list-row', { hasText: 'quickstart' }).first().waitFor({ timeout: 30_000 });
  lap('the launched run is in the explorer');
});

step('run-finished-lenses', async (page) => {
  // the lenses above the logging line now carry the run's latest values
  const lens = page.locator('.codelens-decoration', { hasText: /val_acc \d/ }).first();
  await lens.waitFor({ state: 'attached', timeout: 120_000 });
  await page.keyboard.press('Control+Home');
  lap(`lens: ${(await lens.innerText()).replace(/\s+/g, ' ').slice(0, 200)}`);
  await page
    .locator('.codelens-decoration', { hasText: /last run .*finished/ })
    .first()
    .waitFor({ state: 'attached', timeout: 60_000 });
  await revealLoggingLine(page);
  // expand the experiment and its run in the explorer
  const sidebar = page.locator('.part.sidebar');
  const exp = sidebar.locator('.monaco-list-row[aria-expanded="false"]', { hasText: 'quickstart' }).first();
  if (await exp.count()) await exp.click();
  const run = sidebar.locator('.monaco-list-row[aria-level="2"]').first();
  await run.waitFor({ timeout: 10_000 });
  await run.click();
  await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(800);
});

step('models-view', async (page) => {
  // register the run's model with the CLI, as a user would from a terminal
  const repo = path.resolve(__dirname, '../..');
  const { execFileSync } = await import('node:child_process');
  const runs = JSON.parse(
    execFileSync(process.execPath, [path.join(repo, 'bin/runlens.js'), 'ls', '--json'], {
      cwd: workspace,
      encoding: 'utf8',
    }),
  ) as { id: string }[];
  execFileSync(
    process.execPath,
    [path.join(repo, 'bin/runlens.js'), 'model', 'register', 'breast-cancer', '--run', runs[0].id],
    {
      cwd: workspace,
    },
  );
  const sidebar = page.locator('.part.sidebar');
  const version = sidebar.locator('.monaco-list-row', { hasText: 'breast-cancer' }).first();
  await version.waitFor({ timeout: 20_000 });
  await version.click();
  await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(800);
});

step('dark-theme', async (page) => {
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  fs.writeFileSync(
    path.join(workspace, '.vscode', 'settings.json'),
    JSON.stringify({ 'workbench.colorTheme': 'Default Dark Modern' }, null, 2),
  );
  await page.locator('.monaco-workbench.vs-dark').waitFor({ timeout: 20_000 });
  await page.waitForTimeout(800);
});

main();
