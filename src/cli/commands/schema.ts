/** `runlens schema` and `runlens validate`: data schemas. */
import type { CliContext } from '../context';
import type { Command } from 'commander';
import { indent } from '../json';
import { RunlensError } from '../../core/errors';
import { inferSchema, readSchema, validateFile, writeSchema } from '../../core/data/schema';

export function registerSchemaCommands(program: Command, { io, setExit }: CliContext): void {
  const schema = program
    .command('schema')
    .description('infer a data schema (columns, types, ranges, categories, missing rates)');
  schema
    .command('infer')
    .argument('<file>', 'a CSV or JSONL data file')
    .option('--out <file>', 'write the schema here (default: print it)')
    .option('--pretty', 'indent the printed JSON')
    .action(async (file: string, opts: { out?: string; pretty?: boolean }) => {
      const s = await inferSchema(file);
      if (opts.out) {
        writeSchema(opts.out, s);
        io.out(`wrote the schema of ${s.columns.length} columns (${s.rows} rows) to ${opts.out}`);
      } else io.out(JSON.stringify(s, null, indent(opts)));
    });

  program
    .command('validate')
    .description('check a data file against a schema: exit 0 valid, 1 anomalies, 2 error')
    .argument('<file>', 'a CSV or JSONL data file')
    .requiredOption('--schema <file>', 'the schema (from `runlens schema infer`)')
    .option('--missing-tolerance <rate>', 'allowed rise of a column missing rate over the schema', '0.1')
    .option('--json', 'print the report as JSON')
    .action(
      async (
        file: string,
        opts: { schema: string; missingTolerance: string; json?: boolean; pretty?: boolean },
      ) => {
        const tol = Number(opts.missingTolerance);
        if (!(tol >= 0 && tol <= 1))
          throw new RunlensError(
            `--missing-tolerance ${opts.missingTolerance}: expected a number in [0, 1]`,
            undefined,
            'usage',
          );
        const r = await validateFile(file, readSchema(opts.schema), opts.schema, {
          missingRateTolerance: tol,
        });
        if (opts.json) io.out(JSON.stringify(r, null, indent(opts)));
        else {
          io.out(
            r.valid
              ? `${file}: ${r.rows} rows valid against ${opts.schema}`
              : `${file}: ${r.anomalies.length} anomalies in ${r.rows} rows (schema ${opts.schema})`,
          );
          for (const a of r.anomalies) {
            const ex = a.examples.map((e) => `line ${e.line}: "${e.value}"`).join(', ');
            io.out(
              `  ${a.kind.padEnd(18)} ${a.column.padEnd(16)} ${String(a.count).padStart(7)}  ${a.message}${ex ? ` (${ex})` : ''}`,
            );
          }
        }
        setExit(r.valid ? 0 : 1);
      },
    );
}
