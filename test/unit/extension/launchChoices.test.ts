// The pure parts of launching training from the editor (src/extension/training/launchChoices.ts):
// the newest run of a script and the entry point order (typed values: test/unit/tracking/params.test.ts).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Store } from '../../../src/core/store/store';
import { lastRunOf, orderEntryPoints, recordedScript } from '../../../src/extension/training/launchChoices';

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
