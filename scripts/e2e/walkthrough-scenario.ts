// A new user's path through Runlens on data no one here wrote, in a real VS Code (code-server) with
// a screenshot after every step: the public MLflow stores among the fixtures (diffusers' six mlruns
// roots, ConvNeXt-V2-UNet's) and a Hydra + Lightning sweep with ~100 params per run imported through
// Import MLflow Runs..., their charts and comparison, drift of the quickstart's data against
// scikit-learn's raw file and of UCI Bike Sharing's 2012 days against its 2011 days, the quickstart
// pipeline grouped under its pipeline run in the explorer, the lenses of train.js while it trains,
// and the gate of a candidate that was never evaluated. Sources: test/fixtures/importers/SOURCES.md
// and the SOURCE.md files of test/fixtures/datasets.
//   E2E_SCENARIO=walkthrough-scenario E2E_SHOTS="$(mktemp -d)" bash scripts/e2e/run-ui.sh
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { writeHydraMlruns } from './hydra-mlruns';
import {
  lap,
  main,
  openRunlensView,
  openWorkbench,
  quickOpen,
  runCommand,
  step,
  workspace,
} from './scenario';

const repo = path.resolve(__dirname, '../..');
const imports = path.join(workspace, 'imports');
const external = path.join(workspace, 'external');

/** The mlruns roots to import, as copied into the workspace below. */
const MLRUNS: string[] = [];

/** The public stores and datasets copied into the workspace, where a user would have them. */
function prepareWorkspace(): void {
  const mlruns = path.join(repo, 'test/fixtures/importers/mlruns');
  const roots = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
      if (!d.isDirectory()) return [];
      const p = path.join(dir, d.name);
      return d.name === 'mlruns' ? [p] : roots(p);
    });
  for (const root of roots(mlruns).sort()) {
    // imports/diffusers/controlnet/mlruns, imports/ConvNeXt-V2-UNet/mlruns, ...
    const rel = path.relative(mlruns, root).replace(/\/examples\b/, '');
    const to = path.join(imports, rel);
    fs.cpSync(root, to, { recursive: true });
    MLRUNS.push(to);
  }
  MLRUNS.push(writeHydraMlruns(path.join(imports, 'lightning-hydra-sweep')));
  fs.mkdirSync(external, { recursive: true });
  const datasets = path.join(repo, 'test/fixtures/datasets');
  const copy = (from: string, name: string) =>
    fs.copyFileSync(path.join(datasets, from), path.join(external, name));
  copy('sklearn/breast_cancer.csv', 'breast_cancer_sklearn.csv');
  copy('bike-sharing/day_2011.csv', 'bike_day_2011.csv');
  copy('bike-sharing/day_2012.csv', 'bike_day_2012.csv');
}

/** The sweep's runs by name (a range would take in the rows of a run expanded in between). */
const HYDRA_RUNS = [
  'train_07',
  'train_06',
  'train_05',
  'train_04',
  'train_03',
  'train_02',
  'train_01',
  'train_00',
];

const sidebar = (page: Page) => page.locator('.part.sidebar');
const treeRow = (page: Page, text: string | RegExp) =>
  sidebar(page).locator('.monaco-list-row', { hasText: text }).first();

/** The webview shown in the editor (the panel in front), its content frame. */
function webview(page: Page): FrameLocator {
  return page
    .locator('iframe.webview')
    .filter({ visible: true })
    .last()
    .contentFrame()
    .frameLocator('iframe#active-frame');
}

async function pickRow(page: Page, text: string | RegExp): Promise<void> {
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ timeout: 20_000 });
  await row.click();
}

/** Starts a palette command that goes on in the quick input (a dialog, a pick): no wait for it to close. */
async function startCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill('>' + title);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

/**
 * Answers VS Code's own open dialog (the simple dialog of a remote workbench: a path in the quick
 * input) titled `title` with `target`, once it shows its starting folder.
 */
async function openDialog(page: Page, target: string, title: string | RegExp): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ timeout: 20_000 });
  const input = widget.locator('input.input');
  // The dialog fills in its starting folder (the workspace) once it has read it: typing before would
  // be replaced. The reused input may still hold the previous dialog's answer until then.
  for (let i = 0; i < 100 && (await input.inputValue()) !== workspace + '/'; i++)
    await page.waitForTimeout(100);
  await input.fill(target);
  await page.waitForTimeout(500);
  await page.keyboard.press('Enter');
  await widget
    .locator('.quick-input-title', { hasText: title })
    .waitFor({ state: 'hidden', timeout: 20_000 });
}

