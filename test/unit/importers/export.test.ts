import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { registerImportCommands } from '../../../src/cli/commands/import';
import { exportMlflow, mlflowSafeKey, runsToCsv, selectRuns } from '../../../src/core/importers/export';
import { importMlflow } from '../../../src/core/importers/mlflow';
import { scanMetrics } from '../../../src/core/store/metrics';
import { Store } from '../../../src/core/store/store';
import type { MetricPoint, RunRecord } from '../../../src/core/store/types';
import { MetricLog } from '../../../src/core/tracking/metricLog';
import { repoRoot, tempDir } from '../../helpers/tmp';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'importers');
const DIFFUSERS = path.join(FIXTURES, 'mlruns/diffusers/examples/mlruns');
const CONVNEXT = path.join(FIXTURES, 'mlruns/ConvNeXt-V2-UNet/examples/mlruns');

function newStore(): Store {
  return Store.open(path.join(tempDir('runlens-export-'), '.runlens'), { create: true });
}

/** Runs made by Runlens itself, with what MLflow can and cannot hold. */
async function nativeRuns(store: Store): Promise<void> {
  const a = store.createRun({
    experiment: 'mnist',
    name: 'baseline',
    script: 'train.py',
    params: { lr: 0.001, epochs: 10, optimizer: 'adam', augment: true, tiny: 1e-7 },
    tags: { team: 'vision', 'notes/why': 'first try, with "quotes"' },
  });
  const log = new MetricLog(store.metricsFile(a.id));
  for (const [step, loss] of [0.9, 0.5, NaN, 0.25, Infinity, -Infinity, 0.125].entries()) {
    log.push({ key: 'loss', value: loss, step, time: 1_760_000_000_000 + step * 1000 });
    log.push({ key: 'val/acc', value: step / 10, step, time: 1_760_000_000_500 + step * 1000 });
  }
  log.close();
  await store.updateRun(a.id, (r) => {
    r.status = 'finished';
    r.startTime = 1_759_999_999_000;
    r.endTime = 1_760_000_010_000;
    r.summary = log.summary;
    r.inputs = [{ path: 'mlflow-dataset:mnist-train', size: 0, sha256: 'd1e2f3a4' }];
  });
  const b = store.createRun({
    experiment: 'mnist',
    name: 'killed-one',
    params: {},
    tags: { 'runlens.deleted': 'true' },
  });
  const logB = new MetricLog(store.metricsFile(b.id));
  logB.push({ key: 'loss', value: 2, step: 0, time: 1_760_000_100_000 });
  logB.close();
  await store.updateRun(b.id, (r) => {
    r.status = 'killed';
    r.startTime = 1_760_000_099_000;
    r.endTime = 1_760_000_101_000;
    r.summary = logB.summary;
  });
}

function points(store: Store, id: string): MetricPoint[] {
  const out: MetricPoint[] = [];
  scanMetrics(store.metricsFile(id), (p) => out.push(p));
  return out.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : x.step - y.step || x.time - y.time));
}

/** Tags Runlens adds when importing (ids, where the artifacts are): not part of what a run is. */
const BOOKKEEPING = ['mlflow.run_id', 'mlflow.experiment_id', 'runlens.artifact_uri'];

function comparable(store: Store, run: RunRecord) {
  const tags = { ...run.tags };
  for (const k of BOOKKEEPING) delete tags[k];
  return {
    experiment: run.experiment,
    name: run.name,
    status: run.status,
    startTime: run.startTime,
    endTime: run.endTime,
    params: run.params,
    tags,
    inputs: run.inputs.filter((i) => i.path.startsWith('mlflow-dataset:')),
    summary: run.summary,
    points: points(store, run.id),
  };
}

function runsByKey(store: Store): Map<string, RunRecord> {
  return new Map(store.listRuns().entries.map((e) => [`${e.experiment}/${e.name}`, store.getRun(e.id)]));
}

