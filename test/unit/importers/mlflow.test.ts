import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import {
  IMPORT_HOST_TAG,
  ImportBatch,
  createImportedRun,
  paramText,
} from '../../../src/core/importers/common';
import { importMlflow } from '../../../src/core/importers/mlflow';
import { loadSqlJs } from '../../../src/core/importers/mlflowSqlite';
import { readSeries } from '../../../src/core/store/metrics';
import { Store } from '../../../src/core/store/store';
import type { RunEntry } from '../../../src/core/store/types';
import { repoRoot, tempDir } from '../../helpers/tmp';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'importers');

function newStore(): Store {
  return Store.open(path.join(tempDir('runlens-import-'), '.runlens'), { create: true });
}

type ExpectedSeries = {
  count: number;
  first: number | string;
  last: number | string;
  lastStep: number;
  min: number | string | null;
  max: number | string | null;
  firstTime: number;
  lastTime: number;
};
type ExpectedRun = {
  run_name: string;
  status: string;
  start_time: string;
  end_time: string | null;
  lifecycle_stage: string;
  user_id: string;
  experiment_id: string;
  params: Record<string, string>;
  tags: number;
  points: number;
  metrics: Record<string, ExpectedSeries>;
};
/**
 * Read independently of the importer: test/fixtures/importers/expected-mlruns.json is the output of
 * mlruns_tool.py (Python standard library, see SOURCES.md there).
 */
const EXPECTED = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected-mlruns.json'), 'utf8')) as Record<
  string,
  Record<string, { name: string; runs: Record<string, ExpectedRun> }>
>;

function num(v: number | string | null): number | null {
  if (v === null) return null;
  if (typeof v === 'number') return v;
  return v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : -Infinity;
}

const STATUS: Record<string, string> = {
  '1': 'running',
  '2': 'queued',
  '3': 'finished',
  '4': 'failed',
  '5': 'killed',
};

function byRunId(store: Store): Map<string, RunEntry> {
  return new Map(store.listRuns().entries.map((e) => [e.tags['mlflow.run_id'], e]));
}

