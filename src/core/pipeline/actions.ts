import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError } from '../errors';
import { formatNumber } from '../format';
import { detectDrift } from '../drift/drift';
import { nothingComparedReason } from '../drift/view';
import { evaluateFile, saveEvaluation } from '../eval/evaluate';
import { judgeCandidate, gateMarkdown, loadPolicy, verdictLine } from '../gate/gate';
import { readSchema, validateFile } from '../data/schema';
import { packageModel } from '../serving/package';
import { smokeTest, startServer } from '../serving/serve';
import { Registry } from '../store/registry';
import { ARTIFACTS_DIR } from '../store/runFile';
import type { Stage } from '../store/registry';
import type { Store } from '../store/store';
import type { PipelineDef, StageDef } from './types';

export interface ActionContext {
  store: Store;
  pipeline: PipelineDef;
  stage: StageDef;
  /** The tracked run of this stage. */
  runId: string;
  /** Stage name -> its latest run id (this pipeline run, or the run it is up to date with). */
  stageRuns: ReadonlyMap<string, string>;
  log(line: string): void;
}

export interface ActionResult {
  ok: boolean;
  /** Shown with the stage's state: "gate: fail", "12 anomalies". */
  reason?: string;
  /** Markdown report (the gate's), also kept as an artifact of the stage run. */
  markdown?: string;
}

type ActionFn = (ctx: ActionContext) => Promise<ActionResult>;

/** Built-in actions by name; each calls the core module that owns the work. */
export const ACTIONS: Record<string, ActionFn> = {
  validate: validateAction,
  evaluate: evaluateAction,
  compare: gateAction,
  gate: gateAction,
  register: registerAction,
  drift: driftAction,
  package: packageAction,
  'serve-smoke': serveSmokeAction,
};

export async function runAction(ctx: ActionContext): Promise<ActionResult> {
  const name = ctx.stage.action!;
  const action = ACTIONS[name];
  if (!action) throw new RunlensError(`unknown action "${name}"`, undefined, 'usage');
  return action(ctx);
}

function arg(ctx: ActionContext, key: string, required: true): string;
function arg(ctx: ActionContext, key: string, required?: false): string | undefined;
function arg(ctx: ActionContext, key: string, required = false): string | undefined {
  const v = ctx.stage.with[key];
  if (v === undefined || v === null) {
    if (required) {
      const p = ctx.stage.fieldPos.with ?? ctx.stage.pos;
      throw new RunlensError(
        `${p.file}:${p.line}:${p.column}: action ${ctx.stage.action} of stage "${ctx.stage.name}" needs with.${key}`,
        undefined,
        'usage',
      );
    }
    return undefined;
  }
  return String(v);
}

function file(ctx: ActionContext, key: string): string {
  return path.resolve(ctx.pipeline.root, arg(ctx, key, true));
}

/** The run of the stage named by with.<key>. */
function stageRun(ctx: ActionContext, key: string): string {
  const name = arg(ctx, key, true);
  const id = ctx.stageRuns.get(name);
  if (!id)
    throw new RunlensError(
      `stage "${name}" has no run yet (needed by ${ctx.stage.name})`,
      undefined,
      'usage',
    );
  return id;
}

async function validateAction(ctx: ActionContext): Promise<ActionResult> {
  const schemaFile = file(ctx, 'schema');
  const report = await validateFile(file(ctx, 'data'), readSchema(schemaFile), schemaFile);
  ctx.store.addArtifact(ctx.runId, 'validation.json', JSON.stringify(report, null, 1) + '\n');
  for (const a of report.anomalies) ctx.log(`${a.kind} ${a.column}: ${a.message} (${a.count} rows)`);
  ctx.log(`${report.rows} rows, ${report.anomalies.length} anomalies`);
  return report.valid
    ? { ok: true, reason: `${report.rows} rows valid` }
    : { ok: false, reason: `${report.anomalies.length} anomalies in ${arg(ctx, 'data', true)}` };
}

/** with.predictions (a workspace file) or with.artifact (a file the `run` stage logged). */
function predictionsFile(ctx: ActionContext): string {
  const artifact = arg(ctx, 'artifact');
  if (artifact === undefined) return file(ctx, 'predictions');
  return path.join(ctx.store.runDir(stageRun(ctx, 'run')), ARTIFACTS_DIR, artifact);
}

async function evaluateAction(ctx: ActionContext): Promise<ActionResult> {
  const result = await evaluateFile(predictionsFile(ctx), {
    labelColumn: arg(ctx, 'label'),
    predictionColumn: arg(ctx, 'prediction'),
    scoreColumn: arg(ctx, 'score'),
    task: arg(ctx, 'task') as 'classification' | 'regression' | undefined,
  });
  const target = ctx.stage.with.run !== undefined ? stageRun(ctx, 'run') : ctx.runId;
  await saveEvaluation(ctx.store, target, result);
  if (target !== ctx.runId) await saveEvaluation(ctx.store, ctx.runId, result);
  const shown = Object.entries(result.metrics)
    .slice(0, 6)
    .map(([k, v]) => `${k}=${formatNumber(v)}`);
  ctx.log(shown.join(' '));
  return { ok: true, reason: `${result.task}, ${result.n} rows` };
}

