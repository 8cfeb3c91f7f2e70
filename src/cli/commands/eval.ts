import type { CliContext } from '../context';
import type { Command } from 'commander';
import { indent } from '../json';
import * as path from 'node:path';
import type { DriftReport } from '../../core/drift/drift';
import { nothingComparedReason } from '../../core/drift/view';
import { RunlensError } from '../../core/errors';
import { formatMaybe } from '../../core/format';
import type { EvaluationResult } from '../../core/eval/evaluate';
import { evaluateFile, saveEvaluation } from '../../core/eval/evaluate';
import { evaluateModel } from '../../core/eval/modelEval';

export function parsePairs<T extends string>(
  items: string[],
  what: string,
  allowed?: readonly string[],
): Record<string, T> {
  const out: Record<string, T> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new RunlensError(`${what} "${item}": expected COLUMN=VALUE`, undefined, 'usage');
    const v = item.slice(eq + 1);
    if (allowed && !allowed.includes(v))
      throw new RunlensError(
        `${what} "${item}": ${v} is not one of ${allowed.join(', ')}`,
        undefined,
        'usage',
      );
    out[item.slice(0, eq)] = v as T;
  }
  return out;
}

export const METHODS = ['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi'] as const;

export function formatEvaluation(r: EvaluationResult): string[] {
  const lines = [`evaluated ${r.n} rows of ${r.file} (${r.task})`];
  for (const [k, v] of Object.entries(r.metrics))
    lines.push(`  ${k.replace(/^eval\//, '').padEnd(20)} ${formatMaybe(v)}`);
  const c = r.classification;
  if (c) {
    lines.push('', '  confusion matrix (rows: true, columns: predicted)');
    const w = Math.max(
      ...c.labels.map((l) => l.length),
      ...c.confusionMatrix.flat().map((x) => String(x).length),
      4,
    );
    lines.push('  ' + ''.padEnd(w) + ' ' + c.labels.map((l) => l.padStart(w)).join(' '));
    c.confusionMatrix.forEach((row, i) =>
      lines.push('  ' + c.labels[i].padEnd(w) + ' ' + row.map((x) => String(x).padStart(w)).join(' ')),
    );
  }
  if (r.slices) {
    lines.push('', `  slices by ${r.slices.column}`);
    const key = r.task === 'regression' ? 'eval/rmse' : 'eval/accuracy';
    for (const s of r.slices.slices)
      lines.push(
        `    ${s.value.padEnd(20)} n=${String(s.n).padEnd(7)} ${key.slice(5)} ${formatMaybe(s.metrics[key])}`,
      );
  }
  return lines;
}

export function formatDrift(r: DriftReport): string[] {
  const nothing = nothingComparedReason(r);
  const lines = [
    `drift of ${r.current.file} (${r.current.rows} rows) against ${r.reference.file} (${r.reference.rows} rows)`,
    nothing
      ? `  NOTHING COMPARED: ${nothing}`
      : `  ${r.drifted} of ${r.tested} columns drifted (${(r.share * 100).toFixed(1)}%; dataset drift at ${(r.driftShare * 100).toFixed(0)}%): ${r.datasetDrift ? 'DATASET DRIFT' : 'no dataset drift'}`,
    '',
    '  COLUMN               TYPE         TEST           STATISTIC    P-VALUE      THRESHOLD  DRIFT  MISSING REF->CUR',
  ];
  for (const c of r.columns) {
    lines.push(
      `  ${c.column.padEnd(20)} ${c.type.padEnd(12)} ${c.method.padEnd(14)} ${formatMaybe(c.statistic).padEnd(12)} ${formatMaybe(c.pValue).padEnd(12)} ${String(c.threshold).padEnd(10)} ${(c.skipped ? 'skip' : c.drifted ? 'YES' : 'no').padEnd(6)} ${(c.reference.missingRate * 100).toFixed(1)}% -> ${(c.current.missingRate * 100).toFixed(1)}%`,
    );
  }
  if (r.timeline) {
    lines.push('', `  timeline by ${r.timeline.by}`);
    for (const w of r.timeline.windows) {
      lines.push(
        `    ${w.window.padEnd(16)} rows ${String(w.rows).padEnd(8)} drifted ${w.drifted}/${w.tested}${w.datasetDrift ? '  DATASET DRIFT' : ''}`,
      );
    }
  }
  return lines;
}