describe('MLflow file store import: the real stores in test/fixtures/importers/mlruns', () => {
  const roots = Object.keys(EXPECTED);

  test('finds every experiment, run, param, tag and metric point, with the values MLflow wrote', async () => {
    const store = newStore();
    const totals = { experiments: 0, created: 0, runs: 0, points: 0, params: 0 };
    for (const root of roots) {
      const report = await importMlflow(store, path.join(FIXTURES, root));
      assert.deepEqual(report.warnings, [], root);
      totals.experiments += report.experiments.found;
      totals.created += report.experiments.created;
      totals.runs += report.runs.created;
      totals.points += report.points;
      totals.params += report.params;
    }
    // Counts from the fixture files (SOURCES.md: `wc -l` over metrics/* gives 206 lines, 14 params
    // files, 8 tag files): 7 mlruns roots holding 14 experiments (7 of them "Default", 6 empty),
    // 9 runs, 6 distinct experiment names with runs.
    assert.deepEqual(totals, { experiments: 14, created: 6, runs: 9, points: 206, params: 14 });

    const runs = byRunId(store);
    assert.equal(runs.size, 9);
    for (const root of roots) {
      for (const [expId, exp] of Object.entries(EXPECTED[root])) {
        for (const [runId, want] of Object.entries(exp.runs)) {
          const entry = runs.get(runId);
          assert.ok(entry, `run ${runId} of ${root} imported`);
          const run = store.getRun(entry.id);
          const where = `${root} ${runId}`;
          assert.equal(run.experiment, exp.name, where);
          assert.equal(run.name, want.run_name, where);
          assert.equal(run.status, STATUS[want.status], where);
          assert.equal(run.startTime, Number(want.start_time), where);
          assert.equal(run.endTime, want.end_time === null ? null : Number(want.end_time), where);
          assert.equal(run.tags['mlflow.run_id'], runId);
          assert.equal(run.tags['mlflow.experiment_id'], expId);
          // Params: the same text MLflow stored (numbers like "8" become 8 and are written back as "8").
          assert.deepEqual(
            Object.fromEntries(Object.entries(run.params).map(([k, v]) => [k, paramText(v)])),
            want.params,
            where,
          );
          // Tags: every tag file, plus mlflow.run_id and mlflow.experiment_id, plus mlflow.user from
          // meta.yaml's user_id when there is no mlflow.user tag file (the diffusers runs have none).
          const userFromMeta = want.tags === 0 && want.user_id ? 1 : 0;
          assert.equal(Object.keys(run.tags).length, want.tags + 2 + userFromMeta, where);
          assert.equal(run.tags['mlflow.user'], want.user_id, where);
          let points = 0;
          for (const [key, s] of Object.entries(want.metrics)) {
            const { series, warnings } = readSeries(store.metricsFile(run.id), key);
            assert.deepEqual(warnings, []);
            assert.equal(series.values.length, s.count, `${where} ${key} count`);
            assert.equal(series.values[0], num(s.first), `${where} ${key} first`);
            assert.equal(series.times[0], s.firstTime, `${where} ${key} first time`);
            const sum = run.summary![key];
            assert.equal(sum.count, s.count);
            assert.equal(sum.last, num(s.last), `${where} ${key} last`);
            assert.equal(sum.lastStep, s.lastStep, `${where} ${key} last step`);
            assert.equal(sum.lastTime, s.lastTime, `${where} ${key} last time`);
            assert.equal(sum.min, num(s.min), `${where} ${key} min`);
            assert.equal(sum.max, num(s.max), `${where} ${key} max`);
            points += s.count;
          }
          assert.equal(points, want.points);
          assert.deepEqual(Object.keys(run.summary ?? {}).sort(), Object.keys(want.metrics).sort());
        }
      }
    }

    // Spot checks written down from the files themselves (`head -1`, `tail -1`, `sort -g`):
    const convnext = store.getRun(runs.get('ea71e54bc850434eaa5170c17d564de6')!.id);
    assert.equal(convnext.experiment, 'ConvNeXtV2-UNet');
    assert.equal(convnext.summary!.loss.count, 100); // metrics/loss: 100 lines, all at step 0
    assert.equal(convnext.summary!.loss.lastStep, 0);
    assert.equal(convnext.summary!.loss.last, 0.04320835322141647); // tail -1 metrics/loss
    assert.equal(convnext.summary!.loss.min, 0.02330227755010128);
    const controlnet = store.getRun(runs.get('b2da3507d6be48a2ba67625b6703b717')!.id);
    assert.equal(controlnet.experiment, 'lllyasviel/sd-controlnet-openpose'); // a name with "/"
    assert.deepEqual(controlnet.params, { batch_size: 8, model: 'lllyasviel/sd-controlnet-openpose' });
    assert.equal(controlnet.summary!.interval_loss.lastStep, 200);
    assert.equal(controlnet.summary!.interval_loss.last, 0.003944298252463341);
  });

  test('a run stuck in RUNNING stays running, with no owner, and is never marked crashed', async () => {
    const store = newStore();
    await importMlflow(store, path.join(FIXTURES, 'mlruns/ConvNeXt-V2-UNet/examples/mlruns'));
    const entry = byRunId(store).get('6ea7a69c2af146c2b1c1d46a2525fb79')!;
    const run = store.getRun(entry.id);
    assert.equal(run.status, 'running');
    assert.equal(run.endTime, null);
    assert.equal(run.pid, null);
    assert.equal(run.host, '');
    assert.equal(run.summary, null);
    // A refresh of the index (which marks dead owners' runs crashed) leaves it as it is.
    store.listRuns({ rebuild: true });
    assert.equal(store.getRun(entry.id).status, 'running');
    assert.equal(run.tags['mlflow.source.name'].endsWith('ipykernel_launcher.py'), true);
    assert.equal(run.script, run.tags['mlflow.source.name']);
  });

  test('finished runs have their summary written, so they list without reading metrics', async () => {
    const store = newStore();
    await importMlflow(store, path.join(FIXTURES, 'mlruns/diffusers/examples/mlruns'));
    const [entry] = store.listRuns().entries;
    const run = store.getRun(entry.id);
    assert.equal(run.status, 'finished');
    assert.ok(run.summary);
    assert.equal(run.summary.interval_loss.count, 12);
    assert.equal(run.tags['runlens.import'], undefined, 'no import marker left');
  });

  test('importing again creates nothing; a store that gained runs imports only those', async () => {
    const store = newStore();
    const src = tempDir('runlens-mlruns-');
    fs.cpSync(path.join(FIXTURES, 'mlruns/diffusers/examples/unconditional_image_generation/mlruns'), src, {
      recursive: true,
    });
    const gained = path.join(src, '172726379212930613', 'c149596ba47c430c9496e828fe53c6ad');
    const held = path.join(tempDir(), 'held');
    fs.renameSync(gained, held);

    const first = await importMlflow(store, src);
    assert.equal(first.runs.created, 1);
    assert.equal(first.points, 20);
    const again = await importMlflow(store, src);
    assert.deepEqual(again.runs, { found: 1, created: 0, updated: 0, skipped: 1 });
    assert.equal(again.points, 0);
    assert.deepEqual(again.experiments, { found: 2, created: 0, skipped: 2 });

    fs.renameSync(held, gained);
    const third = await importMlflow(store, src);
    assert.deepEqual(third.runs, { found: 2, created: 1, updated: 0, skipped: 1 });
    assert.equal(third.points, 8);
    assert.equal(store.listRuns().entries.length, 2);
  });

  test('a run imported while RUNNING is brought up to date when MLflow finished it', async () => {
    const store = newStore();
    const src = tempDir('runlens-mlruns-');
    fs.cpSync(path.join(FIXTURES, 'mlruns/ConvNeXt-V2-UNet/examples/mlruns'), src, { recursive: true });
    await importMlflow(store, src);
    const runDir = path.join(src, '0', '6ea7a69c2af146c2b1c1d46a2525fb79');
    fs.mkdirSync(path.join(runDir, 'metrics'));
    fs.writeFileSync(path.join(runDir, 'metrics', 'loss'), '1750096705000 0.5 0\n1750096706000 0.25 1\n');
    const meta = fs.readFileSync(path.join(runDir, 'meta.yaml'), 'utf8');
    fs.writeFileSync(
      path.join(runDir, 'meta.yaml'),
      meta.replace('end_time: null', 'end_time: 1750096707000').replace('status: 1', 'status: 3'),
    );
    const report = await importMlflow(store, src);
    assert.deepEqual(report.runs, { found: 2, created: 0, updated: 1, skipped: 1 });
    const run = store.getRun(byRunId(store).get('6ea7a69c2af146c2b1c1d46a2525fb79')!.id);
    assert.equal(run.status, 'finished');
    assert.equal(run.endTime, 1750096707000);
    assert.equal(run.summary!.loss.last, 0.25);
    assert.equal(store.listRuns().entries.length, 2);
  });

  test('a run left half-imported (marker tag) is redone by the next import', async () => {
    const store = newStore();
    const root = path.join(FIXTURES, 'mlruns/diffusers/examples/controlnet/mlruns');
    await importMlflow(store, root);
    const [entry] = store.listRuns().entries;
    await store.updateRun(entry.id, (r) => {
      r.tags['runlens.import'] = 'incomplete';
      r.status = 'running';
    });
    fs.appendFileSync(store.metricsFile(entry.id), '{"key":"interval_loss","value":9,"step":999,"time":1}\n');
    const report = await importMlflow(store, root);
    assert.equal(report.runs.updated, 1);
    const run = store.getRun(entry.id);
    assert.equal(run.status, 'finished');
    assert.equal(run.tags['runlens.import'], undefined);
    assert.equal(run.summary!.interval_loss.count, 4);
    assert.equal(readSeries(store.metricsFile(entry.id), 'interval_loss').series.values.length, 4);
  });
});

