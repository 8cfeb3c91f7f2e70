// Lenses in notebook cells: the lines of each code cell that log metrics, read with the cells before
// it (imports and `run = runlens.init()` live in early cells), with IPython magics left out.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import {
  isNotebook,
  notebookAsScript,
  parseNotebook,
  recognizeNotebookCells,
} from '../../../src/core/lens/notebook';
import { RunlensError } from '../../../src/core/errors';
import { repoRoot } from '../../helpers/tmp';

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'workspace', 'notebooks', 'train.ipynb');

/** cell -> line -> keys, for the cells that have lenses. */
function lenses(sources: string[]): Record<number, Record<number, string[]>> {
  const out: Record<number, Record<number, string[]>> = {};
  recognizeNotebookCells(sources, 'python').forEach((lines, cell) => {
    for (const l of lines) {
      assert.equal(l.cell, cell);
      (out[cell] ??= {})[l.line] = [...l.keys, ...l.patterns.map((p) => `~${p}`)];
    }
  });
  return out;
}

function notebook(cells: { cell_type: string; source: string | string[] }[], language = 'python'): string {
  return JSON.stringify({
    cells: cells.map((c) => ({ metadata: {}, outputs: [], ...c })),
    metadata: { kernelspec: { name: language, language }, language_info: { name: language } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

describe('notebook cells', () => {
  test('the fixture notebook: the client call in its training cell, the print in its last cell', () => {
    const nb = parseNotebook(fs.readFileSync(FIXTURE, 'utf8'), FIXTURE);
    assert.equal(nb.language, 'python');
    assert.deepEqual(
      nb.cells.map((c) => c.kind),
      ['markdown', 'code', 'markdown', 'code', 'code', 'code'],
    );
    const code = nb.cells.filter((c) => c.kind === 'code').map((c) => c.source);
    // cell 2 (the third code cell) is a %%bash cell whose echo prints loss=1.0: not Python, no lens
    assert.deepEqual(lenses(code), { 1: { 4: ['loss', 'val_acc'] }, 3: { 1: ['train_time'] } });
    const styles = recognizeNotebookCells(code, 'python')
      .flat()
      .map((l) => l.style);
    assert.deepEqual(styles, ['runlens', 'print']);
  });

  test('a later cell is read with the imports of the earlier ones', () => {
    const call = 'run.log({"acc": acc})';
    // alone, run.log is the Runlens client's; after a cell that imports wandb it is W&B's
    assert.equal(recognizeNotebookCells([call], 'python')[0][0].style, 'runlens');
    const after = recognizeNotebookCells(['import wandb\nrun = wandb.init()', 'x = 1', call], 'python');
    assert.deepEqual(
      after.map((c) => c.map((l) => [l.line, l.style])),
      [[], [], [[1, 'wandb']]],
    );
  });

  test('lines are counted from each cell: a call over several lines, cells without a final newline', () => {
    const cells = [
      'import mlflow\n',
      'for step in range(3):\n    x = step\n    mlflow.log_metrics(\n        {"mse": x, "mae": x},\n        step=step,\n    )',
      '\n\nmlflow.log_metric("r2", 1.0)\n',
    ];
    assert.deepEqual(lenses(cells), { 1: { 3: ['mse', 'mae'] }, 2: { 3: ['r2'] } });
  });

  test('IPython magics and shell escapes are not read as Python', () => {
    const cells = [
      'import wandb',
      // a cell magic: the cell is the magic's input (here a file written to disk), not code that runs
      '%%writefile helper.py\nwandb.log({"written": 1})',
      '%pip install wandb\n!echo "wandb.log({\'shell\': 1})"\nwandb.log({"kept": 2})',
      '  %time wandb.log({"timed": 3})',
    ];
    assert.deepEqual(lenses(cells), { 2: { 3: ['kept'] } });
  });

  test('sources as one string or as a list of lines (both are nbformat 4)', () => {
    const text = notebook([
      { cell_type: 'code', source: ['import runlens\n', 'runlens.log({"loss": 1})'] },
      { cell_type: 'code', source: 'runlens.log({"acc": 1})' },
      { cell_type: 'raw', source: 'runlens.log({"raw": 1})' },
    ]);
    const nb = parseNotebook(text);
    assert.deepEqual(
      nb.cells.map((c) => [c.kind, c.source]),
      [
        ['code', 'import runlens\nrunlens.log({"loss": 1})'],
        ['code', 'runlens.log({"acc": 1})'],
        ['raw', 'runlens.log({"raw": 1})'],
      ],
    );
    assert.equal(
      notebookAsScript(nb),
      '# %% [cell 1]\nimport runlens\nrunlens.log({"loss": 1})\n\n# %% [cell 2]\nrunlens.log({"acc": 1})\n',
    );
  });

  test('the kernel language decides; a notebook of another language has no lenses to read', () => {
    assert.equal(parseNotebook(notebook([], 'R')).language, undefined);
    assert.equal(parseNotebook(notebook([], 'javascript')).language, 'javascript');
    assert.equal(parseNotebook(JSON.stringify({ cells: [] })).language, 'python');
  });

  test('a file that is not a notebook is an error naming the file and what is wrong', () => {
    assert.throws(
      () => parseNotebook('{"cells": [', 'nb/broken.ipynb'),
      (e: unknown) =>
        e instanceof RunlensError &&
        /nb\/broken\.ipynb: not a Jupyter notebook \(invalid JSON/.test(e.message),
    );
    assert.throws(
      () => parseNotebook('{"worksheets": []}', 'old.ipynb'),
      /old\.ipynb: not a Jupyter notebook \(no "cells" list; nbformat 4 is read\)/,
    );
    assert.equal(isNotebook('a/Train.IPYNB'), true);
    assert.equal(isNotebook('train.py'), false);
  });
});
