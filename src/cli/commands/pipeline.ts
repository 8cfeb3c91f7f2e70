import type { CliContext } from '../context';
import type { Command } from 'commander';
import { indent } from '../json';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatDuration } from '../../core/format';
import { lineageOf } from '../../core/pipeline/lineage';
import { PIPELINE_FILE, loadPipeline } from '../../core/pipeline/parse';
import {
  listPipelineRuns,
  pipelineStatus,
  readState,
  runPipeline,
  selectStages,
} from '../../core/pipeline/run';
import type { PipelineDef, PipelineRunResult, StageEvent } from '../../core/pipeline/types';
import { writeFileAtomic } from '../../core/store/fsutil';
import { ARTIFACTS_DIR } from '../../core/store/runFile';
import { Watcher } from '../../core/pipeline/watch';
import type { Store } from '../../core/store/store';

const ICON: Record<StageEvent['state'], string> = {
  queued: '·',
  running: '▶',
  skipped: '=',
  succeeded: '✓',
  failed: '✗',
  blocked: '⊘',
};

/** The Markdown of each gate stage's run (this run's, or the run it was up to date with). */
function gateReports(store: Store, def: PipelineDef, result: PipelineRunResult): string {
  const parts: string[] = [];
  for (const r of result.stages) {
    const s = def.stages.find((x) => x.name === r.stage);
    if (!r.runId || (s?.action !== 'gate' && s?.action !== 'compare')) continue;
    const md = path.join(store.runDir(r.runId), ARTIFACTS_DIR, 'gate.md');
    if (fs.existsSync(md)) parts.push(fs.readFileSync(md, 'utf8'));
  }
  return parts.join('\n');
}

function pipelineFile(opt: string | undefined): string {
  return path.resolve(opt ?? PIPELINE_FILE);
}

/**
 * `runlens pipeline run [STAGE]`, `runlens pipeline status`, `runlens pipeline lineage MODEL`.
 * Exit codes: pipeline run 0 when every stage succeeded or was up to date, 1 when a stage failed.
 */
export function registerPipelineCommands(program: Command, ctx: CliContext): void {
  const pipeline = program
    .command('pipeline')
    .description('run the stages of runlens.yaml (train, evaluate, gate, register)');

  pipeline
    .command('run')
    .description('run the pipeline in dependency order, skipping stages that are up to date')
    .argument('[stage]', 'run only this stage and the stages it depends on')
    .option('-f, --file <path>', 'the pipeline file', PIPELINE_FILE)
    .option('--force', 'run every selected stage even when up to date')
    .option('--json', 'print the result as JSON (stage output goes to stderr)')
    .option('--report <file>', "write the gate stages' Markdown reports to this file (for a PR comment)")
    .addHelpText('after', '\nExamples:\n  runlens pipeline run\n  runlens pipeline run train --force')
    .action((stage: string | undefined, opts: PipelineRunOptions) => runPipelineCommand(stage, opts, ctx));

  pipeline
    .command('status')
    .description('each stage: its last successful run, and the latest pipeline run')
    .option('-f, --file <path>', 'the pipeline file', PIPELINE_FILE)
    .option('--json', 'print as JSON')
    .action((opts: PipelineStatusOptions) => showPipelineStatus(opts, ctx));

  pipeline
    .command('lineage')
    .description('what produced a model version: pipeline run, stage runs, data hashes, params, git commit')
    .argument('<model>', 'MODEL or MODEL@vN or MODEL@STAGE')
    .option('--json', 'print as JSON')
    .action((ref: string, opts: JsonOptions) => showLineage(ref, opts, ctx));
}

/** `runlens watch`: continuous training, the pipeline rerun on data changes, a schedule or drift. */
export function registerWatchCommand(program: Command, ctx: CliContext): void {
  program
    .command('watch')
    .description(
      'continuous training: rerun the pipeline when data changes, on a cron schedule, or when served requests drift (watch: in runlens.yaml)',
    )
    .option('-f, --file <path>', 'the pipeline file', PIPELINE_FILE)
    .option(
      '-p, --path <path...>',
      'files or folders to watch (default: the watch: paths of runlens.yaml, else the deps of the first stage)',
    )
    .option('--cron <expr>', 'also run on this cron schedule, e.g. "0 3 * * *"')
    .option('--debounce <ms>', 'wait this long after the last change', '1000')
    .action((opts: WatchOptions) => watchPipeline(opts, ctx));
}

interface JsonOptions {
  json?: boolean;
  pretty?: boolean;
}

export interface PipelineRunOptions extends JsonOptions {
  file?: string;
  force?: boolean;
  report?: string;
}