/** A file store in the shapes MLflow 0.x to 3.x left on disk, written by hand. */
function writeVariedStore(): string {
  const root = tempDir('runlens-mlruns-varied-');
  const w = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  // MLflow 0.x: unquoted experiment id, no lifecycle_stage, run `name` in meta.yaml, run_uuid only,
  // a plain artifact path, 2-field metric lines, no tags folder.
  w('0/meta.yaml', 'artifact_location: /old/mlruns/0\nexperiment_id: 0\nname: Default\n');
  w(
    '0/a0000000000000000000000000000001/meta.yaml',
    [
      `artifact_uri: ${root}/0/a0000000000000000000000000000001/artifacts`,
      'end_time: 1540000010000',
      "entry_point_name: ''",
      'experiment_id: 0',
      'name: old-style',
      "parent_run_id: ''",
      'run_uuid: a0000000000000000000000000000001',
      'source_name: train.py',
      'source_type: 4',
      'source_version: abc123',
      'start_time: 1540000000000',
      'status: 4',
      'tags: []',
      'user_id: alice',
      '',
    ].join('\n'),
  );
  w(
    '0/a0000000000000000000000000000001/metrics/loss',
    '1540000001000 0.5\n1540000002000 nan\n1540000003000 0.25\n',
  );
  w('0/a0000000000000000000000000000001/params/lr', '0.01');
  w('0/a0000000000000000000000000000001/artifacts/model.txt', 'weights');
  // MLflow 3.x: quoted 18-digit id, run_name, file:// artifact uri, 5- and 6-field metric lines,
  // nested keys (params, tags, metrics with "/"), inputs/ and datasets/, extra folders.
  const exp = '123456789012345678';
  w(
    `${exp}/meta.yaml`,
    `artifact_location: file://${root}/${exp}\ncreation_time: 1750000000000\nexperiment_id: '${exp}'\nlast_update_time: 1750000000000\nlifecycle_stage: active\nname: team/vision\n`,
  );
  const run3 = 'b0000000000000000000000000000002';
  w(
    `${exp}/${run3}/meta.yaml`,
    [
      `artifact_uri: file://${root}/${exp}/${run3}/artifacts`,
      'end_time: 1750000100000',
      "entry_point_name: ''",
      `experiment_id: '${exp}'`,
      'lifecycle_stage: active',
      `run_id: ${run3}`,
      "run_name: '1e3'",
      "source_name: ''",
      'source_type: 4',
      "source_version: ''",
      'start_time: 1750000000500',
      'status: 3',
      'tags: []',
      'user_id: bob',
      '',
    ].join('\n'),
  );
  w(
    `${exp}/${run3}/metrics/val/loss`,
    [
      '1750000001000 1e-05 0 eval_ds 3f2a1b9c',
      '1750000002000 inf 1 eval_ds 3f2a1b9c',
      '1750000003000 -inf 2 eval_ds 3f2a1b9c m-0123',
      '1750000004000 -Infinity 3',
      '1750000005000 Infinity 4',
      '1750000006000 2.5E+3 5',
      '1750000007000 -0.0 6',
      '',
    ].join('\n'),
  );
  w(`${exp}/${run3}/params/optimizer/name`, 'adam');
  w(`${exp}/${run3}/params/epochs`, '10');
  w(`${exp}/${run3}/params/flag`, 'True');
  w(`${exp}/${run3}/tags/mlflow.runName`, '1e3');
  w(`${exp}/${run3}/tags/team/owner`, 'vision');
  w(`${exp}/${run3}/tags/mlflow.user`, 'bob');
  w(
    `${exp}/${run3}/inputs/0f0f/meta.yaml`,
    'destination_id: x\ndestination_type: RUN\nsource_id: d1\nsource_type: DATASET\ntags:\n  mlflow.data.context: training\n',
  );
  w(
    `${exp}/datasets/d1/meta.yaml`,
    "digest: 9a8b7c6d\nname: train_ds\nprofile: '{}'\nschema: ''\nsource: '{}'\nsource_type: local\n",
  );
  w(`${exp}/models/m-0123/meta.yaml`, 'model_id: m-0123\n');
  w(`${exp}/${run3}/outputs/m-0123/meta.yaml`, 'x: 1\n');
  w(`${exp}/tags/mlflow.note.content`, 'an experiment tag');
  // A deleted run, a folder that is not a run, the trash and the model registry.
  const del = 'c0000000000000000000000000000003';
  w(
    `${exp}/${del}/meta.yaml`,
    `artifact_uri: s3://bucket/${del}/artifacts\nend_time: 1750000200000\nexperiment_id: '${exp}'\nlifecycle_stage: deleted\nrun_id: ${del}\nrun_name: gone\nstart_time: 1750000150000\nstatus: 5\nuser_id: carol\n`,
  );
  w(`${exp}/${del}/metrics/acc`, '1750000160000 0.75 1\n');
  w(`${exp}/not-a-run/readme.txt`, 'hello');
  w('.trash/999/meta.yaml', 'experiment_id: 999\nname: trashed\n');
  w('models/my-model/meta.yaml', 'name: my-model\n');
  return root;
}