/** `runlens eval FILE` (a predictions file) and `runlens eval --model REF --data FILE`. */
export function registerEvalCommands(program: Command, ctx: CliContext): void {
  program
    .command('eval')
    .description(
      'evaluate a predictions file (CSV or JSONL: label, prediction, score or score_<class>), or a model on a data file',
    )
    .argument('[file]', 'the predictions file (without --model)')
    .option('--model <ref>', 'evaluate this model (MODEL@VERSION, MODEL@STAGE or a run) on --data')
    .option(
      '--data <file>',
      'with --model: the data file (CSV or JSONL with the feature columns and the target)',
    )
    .option(
      '--target <column>',
      "with --model: column of the true label (default: the model's recorded target)",
    )
    .option('--label-column <name>', 'column of the true label', 'label')
    .option('--prediction-column <name>', 'column of the predicted label or value', 'prediction')
    .option('--score-column <name>', "binary: column of the positive class's probability", 'score')
    .option('--score-prefix <prefix>', 'multiclass: prefix of the per-class probability columns', 'score_')
    .option('--task <task>', 'classification or regression (default: guessed from the columns)')
    .option('--positive <label>', 'binary: the positive class (default: the greater label)')
    .option('--slice <column>', 'also compute every metric per value (or bin) of this column')
    .option('--run <run>', 'save evaluation.json with this run and log its metrics (eval/...)')
    .option('--json', 'print the evaluation as JSON')
    .addHelpText(
      'after',
      "\nExamples:\n  runlens eval predictions.csv\n  runlens eval preds.jsonl --slice country --run 20250101-abc --json\n  runlens eval --model cancer@2 --data holdout.csv --target label\n\nWith --model the evaluation is saved with the model's run unless --run names another.",
    )
    .action((file: string | undefined, opts: EvalOptions) => evaluateCommand(file, opts, ctx));
}

export interface EvalOptions {
  model?: string;
  data?: string;
  target?: string;
  labelColumn: string;
  predictionColumn: string;
  scoreColumn: string;
  scorePrefix: string;
  task?: string;
  positive?: string;
  slice?: string;
  run?: string;
  json?: boolean;
  pretty?: boolean;
}

export async function evaluateCommand(
  file: string | undefined,
  opts: EvalOptions,
  ctx: CliContext,
): Promise<void> {
  const { io, openStore } = ctx;
  if (opts.task !== undefined && opts.task !== 'classification' && opts.task !== 'regression') {
    throw new RunlensError(`--task ${opts.task}: expected classification or regression`, undefined, 'usage');
  }
  if (opts.model !== undefined) {
    await evaluateModelCommand(opts.model, file, opts, ctx);
    return;
  }
  if (opts.data !== undefined || opts.target !== undefined)
    throw new RunlensError('--data and --target go with --model', undefined, 'usage');
  if (file === undefined)
    throw new RunlensError(
      'name a predictions file, or a model with --model and its data with --data',
      undefined,
      'usage',
    );
  const result = await evaluateFile(file, {
    labelColumn: opts.labelColumn,
    predictionColumn: opts.predictionColumn,
    scoreColumn: opts.scoreColumn,
    scorePrefix: opts.scorePrefix,
    task: opts.task as 'classification' | 'regression' | undefined,
    positiveLabel: opts.positive,
    sliceBy: opts.slice,
  });
  let saved: string | undefined;
  if (opts.run) {
    const store = openStore();
    saved = await saveEvaluation(store, opts.run, result);
    saved = path.join(store.runDir(store.resolveRunId(opts.run)), saved);
  }
  if (opts.json) io.out(JSON.stringify(result, null, indent(opts)));
  else for (const l of formatEvaluation(result)) io.out(l);
  for (const w of result.warnings) io.err(`warning: ${w.message}`);
  if (saved && !opts.json) io.out(`saved ${saved}`);
}

/** `runlens eval --model REF --data FILE`: the model's predictions on the file, saved with its run (or --run). */
async function evaluateModelCommand(
  model: string,
  file: string | undefined,
  opts: EvalOptions,
  { io, openStore }: CliContext,
): Promise<void> {
  const data = opts.data ?? file;
  if (data === undefined)
    throw new RunlensError(`--model ${model}: name the data file with --data`, undefined, 'usage');
  if (opts.data !== undefined && file !== undefined)
    throw new RunlensError(
      `both ${file} and --data ${opts.data}: name the data file once`,
      undefined,
      'usage',
    );
  const store = openStore();
  const e = await evaluateModel(store, model, data, { target: opts.target, sliceBy: opts.slice });
  const run = opts.run ?? e.run;
  const saved = path.join(store.runDir(store.resolveRunId(run)), await saveEvaluation(store, run, e.result));
  io.err(e.backend);
  if (opts.json) io.out(JSON.stringify(e.result, null, indent(opts)));
  else {
    io.out(`model ${model} (${e.modelDir})`);
    for (const l of formatEvaluation(e.result)) io.out(l);
  }
  for (const w of e.result.warnings) io.err(`warning: ${w.message}`);
  if (!opts.json) io.out(`saved ${saved}`);
}
