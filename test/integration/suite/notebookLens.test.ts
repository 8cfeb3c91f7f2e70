// A Jupyter notebook in VS Code's notebook editor: Run with Runlens runs it headless (nbclient from
// Debian's jupyter-nbconvert, and python3-ipykernel, which scripts/setup.js installs) as a tracked run whose
// script is the notebook, and the lenses of its cells show that run's values above the logging lines.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Store } from '../../../src/core/store/store';
import type { RunEntry } from '../../../src/core/store/types';
import type { RunlensApi } from '../../../src/extension/root';
import { waitFor } from './wait';

const NOTEBOOK = 'notebooks/train.ipynb';

/**
 * The lenses of a cell by line, as the editor asks for them. The workbench makes a cell's text model
 * when the notebook editor shows the cell: the cell is revealed first, and asked again until it is.
 */
async function cellLenses(cell: vscode.NotebookCell): Promise<Map<number, string[]>> {
  const editor = vscode.window.visibleNotebookEditors.find((e) => e.notebook === cell.notebook);
  editor?.revealRange(new vscode.NotebookRange(cell.index, cell.index + 1));
  const lenses = await waitFor(`the text model of cell ${cell.index + 1}`, async () => {
    try {
      return (
        (await vscode.commands.executeCommand<vscode.CodeLens[]>(
          'vscode.executeCodeLensProvider',
          cell.document.uri,
          100,
        )) ?? []
      );
    } catch (e) {
      if (/Illegal argument/.test(String(e))) return undefined; // no model yet
      throw e;
    }
  });
  const byLine = new Map<number, string[]>();
  for (const l of lenses) {
    const title = l.command?.title ?? '';
    byLine.set(l.range.start.line, [...(byLine.get(l.range.start.line) ?? []), title]);
  }
  return byLine;
}

suite('Notebook lenses', () => {
  test('Run with Runlens runs the notebook; its cells show the run above their logging lines', async function () {
    this.timeout(180_000);
    const ext = vscode.extensions.getExtension<RunlensApi>('runlens.runlens');
    assert.ok(ext);
    await ext.activate();
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    const uri = vscode.Uri.file(path.join(ws, NOTEBOOK));
    const notebook = await vscode.workspace.openNotebookDocument(uri);
    await vscode.window.showNotebookDocument(notebook);
    assert.equal(notebook.notebookType, 'jupyter-notebook');
    const code = notebook.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code);
    assert.equal(code.length, 4);
    assert.deepEqual(
      code.map((c) => c.document.languageId),
      ['python', 'python', 'python', 'python'],
    );

    // Run with Runlens above the first code cell.
    const before = await waitFor('the lenses of the first cell', async () => {
      const l = await cellLenses(code[0]);
      return l.size ? l : undefined;
    });
    assert.equal((before.get(0) ?? [])[0], '$(play) Run with Runlens');

    // Run it as the lens does (the command's argument is the notebook); resolves when the run ended.
    await vscode.commands.executeCommand('runlens.runScript', uri);
    const store = Store.open(path.join(ws, '.runlens'));
    const runs = store.listRuns().entries.filter((e) => e.script === NOTEBOOK);
    assert.equal(runs.length, 1, JSON.stringify(runs));
    const run = runs[0];
    try {
      await checkLenses(store, run, code);
    } finally {
      // later suites see the fixture store as runTest.ts made it
      store.removeRun(run.id);
      fs.rmSync(path.join(store.trashDir, run.id), { recursive: true, force: true });
    }
  });
});

async function checkLenses(store: Store, run: RunEntry, code: vscode.NotebookCell[]): Promise<void> {
  const output = fs.readFileSync(store.outputFile(run.id), 'utf8');
  assert.equal(run.status, 'finished', output);
  // nbconvert's executor (nbclient), which streams what the cells print into the run's output
  assert.equal(run.tags['runlens.notebook.tool'], 'nbclient', JSON.stringify(run.tags));
  assert.match(output, /final: train_time=4/);
  assert.ok(fs.existsSync(path.join(store.runDir(run.id), 'artifacts', 'train.ipynb')));

  // The fixture's params: lr 0.3, 8 epochs; the last point is step 7: loss = exp(-0.3 * 8).
  const loss = Math.exp(-0.3 * 8);
  const valAcc = 0.5 + 0.45 * (1 - loss);
  const lenses = await waitFor('the training cell lenses to show the run', async () => {
    const l = await cellLenses(code[1]);
    return (l.get(3) ?? []).some((t) => t.includes('val_acc')) ? l : undefined;
  });
  const atLog = lenses.get(3) ?? [];
  assert.equal(atLog.length, 2, JSON.stringify(atLog));
  assert.match(atLog[0], new RegExp(`loss ${Number(loss.toPrecision(5))} @ step 7`));
  // the line's second lens: the step is said once, in the first
  assert.match(atLog[1], new RegExp(`val_acc ${Number(valAcc.toPrecision(5))}( @ step 7)? `));
  assert.deepEqual([...lenses.keys()], [3], 'lenses only above the logging line of the training cell');
  // The run lens follows the store on its own refresh: it may still say "running" for a moment.
  const finished = new RegExp(`last run ${run.name}: finished`);
  const first = await waitFor('the first cell lens to show the run finished', async () => {
    const l = await cellLenses(code[0]);
    return (l.get(0) ?? []).some((t) => finished.test(t)) ? l : undefined;
  });
  assert.equal((first.get(0) ?? [])[0], '$(play) Run with Runlens');
  // the %%bash cell is not Python: no lens; the print cell names what it prints
  assert.equal((await cellLenses(code[2])).size, 0);
  assert.deepEqual(
    [...(await cellLenses(code[3])).entries()],
    [[0, ['$(graph-line) train_time: no values yet']]],
  );
}