describe('runs appear whole or not at all', () => {
  test('a run being imported is not listed until complete; leftovers of a dead import are removed', async () => {
    const store = newStore();
    const batch = new ImportBatch(store);
    let seenDuring = -1;
    const spec = {
      experiment: 'e',
      name: 'n',
      status: 'finished' as const,
      startTime: 1_700_000_000_000,
      endTime: null,
      params: {},
      tags: {},
      script: null,
      cwd: '',
      inputs: [],
    };
    const { run } = await createImportedRun(
      store,
      spec,
      (w) => {
        w.add('"x"', w.series('x'), 1, 0, 1_700_000_000_500);
        seenDuring = store.listRuns().entries.length;
      },
      batch,
    );
    batch.flush();
    assert.equal(seenDuring, 0);
    assert.equal(store.listRuns().entries.length, 1);
    assert.equal(run.endTime, 1_700_000_000_500, 'a finished run without an end time ends at its last point');
    assert.ok(run.id.startsWith('01hf'), 'the id encodes the run start time (2023-11-14)');
    // A folder left by an import whose process died (a pid that no longer exists) is cleaned up.
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const stale = path.join(store.runsDir, `.import-${dead}-0-${IMPORT_HOST_TAG}`);
    fs.mkdirSync(stale);
    const other = path.join(store.runsDir, `.import-${dead}-0-otherhost`);
    fs.mkdirSync(other);
    await importMlflow(store, path.join(FIXTURES, 'mlruns/diffusers/examples/controlnet/mlruns'));
    assert.equal(fs.existsSync(stale), false);
    assert.equal(fs.existsSync(other), true, 'folders of other hosts are left alone');
  });
});

