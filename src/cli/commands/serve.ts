import type { CliContext } from '../context';
import type { Command } from 'commander';
import { indent } from '../json';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError } from '../../core/errors';
import { formatNumber } from '../../core/format';
import type { MonitorWindow, OnlineAccuracy } from '../../core/drift/monitor';
import { monitorPackage } from '../../core/drift/monitor';
import { packageModel } from '../../core/serving/package';
import type { SmokeResult } from '../../core/serving/serve';
import { readManifest, smokeTest, startServer } from '../../core/serving/serve';

export function formatSmoke(r: SmokeResult): string {
  return `smoke test ${r.ok ? 'passed' : 'FAILED'}: ${r.rows} rows from ${r.source}, largest score difference ${r.maxDifference.toExponential(2)} (tolerance ${r.tolerance}), ${r.labelMismatches} label mismatches; served on ${r.servedBackend}, in-process on ${r.localBackend}`;
}

/** The first row of the package's smoke file, or none when it has no smoke file. */
function firstSmokeRow(dir: string): unknown[] {
  const m = readManifest(dir);
  return m.smoke
    ? (JSON.parse(fs.readFileSync(path.join(dir, m.smoke.file), 'utf8')) as unknown[]).slice(0, 1)
    : [];
}

function curlExample(predictUrl: string, dir: string, token: boolean): string {
  const rows = firstSmokeRow(dir);
  const auth = token ? ` -H "Authorization: Bearer $RUNLENS_SERVE_TOKEN"` : '';
  return `curl -s ${predictUrl} -H 'content-type: application/json'${auth} -d '${JSON.stringify({ instances: rows })}'`;
}

/** `runlens package MODEL@VERSION|RUN`, `runlens serve DIR`, `runlens monitor DIR`. */
export function registerServeCommands(program: Command, ctx: CliContext): void {
  program
    .command('package')
    .description(
      'package a model version or run for serving: model, manifest, server, Dockerfile, k8s, model card',
    )
    .argument('<ref>', 'MODEL@VERSION, MODEL@STAGE (e.g. churn@production) or a run id/name')
    .option('--out <dir>', 'output folder (default: serving/<model>-v<N> next to .runlens)')
    .option('--force', 'package even when the baseline gate verdict is fail')
    .option('--json', 'print the manifest as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  runlens package quickstart@production --out ./serving/quickstart\n  runlens serve ./serving/quickstart',
    )
    .action((ref: string, opts: PackageOptions) => packageForServing(ref, opts, ctx));

  program
    .command('serve')
    .description(
      'serve a model package locally (child process), then smoke-test it against in-process predictions',
    )
    .argument('<dir>', 'a folder made by `runlens package`')
    .option('--port <port>', 'port (0 picks a free one)', '8080')
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--no-smoke', 'skip the smoke test')
    .option('--once', 'run the smoke test and one request, then stop the server')
    .addHelpText(
      'after',
      '\nThe bearer token in RUNLENS_SERVE_TOKEN, when set, protects the predict endpoints.',
    )
    .action((dir: string, opts: ServeOptions) => servePackage(dir, opts, ctx));

  program
    .command('monitor')
    .description(
      "drift of a served model's logged requests against its training data, overall and by time window",
    )
    .argument('<dir>', 'a folder made by `runlens package` (its logs/ folder, or --logs)')
    .option('--logs <dir>', 'the prediction log folder (default: DIR/logs)')
    .option('--window <size>', 'time window: hour or day', 'hour')
    .option(
      '--feedback <file>',
      'true labels of served requests (CSV or JSONL with request_id and label): online accuracy or MAE',
    )
    .option('--id-column <name>', 'request id column of the feedback file', 'request_id')
    .option('--label-column <name>', 'label column of the feedback file', 'label')
    .option(
      '--row-column <name>',
      'row index within a request, for requests of several rows (default: "row" when present, else feedback order)',
    )
    .option('--json', 'print the drift report as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  runlens monitor serving/quickstart --window day --feedback labels.csv',
    )
    .action((dir: string, opts: MonitorOptions) => monitorServed(dir, opts, ctx));
}

export interface PackageOptions {
  out?: string;
  force?: boolean;
  json?: boolean;
  pretty?: boolean;
}

export async function packageForServing(
  ref: string,
  opts: PackageOptions,
  { io, openStore }: CliContext,
): Promise<void> {
  const r = await packageModel(openStore(), ref, { out: opts.out, force: opts.force });
  if (opts.json) {
    io.out(
      JSON.stringify({ dir: r.dir, files: r.files, ms: r.ms, manifest: r.manifest }, null, indent(opts)),
    );
    return;
  }
  const m = r.manifest;
  io.out(
    `packaged ${m.name}${m.version !== null ? ` v${m.version}` : ''} from run ${m.sourceRun} into ${r.dir} (${r.ms} ms)`,
  );
  io.out(
    `  baseline verdict  ${m.gate ? `${m.gate.verdict}${m.forced ? ' (forced)' : ''}` : 'not evaluated'}`,
  );
  io.out(`  input schema      ${m.inputSchema.length} fields from ${m.inputSchemaSource}`);
  io.out(
    `  smoke rows        ${m.smoke ? `${m.smoke.rows} from ${m.smoke.source}` : 'none (no CSV input recorded)'}`,
  );
  io.out(`  files             ${r.files.filter((f) => !f.startsWith('model/')).join(', ')}, model/`);
  io.out(`serve it: runlens serve ${path.relative(process.cwd(), r.dir) || '.'}`);
}