/** Folds the Runlens views other than `keep`, unfolds `keep` (by their titles: the headers hold buttons). */
async function onlyView(page: Page, keep: string): Promise<void> {
  for (const title of ['Experiments', 'Models', 'Pipeline', 'Team']) {
    const header = sidebar(page)
      .locator('.pane-header', { has: page.locator('.title', { hasText: new RegExp(`^${title}$`) }) })
      .first();
    if (!(await header.count())) continue;
    const open = (await header.getAttribute('aria-expanded')) === 'true';
    if (open !== (title === keep)) await header.locator('.title').click();
  }
}

/**
 * Selects the explorer rows (Ctrl+click) and runs `action` from the
 * context menu of the last one: the command gets the rows themselves, as from a user's right-click.
 */
async function onRows(page: Page, rows: (string | RegExp)[], action: string): Promise<void> {
  for (const [i, r] of rows.entries()) {
    const row = treeRow(page, r);
    await row.waitFor({ timeout: 20_000 });
    await row.scrollIntoViewIfNeeded();
    if (i > 0) await row.click({ modifiers: ['Control'] });
    else if (rows.length > 1) await row.click();
  }
  const last = treeRow(page, rows[rows.length - 1]);
  await last.scrollIntoViewIfNeeded();
  await last.click({ button: 'right' });
  const item = page.locator('.monaco-menu .action-item', { hasText: action }).first();
  await item.waitFor({ timeout: 10_000 });
  await item.click();
  await page.mouse.move(700, 17); // off the tree: no hover card over the pictures
}

/** Expands the explorer row if it is collapsed. */
async function expand(page: Page, text: string | RegExp): Promise<void> {
  const row = sidebar(page).locator('.monaco-list-row[aria-expanded="false"]', { hasText: text }).first();
  if (await row.count()) await row.click();
}

async function closeEditors(page: Page): Promise<void> {
  await runCommand(page, 'View: Close All Editors');
  await page.waitForTimeout(300);
}

/**
 * A step of the walk. With WALKTHROUGH_KEEP_GOING=1 (to take the same pictures of an older build,
 * which lacks some of what is checked) a failed step is reported and the walk goes on.
 */
function walk(name: string, run: (page: Page) => Promise<void>): void {
  // WALKTHROUGH_STEPS=a,b: only the workbench and those steps (while working on them)
  const only = process.env.WALKTHROUGH_STEPS?.split(',');
  if (only && name !== 'workbench' && !only.includes(name)) return;
  if (process.env.WALKTHROUGH_KEEP_GOING !== '1') return void step(name, run);
  step(name, async (page) => {
    try {
      await run(page);
    } catch (e) {
      lap(`${name}: FAILED (going on): ${String(e).split('\n')[0]}`);
      await page.keyboard.press('Escape');
    }
  });
}

// ---- the walk ------------------------------------------------------------------------------------

walk('workbench', async (page) => {
  prepareWorkspace();
  // a loaded machine can miss the first page load's 30 s: everything after depends on it
  for (let tries = 1; ; tries++) {
    try {
      await openWorkbench(page);
      break;
    } catch (e) {
      if (tries === 3) throw e;
      lap(`workbench not ready (${String(e).split('\n')[0]}), loading it again`);
    }
  }
  // on a loaded machine the extensions are scanned late: give the activity bar item more time
  await page
    .locator('.activitybar .action-item [aria-label*="Runlens"]')
    .first()
    .waitFor({ timeout: 90_000 });
  if (!(await openRunlensView(page))) throw new Error('no Runlens item in the activity bar');
  await onlyView(page, 'Experiments');
});

walk('import-mlflow', async (page) => {
  for (const root of MLRUNS) {
    await startCommand(page, 'Runlens: Import MLflow Runs...');
    await openDialog(page, root, 'Import MLflow Runs');
    await page
      .locator('.notifications-toasts .notification-toast', { hasText: 'Runlens: imported' })
      .first()
      .waitFor({ timeout: 30_000 });
    lap(`imported ${path.relative(workspace, root)}`);
  }
  await treeRow(page, 'mnist').waitFor({ timeout: 20_000 });
});