export async function runPipelineCommand(
  stage: string | undefined,
  opts: PipelineRunOptions,
  { io, setExit, openStore }: CliContext,
): Promise<void> {
  const def = loadPipeline(pipelineFile(opts.file));
  const store = openStore(true);
  const result = await runPipeline(store, def, {
    stage,
    force: opts.force,
    trigger: 'manual',
    onOutput: (_s, chunk) => process.stderr.write(chunk),
    onEvent: (e) => {
      if (opts.json || e.state === 'queued') return;
      const extra = [
        e.reason,
        e.runId && `run ${e.runId}`,
        e.durationMs !== undefined && e.state !== 'running' && formatDuration(e.durationMs),
      ]
        .filter(Boolean)
        .join(', ');
      io.err(`${ICON[e.state]} ${e.stage.padEnd(14)} ${e.state}${extra ? ` (${extra})` : ''}`);
    },
  });
  if (opts.report) {
    const reports = gateReports(store, def, result);
    if (reports) writeFileAtomic(path.resolve(opts.report), reports);
  }
  if (opts.json) io.out(JSON.stringify(result, null, indent(opts)));
  else if (result.ok) io.err(`pipeline ${result.id} succeeded in ${formatDuration(result.durationMs)}`);
  else io.err(`pipeline ${result.id} failed: stage ${result.failed.join(', ')} failed`);
  setExit(result.ok ? 0 : 1);
}

export interface PipelineStatusOptions extends JsonOptions {
  file?: string;
}

export function showPipelineStatus(opts: PipelineStatusOptions, { io, openStore }: CliContext): void {
  const def = loadPipeline(pipelineFile(opts.file));
  const store = openStore(true);
  const state = readState(store);
  const last = listPipelineRuns(store, { last: 1 }).at(-1);
  const fresh = new Map(pipelineStatus(store, def).map((f) => [f.stage, f]));
  const rows = selectStages(def).map((s) => ({
    stage: s.name,
    kind: s.cmd ? 'cmd' : `action ${s.action}`,
    lastRun: state.stages[s.name]?.runId ?? null,
    lastResult: last?.stages.find((r) => r.stage === s.name) ?? null,
    upToDate: fresh.get(s.name)?.upToDate ?? false,
    rerunBecause: fresh.get(s.name)?.why ?? null,
  }));
  if (opts.json) {
    io.out(JSON.stringify({ lastPipelineRun: last ?? null, stages: rows }, null, indent(opts)));
    return;
  }
  if (last)
    io.out(
      `last pipeline run ${last.id} (${last.trigger}): ${last.ok === null ? 'running or interrupted' : last.ok ? 'succeeded' : 'failed'}`,
    );
  for (const r of rows) {
    const res = r.lastResult
      ? `${r.lastResult.state}${r.lastResult.reason ? ` (${r.lastResult.reason})` : ''}`
      : 'not run';
    io.out(
      `${r.stage.padEnd(14)} ${r.kind.padEnd(18)} ${res}${r.lastRun ? `  last good run ${r.lastRun}` : ''}  ${r.upToDate ? 'up to date now' : `next run reruns it (${r.rerunBecause})`}`,
    );
  }
}

export function showLineage(ref: string, opts: JsonOptions, { io, openStore }: CliContext): void {
  const at = ref.lastIndexOf('@');
  const store = openStore();
  const l = lineageOf(store, at > 0 ? ref.slice(0, at) : ref, at > 0 ? ref.slice(at + 1) : 'latest');
  if (opts.json) {
    io.out(JSON.stringify(l, null, indent(opts)));
    return;
  }
  io.out(`${l.model} v${l.version}: run ${l.sourceRun}, git ${l.gitCommit ?? 'unknown'}`);
  io.out(`pipeline run ${l.pipelineRun ?? 'none (registered outside a pipeline)'}`);
  for (const s of l.stages) io.out(`  ${s.stage.padEnd(14)} ${s.state.padEnd(10)} run ${s.runId ?? '-'}`);
  for (const d of l.dataHashes) io.out(`  data ${d.path} sha256 ${d.sha256}`);
  io.out(`  params ${JSON.stringify(l.params)}`);
}

export interface WatchOptions {
  file?: string;
  path?: string[];
  cron?: string;
  debounce: string;
}

export async function watchPipeline(opts: WatchOptions, { io, openStore }: CliContext): Promise<void> {
  const file = pipelineFile(opts.file);
  const store = openStore(true);
  const watcher = new Watcher(store, file, {
    paths: opts.path,
    cron: opts.cron,
    debounceMs: Number(opts.debounce),
    log: (s) => io.err(s),
    onEvent: (e) => {
      if (e.state !== 'queued' && e.state !== 'running')
        io.err(`${ICON[e.state]} ${e.stage.padEnd(14)} ${e.state}${e.reason ? ` (${e.reason})` : ''}`);
    },
  });
  watcher.start();
  await new Promise<void>((resolve) => {
    const stop = () => {
      watcher.stop();
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
