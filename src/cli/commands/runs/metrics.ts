/** `runlens metrics RUN`: the metric points of a run, as a table, JSON, JSONL or CSV. */
import { RunlensError } from '../../../core/errors';
import { downsampleSeries } from '../../../core/charts/panelData';
import {
  readWholeSeries,
  seriesCsvChunks,
  seriesJsonChunks,
  seriesJsonlChunks,
} from '../../../core/charts/seriesOutput';
import type { Series } from '../../../core/store/metrics';
import { readSeries } from '../../../core/store/metrics';
import { csvCell, formatCsvNumber, formatNumber, table, toJson } from '../../../core/format';
import type { CliContext, Io } from '../../context';
import { indent, parsePoints } from '../../options';

export interface MetricsOptions {
  key?: string;
  json?: boolean;
  csv?: boolean;
  jsonl?: boolean;
  points?: string;
  pretty?: boolean;
}

export async function printMetrics(
  ref: string,
  opts: MetricsOptions,
  { io, openStore }: CliContext,
): Promise<void> {
  const points = opts.points === undefined ? undefined : parsePoints(opts.points);
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
  const keys = opts.key ? [opts.key] : Object.keys(entry.metrics).sort();
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
    await writeChunks(io, chunks);
    return;
  }
  const all = keys.map((k) => readSeries(file, k));
  if (points !== undefined) for (const s of all) s.series = downsampleSeries(s.series, points);
  for (const w of all.flatMap((s) => s.warnings)) io.err(`warning: ${w.file}:${w.line}: ${w.message}`);
  if (opts.key && all[0].series.steps.length === 0) throw missingKey();
  printSeries(
    all.map((s) => s.series),
    opts,
    io,
  );
}

/** Streamed when the output can take a stream, with a final newline after any output. */
async function writeChunks(io: Io, chunks: Iterable<string>): Promise<void> {
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
}

function printSeries(all: Series[], opts: MetricsOptions, io: Io): void {
  if (opts.jsonl) {
    const lines: string[] = [];
    for (const s of all)
      for (let i = 0; i < s.steps.length; i++)
        lines.push(toJson({}, { key: s.key, step: s.steps[i], value: s.values[i], time: s.times[i] }));
    if (lines.length) io.out(lines.join('\n'));
  } else if (opts.json) {
    io.out(toJson(opts, Object.fromEntries(all.map((series) => [series.key, series]))));
  } else if (opts.csv) {
    const rows = ['key,step,value,time'];
    for (const s of all) {
      for (let i = 0; i < s.steps.length; i++)
        rows.push(`${csvCell(s.key)},${s.steps[i]},${formatCsvNumber(s.values[i])},${s.times[i]}`);
    }
    io.out(rows.join('\n'));
  } else {
    for (const s of all) {
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
}
