// What a person sees: the packaged extension in a real VS Code workbench (code-server), driven by
// playwright-core in headless Chromium, with a screenshot after every step. Started by run-ui.sh:
//   node --import tsx scripts/e2e/ui-scenario.ts <baseUrl> <workspaceFolder> <shotsDir>
// Selectors (see E2E.md): command palette `.quick-input-widget input.input`, list and tree rows
// `.monaco-list-row`, CodeLens `.codelens-decoration`, webviews `iframe.webview` then `iframe#active-frame`.
// Add steps with step('name', async (page) => { ... }): each one ends with <shotsDir>/NN-name.png.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { chromium } from 'playwright-core';

const [baseUrl, workspace, shots] = process.argv.slice(2);
if (!baseUrl || !workspace || !shots) {
  console.error('usage: ui-scenario.ts <baseUrl> <workspaceFolder> <shotsDir>');
  process.exit(2);
}

const t0 = Date.now();
const lap = (msg: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

function chromiumPath(): string {
  if (process.env.E2E_CHROMIUM) return process.env.E2E_CHROMIUM;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'chromium');
    if (fs.existsSync(p)) return p;
  }
  throw new Error('no chromium on PATH: run scripts/e2e/install-tools.sh or set E2E_CHROMIUM');
}

type Step = { name: string; run: (page: Page) => Promise<void> };
const steps: Step[] = [];
const step = (name: string, run: Step['run']) => steps.push({ name, run });

/** Runs a command through the command palette (F1), by its title as the palette shows it. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill('>' + title);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

// ---- the scenario ---------------------------------------------------------------------------------

step('workbench', async (page) => {
  await page.goto(`${baseUrl}/?folder=${encodeURIComponent(workspace)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  // the explorer lists the workspace once the remote file system is connected
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
});

step('runlens-view', async (page) => {
  // The view container appears once the extension host has scanned the installed extensions.
  const item = page.locator('.activitybar .action-item [aria-label*="Runlens"]').first();
  const found = await item
    .waitFor({ timeout: 20_000 })
    .then(() => true)
    .catch(() => false);
  if (!found) {
    lap('no Runlens item in the activity bar (no view container contributed?)');
    return;
  }
  await item.click();
  await page.locator('.part.sidebar .title-label', { hasText: 'Runlens' }).waitFor({ timeout: 15_000 });
  // The views are declared by package.json and shown at once; their content only once the extension
  // has activated and registered its tree data providers.
  const t = Date.now();
  await page
    .locator('.part.sidebar .pane-body', { hasText: 'There is no data provider registered' })
    .first()
    .waitFor({ state: 'detached', timeout: 45_000 });
  lap(`Runlens views filled by the extension after ${((Date.now() - t) / 1000).toFixed(1)} s`);
  await page.waitForTimeout(500); // let the trees render their first rows
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
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill('train.js');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'train.js' }).first().waitFor();
  await page.keyboard.press('Enter');
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

// ---- runner -----------------------------------------------------------------------------------------

async function main(): Promise<number> {
  fs.mkdirSync(shots, { recursive: true });
  // only this scenario's own files: a shots folder may hold other things
  for (const f of fs.readdirSync(shots)) {
    if (/^(\d\d-.+|FAILURE)\.png$/.test(f)) fs.rmSync(path.join(shots, f));
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    viewport: { width: 1400, height: 900 },
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
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/ENOTFOUND|EAI_AGAIN/.test(m.text())) consoleErrors.push(m.text());
  });
  let status = 0;
  try {
    for (const [i, s] of steps.entries()) {
      await s.run(page);
      const file = path.join(shots, `${String(i + 1).padStart(2, '0')}-${s.name}.png`);
      await page.screenshot({ path: file });
      lap(`${s.name}: ok (${file})`);
    }
    lap('UI scenario passed');
  } catch (e) {
    await page.screenshot({ path: path.join(shots, 'FAILURE.png') }).catch(() => {});
    console.error('UI scenario FAILED:', e);
    status = 1;
  } finally {
    if (consoleErrors.length) {
      console.log(`${consoleErrors.length} console errors in the workbench, first ones:`);
      for (const e of consoleErrors.slice(0, 5)) console.log('  ' + e.slice(0, 300));
    }
    await context.close().catch(() => {});
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
    } catch {
      // Chromium still writing (interrupted run): the profile is in the run's TMPDIR, removed with it
    }
  }
  return status;
}

main().then(
  (status) => process.exit(status),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