walk('explorer-imported', async (page) => {
  await runCommand(page, 'Notifications: Clear All Notifications');
  for (const exp of ['mnist', 'CompVis/stable-diffusion-v1-4']) await expand(page, exp);
  // a run's params, grouped by prefix
  await treeRow(page, 'train_07').click();
  await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(800);
});

walk('charts-diffusers', async (page) => {
  await onRows(page, ['CompVis/stable-diffusion-v1-4'], 'Open Metrics Chart');
  await webview(page).locator('canvas').first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1500);
});

walk('charts-convnext', async (page) => {
  await closeEditors(page);
  await onRows(page, ['ConvNeXtV2-UNet'], 'Open Metrics Chart');
  await webview(page).locator('canvas').first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1500);
});

walk('charts-hydra', async (page) => {
  await closeEditors(page);
  await onRows(page, ['mnist'], 'Open Metrics Chart');
  await webview(page).locator('canvas').first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1500);
});

walk('compare-hydra-params', async (page) => {
  await closeEditors(page);
  await expand(page, 'mnist');
  await onRows(page, HYDRA_RUNS, 'Compare Runs...');
  const view = webview(page);
  await view.locator('#params-heading').waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1500);
});

walk('compare-hydra-charts', async (page) => {
  const view = webview(page);
  await view
    .locator('h2', { hasText: 'Parallel coordinates' })
    .evaluate((h) => h.scrollIntoView({ block: 'start' }));
  await page.waitForTimeout(1000);
  const axes = await view.locator('ul.axes li').count();
  const scatter = await view.locator('#scatter-param').inputValue();
  lap(`parallel coordinates on ${axes} axes; scatter param ${scatter}`);
  if (axes > 8) throw new Error(`parallel coordinates on ${axes} axes`);
});

walk('compare-diffusers', async (page) => {
  await closeEditors(page);
  await onRows(
    page,
    [
      'CompVis/stable-diffusion-v1-4',
      'ddpm-unet',
      'runwayml/stable-diffusion-v1-5',
      'lllyasviel/sd-controlnet-openpose',
    ],
    'Compare Runs...',
  );
  await webview(page).locator('table.compare').first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1500);
});

walk('drift-nothing-compared', async (page) => {
  await closeEditors(page);
  await startCommand(page, 'Runlens: Check Data Drift...');
  await openDialog(page, path.join(workspace, 'data/breast_cancer.csv'), /^Reference data/);
  await openDialog(page, path.join(external, 'breast_cancer_sklearn.csv'), /^Current data/);
  await pickRow(page, 'No windows');
  const failed = page.locator('.notifications-toasts .notification-toast', { hasText: /drift/i }).first();
  const panel = webview(page).locator('body *').first();
  await Promise.race([failed.waitFor({ timeout: 30_000 }), panel.waitFor({ timeout: 30_000 })]);
  await page.waitForTimeout(1500);
});

walk('drift-bike-sharing', async (page) => {
  await closeEditors(page);
  await runCommand(page, 'Notifications: Clear All Notifications');
  await startCommand(page, 'Runlens: Check Data Drift...');
  await openDialog(page, path.join(external, 'bike_day_2011.csv'), /^Reference data/);
  await openDialog(page, path.join(external, 'bike_day_2012.csv'), /^Current data/);
  await pickRow(page, 'No windows');
  await webview(page).locator('table').first().waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1500);
});

walk('pipeline-run', async (page) => {
  await closeEditors(page);
  await runCommand(page, 'Runlens: Run Pipeline');
  await onlyView(page, 'Pipeline');
  await sidebar(page)
    .locator('.monaco-list-row[aria-label^="stage serve-smoke: succeeded"]')
    .waitFor({ timeout: 300_000 });
  await page.waitForTimeout(800);
});

walk('pipeline-in-explorer', async (page) => {
  await onlyView(page, 'Experiments');
  const exp = sidebar(page)
    .locator('.monaco-list-row[aria-expanded="false"]', { hasText: 'quickstart' })
    .first();
  if (await exp.count()) await exp.click();
  // the pipeline run item holds its stage runs
  const pipelineRun = sidebar(page)
    .locator('.monaco-list-row[aria-level="2"][aria-expanded]', { hasText: /pipeline/i })
    .first();
  await pipelineRun.waitFor({ timeout: 20_000 });
  if ((await pipelineRun.getAttribute('aria-expanded')) === 'false') await pipelineRun.click();
  await page.waitForTimeout(800);
});

