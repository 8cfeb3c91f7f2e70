import { Command, CommanderError, Option } from 'commander';
import * as fs from 'node:fs';
import { RunlensError, errorMessage } from '../core/errors';
import { languageOf, recognizeMetricLines } from '../core/lens/recognize';
import { registerEvalCommands } from './evalCommands';
import { registerImportCommands } from './importCommands';
import { registerServeCommands } from './serveCommands';
import { registerStoreCommands } from './storeCommands';
import { registerPipelineCommands } from './pipelineCommands';
import { registerSyncCommands } from './syncCommands';
import { registerReproduceCommand } from './commands/reproduce';
import { registerDiffCommand } from './commands/diff';
import { addLaunchOptions, registerSlurmCommands, resourcesOf, runOnSlurm } from './slurmCommands';
import { reconcileJobs } from '../core/slurm/watcher';
import { downsampleSeries } from '../core/charts/panelData';
import {
  readWholeSeries,
  seriesCsvChunks,
  seriesJsonChunks,
  seriesJsonlChunks,
} from '../core/charts/seriesOutput';
import { readSeries } from '../core/store/metrics';
import { getOwn } from '../core/store/records';
import {
  checkSortFields,
  evaluate,
  filterFields,
  parseFilters,
  parseOrderBy,
  sortBy,
  unknownFields,
} from '../core/store/query';
import type { Stage } from '../core/store/registry';
import { Registry, STAGES } from '../core/store/registry';
import { resolveStoreDir } from '../core/store/resolve';
import { Store } from '../core/store/store';
import { parseParam } from '../core/tracking/params';
import { launchRun } from '../core/tracking/launcher';
import { runlensVersion } from '../core/version';
import {
  formatNumber,
  formatParam,
  formatTime,
  formatDuration,
  runsTable,
  summaryRows,
  table,
  termSafe,
  toJson,
} from '../core/format';