describe('MLflow file store import: 0.x to 3.x layouts', () => {
  test('meta.yaml of every version, metric lines of 2, 3, 5 and 6 fields, nested keys, inputs', async () => {
    const root = writeVariedStore();
    const store = newStore();
    const report = await importMlflow(store, root);
    assert.deepEqual(report.warnings, []);
    assert.deepEqual(report.runs, { found: 3, created: 2, updated: 0, skipped: 1 });
    const runs = byRunId(store);

    const old = store.getRun(runs.get('a0000000000000000000000000000001')!.id);
    assert.equal(old.experiment, 'Default');
    assert.equal(old.name, 'old-style');
    assert.equal(old.status, 'failed');
    assert.equal(old.script, 'train.py');
    assert.equal(old.tags['mlflow.user'], 'alice');
    assert.equal(old.tags['mlflow.experiment_id'], '0');
    assert.deepEqual(old.params, { lr: 0.01 });
    assert.equal(
      old.tags['runlens.artifact_uri'],
      path.join(root, '0', 'a0000000000000000000000000000001', 'artifacts'),
    );
    const loss = readSeries(store.metricsFile(old.id), 'loss').series;
    assert.deepEqual(loss.steps, [0, 0, 0]);
    assert.ok(Number.isNaN(loss.values[1]));
    assert.deepEqual([loss.values[0], loss.values[2]], [0.5, 0.25]);
    assert.equal(old.summary!.loss.min, 0.25);

    const r3 = store.getRun(runs.get('b0000000000000000000000000000002')!.id);
    assert.equal(r3.experiment, 'team/vision');
    assert.equal(r3.tags['mlflow.experiment_id'], '123456789012345678', 'all 18 digits kept');
    assert.equal(r3.name, '1e3', 'a quoted name stays text');
    assert.deepEqual(r3.params, { 'optimizer/name': 'adam', epochs: 10, flag: 'True' });
    assert.equal(r3.tags['team/owner'], 'vision');
    const vl = readSeries(store.metricsFile(r3.id), 'val/loss').series;
    assert.deepEqual(vl.values, [1e-5, Infinity, -Infinity, -Infinity, Infinity, 2500, -0]);
    assert.deepEqual(vl.steps, [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(vl.times[6], 1750000007000);
    assert.deepEqual(r3.inputs, [
      { path: 'mlflow-dataset:train_ds', size: 0, sha256: '9a8b7c6d' },
      { path: 'mlflow-dataset:eval_ds', size: 0, sha256: '3f2a1b9c' },
    ]);
    assert.equal(r3.summary!['val/loss'].max, Infinity);
    assert.equal(r3.summary!['val/loss'].min, -Infinity);
    assert.equal(r3.summary!['val/loss'].last, 0); // run.json is JSON: -0 reads back as 0
  });

  test('deleted runs are skipped unless includeDeleted, then tagged runlens.deleted=true', async () => {
    const root = writeVariedStore();
    const store = newStore();
    await importMlflow(store, root);
    assert.equal(byRunId(store).has('c0000000000000000000000000000003'), false);
    const report = await importMlflow(store, root, { includeDeleted: true });
    assert.equal(report.runs.created, 1);
    const run = store.getRun(byRunId(store).get('c0000000000000000000000000000003')!.id);
    assert.equal(run.tags['runlens.deleted'], 'true');
    assert.equal(run.status, 'killed');
    assert.equal(run.tags['runlens.artifact_uri'], undefined, 'artifacts on s3 are not a local path');
  });

  test('copyArtifacts copies the artifacts into the run instead of referring to them', async () => {
    const root = writeVariedStore();
    const store = newStore();
    await importMlflow(store, root, { copyArtifacts: true });
    const run = store.getRun(byRunId(store).get('a0000000000000000000000000000001')!.id);
    assert.equal(
      fs.readFileSync(path.join(store.runDir(run.id), 'artifacts', 'model.txt'), 'utf8'),
      'weights',
    );
    assert.equal(run.tags['runlens.artifact_uri'], undefined);
  });

  test('a folder holding mlruns/ is accepted; a folder with no store is refused clearly', async () => {
    const parent = tempDir();
    fs.cpSync(
      path.join(FIXTURES, 'mlruns/diffusers/examples/controlnet/mlruns'),
      path.join(parent, 'mlruns'),
      {
        recursive: true,
      },
    );
    const report = await importMlflow(newStore(), parent);
    assert.equal(report.runs.created, 1);
    await assert.rejects(importMlflow(newStore(), tempDir()), /no MLflow store/);
  });

  test('malformed metric lines and meta.yaml are skipped with the file, line and offset named', async () => {
    const root = writeVariedStore();
    const file = path.join(root, '0', 'a0000000000000000000000000000001', 'metrics', 'loss');
    fs.writeFileSync(
      file,
      '1540000001000 0.5 0\n1540000001500 0.5 1 extra\n1540000002000 0x10 1\n1540000003000 0.25 2\n',
    );
    fs.writeFileSync(
      path.join(root, '123456789012345678', 'c0000000000000000000000000000003', 'meta.yaml'),
      'run_id: [unclosed\n',
    );
    const store = newStore();
    const report = await importMlflow(store, root);
    const w = report.warnings.map((x) => ({
      file: path.relative(root, x.file),
      line: x.line,
      offset: x.offset,
    }));
    assert.deepEqual(w, [
      {
        file: '123456789012345678/c0000000000000000000000000000003/meta.yaml',
        line: undefined,
        offset: undefined,
      },
      { file: '0/a0000000000000000000000000000001/metrics/loss', line: 2, offset: 20 },
      { file: '0/a0000000000000000000000000000001/metrics/loss', line: 3, offset: 46 },
    ]);
    assert.match(report.warnings[1].message, /4 fields, expected 2, 3, 5 or 6/);
    assert.match(report.warnings[2].message, /value is not a number: "0x10"/);
    const run = store.getRun(byRunId(store).get('a0000000000000000000000000000001')!.id);
    assert.equal(run.summary!.loss.count, 2);
  });
});

/**
 * An mlflow.db built here with sql.js from MLflow's schema (test/fixtures/importers/mlflow-sqlite):
 * made by this test, not by MLflow (no real mlflow.db could be found to copy).
 */
async function buildMlflowDb(file: string): Promise<void> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  db.exec(fs.readFileSync(path.join(FIXTURES, 'mlflow-sqlite', 'schema.sql'), 'utf8'));
  db.run("INSERT INTO alembic_version VALUES ('4465047574b1')");
  db.run(
    "INSERT INTO experiments VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active', 1700000000000, 1700000000000)",
  );
  db.run(
    "INSERT INTO experiments VALUES (1, 'cv/resnet', './mlruns/1', 'active', 1700000000100, 1700000000100)",
  );
  db.run("INSERT INTO experiments VALUES (2, 'old', './mlruns/2', 'deleted', 1700000000200, 1700000000200)");
  const run = (
    id: string,
    exp: number,
    name: string,
    status: string,
    start: number,
    end: number | null,
    stage = 'active',
  ) =>
    db.run('INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      id,
      name,
      'LOCAL',
      'train.py',
      '',
      'dave',
      status,
      start,
      end,
      '',
      stage,
      `./mlruns/${exp}/${id}/artifacts`,
      exp,
      null,
    ]);
  run('d0000000000000000000000000000001', 1, 'resnet-a', 'FINISHED', 1700000001000, 1700000009000);
  run('d0000000000000000000000000000002', 1, 'resnet-b', 'RUNNING', 1700000002000, null);
  run('d0000000000000000000000000000003', 1, 'resnet-c', 'KILLED', 1700000003000, 1700000004000, 'deleted');
  run('d0000000000000000000000000000004', 2, 'in-deleted-exp', 'FAILED', 1700000005000, 1700000006000);
  const param = (run: string, k: string, v: string) =>
    db.run('INSERT INTO params VALUES (?, ?, ?)', [k, v, run]);
  param('d0000000000000000000000000000001', 'lr', '0.001');
  param('d0000000000000000000000000000001', 'model/depth', '50');
  param('d0000000000000000000000000000002', 'lr', '0.01');
  const tag = (run: string, k: string, v: string) => db.run('INSERT INTO tags VALUES (?, ?, ?)', [k, v, run]);
  tag('d0000000000000000000000000000001', 'mlflow.runName', 'resnet-a');
  tag('d0000000000000000000000000000001', 'mlflow.user', 'dave');
  tag('d0000000000000000000000000000002', 'mlflow.runName', 'resnet-b');
  const metric = (run: string, k: string, v: number, ts: number, step: number) => {
    // As MLflow's SqlAlchemyStore stores them: NaN as 0 with is_nan, infinities as the largest double.
    const isNan = Number.isNaN(v) ? 1 : 0;
    const stored = isNan
      ? 0
      : v === Infinity
        ? 1.7976931348623157e308
        : v === -Infinity
          ? -1.7976931348623157e308
          : v;
    db.run('INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)', [k, stored, ts, run, step, isNan]);
  };
  for (let s = 0; s < 25; s++)
    metric('d0000000000000000000000000000001', 'loss', 1 / (s + 1), 1700000001000 + s * 100, s);
  metric('d0000000000000000000000000000001', 'val/acc', NaN, 1700000008000, 0);
  metric('d0000000000000000000000000000001', 'val/acc', Infinity, 1700000008100, 1);
  metric('d0000000000000000000000000000001', 'val/acc', 0.875, 1700000008200, 2);
  for (let s = 0; s < 3; s++) metric('d0000000000000000000000000000002', 'loss', 2 - s, 1700000002000 + s, s);
  metric('d0000000000000000000000000000003', 'loss', 5, 1700000003500, 0);
  db.run(
    'INSERT INTO latest_metrics SELECT key, value, max(timestamp), max(step), is_nan, run_uuid FROM metrics GROUP BY key, run_uuid',
  );
  db.run(
    "INSERT INTO datasets VALUES ('ds-1', 1, 'imagenet-mini', 'e5f6a7b8', 'local', '{\"uri\": \"/data/imagenet\"}', NULL, NULL)",
  );
  db.run("INSERT INTO inputs VALUES ('in-1', 'DATASET', 'ds-1', 'RUN', 'd0000000000000000000000000000001')");
  fs.writeFileSync(file, Buffer.from(db.export()));
  db.close();
}

