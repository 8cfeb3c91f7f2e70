import type { CliContext, Io } from '../context';
import type { Command } from 'commander';
import { RunlensError } from '../../core/errors';
import type { Store } from '../../core/store/store';
import { MlflowClient } from '../../core/sync/client';
import { requireRemote } from '../../core/sync/config';
import { MirrorSyncer } from '../../core/sync/mirror';
import { pushModels } from '../../core/sync/models';
import type { ArtifactPullReport } from '../../core/sync/pull';
import { pullArtifacts, pullRuns } from '../../core/sync/pull';
import { ORIGIN_TAG, pushRuns } from '../../core/sync/push';
import { collect } from '../options';

/** `--since`: an ISO date/time, or milliseconds since the epoch. */
export function parseSince(text: string): number {
  const t = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(t)) {
    throw new RunlensError(
      `--since "${text}" is not a date`,
      'use an ISO date like 2026-01-31 or 2026-01-31T12:00Z',
      'usage',
    );
  }
  return t;
}

/** `runlens sync push|pull|mirror`: publish runs to a team's MLflow tracking server, and bring its runs here. */
export function registerSyncCommands(program: Command, ctx: CliContext): void {
  const sync = program
    .command('sync')
    .description("sync runs with a team's MLflow tracking server (its REST API)")
    .addHelpText(
      'after',
      '\nThe server: --to/--from URI, else remote.mlflow in runlens.yaml, else MLFLOW_TRACKING_URI.\nCredentials: MLFLOW_TRACKING_TOKEN (bearer), or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD.',
    );

  sync
    .command('push')
    .description(
      'push runs (params, tags, metrics, artifacts, status) to the server; again sends only what is new',
    )
    .argument('[runs...]', 'run ids or names')
    .option('-e, --experiment <name>', 'every run of this experiment')
    .option('--all', 'every run of the store')
    .option('--to <uri>', 'the tracking server (default: runlens.yaml remote.mlflow, or MLFLOW_TRACKING_URI)')
    .option('--parallel <n>', 'runs pushed at the same time', '4')
    .option('--no-artifacts', 'do not upload artifacts')
    .option('--models', 'also push the model registry: versions with their source run, files and stage')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  runlens sync push 0193ab --to http://mlflow:5000\n  runlens sync push --experiment mnist',
    )
    .action((refs: string[], opts: PushOptions) => syncPush(refs, opts, ctx));

  sync
    .command('pull')
    .description("pull the server's runs into this store (marked with their origin; only changed runs again)")
    .option('-e, --experiment <name>', 'only this experiment (repeatable)', collect)
    .option('--since <time>', 'only runs started at or after this time (ISO date or ms since the epoch)')
    .option(
      '--from <uri>',
      'the tracking server (default: runlens.yaml remote.mlflow, or MLFLOW_TRACKING_URI)',
    )
    .option('--artifacts', 'also fetch the artifacts of the runs pulled now')
    .option('--json', 'print the report as JSON')
    .action((opts: PullOptions) => syncPull(opts, ctx));

  sync
    .command('artifacts')
    .argument('<run...>', 'pulled runs (id, prefix or name)')
    .description(
      "fetch pulled runs' artifacts from their server into the store (files already here are kept)",
    )
    .option('--from <uri>', 'the tracking server (default: the server the run was pulled from)')
    .option('--path <path>', "only this folder or file of the run's artifacts")
    .option('--json', 'print the report as JSON')
    .action((refs: string[], opts: ArtifactsOptions) => syncArtifacts(refs, opts, ctx));

  sync
    .command('mirror')
    .description('mirror runs to the server while they train (until Ctrl-C); one mirror per store')
    .option('--to <uri>', 'the tracking server (default: runlens.yaml remote.mlflow, or MLFLOW_TRACKING_URI)')
    .option('--interval <ms>', 'how often the store is looked at', '1000')
    .action((opts: MirrorOptions) => syncMirror(opts, ctx));
}

/** The tracking server of a command (flag, runlens.yaml, env), its warnings printed. */
function remoteOf(store: Store, uri: string | undefined, io: Io): ReturnType<typeof requireRemote> {
  const remote = requireRemote({ flagUri: uri, root: store.root });
  for (const w of remote.warnings) io.err(`runlens: warning: ${w}`);
  return remote;
}

export interface PushOptions {
  experiment?: string;
  all?: boolean;
  to?: string;
  parallel: string;
  artifacts: boolean;
  models?: boolean;
  json?: boolean;
}

export async function syncPush(
  refs: string[],
  opts: PushOptions,
  { io, setExit, openStore }: CliContext,
): Promise<void> {
  const store = openStore();
  const remote = remoteOf(store, opts.to, io);
  const ids = runsToPush(store, refs, opts);
  const parallel = Number(opts.parallel);
  if (!Number.isInteger(parallel) || parallel < 1)
    throw new RunlensError(
      `--parallel must be a whole number of at least 1, got "${opts.parallel}"`,
      undefined,
      'usage',
    );
  const client = new MlflowClient(remote);
  try {
    const report = await pushRuns(store, client, ids, { parallel, noArtifacts: !opts.artifacts });
    const models = opts.models ? await pushModels(store, client) : undefined;
    for (const f of models?.failed ?? [])
      report.failed.push({ runId: `model ${f.model} v${f.version}`, error: f.error });
    if (opts.json) io.out(JSON.stringify({ ...report, models }, null, 2));
    else {
      io.out(
        `pushed to ${report.server}: ${report.runs.length} runs, ${report.points} new metric points (${report.requests} requests)`,
      );
      for (const r of report.runs) {
        io.out(
          `  ${r.runId} -> ${r.mlflowRunId} (experiment ${r.experimentId})${r.created ? ' created' : ''}: ${r.points} points, ${r.params} params, ${r.tags} tags, ${r.artifacts} artifacts`,
        );
      }
    }
    if (models && !opts.json) {
      for (const v of models.versions) {
        io.out(
          `  model ${v.model} v${v.version} -> version ${v.mlflowVersion} (${v.stage}${v.aliases.map((a) => ', @' + a).join('')})${v.created ? ' created' : ''}`,
        );
      }
    }
    for (const r of report.runs) for (const w of r.warnings) io.err(`runlens: warning: ${w}`);
    for (const f of report.failed) io.err(`runlens: error: run ${f.runId} not pushed: ${f.error}`);
    if (report.failed.length > 0) setExit(1);
  } finally {
    client.close();
  }
}

