import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { RunlensError } from '../../../src/core/errors';
import { IMPORT_MARKER_TAG } from '../../../src/core/importers/common';
import { importMlflow } from '../../../src/core/importers/mlflow';
import { Store } from '../../../src/core/store/store';
import { tempDir } from '../../helpers/tmp';

const RUN_A = 'a0000000000000000000000000000001'; // artifact_uri points outside the mlruns tree
const RUN_B = 'b0000000000000000000000000000002'; // local artifacts with symlinks out
const STATUS = { RUNNING: 1, FINISHED: 3 } as const;

/** An mlruns tree at T/mlruns, with folders outside it at T/outside and T/secret. */
function mlruns(status: keyof typeof STATUS = 'FINISHED') {
  const t = tempDir('runlens-mlflow-hard-');
  const root = path.join(t, 'mlruns');
  const outside = path.join(t, 'outside');
  const secret = path.join(t, 'secret');
  fs.mkdirSync(outside);
  fs.mkdirSync(secret);
  fs.writeFileSync(path.join(secret, 'id_rsa'), 'PRIVATE');
  fs.writeFileSync(path.join(outside, 'stolen.txt'), 'not part of any run');
  const w = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  w(
    '0/meta.yaml',
    `artifact_location: file://${root}/0\nexperiment_id: '0'\nlifecycle_stage: active\nname: Default\n`,
  );
  const meta = (id: string, uri: string) =>
    [
      `artifact_uri: ${uri}`,
      status === 'RUNNING' ? 'end_time: null' : 'end_time: 1750000100000',
      "experiment_id: '0'",
      'lifecycle_stage: active',
      `run_id: ${id}`,
      `run_name: run-${id[0]}`,
      `run_uuid: ${id}`,
      'start_time: 1750000000000',
      `status: ${STATUS[status]}`,
      'user_id: alice',
      '',
    ].join('\n');
  w(`0/${RUN_A}/meta.yaml`, meta(RUN_A, `file://${outside}`));
  w(`0/${RUN_A}/metrics/loss`, '1750000001000 0.5 0\n');
  w(`0/${RUN_B}/meta.yaml`, meta(RUN_B, `file://${root}/0/${RUN_B}/artifacts`));
  w(`0/${RUN_B}/metrics/loss`, '1750000001000 0.5 0\n');
  w(`0/${RUN_B}/artifacts/model.txt`, 'weights');
  w(`0/${RUN_B}/artifacts/sub/inner.txt`, 'inner');
  fs.symlinkSync(secret, path.join(root, '0', RUN_B, 'artifacts', 'dirlink'));
  fs.symlinkSync(path.join(secret, 'id_rsa'), path.join(root, '0', RUN_B, 'artifacts', 'sub', 'filelink'));
  return { t, root, outside, secret };
}

function newStore(): Store {
  return Store.open(path.join(tempDir(), '.runlens'), { create: true });
}

function runOf(store: Store, mlflowId: string) {
  const e = store.listRuns().entries.find((x) => x.tags['mlflow.run_id'] === mlflowId);
  assert.ok(e, mlflowId);
  return store.getRun(e.id);
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).map((d) => {
    const full = path.join(d.parentPath, d.name);
    return path.relative(dir, full) + (d.isSymbolicLink() ? '@' : d.isDirectory() ? '/' : '');
  });
}

describe('MLflow import --copy-artifacts stays inside what was imported', () => {
  test('an artifact_uri outside the imported tree is not copied (a warning says why)', async () => {
    const { root } = mlruns();
    const store = newStore();
    const report = await importMlflow(store, root, { copyArtifacts: true });
    const a = runOf(store, RUN_A);
    assert.deepEqual(fs.readdirSync(path.join(store.runDir(a.id), 'artifacts')), []);
    assert.ok(
      report.warnings.some((w) => /outside/.test(w.message) && w.message.includes('--artifacts-root')),
      JSON.stringify(report.warnings),
    );
  });

  test('naming another root lets artifacts under it be copied', async () => {
    const { t, root } = mlruns();
    const store = newStore();
    await importMlflow(store, root, { copyArtifacts: true, artifactsRoot: t });
    const a = runOf(store, RUN_A);
    assert.equal(
      fs.readFileSync(path.join(store.runDir(a.id), 'artifacts', 'stolen.txt'), 'utf8'),
      'not part of any run',
    );
  });

  test('symlinks are never copied; files and folders are', async () => {
    const { root } = mlruns();
    const store = newStore();
    const report = await importMlflow(store, root, { copyArtifacts: true });
    const b = runOf(store, RUN_B);
    const art = path.join(store.runDir(b.id), 'artifacts');
    assert.deepEqual(walk(art).sort(), ['model.txt', 'sub/', path.join('sub', 'inner.txt')].sort());
    assert.equal(report.warnings.filter((w) => /symbolic link/.test(w.message)).length, 2);
  });

  test('an artifact is never written through a symlink inside the run', () => {
    const { secret } = mlruns();
    const store = newStore();
    const run = store.createRun();
    fs.symlinkSync(secret, path.join(store.runDir(run.id), 'artifacts', 'dirlink'));
    assert.throws(
      () => store.addArtifact(run.id, 'dirlink/zz.txt', 'x'),
      (e: unknown) => e instanceof RunlensError && /symbolic link/.test(e.message),
    );
    assert.throws(() => store.addArtifact(run.id, '../run.json', 'x'), RunlensError);
    assert.deepEqual(fs.readdirSync(secret), ['id_rsa']);
  });

  test('importing again over a run whose artifacts hold a symlink completes and clears the marker', async () => {
    const { root, secret } = mlruns('RUNNING');
    const store = newStore();
    await importMlflow(store, root, { copyArtifacts: true });
    const b = runOf(store, RUN_B);
    const art = path.join(store.runDir(b.id), 'artifacts');
    // What an older import left: symlinks in the run's artifacts.
    fs.rmSync(path.join(art, 'dirlink'), { force: true });
    fs.rmSync(path.join(art, 'sub', 'filelink'), { force: true });
    fs.symlinkSync(secret, path.join(art, 'dirlink'));
    fs.symlinkSync(path.join(secret, 'id_rsa'), path.join(art, 'sub', 'filelink'));
    fs.appendFileSync(path.join(root, '0', RUN_B, 'metrics', 'loss'), '1750000002000 0.25 1\n');
    await importMlflow(store, root, { copyArtifacts: true });
    const again = store.getRun(b.id);
    assert.equal(again.tags[IMPORT_MARKER_TAG], undefined, 'not left tagged incomplete');
    const entry = store.listRuns().entries.find((e) => e.id === b.id)!;
    assert.equal(entry.metrics.loss.count, 2);
    assert.deepEqual(walk(art).sort(), ['model.txt', 'sub/', path.join('sub', 'inner.txt')].sort());
    assert.deepEqual(fs.readdirSync(secret), ['id_rsa']);
    assert.equal(fs.readFileSync(path.join(secret, 'id_rsa'), 'utf8'), 'PRIVATE');
  });
});
