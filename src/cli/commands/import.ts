import type { CliContext, Io } from '../context';
import { Argument } from 'commander';
import { indent } from '../json';
import type { Command } from 'commander';
import * as path from 'node:path';
import type { ImportReport, ImportWarning } from '../../core/importers/common';
import { formatWarning } from '../../core/importers/common';
import type { ExportReport } from '../../core/importers/export';
import {
  exportCsv,
  exportJson,
  exportMlflow,
  runsToCsv,
  runsToJson,
  selectRuns,
} from '../../core/importers/export';
import { importMlflow } from '../../core/importers/mlflow';
import { importTensorboard } from '../../core/importers/tensorboard';

const SOURCE_NAMES: Record<ImportReport['source'], string> = {
  'mlflow-files': 'MLflow file store',
  'mlflow-sqlite': 'MLflow database',
  tensorboard: 'TensorBoard logs',
};

/** At most this many warnings are printed; --json has them all. */
const SHOWN_WARNINGS = 20;

function printWarnings(io: Io, warnings: ImportWarning[]): void {
  if (warnings.length === 0) return;
  io.err(`warnings (${warnings.length}):`);
  for (const w of warnings.slice(0, SHOWN_WARNINGS)) io.err(`  ${formatWarning(w)}`);
  if (warnings.length > SHOWN_WARNINGS) {
    io.err(`  … ${warnings.length - SHOWN_WARNINGS} more (--json lists them all)`);
  }
}

export function formatImportReport(r: ImportReport): string[] {
  const lines = [
    `imported ${SOURCE_NAMES[r.source]} ${r.path}`,
    `  experiments  ${r.experiments.found} found, ${r.experiments.created} new, ${r.experiments.skipped} already there or empty`,
    `  runs         ${r.runs.found} found, ${r.runs.created} created, ${r.runs.updated} updated, ${r.runs.skipped} skipped`,
    `  written      ${r.points} metric points, ${r.params} params, ${r.tags} tags`,
  ];
  const skipped = Object.entries(r.skippedValues).filter(([, n]) => n > 0);
  if (skipped.length > 0) lines.push(`  not scalars  ${skipped.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  return lines;
}

/**
 * `runlens import mlflow PATH`, `runlens import tensorboard LOGDIR`, `runlens export csv|json|mlflow OUT`.
 * `openStore(true)` opens (creating when missing) the store the other commands use.
 */
export function registerImportCommands(program: Command, { io, openStore }: CliContext): void {
  const imp = program
    .command('import')
    .description('import runs from MLflow (mlruns folder or mlflow.db) or TensorBoard event files');

  imp
    .command('mlflow')
    .description('import an MLflow tracking store: an mlruns folder (MLflow 0.x to 3.x) or an mlflow.db')
    .argument('<path>', 'the mlruns folder, an mlflow.db file, or a folder holding either')
    .option(
      '--copy-artifacts',
      "copy each run's artifacts into the Runlens run (default: refer to them in place)",
    )
    .option(
      '--artifacts-root <dir>',
      'with --copy-artifacts, also copy artifacts found under DIR (default: only inside the imported tree)',
    )
    .option('--include-deleted', 'also import runs deleted in MLflow (tagged runlens.deleted=true)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nImporting again adds only new runs (runs keep their MLflow ids in tags mlflow.run_id and mlflow.experiment_id).\n\nExample:\n  runlens import mlflow ./mlruns',
    )
    .action(
      async (
        p: string,
        opts: {
          copyArtifacts?: boolean;
          artifactsRoot?: string;
          includeDeleted?: boolean;
          json?: boolean;
          pretty?: boolean;
        },
      ) => {
        const store = openStore(true);
        const report = await importMlflow(store, p, {
          copyArtifacts: opts.copyArtifacts === true,
          artifactsRoot: opts.artifactsRoot,
          includeDeleted: opts.includeDeleted === true,
        });
        if (opts.json) {
          io.out(JSON.stringify(report, null, indent(opts)));
          return;
        }
        for (const line of formatImportReport(report)) io.out(line);
        printWarnings(io, report.warnings);
      },
    );

  imp
    .command('tensorboard')
    .description('import TensorBoard event files: each folder holding events.out.tfevents.* becomes a run')
    .argument('<logdir>', 'the folder given to TensorBoard as --logdir')
    .option('-e, --experiment <name>', 'experiment of the runs (default: the logdir folder name)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nImporting again adds only the points of files that grew, and new runs.\n\nExample:\n  runlens import tensorboard ./runs',
    )
    .action(async (logdir: string, opts: { experiment?: string; json?: boolean; pretty?: boolean }) => {
      const store = openStore(true);
      const report = await importTensorboard(store, logdir, { experiment: opts.experiment });
      if (opts.json) {
        io.out(JSON.stringify(report, null, indent(opts)));
        return;
      }
      for (const line of formatImportReport(report)) io.out(line);
      printWarnings(io, report.warnings);
    });

  program
    .command('export')
    .description('export runs: one CSV row per run, JSON records, or an MLflow file store')
    .addArgument(new Argument('<format>', 'output format').choices(['csv', 'json', 'mlflow']))
    .argument('<out>', 'file to write (csv, json; "-" for standard output), or folder (mlflow)')
    .option('-e, --experiment <name>', 'only the runs of this experiment')
    .addHelpText(
      'after',
      '\nExamples:\n  runlens export csv runs.csv\n  runlens export json - --experiment mnist\n  runlens export mlflow ./mlruns   (then: mlflow ui --backend-store-uri ./mlruns)',
    )
    .action((format: 'csv' | 'json' | 'mlflow', out: string, opts: { experiment?: string }) => {
      const store = openStore();
      const options = { experiment: opts.experiment };
      if (out === '-' && format !== 'mlflow') {
        const entries = selectRuns(store, options);
        io.out((format === 'csv' ? runsToCsv(entries) : runsToJson(store, entries)).trimEnd());
        return;
      }
      let report: ExportReport;
      if (format === 'csv') report = exportCsv(store, out, options);
      else if (format === 'json') report = exportJson(store, out, options);
      else report = exportMlflow(store, out, options);
      const pts = format === 'mlflow' ? `, ${report.points} metric points` : '';
      io.out(
        `exported ${report.runs} runs of ${report.experiments} experiments${pts} to ${path.resolve(report.out)}`,
      );
      printWarnings(io, report.warnings);
    });
}