async function gateAction(ctx: ActionContext): Promise<ActionResult> {
  const candidate = stageRun(ctx, 'run');
  const registry = new Registry(ctx.store);
  const experiment = ctx.store.getRun(candidate).experiment;
  const baselineRef = arg(ctx, 'baseline');
  if (!baselineRef && !registry.getBaseline(experiment)) {
    // The first model of an experiment has nothing to beat; `noBaseline: fail` makes that a failure.
    const pass = arg(ctx, 'noBaseline') !== 'fail';
    const md = `### Runlens gate: ${pass ? '✅ pass' : '❌ fail'}\n\nExperiment "${experiment}" has no baseline yet: the first candidate ${pass ? 'passes' : 'fails (noBaseline: fail)'}.\n`;
    ctx.store.addArtifact(ctx.runId, 'gate.md', md);
    ctx.log(`no baseline for experiment "${experiment}": ${pass ? 'pass' : 'fail'}`);
    return { ok: pass, reason: `gate: ${pass ? 'pass' : 'fail'} (no baseline yet)`, markdown: md };
  }
  const result = judgeCandidate(ctx.store, candidate, loadPolicy(ctx.pipeline.root), baselineRef);
  const md = gateMarkdown(result);
  ctx.store.addArtifact(ctx.runId, 'gate.md', md);
  ctx.store.addArtifact(ctx.runId, 'gate.json', JSON.stringify(result, null, 1) + '\n');
  for (const m of result.metrics)
    ctx.log(`${m.metric}: candidate ${m.candidate} baseline ${m.baseline} (${m.rule}) ${m.verdict}`);
  return { ok: result.verdict === 'pass', reason: `gate: ${verdictLine(result)}`, markdown: md };
}

async function registerAction(ctx: ActionContext): Promise<ActionResult> {
  const runId = stageRun(ctx, 'run');
  const model = arg(ctx, 'model', true);
  const rawFiles = ctx.stage.with.files;
  const files = (Array.isArray(rawFiles) ? rawFiles : rawFiles === undefined ? [] : [rawFiles]).map((f) =>
    path.resolve(ctx.pipeline.root, String(f)),
  );
  const registry = new Registry(ctx.store);
  const mv = await registry.register(model, runId, {
    files,
    description: `pipeline stage ${ctx.stage.name}`,
  });
  const stage = (arg(ctx, 'stage') ?? 'staging') as Stage;
  if (stage !== 'none') await registry.promote(model, mv.version, stage);
  // The registered model becomes what the next candidate has to beat (continuous delivery of improvements).
  if (ctx.stage.with.setBaseline !== false && stage !== 'none') {
    await registry.setBaseline(ctx.store.getRun(runId).experiment, { model, stage });
  }
  ctx.log(`registered ${model} v${mv.version}${stage !== 'none' ? ` (${stage})` : ''}`);
  return { ok: true, reason: `${model} v${mv.version}` };
}

async function driftAction(ctx: ActionContext): Promise<ActionResult> {
  const share = ctx.stage.with.driftShare;
  const report = await detectDrift(file(ctx, 'reference'), file(ctx, 'current'), {
    driftShare: typeof share === 'number' ? share : undefined,
  });
  ctx.store.addArtifact(ctx.runId, 'drift.json', JSON.stringify(report, null, 1) + '\n');
  if (report.tested === 0) {
    const why = `nothing compared: ${nothingComparedReason(report)}`;
    ctx.log(why);
    return { ok: false, reason: why };
  }
  const reason = `${report.drifted}/${report.tested} columns drifted`;
  ctx.log(reason);
  return { ok: !report.datasetDrift, reason: report.datasetDrift ? `dataset drift: ${reason}` : reason };
}

/** Where a package stage wrote its folder, for the serve-smoke stage after it. */
const PACKAGE_ARTIFACT = 'package.json';

async function packageAction(ctx: ActionContext): Promise<ActionResult> {
  const ref = arg(ctx, 'model', true);
  const out = arg(ctx, 'out');
  const r = await packageModel(ctx.store, ref, {
    out: out ? path.resolve(ctx.pipeline.root, out) : undefined,
  });
  ctx.store.addArtifact(
    ctx.runId,
    PACKAGE_ARTIFACT,
    JSON.stringify({ dir: r.dir, files: r.files }, null, 1) + '\n',
  );
  ctx.log(`packaged ${ref} into ${r.dir} (${r.files.length} files)`);
  return { ok: true, reason: `packaged ${ref}` };
}

async function serveSmokeAction(ctx: ActionContext): Promise<ActionResult> {
  let dir: string;
  if (ctx.stage.with.package !== undefined) {
    const runId = stageRun(ctx, 'package');
    const rec = path.join(ctx.store.runDir(runId), ARTIFACTS_DIR, PACKAGE_ARTIFACT);
    dir = (JSON.parse(fs.readFileSync(rec, 'utf8')) as { dir: string }).dir;
  } else dir = file(ctx, 'dir');
  const server = await startServer(dir, { port: 0, onStderr: (l) => ctx.log(l) });
  try {
    const tol = ctx.stage.with.tolerance;
    const r = await smokeTest(server, { tolerance: typeof tol === 'number' ? tol : undefined });
    ctx.store.addArtifact(ctx.runId, 'smoke.json', JSON.stringify(r, null, 1) + '\n');
    const reason = `${r.rows} rows, max score difference ${r.maxDifference}, ${r.labelMismatches} label mismatches (served on ${r.servedBackend})`;
    ctx.log(reason);
    return { ok: r.ok, reason: r.ok ? reason : `smoke test failed: ${reason}` };
  } finally {
    await server.stop();
  }
}
