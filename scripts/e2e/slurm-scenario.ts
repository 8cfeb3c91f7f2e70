// A sweep on a real Slurm cluster from a real VS Code: the packaged extension in code-server, the
// quickstart's train.js launched from the palette as a 3-run sweep on the cluster's partition (one
// job array, at most 2 tasks at once), the queued task with its pending reason, the running ones
// with their node, one task cancelled from the explorer, the finished runs charted side by side.
// Needs a running cluster (scripts/services/slurm-up.sh); npm test runs it in its slurm tier:
//   E2E_SCENARIO=slurm-scenario bash scripts/e2e/run-ui.sh
import type { Locator, Page } from 'playwright-core';
import { lap, main, openRunlensView, openWorkbench, quickOpen, runCommand, step } from './scenario';

const LRS = ['0.01', '0.003', '0.001'];
/** Long enough that the third task is still queued behind the throttle when it is cancelled. */
const EPOCHS = '600';

const sidebar = (page: Page) => page.locator('.part.sidebar');
/** The explorer's row of the run whose aria-label (name, status, metric) matches. */
const runRow = (page: Page, status: string, text?: RegExp): Locator =>
  sidebar(page)
    .locator(`.monaco-list-row[aria-label*=", ${status}"]`)
    .filter(text ? { hasText: text } : {})
    .first();

async function pickRow(page: Page, text: string | RegExp): Promise<void> {
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ timeout: 20_000 });
  await row.click();
}

/**
 * Answers the input box titled `title` with `value` (replacing what it proposes), once that box is
 * shown: the quick input widget is reused, so a visible input may still be the previous step's.
 */
async function answer(page: Page, title: string | RegExp, value: string | undefined): Promise<string> {
  await page
    .locator('.quick-input-widget .quick-input-title', { hasText: title })
    .waitFor({ timeout: 20_000 });
  const input = page.locator('.quick-input-widget input.input');
  const proposed = await input.inputValue();
  if (value !== undefined) await input.fill(value);
  await page.keyboard.press('Enter');
  return proposed;
}

step('workbench', openWorkbench);

step('runlens-view', async (page) => {
  if (!(await openRunlensView(page))) throw new Error('no Runlens item in the activity bar');
  // room for the runs: the other views folded
  for (const title of ['Models', 'Pipeline', 'Team']) {
    const header = sidebar(page).locator('.pane-header[aria-expanded="true"]', { hasText: title }).first();
    if (await header.count()) await header.click();
  }
});

step('launch-sweep-on-slurm', async (page) => {
  await quickOpen(page, 'train.js');
  await page.locator('.codelens-decoration').first().waitFor({ timeout: 30_000 });
  await runCommand(page, 'Runlens: Launch Training with Parameters...');
  await pickRow(page, 'train.js');
  // Local, and one target per partition from sinfo: the single-node cluster's "debug"
  await pickRow(page, 'Slurm: debug');
  // the job's resources as one line, starting from the runlens.slurm.* settings
  const proposed = await answer(page, 'Slurm resources of train.js', 'partition=debug time=10:00 cpus=1');
  lap(`resources proposed: ${proposed}`);
  if (!proposed.includes('partition=debug'))
    throw new Error(`the resource line lacks the partition: ${proposed}`);
  // params.json's keys in order: lr, epochs, hidden, batch_size, val_fraction, seed
  await answer(page, 'Parameters (1/6)', LRS.join(','));
  await answer(page, 'Parameters (2/6)', EPOCHS);
  for (let i = 3; i <= 6; i++) await answer(page, `Parameters (${i}/6)`, undefined);
  // one job array of 3 tasks, at most 2 at a time (runlens.sweep.concurrency)
  const submit = page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Submit Sweep' });
  await submit.waitFor({ timeout: 10_000 });
  await page
    .locator('.monaco-dialog-box', { hasText: 'one Slurm job array (at most 2 at a time)' })
    .waitFor();
  await submit.click();
  await page
    .locator('.notifications-toasts', { hasText: /submitted 3 runs to Slurm \(job array \d+/ })
    .waitFor({
      timeout: 30_000,
    });
});

step('queued-and-running', async (page) => {
  const exp = sidebar(page)
    .locator('.monaco-list-row[aria-expanded="false"]', { hasText: 'quickstart' })
    .first();
  if (await exp.count()) await exp.click();
  // the throttle holds the third task back: queued, with its job id and Slurm's pending reason
  const queued = runRow(page, 'queued', /job \d+_2 \(JobArrayTaskLimit\)/);
  await queued.waitFor({ timeout: 60_000 });
  lap(`queued: ${await queued.innerText()}`);
  // the two others run on the node
  const running = runRow(page, 'running', /job \d+_[01] on /);
  await running.waitFor({ timeout: 60_000 });
  lap(`running: ${await running.innerText()}`);
  await page
    .locator('.statusbar-item', { hasText: /Slurm \d running, 1 queued/ })
    .first()
    .waitFor({ timeout: 20_000 });
});

step('cancel-queued-task', async (page) => {
  // Stop Run from the palette with nothing selected asks which run: the queued task, by its name
  const queued = runRow(page, 'queued', /job \d+_2/);
  const name = (await queued.getAttribute('aria-label'))!.split(',')[0];
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.fill('>Runlens: Stop Run');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Stop Run' }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Stop which run?' }).waitFor();
  await input.fill(name);
  await page
    .locator('.quick-input-widget .monaco-list-row', { hasText: `${name} ` })
    .first()
    .waitFor();
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'queued' }).first().waitFor();
  await page.keyboard.press('Enter');
  // scancel on the array task; the store's watcher records it killed
  await runRow(page, 'killed').waitFor({ timeout: 60_000 });
  lap(`the cancelled task ${name} is killed`);
});

/** Expands every experiment (a run moves to its experiment once train.js names it). */
async function expandExperiments(page: Page): Promise<void> {
  for (const row of await sidebar(page)
    .locator('.monaco-list-row[aria-level="1"][aria-expanded="false"]')
    .all())
    await row.click();
}

step('finished', async (page) => {
  // both running tasks end; their runs carry the metrics train.js logged on the node
  await expandExperiments(page);
  await page.waitForTimeout(500);
  await sidebar(page)
    .locator('.monaco-list-row[aria-label*=", finished, val_acc"]')
    .nth(1)
    .waitFor({ timeout: 240_000 });
  const rows = await sidebar(page).locator('.monaco-list-row[aria-label*=", finished"]').allInnerTexts();
  lap(`finished: ${rows.map((r) => r.replace(/\s+/g, ' ')).join(' | ')}`);
});

step('compare-in-charts', async (page) => {
  // the two finished runs selected in the explorer, charted side by side
  const finished = sidebar(page).locator('.monaco-list-row[aria-label*=", finished"]');
  await finished.nth(0).click();
  await finished.nth(1).click({ modifiers: ['Control'] });
  await runCommand(page, 'Runlens: Open Metrics Chart');
  const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
  await frame.locator('canvas').first().waitFor({ timeout: 30_000 });
  await frame.locator('[aria-label*=", 2 runs"]').first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1_500);
});

main();
