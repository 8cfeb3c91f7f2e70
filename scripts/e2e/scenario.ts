// What the UI scenarios share: a real VS Code workbench (code-server) driven by playwright-core in
// headless Chromium, steps that each end with a screenshot, the command palette. A scenario file
// registers its steps with step() and calls runScenario(); run-ui.sh starts it with
//   node --import tsx scripts/e2e/<scenario>.ts <baseUrl> <workspaceFolder> <shotsDir>
// Selectors (see E2E.md): command palette `.quick-input-widget input.input`, list and tree rows
// `.monaco-list-row`, CodeLens `.codelens-decoration`, webviews `iframe.webview` then `iframe#active-frame`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { chromium } from 'playwright-core';

const [baseUrlArg, workspaceArg, shotsArg] = process.argv.slice(2);
if (!baseUrlArg || !workspaceArg || !shotsArg) {
  console.error(
    `usage: ${path.basename(process.argv[1] ?? 'scenario.ts')} <baseUrl> <workspaceFolder> <shotsDir>`,
  );
  process.exit(2);
}
export const baseUrl = baseUrlArg;
export const workspace = workspaceArg;
export const shots = shotsArg;

const t0 = Date.now();
export const lap = (msg: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

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
/** A step of the scenario; it ends with <shotsDir>/NN-name.png. */
export const step = (name: string, run: Step['run']) => steps.push({ name, run });

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

/** The workbench on the workspace folder, once its file explorer lists the folder. */
export async function openWorkbench(page: Page): Promise<void> {
  await page.goto(`${baseUrl}/?folder=${encodeURIComponent(workspace)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  // the explorer lists the workspace once the remote file system is connected
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
}

/** Opens the Runlens view container; false when the activity bar has no Runlens item. */
export async function openRunlensView(page: Page): Promise<boolean> {
  // The view container appears once the extension host has scanned the installed extensions.
  const item = page.locator('.activitybar .action-item [aria-label*="Runlens"]').first();
  const found = await item
    .waitFor({ timeout: 20_000 })
    .then(() => true)
    .catch(() => false);
  if (!found) return false;
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
  return true;
}

/** Opens a workspace file by name through Quick Open (Ctrl+P). */
export async function quickOpen(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill(name);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** Runs the registered steps with a screenshot after each; resolves to the exit status. */
export async function runScenario(): Promise<number> {
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
  // the workbench's console (the extension host's included), whole, next to the screenshots
  const consoleLog = fs.createWriteStream(path.join(shots, 'console.log'));
  page.on('console', (m) => {
    consoleLog.write(`[${m.type()}] ${m.text()}\n`);
    if (m.type() === 'error' && !/ENOTFOUND|EAI_AGAIN/.test(m.text())) consoleErrors.push(m.text());
  });
  let status = 0;
  let passed = 0;
  try {
    for (const [i, s] of steps.entries()) {
      await s.run(page);
      const file = path.join(shots, `${String(i + 1).padStart(2, '0')}-${s.name}.png`);
      await page.screenshot({ path: file });
      passed++;
      lap(`${s.name}: ok (${file})`);
    }
    lap('UI scenario passed');
  } catch (e) {
    await page.screenshot({ path: path.join(shots, 'FAILURE.png') }).catch(() => {});
    console.error(`UI scenario FAILED at step ${steps[passed]?.name}:`, e);
    status = 1;
  } finally {
    if (consoleErrors.length) {
      console.log(`${consoleErrors.length} console errors in the workbench, first ones:`);
      for (const e of consoleErrors.slice(0, 5)) console.log('  ' + e.slice(0, 300));
    }
    await context.close().catch(() => {});
    consoleLog.end();
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
    } catch {
      // Chromium still writing (interrupted run): the profile is in the run's TMPDIR, removed with it
    }
  }
  // npm test's totals: each step is a test (the failed one counts as failed, the rest never ran)
  if (process.env.RUNLENS_TEST_RESULTS)
    fs.writeFileSync(
      process.env.RUNLENS_TEST_RESULTS,
      JSON.stringify({ passed, failed: status ? 1 : 0, skipped: status ? steps.length - passed - 1 : 0 }),
    );
  return status;
}

/** The scenario file's last line: run it and exit with its status. */
export function main(): void {
  runScenario().then(
    (status) => process.exit(status),
    (e) => {
      console.error(e);
      process.exit(2);
    },
  );
}