describe('MLflow SQLite store import (sql.js)', () => {
  test('reads experiments, runs, params, tags, every metric point and inputs from mlflow.db', async () => {
    const dir = tempDir();
    const dbFile = path.join(dir, 'mlflow.db');
    await buildMlflowDb(dbFile);
    fs.mkdirSync(path.join(dir, 'mlruns', '1', 'd0000000000000000000000000000001', 'artifacts'), {
      recursive: true,
    });
    const store = newStore();
    const report = await importMlflow(store, dir); // the folder holding mlflow.db
    assert.equal(report.source, 'mlflow-sqlite');
    assert.deepEqual(report.warnings, []);
    assert.deepEqual(report.experiments, { found: 3, created: 1, skipped: 2 });
    assert.deepEqual(report.runs, { found: 4, created: 2, updated: 0, skipped: 2 });
    assert.equal(report.points, 25 + 3 + 3);
    const runs = byRunId(store);
    const a = store.getRun(runs.get('d0000000000000000000000000000001')!.id);
    assert.equal(a.experiment, 'cv/resnet');
    assert.equal(a.name, 'resnet-a');
    assert.equal(a.status, 'finished');
    assert.equal(a.startTime, 1700000001000);
    assert.equal(a.endTime, 1700000009000);
    assert.deepEqual(a.params, { lr: 0.001, 'model/depth': 50 });
    assert.deepEqual(a.tags, {
      'mlflow.runName': 'resnet-a',
      'mlflow.user': 'dave',
      'mlflow.run_id': 'd0000000000000000000000000000001',
      'mlflow.experiment_id': '1',
      'runlens.artifact_uri': path.join(dir, 'mlruns', '1', 'd0000000000000000000000000000001', 'artifacts'),
    });
    assert.equal(a.script, 'train.py');
    assert.deepEqual(a.inputs, [{ path: 'mlflow-dataset:imagenet-mini', size: 0, sha256: 'e5f6a7b8' }]);
    assert.deepEqual(
      {
        count: a.summary!.loss.count,
        last: a.summary!.loss.last,
        min: a.summary!.loss.min,
        max: a.summary!.loss.max,
      },
      { count: 25, last: 1 / 25, min: 1 / 25, max: 1 },
    );
    const acc = readSeries(store.metricsFile(a.id), 'val/acc').series;
    assert.ok(Number.isNaN(acc.values[0]));
    assert.deepEqual(acc.values.slice(1), [Infinity, 0.875]);
    const b = store.getRun(runs.get('d0000000000000000000000000000002')!.id);
    assert.equal(b.status, 'running');
    assert.equal(b.pid, null);
    assert.equal(b.host, '');
    assert.equal(b.tags['mlflow.user'], 'dave', 'from runs.user_id');

    const again = await importMlflow(store, dbFile);
    assert.equal(again.runs.created, 0);
    assert.equal(store.listRuns().entries.length, 2);

    const withDeleted = await importMlflow(newStore(), dbFile, { includeDeleted: true });
    assert.equal(withDeleted.runs.created, 4);
  });

  test('refuses a file that is not an SQLite database, and one that is not MLflow', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'x.db'), 'hello');
    await assert.rejects(importMlflow(newStore(), path.join(dir, 'x.db')), /not an SQLite database/);
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    db.exec('CREATE TABLE t (a)');
    fs.writeFileSync(path.join(dir, 'other.db'), Buffer.from(db.export()));
    await assert.rejects(
      importMlflow(newStore(), path.join(dir, 'other.db')),
      /not an MLflow tracking database/,
    );
  });
});
