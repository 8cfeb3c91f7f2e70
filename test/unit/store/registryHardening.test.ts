import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { RunlensError } from '../../../src/core/errors';
import { resolveSource } from '../../../src/core/serving/package';
import { Registry } from '../../../src/core/store/registry';
import { Store } from '../../../src/core/store/store';
import { tempDir } from '../../helpers/tmp';

/** A run with artifacts/model/{model.json,weights.bin} and artifacts/predictions.csv. */
function storeWithModelRun() {
  const store = Store.open(path.join(tempDir('runlens-registry-'), '.runlens'), { create: true });
  const run = store.createRun({ experiment: 'exp', name: 'trained', status: 'finished' });
  store.addArtifact(run.id, 'model/model.json', '{"modelTopology":{}}');
  store.addArtifact(run.id, 'model/weights.bin', 'w');
  store.addArtifact(run.id, 'predictions.csv', 'y_true,y_pred\n1,1\n');
  return { store, run, registry: new Registry(store) };
}

function tree(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
    .sort();
}

describe('model register writes a version whole or not at all', () => {
  test('a version folder left by a killed register is not inherited by the next version', async () => {
    const { store, run, registry } = storeWithModelRun();
    const v1 = await registry.register('churn', run.id);
    assert.deepEqual(v1.files, ['model/model.json', 'model/weights.bin']);
    // What a register killed after copying and before writing model.json leaves behind.
    const orphan = registry.versionDir('churn', 2);
    fs.mkdirSync(path.join(orphan, 'model'), { recursive: true });
    fs.writeFileSync(path.join(orphan, 'model', 'model.json'), '{"stale":true}');
    const v2 = await registry.register('churn', run.id, { files: ['artifacts/predictions.csv'] });
    assert.equal(v2.version, 2);
    assert.deepEqual(v2.files, ['predictions.csv']);
    assert.deepEqual(tree(registry.versionDir('churn', 2)), ['predictions.csv']);
    // Packaging follows the version's recorded files: v2 has no model, v1 has its own.
    assert.throws(
      () => resolveSource(store, 'churn@2'),
      (e: unknown) => e instanceof RunlensError && /churn@2/.test(e.message) && e.kind === 'notFound',
    );
    assert.equal(
      resolveSource(store, 'churn@1').modelDir,
      path.join(registry.versionDir('churn', 1), 'model'),
    );
  });

  test('no half-written version folder is ever visible, and no temporary folder stays', async () => {
    const { run, registry } = storeWithModelRun();
    await Promise.all([1, 2, 3, 4].map(() => registry.register('m', run.id)));
    const model = registry.getModel('m');
    assert.deepEqual(
      model.versions.map((v) => v.version),
      [1, 2, 3, 4],
    );
    assert.deepEqual(fs.readdirSync(path.join(registry.dir, 'm')).sort(), [
      'model.json',
      'v1',
      'v2',
      'v3',
      'v4',
    ]);
    for (const v of model.versions) assert.deepEqual(tree(registry.versionDir('m', v.version)), v.files);
  });

  test('packaging a version ships only its recorded files, not extra files found in its folder', async () => {
    const { store, run, registry } = storeWithModelRun();
    await registry.register('m', run.id);
    fs.writeFileSync(path.join(registry.versionDir('m', 1), 'model', 'planted.bin'), 'x');
    const src = resolveSource(store, 'm@1');
    assert.deepEqual([...(src.files ?? [])].sort(), ['model.json', 'weights.bin']);
  });
});