/** The named runs, else every run of --experiment or --all (not the pulled ones), else none with --models. */
function runsToPush(store: Store, refs: string[], opts: PushOptions): string[] {
  if (refs.length > 0) return refs.map((r) => store.resolveRunId(r));
  if (opts.experiment || opts.all) {
    const ids = store
      .listRuns()
      .entries.filter((e) => (opts.all || e.experiment === opts.experiment) && !e.tags[ORIGIN_TAG])
      .filter((e) => e.status !== 'unreadable')
      .map((e) => e.id);
    if (ids.length === 0 && opts.experiment)
      throw new RunlensError(
        `no runs in experiment "${opts.experiment}"`,
        'list experiments with `runlens ls`',
        'notFound',
      );
    return ids;
  }
  if (opts.models) return [];
  throw new RunlensError(
    'nothing to push',
    'name runs, or pass --experiment NAME, --all or --models',
    'usage',
  );
}

export interface PullOptions {
  experiment?: string[];
  since?: string;
  from?: string;
  artifacts?: boolean;
  json?: boolean;
}

export interface ArtifactsOptions {
  from?: string;
  path?: string;
  json?: boolean;
}

function printArtifacts(io: Io, a: ArtifactPullReport): void {
  io.out(
    `  ${a.runId} <- ${a.mlflowRunId}: ${a.downloaded.length} files fetched (${a.bytes} bytes), ${a.present} already here`,
  );
}

export async function syncArtifacts(
  refs: string[],
  opts: ArtifactsOptions,
  { io, setExit, openStore }: CliContext,
): Promise<void> {
  const store = openStore();
  const reports: ArtifactPullReport[] = [];
  const failed: { runId: string; error: string }[] = [];
  for (const ref of refs) {
    const id = store.resolveRunId(ref);
    const origin = store.getRun(id).tags[ORIGIN_TAG];
    const client = new MlflowClient(remoteOf(store, opts.from ?? origin, io));
    try {
      reports.push(await pullArtifacts(store, client, id, opts.path));
    } catch (e) {
      if (!(e instanceof RunlensError)) throw e;
      failed.push({ runId: id, error: e.message + (e.hint ? ` (${e.hint})` : '') });
    } finally {
      client.close();
    }
  }
  if (opts.json) io.out(JSON.stringify({ runs: reports, failed }, null, 2));
  else {
    io.out(`artifacts of ${reports.length} runs:`);
    for (const a of reports) printArtifacts(io, a);
  }
  for (const f of failed) io.err(`runlens: error: artifacts of run ${f.runId} not fetched: ${f.error}`);
  if (failed.length > 0) setExit(1);
}

export async function syncPull(opts: PullOptions, { io, openStore }: CliContext): Promise<void> {
  const store = openStore(true);
  const remote = remoteOf(store, opts.from, io);
  const client = new MlflowClient(remote);
  try {
    const report = await pullRuns(store, client, {
      experiments: opts.experiment,
      since: opts.since !== undefined ? parseSince(opts.since) : undefined,
    });
    const artifacts: ArtifactPullReport[] = [];
    if (opts.artifacts)
      for (const id of report.runIds) artifacts.push(await pullArtifacts(store, client, id));
    if (opts.json) {
      io.out(JSON.stringify(opts.artifacts ? { ...report, artifacts } : report, null, 2));
      return;
    }
    const r = report.runs;
    io.out(`pulled from ${report.server}: ${report.experiments.length} experiments`);
    io.out(
      `  runs  ${r.found} found, ${r.created} created, ${r.updated} updated, ${r.skipped} unchanged, ${r.own} pushed from here`,
    );
    io.out(`  points ${report.points} (${report.requests} requests)`);
    for (const a of artifacts) printArtifacts(io, a);
  } finally {
    client.close();
  }
}

export interface MirrorOptions {
  to?: string;
  interval: string;
}

export async function syncMirror(opts: MirrorOptions, { io, openStore }: CliContext): Promise<void> {
  const store = openStore(true);
  const remote = remoteOf(store, opts.to, io);
  const client = new MlflowClient(remote);
  const mirror = new MirrorSyncer(store, client, {
    intervalMs: Number(opts.interval) || 1000,
    onPush: (id, n) => io.out(`${id}: ${n} points`),
    onError: (m, ms) => io.err(`runlens: warning: ${m}; retrying in ${Math.round(ms / 1000)} s`),
  });
  if (!(await mirror.start())) {
    client.close();
    throw new RunlensError(
      `another mirror of ${store.dir} to ${client.server} is running`,
      undefined,
      'conflict',
    );
  }
  io.out(`mirroring ${store.dir} to ${client.server} (Ctrl-C stops)`);
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await new Promise<void>((resolve) => {
    const stop = () => {
      clearInterval(keepAlive);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await mirror.stop();
  client.close();
  io.out(`stopped; ${mirror.points} points mirrored`);
}
