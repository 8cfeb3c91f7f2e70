/** `runlens ls`, `show`, `metrics`, `rm` and `restore`: the runs of the store. */
import type { Command } from 'commander';
import { RunlensError } from '../../core/errors';
import { reconcileJobs } from '../../core/slurm/watcher';
import { downsampleSeries } from '../../core/charts/panelData';
import {
  readWholeSeries,
  seriesCsvChunks,
  seriesJsonChunks,
  seriesJsonlChunks,
} from '../../core/charts/seriesOutput';
import { readSeries } from '../../core/store/metrics';
import {
  checkSortFields,
  evaluate,
  filterFields,
  parseFilters,
  parseOrderBy,
  sortBy,
  unknownFields,
} from '../../core/store/query';
import {
  csvCell,
  formatCsvNumber,
  formatDuration,
  formatNumber,
  formatParam,
  formatTime,
  runsTable,
  summaryRows,
  table,
  termSafe,
  toJson,
} from '../../core/format';
import type { CliContext } from '../context';
import { collect, parseNonNegativeInt, parsePositiveInt, indent, parsePoints } from '../options';

export function registerRunsCommands(program: Command, { io, openStore }: CliContext): void {
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
}