/** The text of the lens above train.js's logging line. */
async function loggingLens(page: Page): Promise<string> {
  const lens = page.locator('.codelens-decoration', { hasText: /val_acc/ }).first();
  await lens.waitFor({ state: 'attached', timeout: 60_000 });
  return (await lens.innerText()).replace(/\s+/g, ' ');
}

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

walk('lenses-while-training', async (page) => {
  // A longer training than the pipeline's, with the charts and compare panels open beside it.
  const params = JSON.parse(fs.readFileSync(path.join(workspace, 'params.json'), 'utf8'));
  fs.writeFileSync(path.join(workspace, 'params.json'), JSON.stringify({ ...params, epochs: 150 }, null, 2));
  await runCommand(page, 'View: Toggle Panel Visibility'); // the pipeline's output: the explorer gets the room
  for (const row of ['quickstart', 'mnist', 'ddpm-unet']) {
    const open = sidebar(page).locator('.monaco-list-row[aria-expanded="true"]', { hasText: row }).first();
    if (await open.count()) await open.click();
  }
  if (await treeRow(page, 'mnist').count()) {
    await onRows(page, ['CompVis/stable-diffusion-v1-4'], 'Open Metrics Chart');
    await expand(page, 'mnist');
    await onRows(page, HYDRA_RUNS, 'Compare Runs...');
  }
  await quickOpen(page, 'train.js');
  await page.locator('.codelens-decoration').first().waitFor({ timeout: 30_000 });
  await startCommand(page, 'Runlens: Launch Training...');
  await pickRow(page, 'train.js');
  const local = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'this machine' }).first();
  if (
    await local.waitFor({ timeout: 5_000 }).then(
      () => true,
      () => false,
    )
  )
    await local.click();
  // The parameters, one box each, prefilled from the last run: 150 epochs, the rest as they are.
  for (let i = 1; i <= 12; i++) {
    const box = page.locator('.quick-input-widget .quick-input-title', { hasText: `Parameters (${i}/` });
    if (
      !(await box.waitFor({ timeout: i === 1 ? 15_000 : 5_000 }).then(
        () => true,
        () => false,
      ))
    )
      break;
    const message = await page.locator('.quick-input-widget .quick-input-message').innerText();
    if (/^epochs\b/.test(message.trim())) await page.locator('.quick-input-widget input.input').fill('150');
    await page.keyboard.press('Enter');
  }
  // the script's lens names the new run (train-xxxx; the pipeline's was "train"): it has started
  await page
    .locator('.codelens-decoration', { hasText: /last run train-\w+/ })
    .first()
    .waitFor({ state: 'attached', timeout: 120_000 });
  await revealLoggingLine(page);
  // the lens follows the run: its step moves while the run trains
  const first = await loggingLens(page);
  await page.waitForTimeout(6000);
  const second = await loggingLens(page);
  lap(`lens: "${first}" then "${second}"`);
});

walk('lenses-after-training', async (page) => {
  await page
    .locator('.codelens-decoration', { hasText: /last run .*finished/ })
    .first()
    .waitFor({ state: 'attached', timeout: 240_000 });
  await revealLoggingLine(page);
  lap(`lens: "${await loggingLens(page)}"`);
});

walk('gate-never-evaluated', async (page) => {
  await closeEditors(page);
  await startCommand(page, 'Runlens: Compare to Baseline...');
  // the candidate: the run just trained (newest first), never evaluated
  await page.locator('.quick-input-widget .monaco-list-row').first().waitFor({ timeout: 20_000 });
  await page.keyboard.press('Enter');
  // without a default baseline, a picker asks: its first choice
  const picker = page.locator('.quick-input-widget .quick-input-title', { hasText: /baseline/i });
  if (
    await picker.waitFor({ timeout: 3_000 }).then(
      () => true,
      () => false,
    )
  )
    await page.keyboard.press('Enter');
  await webview(page).locator('body *').first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1500);
});

walk('gate-evaluate-candidate', async (page) => {
  const button = webview(page).locator('#evaluate');
  if (!(await button.isVisible())) {
    lap('no Evaluate Candidate button: the verdict was not incomplete');
    return;
  }
  await button.click();
  await page.waitForTimeout(2000);
});

main();
