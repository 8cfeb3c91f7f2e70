/** `runlens lens`: the lines of a training script that log metrics. */
import type { Command } from 'commander';
import * as fs from 'node:fs';
import { RunlensError, errorMessage } from '../../core/errors';
import { isNotebook, parseNotebook, recognizeNotebookCells } from '../../core/lens/notebook';
import type { LensLine } from '../../core/lens/recognize';
import { languageOf, recognizeMetricLines } from '../../core/lens/recognize';
import { table, toJson } from '../../core/format';
import type { CliContext } from '../context';

export function registerLensCommand(program: Command, { io }: CliContext): void {
  program
    .command('lens')
    .description('list the lines of a training script that log metrics (what the editor shows above them)')
    .argument('<file>', 'a Python, JavaScript or TypeScript script, or a Jupyter notebook (.ipynb)')
    .option('--json', 'print JSON: [{ line, keys, patterns, style }] (notebooks: { cell, line, ... })')
    .action((file: string, opts) => {
      const language = languageOf(file);
      if (!language && !isNotebook(file)) {
        throw new RunlensError(
          `${file}: not a script Runlens reads (the language comes from the file extension)`,
          'give a .py, .js, .mjs, .cjs, .jsx, .ts, .mts, .cts, .tsx or .ipynb file',
          'usage',
        );
      }
      let source: string;
      try {
        source = fs.readFileSync(file, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new RunlensError(`${file}: no such file`, undefined, 'notFound');
        if (code === 'EISDIR')
          throw new RunlensError(`${file} is a folder, not a script`, undefined, 'usage');
        throw new RunlensError(`cannot read ${file}: ${errorMessage(e)}`, undefined, 'io');
      }
      if (!language) {
        printNotebook(io, file, source, opts);
        return;
      }
      const lines = recognizeMetricLines(source, language);
      if (opts.json) {
        io.out(toJson(opts, lines));
        return;
      }
      const rows = lines.map((l) => [String(l.line), l.style, keysText(l)]);
      io.out(rows.length ? table(['LINE', 'STYLE', 'KEYS'], rows) : `(no metric logging lines in ${file})`);
    });
}

function keysText(l: LensLine): string {
  return [...l.keys, ...l.patterns.map((p) => `/${p}/`)].join(', ') || '(names not written literally)';
}

/** A notebook's lines by cell: cells numbered from 1 over all cells, as the notebook editor counts them. */
function printNotebook(
  io: CliContext['io'],
  file: string,
  text: string,
  opts: { json?: boolean; pretty?: boolean },
): void {
  const nb = parseNotebook(text, file);
  if (!nb.language)
    throw new RunlensError(
      `${file}: a notebook of a kernel language Runlens does not read`,
      'Python, JavaScript and TypeScript notebooks are read',
      'usage',
    );
  const numbers = nb.cells.flatMap((c, i) => (c.kind === 'code' ? [i + 1] : []));
  const code = nb.cells.filter((c) => c.kind === 'code').map((c) => c.source);
  const lines = recognizeNotebookCells(code, nb.language)
    .flat()
    .map(({ cell, ...l }) => ({ cell: numbers[cell], ...l }));
  if (opts.json) {
    io.out(toJson(opts, lines));
    return;
  }
  const rows = lines.map((l) => [String(l.cell), String(l.line), l.style, keysText(l)]);
  io.out(
    rows.length ? table(['CELL', 'LINE', 'STYLE', 'KEYS'], rows) : `(no metric logging lines in ${file})`,
  );
}