export const VERSION = runlensVersion();

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Long output, written as it is made; the next chunk waits until this one is taken. */
  stream?: (chunks: Iterable<string>) => Promise<void>;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  stream: async (chunks) => {
    for (const c of chunks) await new Promise((done) => process.stdout.write(c, done));
  },
};

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function buildProgram(
  io: Io = defaultIo,
  setExit: (code: number) => void = (c) => (process.exitCode = c),
): Command {
  const program = new Command('runlens');
  program
    .description('Track, compare and validate ML training runs. The store is .runlens/ in your workspace.')
    .version(VERSION)
    .option(
      '--store <dir>',
      'the store folder itself, e.g. path/to/.runlens (default: $RUNLENS_STORE, else the nearest .runlens at or above the working directory)',
    )
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();

  const openStore = (create = false): Store => {
    const { dir, source } = resolveStoreDir({
      explicit: program.opts().store as string | undefined,
      cwd: process.cwd(),
    });
    if (source === 'default' && !create) {
      throw new RunlensError(
        `no Runlens store (.runlens) in ${process.cwd()} or above`,
        'start a tracked run with `runlens run -- python train.py`, or pass --store',
        'notFound',
      );
    }
    return Store.open(dir, { create });
  };

  addLaunchOptions(
    program.command('run').description('run a training command as a tracked run (put the command after --)'),
  )
    .option('-e, --experiment <name>', 'experiment name', process.env.RUNLENS_EXPERIMENT)
    .option('-n, --name <name>', 'run name')
    .option(
      '-p, --param <key=value>',
      'a parameter, repeatable; the script reads them with runlens.init()',
      collect,
      [],
    )
    .option('-t, --tag <key=value>', 'a tag, repeatable', collect, [])
    .option(
      '-i, --input <path>',
      'a data file the run reads (its size and sha256 are recorded), repeatable',
      collect,
      [],
    )
    .option(
      '--metric-pattern <regex>',
      'regular expression with (?<key>) and (?<value>) groups for metrics printed by the program',
    )
    .option('--no-capture', 'do not read metrics from the program output')
    .option(
      '--no-system-metrics',
      'do not sample CPU, memory and GPUs as system/... metrics (also RUNLENS_SYSTEM_METRICS=0)',
    )
    .argument('<command...>', 'the program and its arguments')
    .passThroughOptions()
    .addHelpText(
      'after',
      '\nExamples:\n  runlens run -e mnist -p lr=0.01 --input data/train.csv -- python train.py --epochs 5\n' +
        '  runlens run --on slurm --partition gpu --gpus 1 --time 2:00:00 -- python train.py',
    )
    .action(async (command: string[], opts) => {
      const params = Object.fromEntries((opts.param as string[]).map(parseParam));
      const tags = Object.fromEntries((opts.tag as string[]).map(parseParam).map(([k, v]) => [k, String(v)]));
      const onCluster = resourcesOf(opts) !== undefined;
      const store = openStore(true);
      const options = {
        command: command[0],
        args: command.slice(1),
        experiment: opts.experiment,
        name: opts.name,
        params,
        tags,
        inputs: opts.input,
        stdoutPattern: opts.capture === false ? (false as const) : opts.metricPattern,
        systemMetrics: opts.systemMetrics === false ? (false as const) : undefined,
      };
      if (onCluster) return runOnSlurm(store, options, opts, io, setExit);
      const launched = await launchRun(store, options);
      io.err(
        `runlens: run ${launched.run.id} (${launched.run.name}) in experiment "${launched.run.experiment}"`,
      );
      const interactive = process.stdin.isTTY === true;
      const onSignal = (signal: NodeJS.Signals) => {
        // A terminal's Ctrl-C already reached the program (same process group): only record it.
        if (signal === 'SIGINT' && interactive) launched.interrupt();
        else launched.interrupt(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const result = await launched.done;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const metrics = Object.entries(result.run.summary ?? {})
        .map(([k, s]) => `${k}=${formatNumber(s.last)}`)
        .join(' ');
      io.err(
        `runlens: run ${result.run.id} ${result.status} (exit code ${result.exitCode})${metrics ? ': ' + metrics : ''}`,
      );
      setExit(result.exitCode);
    });

  program
    .command('ls')
    .description('list runs, newest first')
    .option('-e, --experiment <name>', 'only this experiment')
    .option(
      '-w, --where <filter>',
      "filter (repeatable, all must hold): \"metrics.acc > 0.5 and params.opt = 'adam'\", status=finished, tags.team LIKE 'cv%', name~base",
      collect,
      [],
    )
    .option(
      '-s, --sort <fields>',
      'sort: "metrics.acc DESC", -metrics.acc, "params.lr ASC, -start" (an unknown field is an error)',
      '-start',
    )
    .option('-l, --limit <n>', 'show at most n runs', parsePositiveInt)
    .option('--offset <n>', 'skip the first n runs (with --limit: one page)', parseNonNegativeInt)
    .option('--json', 'print JSON (one array)')
    .option('--jsonl', 'print one JSON object a line (for streams and large stores)')
    .option('--removed', 'list removed runs (restore them with `runlens restore`)')
    .option('--reindex', 'rebuild the index from the run folders first')
    .action(async (opts) => {
      const filter = parseFilters(opts.where as string[]);
      const order = parseOrderBy(opts.sort as string);
      const store = openStore();
      if (opts.removed) {
        const ids = store.removedRuns();
        io.out(opts.json ? toJson(opts, ids) : ids.join('\n') || '(no removed runs)');
        return;
      }
      let { entries, warnings } = store.listRuns({ rebuild: opts.reindex });
      // Cluster runs still queued or running: ask the scheduler once, so the list says where they are.
      const open = entries.filter((e) => e.status === 'queued' || e.status === 'running').map((e) => e.id);
      if (open.length) {
        const reconciled = await reconcileJobs(store, { runIds: open });
        if (reconciled.error && reconciled.checked)
          io.err(`warning: could not ask Slurm about ${reconciled.checked} runs: ${reconciled.error}`);
        if (reconciled.changed.length) ({ entries, warnings } = store.listRuns());
      }
      for (const w of warnings) io.err(`warning: ${w.file}:${w.line}: ${w.message}`);
      const inExperiment = opts.experiment
        ? entries.filter((e) => e.experiment === opts.experiment)
        : entries;
      checkSortFields(order, inExperiment, opts.sort as string);
      for (const u of unknownFields(filterFields(filter), inExperiment))
        io.err(
          `warning: no run has ${u.field}${u.close.length ? ` (close names: ${u.close.join(', ')})` : ''}`,
        );
      let rows = sortBy(
        inExperiment.filter((e) => evaluate(filter, e)),
        order,
      );
      const offset = (opts.offset as number | undefined) ?? 0;
      rows = rows.slice(offset, opts.limit ? offset + (opts.limit as number) : undefined);
      const plain = rows.map(({ metricsBytes: _b, ...rest }) => rest);
      if (opts.jsonl) {
        if (plain.length) io.out(plain.map((r) => toJson({}, r)).join('\n'));
        return;
      }
      if (opts.json) {
        io.out(toJson(opts, plain));
        return;
      }
      io.out(
        rows.length
          ? runsTable(rows)
          : entries.length
            ? '(no run matches)'
            : '(no runs yet: start one with `runlens run -- CMD`)',
      );
    });

  program
    .command('show')
    .description('show one run: status, params, metrics, inputs, git')
    .argument('<run>', 'run id, unique id prefix/suffix, or name')
    .option('--json', 'print run.json')
    .action((ref: string, opts) => {
      const store = openStore();
      const run = store.getRun(ref);
      const entry = store.listRuns().entries.find((e) => e.id === run.id);
      const summary = run.summary ?? entry?.metrics ?? {};
      if (opts.json) {
        io.out(toJson(opts, { ...run, status: entry?.status ?? run.status, summary }));
        return;
      }
      const lines = [
        `run        ${run.id}`,
        `name       ${run.name}`,
        `experiment ${run.experiment}`,
        `status     ${entry?.status ?? run.status}${run.exitCode !== null ? ` (exit code ${run.exitCode})` : ''}`,
        `started    ${formatTime(run.startTime)}${run.endTime ? `, took ${formatDuration(run.endTime - run.startTime)}` : ''}`,
        `command    ${run.command?.join(' ') ?? '(logged by a client)'}`,
        `folder     ${store.runDir(run.id)}`,
      ];
      if (run.git)
        lines.push(
          `git        ${run.git.commit.slice(0, 12)}${run.git.branch ? ` on ${run.git.branch}` : ''}${run.git.dirty ? ' (uncommitted changes, see ' + run.git.diffArtifact + ')' : ''}`,
        );
      if (Object.keys(run.tags).length)
        lines.push(
          `tags       ${Object.entries(run.tags)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`,
        );
      if (Object.keys(run.params).length) {
        lines.push('', 'params', ...Object.entries(run.params).map(([k, v]) => `  ${k} = ${formatParam(v)}`));
      }
      if (Object.keys(summary).length) {
        lines.push(
          '',
          'metrics',
          indent(table(['KEY', 'LAST', 'STEP', 'MIN', 'MAX', 'POINTS'], summaryRows(summary))),
        );
      }
      if (run.inputs.length)
        lines.push(
          '',
          'inputs',
          ...run.inputs.map((i) => `  ${i.path}  ${i.size} bytes  sha256 ${i.sha256}`),
        );
      io.out(termSafe(lines.join('\n')));
    });

  program
    .command('metrics')
    .description('print the metric points of a run')
    .argument('<run>', 'run id, unique id prefix/suffix, or name')
    .option('-k, --key <key>', 'only this metric')
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .option('--jsonl', 'print one point a line: {"key","step","value","time"}')
    .option(
      '--points <n>',
      "reduce each series to about N points, as the charts do (first and last point and each bucket's min and max kept)",
    )
    .action(async (ref: string, opts) => {
      const points = opts.points === undefined ? undefined : parsePoints(opts.points as string);
      const store = openStore();
      const id = store.resolveRunId(ref);
      const file = store.metricsFile(id);
      const entry = store.listRuns().entries.find((e) => e.id === id);
      if (entry === undefined || entry.status === 'unreadable') {
        throw new RunlensError(
          `run ${id} cannot be read: ${entry?.error ?? 'its folder vanished'}`,
          'fix or remove its run.json (`runlens rm` moves it to the trash)',
          'data',
        );
      }
      const keys = opts.key ? [opts.key as string] : Object.keys(entry.metrics).sort();
      const missingKey = () =>
        new RunlensError(
          `run ${id} has no metric "${opts.key}"`,
          `metrics: ${keys.join(', ') || 'none'}`,
          'notFound',
        );
      // Whole series in a machine format: read from the binary columns and written as made.
      if (points === undefined && !opts.pretty && (opts.json || opts.csv || opts.jsonl)) {
        const { series, warnings } = readWholeSeries(file, keys);
        for (const w of warnings) io.err(`warning: ${w.file}:${w.line}: ${w.message}`);
        if (opts.key && series[0].steps.length === 0) throw missingKey();
        const chunks = opts.jsonl
          ? seriesJsonlChunks(series)
          : opts.json
            ? seriesJsonChunks(series)
            : seriesCsvChunks(series);
        if (io.stream) {
          await io.stream(
            (function* () {
              let any = false;
              for (const c of chunks) {
                any = true;
                yield c;
              }
              if (any) yield '\n';
            })(),
          );
        } else {
          const text = [...chunks].join('');
          if (text) io.out(text);
        }
        return;
      }
      const all = keys.map((k) => readSeries(file, k));
      if (points !== undefined) for (const s of all) s.series = downsampleSeries(s.series, points);
      for (const w of all.flatMap((s) => s.warnings)) io.err(`warning: ${w.file}:${w.line}: ${w.message}`);
      if (opts.key && all[0].series.steps.length === 0) throw missingKey();
      if (opts.jsonl) {
        const lines: string[] = [];
        for (const { series: s } of all)
          for (let i = 0; i < s.steps.length; i++)
            lines.push(toJson({}, { key: s.key, step: s.steps[i], value: s.values[i], time: s.times[i] }));
        if (lines.length) io.out(lines.join('\n'));
      } else if (opts.json) {
        io.out(toJson(opts, Object.fromEntries(all.map(({ series }) => [series.key, series]))));
      } else if (opts.csv) {
        const rows = ['key,step,value,time'];
        for (const { series: s } of all) {
          for (let i = 0; i < s.steps.length; i++)
            rows.push(`${csvCell(s.key)},${s.steps[i]},${formatCsvNumber(s.values[i])},${s.times[i]}`);
        }
        io.out(rows.join('\n'));
      } else {
        for (const { series: s } of all) {
          io.out(`${s.key} (${s.steps.length} points)`);
          io.out(
            indent(
              table(
                ['STEP', 'VALUE'],
                s.steps.map((st, i) => [String(st), formatNumber(s.values[i])]),
              ),
            ),
          );
        }
      }
    });

  program
    .command('rm')
    .description('remove runs (moved to the store trash; `runlens restore` brings them back)')
    .argument('<runs...>', 'run ids or names')
    .action((refs: string[]) => {
      const store = openStore();
      for (const ref of refs) {
        const id = store.removeRun(ref);
        io.out(`removed ${id} (restore with: runlens restore ${id})`);
      }
    });

  program
    .command('restore')
    .description('bring back removed runs')
    .argument('<runs...>', 'run ids (see `runlens ls --removed`)')
    .action(async (ids: string[]) => {
      const store = openStore();
      for (const id of ids) {
        const run = await store.restoreRun(id);
        io.out(`restored ${run.id} (${run.name})`);
      }
    });

  registerSlurmCommands(program, io, setExit, openStore);

  const model = program.command('model').description('the model registry: register, promote, list');
  model
    .command('register')
    .description("register a run's model files as a new version")
    .argument('<name>', 'model name')
    .requiredOption('-r, --run <run>', 'the run that produced the model')
    .option(
      '-f, --file <path>',
      'file or folder to register (default: artifacts/model, else all artifacts), repeatable',
      collect,
      [],
    )
    .option('-d, --description <text>', 'description')
    .action(async (name: string, opts) => {
      const registry = new Registry(openStore());
      const mv = await registry.register(name, opts.run, { files: opts.file, description: opts.description });
      io.out(`registered ${name} version ${mv.version} from run ${mv.sourceRun} (${mv.files.length} files)`);
    });
  model
    .command('promote')
    .description('move a version to a stage; promoting to production archives the previous one')
    .argument('<name>', 'model name')
    .argument('<version>', 'version number', parsePositiveInt)
    .argument('<stage>', `one of ${STAGES.join(', ')}`)
    .option('--keep-existing', 'do not archive the current production version')
    .action(async (name: string, version: number, stage: string, opts) => {
      const registry = new Registry(openStore());
      const mv = await registry.promote(name, version, stage as Stage, { keepExisting: opts.keepExisting });
      io.out(`${name} version ${mv.version} is now in ${mv.stage}`);
    });
  model
    .command('ls')
    .description('list registered models and their versions')
    .argument('[name]', 'only this model')
    .option('--json', 'print JSON')
    .action((name: string | undefined, opts) => {
      const registry = new Registry(openStore());
      const skipped: string[] = [];
      const models = name ? [registry.getModel(name)] : registry.listModels(skipped);
      for (const w of skipped) io.err(`warning: ${w}`);
      if (opts.json) {
        io.out(toJson(opts, models));
        return;
      }
      if (models.length === 0) {
        io.out('(no registered models: register one with `runlens model register NAME --run RUN`)');
        return;
      }
      const rows = models.flatMap((m) =>
        m.versions.map((v) => [
          m.name,
          String(v.version),
          v.stage,
          v.sourceRun,
          formatTime(v.createdAt),
          Object.entries(v.metrics)
            .slice(0, 4)
            .map(([k, x]) => `${k}=${formatNumber(x)}`)
            .join(' '),
        ]),
      );
      io.out(table(['MODEL', 'VERSION', 'STAGE', 'RUN', 'REGISTERED', 'METRICS'], rows));
    });

  const baseline = program
    .command('baseline')
    .description('the baseline of an experiment: a pinned run or a model stage');
  baseline
    .command('set')
    .description('set the baseline of an experiment')
    .argument('<experiment>', 'experiment name')
    .addOption(new Option('-r, --run <run>', 'pin a run').conflicts('model'))
    .addOption(new Option('-m, --model <name@stage>', 'follow a model stage, e.g. churn@production'))
    .action(async (experiment: string, opts) => {
      const registry = new Registry(openStore());
      let b;
      if (opts.run) b = await registry.setBaseline(experiment, { run: opts.run });
      else if (opts.model) {
        const [m, stage = 'production'] = String(opts.model).split('@');
        if (!STAGES.includes(stage as Stage))
          throw new RunlensError(`unknown stage "${stage}"`, `use one of ${STAGES.join(', ')}`, 'usage');
        b = await registry.setBaseline(experiment, { model: m, stage: stage as Stage });
      } else throw new RunlensError('baseline set needs --run RUN or --model NAME@STAGE', undefined, 'usage');
      io.out(`baseline of "${experiment}": ${b.kind === 'run' ? `run ${b.run}` : `${b.model}@${b.stage}`}`);
    });
  baseline
    .command('show')
    .description('show the baseline of one or all experiments')
    .argument('[experiment]', 'experiment name')
    .option('--json', 'print JSON')
    .action((experiment: string | undefined, opts) => {
      const registry = new Registry(openStore());
      const all = registry.readBaselines().experiments;
      const one = experiment === undefined ? undefined : getOwn(all, experiment);
      const chosen = experiment && one ? { [experiment]: one } : all;
      if (experiment && one === undefined) {
        throw new RunlensError(
          `experiment "${experiment}" has no baseline`,
          `set one with: runlens baseline set ${experiment} --run RUN`,
          'notFound',
        );
      }
      if (opts.json) {
        io.out(toJson(opts, chosen));
        return;
      }
      const rows = Object.entries(chosen).map(([e, b]) => [
        e,
        b.kind === 'run' ? `run ${b.run}` : `${b.model}@${b.stage}`,
        registry.baselineRun(e) ?? '',
        formatTime(b.setAt),
      ]);
      io.out(rows.length ? table(['EXPERIMENT', 'BASELINE', 'RUN', 'SET'], rows) : '(no baselines set)');
    });

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

  registerImportCommands(program, openStore, io);
  registerServeCommands(program, openStore, io, setExit);
  registerPipelineCommands(program, openStore, io, setExit);
  registerEvalCommands(program, openStore, io, setExit);
  registerSyncCommands(program, openStore, io, setExit);
  registerStoreCommands(program, openStore, io);
  registerReproduceCommand(program, openStore, io, setExit);
  registerDiffCommand(program, openStore, io);
  addPrettyOption(program);
  return program;
}

/** Every command that prints JSON (`--json`) prints it compact; `--pretty` indents it for people. */
function addPrettyOption(command: Command): void {
  for (const c of command.commands) {
    if (c.options.some((o) => o.long === '--json') && !c.options.some((o) => o.long === '--pretty'))
      c.option('--pretty', 'indent the JSON for people (with --json)');
    addPrettyOption(c);
  }
}

function parseNonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new RunlensError(`"${v}" is not a whole number of 0 or more`, undefined, 'usage');
  return n;
}

function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new RunlensError(`"${v}" is not a positive whole number`, undefined, 'usage');
  return n;
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => '  ' + l)
    .join('\n');
}

function parsePoints(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 2)
    throw new RunlensError(
      `--points must be a whole number of at least 2, got "${text}"`,
      undefined,
      'usage',
    );
  return n;
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function formatCsvNumber(v: number): string {
  return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** Run the CLI; resolves to the exit code (0 ok, 1 failure, 2 usage error, else the program's). */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      )
        return 0;
      return 2;
    }
    if (e instanceof RunlensError) {
      io.err(`runlens: error: ${termSafe(e.message)}`);
      if (e.hint) io.err(`  fix: ${termSafe(e.hint)}`);
      return e.kind === 'usage' ? 2 : 1;
    }
    io.err(`runlens: error: ${termSafe(errorMessage(e))}`);
    return 1;
  }
}
