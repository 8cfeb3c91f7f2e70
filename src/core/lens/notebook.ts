/**
 * Jupyter notebooks (.ipynb, nbformat 4) as training scripts: their code cells are read as one
 * program (an import or `run = runlens.init()` in an early cell serves the logging calls of later
 * cells, as in the kernel), and each recognized line is given back as a line of its own cell.
 *
 * Pure: no I/O and no `vscode`.
 */

import { RunlensError } from '../errors';
import type { LensLanguage, LensLine } from './recognize';
import { recognizeMetricLines } from './recognize';

export interface NotebookCell {
  kind: 'code' | 'markdown' | 'raw';
  source: string;
}

export interface ParsedNotebook {
  /** The kernel's language, when Runlens reads it (python unless the notebook says otherwise). */
  language: LensLanguage | undefined;
  cells: NotebookCell[];
}

/** A recognized line of a notebook: `cell` is the index among the code cells, `line` 1-based within it. */
export interface CellLensLine extends LensLine {
  cell: number;
}

/** Whether a file name is a Jupyter notebook. */
export function isNotebook(fileName: string): boolean {
  return /\.ipynb$/i.test(fileName);
}

function sourceText(source: unknown): string {
  if (typeof source === 'string') return source;
  if (Array.isArray(source)) return source.map((s) => (typeof s === 'string' ? s : '')).join('');
  return '';
}

function kernelLanguage(metadata: unknown): LensLanguage | undefined {
  const m = (metadata ?? {}) as { kernelspec?: { language?: unknown }; language_info?: { name?: unknown } };
  const name = String(m.language_info?.name ?? m.kernelspec?.language ?? 'python').toLowerCase();
  if (name === 'python') return 'python';
  if (name === 'javascript') return 'javascript';
  if (name === 'typescript') return 'typescript';
  return undefined;
}

/** Reads an .ipynb file's text; a file that is not a notebook is an error naming `file` and why. */
export function parseNotebook(text: string, file = 'notebook'): ParsedNotebook {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RunlensError(`${file}: not a Jupyter notebook (invalid JSON: ${(e as Error).message})`);
  }
  const nb = json as { cells?: unknown; metadata?: unknown; nbformat?: unknown };
  if (!nb || typeof nb !== 'object' || !Array.isArray(nb.cells)) {
    throw new RunlensError(`${file}: not a Jupyter notebook (no "cells" list; nbformat 4 is read)`);
  }
  const cells = nb.cells.map((c): NotebookCell => {
    const cell = (c ?? {}) as { cell_type?: unknown; source?: unknown };
    const kind = cell.cell_type === 'code' || cell.cell_type === 'markdown' ? cell.cell_type : 'raw';
    return { kind, source: sourceText(cell.source) };
  });
  return { language: kernelLanguage(nb.metadata), cells };
}

/**
 * IPython syntax that is not Python, blanked with offsets kept: a cell magic (`%%bash`) makes the
 * whole cell empty lines, a line magic or shell escape (`%pip`, `!ls`) becomes a comment.
 */
function withoutMagics(source: string): string {
  const lines = source.split('\n');
  const first = lines.find((l) => l.trim());
  if (first?.trimStart().startsWith('%%')) return lines.map(() => '').join('\n');
  return lines.map((l) => l.replace(/^(\s*)[%!]/, '$1#')).join('\n');
}

/**
 * The metric lines of a notebook's code cells (`sources`, in order): recognized over the cells
 * joined as one program, returned per cell with lines counted from each cell's first line.
 */
export function recognizeNotebookCells(sources: string[], language: LensLanguage): CellLensLine[][] {
  const python = language === 'python';
  const starts: number[] = [];
  let line = 1;
  const parts = sources.map((s) => {
    starts.push(line);
    line += s.split('\n').length;
    return python ? withoutMagics(s) : s;
  });
  const out: CellLensLine[][] = sources.map(() => []);
  for (const l of recognizeMetricLines(parts.join('\n'), language)) {
    let cell = starts.length - 1;
    while (cell > 0 && starts[cell] > l.line) cell--;
    out[cell].push({ ...l, cell, line: l.line - starts[cell] + 1 });
  }
  return out;
}

/**
 * The code a notebook runs, as one Python file in the "percent" format that editors and jupytext
 * read (`# %% [cell N]` before each code cell): what a run records beside the notebook.
 */
export function notebookAsScript(nb: ParsedNotebook): string {
  const out: string[] = [];
  nb.cells.forEach((c, i) => {
    if (c.kind !== 'code') return;
    out.push(`# %% [cell ${i + 1}]`, c.source.replace(/\n$/, ''), '');
  });
  return out.join('\n');
}
