// A Jupyter notebook in the notebook editor, for docs/images/notebook-lenses.png: the test fixture
// notebook (without its shell cell and its print) written into the workspace, run headless by clicking its
// "Run with Runlens" lens (nbconvert or papermill must be installed), then the lenses of its cells
// with the run's values. Started as run-ui.sh starts the scenarios:
//   E2E_SCENARIO=notebook-shot bash scripts/e2e/run-ui.sh
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lap, main, openWorkbench, quickOpen, runCommand, step, workspace } from './scenario';

const fixture = path.resolve(
  __dirname,
  '..',
  '..',
  'test',
  'fixtures',
  'workspace',
  'notebooks',
  'train.ipynb',
);

step('notebook', async (page) => {
  const nb = JSON.parse(fs.readFileSync(fixture, 'utf8')) as { cells: { source: string[] }[] };
  nb.cells = nb.cells.filter((c) => !c.source.join('').startsWith('%%bash'));
  // its last cell just ends the run (the fixture's print is there for the tests)
  nb.cells[nb.cells.length - 1].source = ['run.finish()'];
  fs.mkdirSync(path.join(workspace, 'notebooks'), { recursive: true });
  fs.writeFileSync(path.join(workspace, 'notebooks', 'train.ipynb'), JSON.stringify(nb, null, 1) + '\n');
  await page.setViewportSize({ width: 1280, height: 900 });
  await openWorkbench(page);
  await quickOpen(page, 'train.ipynb');
  await page.locator('.notebookOverlay .cell-list-container').waitFor({ timeout: 120_000 });
  await page
    .locator('.notebookOverlay .codelens-decoration', { hasText: 'Run with Runlens' })
    .waitFor({ timeout: 60_000 });
  lap('the notebook shows its lenses');
  await page.waitForTimeout(800);
});

step('notebook-lenses', async (page) => {
  await page
    .locator('.notebookOverlay .codelens-decoration a', { hasText: 'Run with Runlens' })
    .first()
    .click();
  // the first cell's lens names the run once it has ended (the run's terminal opens below meanwhile)
  await page
    .locator('.notebookOverlay .codelens-decoration', { hasText: /last run train-\w+: finished/ })
    .waitFor({ timeout: 180_000 });
  lap('the run ended');
  // the panel hidden: the whole notebook fits, its training cell (drawn only when visible) included
  await runCommand(page, 'View: Hide Panel');
  await page
    .locator('.notebookOverlay .codelens-decoration', { hasText: /loss [\d.e-]+ @ step 7/ })
    .waitFor({ timeout: 60_000 });
  lap('the training cell shows the run');
  await page.mouse.move(200, 600); // away from the notebook: no hover toolbars in the picture
  await page.waitForTimeout(1000);
});

main();
