/** `runlens lens`: the lines of a training script that log metrics. */
import type { Command } from 'commander';
import * as fs from 'node:fs';
import { RunlensError, errorMessage } from '../../core/errors';
import { languageOf, recognizeMetricLines } from '../../core/lens/recognize';
import { table, toJson } from '../../core/format';
import type { CliContext } from '../context';

export function registerLensCommand(program: Command, { io }: CliContext): void {
  program
    .command('lens')
    .description('list the lines of a training script that log metrics (what the editor shows above them)')
    .argument('<file>', 'a Python, JavaScript or TypeScript script')
    .option('--json', 'print JSON: [{ line, keys, patterns, style }]')
    .action((file: string, opts) => {
      const language = languageOf(file);
      if (!language) {
        throw new RunlensError(
          `${file}: not a script Runlens reads (the language comes from the file extension)`,
          'give a .py, .js, .mjs, .cjs, .jsx, .ts, .mts, .cts or .tsx file',
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
      const lines = recognizeMetricLines(source, language);
      if (opts.json) {
        io.out(toJson(opts, lines));
        return;
      }
      const rows = lines.map((l) => [
        String(l.line),
        l.style,
        [...l.keys, ...l.patterns.map((p) => `/${p}/`)].join(', ') || '(names not written literally)',
      ]);
      io.out(rows.length ? table(['LINE', 'STYLE', 'KEYS'], rows) : `(no metric logging lines in ${file})`);
    });
}
