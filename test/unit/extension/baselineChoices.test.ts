// The baseline picker's choices over a real store and registry: the candidate's experiment first.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Registry } from '../../../src/core/store/registry';
import { Store } from '../../../src/core/store/store';
import { baselineChoices } from '../../../src/extension/panels/baselineChoices';
import { tempDir } from '../../helpers/tmp';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the baseline picker lists the model versions and runs of the candidate experiment first', async () => {
  const store = Store.open(path.join(tempDir('runlens-baseline-choices-'), '.runlens'), { create: true });
  const make = async (experiment: string, name: string, metrics = true) => {
    const run = store.createRun({ experiment, name, status: 'finished', pid: null });
    if (metrics)
      fs.appendFileSync(store.metricsFile(run.id), '{"key":"val_acc","value":0.9,"step":1,"time":1}\n');
    await sleep(5); // distinct start times
    return run;
  };
  const mnistOld = await make('mnist', 'mnist old');
  const cifar = await make('cifar', 'cifar run');
  const mnistNoMetrics = await make('mnist', 'mnist validate-data', false);
  const mnistNew = await make('mnist', 'mnist new');
  const candidate = await make('mnist', 'candidate');
  const cifarNewest = await make('cifar', 'cifar newest');
  for (const run of [cifar, mnistOld]) store.addArtifact(run.id, 'model/model.json', '{"modelTopology":{}}');
  const registry = new Registry(store);
  await registry.register('cifar-net', cifar.id);
  await registry.register('mnist-net', mnistOld.id);

  const { same, other } = baselineChoices(store.listRuns({}).entries, registry.listModels(), candidate);
  assert.deepEqual(
    same.map((c) => c.ref),
    ['mnist-net@v1', mnistNew.id, mnistOld.id, mnistNoMetrics.id],
  );
  assert.deepEqual(
    other.map((c) => c.ref),
    ['cifar-net@v1', cifarNewest.id, cifar.id],
  );
  assert.equal(same.find((c) => c.ref === mnistNoMetrics.id)!.description, 'mnist · finished · no metrics');
  assert.ok(!same.some((c) => c.ref === candidate.id), 'the candidate is not its own baseline');
});