export interface ServeOptions {
  port: string;
  host: string;
  smoke: boolean;
  once?: boolean;
}

export async function servePackage(
  dir: string,
  opts: ServeOptions,
  { io, setExit }: CliContext,
): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RunlensError(`--port ${opts.port}: expected a port number 0-65535`, undefined, 'usage');
  }
  const token = process.env.RUNLENS_SERVE_TOKEN || undefined;
  const s = await startServer(dir, { port, host: opts.host, onStderr: (l) => io.err(`server: ${l}`) });
  io.out(`serving ${s.model} at ${s.url} (pid ${s.pid}, ${s.backendDescription})`);
  io.out(`  predict   POST ${s.predictUrl}`);
  io.out(`  mlflow    POST ${s.url}/invocations`);
  io.out(`  health    GET  ${s.url}/healthz   metrics GET ${s.url}/metrics`);
  io.out(`  log       ${s.logFile}`);
  try {
    if (opts.smoke) {
      const r = await smokeTest(s, { token });
      io.out(formatSmoke(r));
      if (!r.ok) setExit(1);
    }
    io.out(`try: ${curlExample(s.predictUrl, s.dir, Boolean(token))}`);
    if (opts.once) io.out(`one request: ${await oneRequest(s.predictUrl, s.dir, token)}`);
  } catch (e) {
    await s.stop();
    throw e;
  }
  if (opts.once) {
    await s.stop();
    return;
  }
  io.out('press Ctrl+C to stop');
  const stop = () => void s.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const code = await s.exited;
  io.out(`server stopped (exit ${code})`);
}

/** The first smoke row of the package (if any) sent to the predict endpoint: "STATUS BODY". */
async function oneRequest(predictUrl: string, dir: string, token: string | undefined): Promise<string> {
  const res = await fetch(predictUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ instances: firstSmokeRow(dir) }),
  });
  return `${res.status} ${await res.text()}`;
}

export interface MonitorOptions {
  logs?: string;
  window: string;
  json?: boolean;
  pretty?: boolean;
  feedback?: string;
  idColumn: string;
  labelColumn: string;
  rowColumn?: string;
}

export async function monitorServed(dir: string, opts: MonitorOptions, { io }: CliContext): Promise<void> {
  if (opts.window !== 'hour' && opts.window !== 'day') {
    throw new RunlensError(`--window ${opts.window}: expected hour or day`, undefined, 'usage');
  }
  const r = await monitorPackage(dir, {
    logDir: opts.logs,
    window: opts.window as MonitorWindow,
    feedback: opts.feedback
      ? {
          file: opts.feedback,
          idColumn: opts.idColumn,
          labelColumn: opts.labelColumn,
          rowColumn: opts.rowColumn,
        }
      : undefined,
  });
  if (opts.json) {
    io.out(
      JSON.stringify(
        {
          requests: r.requests,
          files: r.files,
          skippedLines: r.skippedLines,
          report: r.report,
          ...(r.online ? { online: r.online } : {}),
        },
        null,
        indent(opts),
      ),
    );
    return;
  }
  const rep = r.report;
  io.out(
    `${r.requests} logged rows from ${r.files.length} file(s) against ${rep.reference.rows} training rows`,
  );
  io.out(
    `dataset drift: ${rep.datasetDrift ? 'YES' : 'no'} (${rep.drifted}/${rep.tested} columns drifted, threshold share ${rep.driftShare})`,
  );
  for (const c of rep.columns.filter((c) => c.drifted).slice(0, 10)) {
    io.out(
      `  ${c.column}  ${c.method} ${formatNumber(c.statistic)}${c.pValue !== null ? ` p=${formatNumber(c.pValue)}` : ''}`,
    );
  }
  for (const w of rep.timeline?.windows ?? []) {
    io.out(
      `  window ${w.window}  ${w.rows} rows  ${w.drifted}/${w.tested} drifted${w.datasetDrift ? '  DRIFT' : ''}`,
    );
  }
  if (r.online) for (const l of formatOnline(r.online)) io.out(l);
  if (r.skippedLines) io.err(`skipped ${r.skippedLines} unreadable log lines`);
  for (const w of r.online?.warnings ?? []) io.err(w);
}

/** The online accuracy lines of `runlens monitor --feedback`. */
export function formatOnline(o: OnlineAccuracy): string[] {
  const name = o.metric === 'accuracy' ? 'accuracy' : 'MAE';
  const v = formatNumber;
  return [
    `online ${name}: ${o.value === null ? 'n/a (no prediction joined)' : v(o.value)} over ${o.joined} joined rows (${o.feedbackRows} feedback rows, ${o.unmatchedFeedback} unmatched, ${o.unlabeledPredictions} predictions without feedback${o.duplicateFeedback ? `, ${o.duplicateFeedback} duplicates` : ''})`,
    ...o.windows.map((w) => `  window ${w.window}  ${name} ${v(w.value)}  ${w.joined} rows`),
  ];
}
