/** `runlens drift`: drift of current data against reference data. */
import type { CliContext } from '../context';
import type { Command } from 'commander';
import { indent } from '../json';
import type { ColumnType, DriftMethod } from '../../protocol/drift';
import { detectDrift } from '../../core/drift/drift';
import { groupDriftWarnings } from '../../core/drift/view';
import { RunlensError } from '../../core/errors';
import { parsePairs, formatDrift, METHODS } from './eval';
import { collect } from '../options';

export function registerDriftCommand(program: Command, { io, setExit }: CliContext): void {
  program
    .command('drift')
    .description('compare current data with reference data, column by column (Evidently’s default tests)')
    .requiredOption('--reference <file>', 'the reference data (CSV or JSONL)')
    .requiredOption('--current <file>', 'the current data (CSV or JSONL)')
    .option('--by <column>', 'split the current data into windows by this column: a drift timeline')
    .option('--column <name>', 'only this column, repeatable', collect, [])
    .option(
      '--type <column=type>',
      'override a column type (numeric, categorical, boolean), repeatable',
      collect,
      [],
    )
    .option(
      '--method <column=method>',
      `a column's test (${METHODS.join(', ')}), repeatable; or just METHOD for all`,
      collect,
      [],
    )
    .option('--threshold <column=value>', "a column's threshold, repeatable", collect, [])
    .option('--drift-share <share>', 'dataset drift when at least this share of columns drift', '0.5')
    .option(
      '--memory-mb <mb>',
      "memory for the current file's values; past it the file is read once per group of columns",
      '128',
    )
    .option('--no-fail-on-drift', 'exit 0 even when the dataset drifted')
    .option('--json', 'print the report as JSON (histograms and timeline included)')
    .action(
      async (opts: {
        reference: string;
        current: string;
        by?: string;
        column: string[];
        type: string[];
        method: string[];
        threshold: string[];
        driftShare: string;
        memoryMb: string;
        failOnDrift: boolean;
        json?: boolean;
        pretty?: boolean;
      }) => {
        const all = opts.method.find((m) => !m.includes('='));
        if (all !== undefined && !METHODS.includes(all as DriftMethod))
          throw new RunlensError(
            `--method ${all}: expected one of ${METHODS.join(', ')}`,
            undefined,
            'usage',
          );
        const thresholds = Object.fromEntries(
          Object.entries(parsePairs<string>(opts.threshold, '--threshold')).map(([k, v]) => {
            if (!Number.isFinite(Number(v)))
              throw new RunlensError(`--threshold ${k}=${v}: not a number`, undefined, 'usage');
            return [k, Number(v)];
          }),
        );
        const share = Number(opts.driftShare);
        if (!(share > 0 && share <= 1))
          throw new RunlensError(
            `--drift-share ${opts.driftShare}: expected a number in (0, 1]`,
            undefined,
            'usage',
          );
        const memoryMb = Number(opts.memoryMb);
        if (!(memoryMb > 0))
          throw new RunlensError(
            `--memory-mb ${opts.memoryMb}: expected a positive number`,
            undefined,
            'usage',
          );
        const report = await detectDrift(opts.reference, opts.current, {
          columns: opts.column.length ? opts.column : undefined,
          types: parsePairs<ColumnType>(opts.type, '--type', ['numeric', 'categorical', 'boolean']),
          methods: parsePairs<DriftMethod>(
            opts.method.filter((m) => m.includes('=')),
            '--method',
            METHODS,
          ),
          method: all as DriftMethod | undefined,
          thresholds,
          driftShare: share,
          by: opts.by,
          memoryBudgetMB: memoryMb,
        });
        if (opts.json)
          io.out(
            JSON.stringify(
              report,
              (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v),
              indent(opts),
            ),
          );
        else for (const l of formatDrift(report)) io.out(l);
        for (const w of groupDriftWarnings(report.warnings)) io.err(`warning: ${w}`);
        // Nothing tested is never a pass: the data error exit code, with or without --no-fail-on-drift.
        setExit(report.tested === 0 ? 1 : report.datasetDrift && opts.failOnDrift ? 1 : 0);
      },
    );
}
