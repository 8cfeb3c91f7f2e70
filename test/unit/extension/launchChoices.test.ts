// The pure parts of launching training from the editor (src/extension/training/launchChoices.ts):
// the newest run of a script and the entry point order (typed values: test/unit/tracking/params.test.ts).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { parseSinfo } from '../../../src/core/slurm/slurm';
import { Store } from '../../../src/core/store/store';
import {
  lastRunOf,
  orderEntryPoints,
  recordedScript,
  targetChoices,
  targetKey,
} from '../../../src/extension/training/launchChoices';

test('the newest run of a script gives the next defaults; other scripts and no script give none', async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-launch-'));
  const store = Store.open(path.join(folder, '.runlens'), { create: true });
  const script = path.join(folder, 'src', 'train.py');
  const older = store.createRun({ script: recordedScript(folder, script), params: { lr: 0.1 } });
  await store.updateRun(older.id, (r) => (r.startTime -= 60_000));
  const newer = store.createRun({ script: 'src/train.py', params: { lr: 0.01 } });
  store.createRun({ script: 'other.py', params: { lr: 1 } });
  const entries = store.listRuns().entries;
  assert.equal(recordedScript(folder, script), 'src/train.py');
  assert.equal(lastRunOf(entries, folder, script)?.id, newer.id);
  assert.deepEqual(lastRunOf(entries, folder, script)?.params, { lr: 0.01 });
  assert.equal(lastRunOf(entries, folder, path.join(folder, 'eval.py')), undefined);
  assert.equal(lastRunOf(entries, folder, undefined), undefined);
});

test('the entry point of the active editor comes first and is marked; the others keep their order', () => {
  const a = { label: 'a', script: '/ws/a_train.py' };
  const b = { label: 'b', script: '/ws/b_train.py' };
  const c: { label: string; script?: string } = { label: 'c' };
  assert.deepEqual(orderEntryPoints([a, b, c], '/ws/b_train.py'), [
    { entry: b, active: true },
    { entry: a, active: false },
    { entry: c, active: false },
  ]);
  assert.deepEqual(
    orderEntryPoints([a, c], undefined).map((x) => x.active),
    [false, false],
  );
});

describe('Launch Training targets', () => {
  // sinfo -h -o '%P|%a|%l|%D' as Slurm 22.05 prints it, parsed by the launcher's own parser
  const partitions = parseSinfo('cpu|up|1-00:00:00|12\ngpu*|up|4:00:00|1\nold|down|UNLIMITED|3\n');

  test('Local, then the default partition, then the others, each with what sinfo says', () => {
    const c = targetChoices(partitions, undefined);
    assert.deepEqual(
      c.map((x) => [x.label, x.description, targetKey(x.target)]),
      [
        ['$(vm) Local', 'this machine', 'local'],
        ['$(server) Slurm: gpu', 'default · 1 node · limit 4h00m', 'slurm:gpu'],
        ['$(server) Slurm: cpu', '12 nodes · limit 24h00m', 'slurm:cpu'],
        ['$(server) Slurm: old', 'down · 3 nodes · no time limit', 'slurm:old'],
      ],
    );
  });

  test('the last choice comes first; a choice that no longer exists changes nothing', () => {
    assert.deepEqual(
      targetChoices(partitions, 'slurm:cpu').map((x) => targetKey(x.target)),
      ['slurm:cpu', 'local', 'slurm:gpu', 'slurm:old'],
    );
    assert.deepEqual(
      targetChoices(partitions, 'slurm:gone').map((x) => targetKey(x.target)),
      ['local', 'slurm:gpu', 'slurm:cpu', 'slurm:old'],
    );
  });

  test('when sinfo fails, Slurm is still offered on the default partition, saying why', () => {
    const c = targetChoices({ error: 'sinfo failed: Unable to contact slurm controller' }, 'slurm:');
    assert.deepEqual(c[0].target, { kind: 'slurm' });
    assert.match(c[0].description, /partitions unknown: sinfo failed: Unable to contact/);
    assert.deepEqual(c[1].target, { kind: 'local' });
  });
});
