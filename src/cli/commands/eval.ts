import type { Command } from 'commander';
import { indent } from '../json';
import * as path from 'node:path';
import type { DriftReport } from '../../core/drift/drift';
import type { ColumnType, DriftMethod } from '../../protocol/drift';
import { detectDrift } from '../../core/drift/drift';
import { groupDriftWarnings, nothingComparedReason } from '../../core/drift/view';
import { RunlensError, errorMessage } from '../../core/errors';
import { formatMaybe } from '../../core/format';
import type { EvaluationResult } from '../../core/eval/evaluate';
import { evaluateFile, saveEvaluation } from '../../core/eval/evaluate';
import { evaluateModel } from '../../core/eval/modelEval';
import { GATE_EXIT, judgeCandidate, gateMarkdown, loadPolicy } from '../../core/gate/gate';
import { inferSchema, readSchema, validateFile, writeSchema } from '../../core/data/schema';
import type { Store } from '../../core/store/store';

interface Io {
  out(s: string): void;
  err(s: string): void;
}

function parsePairs<T extends string>(
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

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const METHODS = ['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi'] as const;

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

/**
 * `runlens eval FILE`, `runlens compare CANDIDATE`, `runlens drift`. Exit codes: compare 0 pass,
 * 1 fail, 2 error, 3 incomplete; drift 0 without dataset drift, 1 with it or with nothing compared
 * (--no-fail-on-drift: 0 with drift, still 1 with nothing compared).
 */
export function registerEvalCommands(
  program: Command,
  openStore: (create?: boolean) => Store,
  io: Io,
  setExit: (code: number) => void = (c) => (process.exitCode = c),
): void {
  const evalModel = async (
    model: string,
    file: string | undefined,
    opts: { data?: string; target?: string; slice?: string; run?: string; json?: boolean; pretty?: boolean },
  ): Promise<void> => {
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
    const saved = path.join(
      store.runDir(store.resolveRunId(run)),
      await saveEvaluation(store, run, e.result),
    );
    io.err(e.backend);
    if (opts.json) io.out(JSON.stringify(e.result, null, indent(opts)));
    else {
      io.out(`model ${model} (${e.modelDir})`);
      for (const l of formatEvaluation(e.result)) io.out(l);
    }
    for (const w of e.result.warnings) io.err(`warning: ${w.message}`);
    if (!opts.json) io.out(`saved ${saved}`);
  };

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
    .action(
      async (
        file: string | undefined,
        opts: {
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
        },
      ) => {
        if (opts.task !== undefined && opts.task !== 'classification' && opts.task !== 'regression') {
          throw new RunlensError(
            `--task ${opts.task}: expected classification or regression`,
            undefined,
            'usage',
          );
        }
        if (opts.model !== undefined) {
          await evalModel(opts.model, file, opts);
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
      },
    );

  program
    .command('compare')
    .description(
      'gate a candidate run against the baseline: exit 0 pass, 1 fail, 2 error, 3 incomplete (evaluate the candidate first)',
    )
    .argument('<candidate>', 'the candidate run (id, prefix or name)')
    .option('--baseline <ref>', "RUN or MODEL@STAGE (default: the candidate experiment's baseline)")
    .option('--json', 'print the verdict as JSON')
    .option('--markdown', 'print the verdict as a Markdown table (for a pull request comment)')
    .addHelpText(
      'after',
      '\nThe policy is the gate: section of runlens.yaml next to .runlens/ (see docs); without one, no metric with a known goal may get worse.\n\nExamples:\n  runlens compare 20250101-abc\n  runlens compare 20250101-abc --baseline mnist-cnn@production --markdown',
    )
    .action(
      (
        candidate: string,
        opts: { baseline?: string; json?: boolean; pretty?: boolean; markdown?: boolean },
      ) => {
        try {
          const store = openStore();
          const policy = loadPolicy(path.dirname(store.dir));
          const r = judgeCandidate(store, candidate, policy, opts.baseline);
          if (opts.json) io.out(JSON.stringify(r, null, indent(opts)));
          else if (opts.markdown) io.out(gateMarkdown(r));
          else {
            io.out(
              `candidate ${r.candidate.name} (${r.candidate.run}) vs baseline ${r.baseline.name} (${r.baseline.ref}): ${r.verdict.toUpperCase()}${r.reason ? ` (${r.reason})` : ''}`,
            );
            for (const m of r.metrics) {
              io.out(
                `  ${m.verdict.padEnd(8)} ${m.metric.padEnd(24)} ${formatMaybe(m.baseline).padStart(12)} -> ${formatMaybe(m.candidate).padEnd(12)} ${m.rule}`,
              );
            }
          }
          setExit(GATE_EXIT[r.verdict]);
        } catch (e) {
          // Any failure to reach a verdict is exit 2, so CI can tell "worse" from "broken".
          io.err(`runlens: error: ${errorMessage(e)}`);
          if (e instanceof RunlensError && e.hint) io.err(`  fix: ${e.hint}`);
          setExit(GATE_EXIT.error);
        }
      },
    );

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