function python(args: string[]): string | undefined {
  const r = spawnSync('python3', args, { encoding: 'utf8' });
  if (r.error || (r.status !== 0 && /No module named 'yaml'/.test(r.stderr))) return undefined;
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('export to an MLflow file store', () => {
  test('round trip: import(export(x)) equals x in every field both formats have', async () => {
    const x = newStore();
    await importMlflow(x, DIFFUSERS);
    await importMlflow(x, CONVNEXT);
    await nativeRuns(x);
    const out = path.join(tempDir(), 'mlruns');
    const report = exportMlflow(x, out);
    assert.deepEqual(report.warnings, []);
    assert.equal(report.runs, 5);
    assert.equal(report.points, 26 + 110 + 14 + 1);

    const y = newStore();
    const back = await importMlflow(y, out, { includeDeleted: true });
    assert.deepEqual(back.warnings, []);
    assert.equal(back.runs.created, 5);
    const xs = runsByKey(x);
    const ys = runsByKey(y);
    assert.deepEqual([...ys.keys()].sort(), [...xs.keys()].sort());
    for (const [key, run] of xs) assert.deepEqual(comparable(y, ys.get(key)!), comparable(x, run), key);

    // Runs that came from MLflow keep their ids; the running one is still running, with no end.
    const convnext = [...ys.values()].find((r) => r.name === 'placid-shad-212')!;
    assert.equal(convnext.tags['mlflow.run_id'], '6ea7a69c2af146c2b1c1d46a2525fb79');
    assert.equal(convnext.status, 'running');
    assert.equal(convnext.endTime, null);
  });

  test('runs imported from MLflow are written back byte for byte (metrics, params, tags)', async () => {
    const x = newStore();
    await importMlflow(x, DIFFUSERS);
    await importMlflow(x, CONVNEXT);
    const out = path.join(tempDir(), 'mlruns');
    exportMlflow(x, out);
    for (const src of [DIFFUSERS, CONVNEXT]) {
      for (const exp of fs.readdirSync(src)) {
        for (const run of fs.readdirSync(path.join(src, exp))) {
          for (const kind of ['metrics', 'params', 'tags']) {
            const dir = path.join(src, exp, run, kind);
            if (!fs.existsSync(dir)) continue;
            for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
              const file = path.join(dir, f);
              if (!fs.statSync(file).isFile()) continue;
              assert.deepEqual(
                fs.readFileSync(path.join(out, exp, run, kind, f)),
                fs.readFileSync(file),
                `${exp}/${run}/${kind}/${f}`,
              );
            }
          }
        }
      }
    }
  });

  test("the layout passes MLflow's FileStore reading rules (mlflow_reader_check.py)", async (t) => {
    const x = newStore();
    await importMlflow(x, DIFFUSERS);
    await nativeRuns(x);
    const out = path.join(tempDir(), 'mlruns');
    exportMlflow(x, out);
    const stdout = python([path.join(FIXTURES, 'mlflow_reader_check.py'), out]);
    if (stdout === undefined) {
      t.skip('python3 with PyYAML is not available');
      return;
    }
    // 3 experiments (Default with no run, the diffusers one, mnist); the killed run exported as deleted.
    assert.deepEqual(JSON.parse(stdout), {
      experiments: 3,
      runs: 3,
      deleted_runs: 1,
      points: 26 + 14 + 1,
      params: 2 + 5,
      tags: 1 + 2 + 0,
      inputs: 1,
    });
  });

  test('names MLflow does not accept are made safe, with a warning', () => {
    assert.equal(mlflowSafeKey('val/loss'), 'val/loss');
    assert.equal(mlflowSafeKey('acc@1'), 'acc_1');
    assert.equal(mlflowSafeKey('/abs//x/'), '_/abs/_/x/_');
    assert.equal(mlflowSafeKey('../up'), '__/up');
    assert.equal(mlflowSafeKey('Genauigkeit é'), 'Genauigkeit é');
  });
});

describe('export to CSV and JSON, and the CLI commands', () => {
  test('CSV: one row per run with params.* and the last value of metrics.*', async () => {
    const x = newStore();
    await nativeRuns(x);
    const csv = runsToCsv(selectRuns(x));
    const [header, first] = csv.split('\r\n');
    assert.equal(
      header,
      'id,name,experiment,status,start,end,params.augment,params.epochs,params.lr,params.optimizer,params.tiny,metrics.loss,metrics.val/acc',
    );
    assert.match(
      first,
      /,baseline,mnist,finished,2025-10-09T08:53:19\.000Z,2025-10-09T08:53:30\.000Z,true,10,0\.001,adam,1e-7,0\.125,0\.6$/,
    );
  });

  test('runlens import mlflow|tensorboard and runlens export csv|json|mlflow', async () => {
    const dir = tempDir('runlens-cli-');
    const store = Store.open(path.join(dir, '.runlens'), { create: true });
    const out: string[] = [];
    const err: string[] = [];
    const run = async (...args: string[]) => {
      const program = new Command('runlens')
        .exitOverride()
        .configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
      registerImportCommands(program, {
        openStore: () => store,
        io: { out: (s) => out.push(s), err: (s) => err.push(s) },
        setExit: () => undefined,
      });
      out.length = 0;
      await program.parseAsync(args, { from: 'user' });
      return out.join('\n');
    };
    const text = await run('import', 'mlflow', DIFFUSERS);
    assert.match(text, /imported MLflow file store/);
    assert.match(text, /runs {9}1 found, 1 created, 0 updated, 0 skipped/);
    assert.match(text, /26 metric points, 2 params, 3 tags/);
    const again = JSON.parse(await run('import', 'mlflow', DIFFUSERS, '--json'));
    assert.deepEqual(again.runs, { found: 1, created: 0, updated: 0, skipped: 1 });
    const tb = JSON.parse(
      await run(
        'import',
        'tensorboard',
        path.join(FIXTURES, 'synthetic/tensorboard'),
        '--json',
        '-e',
        'synthetic',
      ),
    );
    assert.equal(tb.runs.created, 2);
    assert.deepEqual(tb.skippedValues, { graphs: 1, histograms: 9, hparams: 1, images: 9, text: 2 });
    const csv = await run('export', 'csv', '-');
    assert.equal(csv.split('\r\n').length, 4);
    const json = JSON.parse(await run('export', 'json', '-', '--experiment', 'synthetic'));
    assert.deepEqual(json.map((r: RunRecord) => r.name).sort(), ['pytorch', 'tf2']);
    assert.equal(json.find((r: RunRecord) => r.name === 'tf2').summary.loss.max, 'Infinity');
    const msg = await run('export', 'mlflow', path.join(dir, 'mlruns'));
    assert.match(msg, /exported 3 runs of 2 experiments, 177 metric points to /);
    await assert.rejects(run('export', 'xml', 'x'), /value 'xml' is invalid for argument 'format'/);
    fs.rmSync(path.join(dir, 'runs.csv'), { force: true });
    await run('export', 'csv', path.join(dir, 'runs.csv'));
    assert.equal(fs.readFileSync(path.join(dir, 'runs.csv'), 'utf8').split('\r\n').length, 5);
  });
});
