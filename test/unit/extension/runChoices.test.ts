// The pure parts of the Experiments view's run commands (src/extension/runs/runChoices.ts), over
// entries read back from a real store on disk.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Store } from '../../../src/core/store/store';
import { ORIGIN_TAG } from '../../../src/core/sync/push';
import {
  filterInputError,
  parseTagInput,
  remoteOrigin,
  runPickItems,
  sortChoices,
} from '../../../src/extension/runs/runChoices';

function tempStore(): Store {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-runchoices-'));
  return Store.open(path.join(dir, '.runlens'), { create: true });
}

test('one pick item per run names the run, its experiment and status, and carries the run reference', () => {
  const store = tempStore();
  const a = store.createRun({ experiment: 'mnist', name: 'lr sweep 1', status: 'finished' });
  const b = store.createRun({ experiment: 'cifar', name: 'baseline' });
  const entries = store.listRuns().entries;
  const items = runPickItems(entries.map((entry) => ({ folder: 'file:///ws', entry })));
  const byId = new Map(items.map((i) => [i.detail, i]));
  assert.deepEqual(byId.get(a.id), {
    label: 'lr sweep 1',
    description: 'mnist · finished',
    detail: a.id,
    node: { kind: 'run', folder: 'file:///ws', id: a.id },
  });
  assert.equal(byId.get(b.id)?.description, 'cifar · running');
  assert.deepEqual(runPickItems([]), []);
});

test('a filter query that does not parse is refused with its first line; plain text is a search', () => {
  assert.equal(filterInputError(''), undefined);
  assert.equal(filterInputError('resnet'), undefined);
  assert.equal(filterInputError("metrics.acc > 0.5 and params.opt = 'adam'"), undefined);
  const bad = filterInputError('metrics.acc > ');
  assert.ok(bad, 'an unfinished comparison is an error');
  assert.ok(!bad.includes('\n'), bad);
});

test('sort choices: start time and name, then every metric once in both directions, sorted', () => {
  const choices = sortChoices(['val_loss', 'acc', 'val_loss']);
  assert.deepEqual(
    choices.map((c) => c.value),
    ['-start', 'start', 'name', '-metrics.acc', 'metrics.acc', '-metrics.val_loss', 'metrics.val_loss'],
  );
  assert.equal(choices[3].label, 'acc (highest first)');
  assert.equal(choices[4].label, 'acc (lowest first)');
  assert.equal(sortChoices([]).length, 3);
});

test('a tag is key=value with = allowed in the value, or a bare word', () => {
  assert.deepEqual(parseTagInput(' team = vision '), { key: 'team', value: 'vision' });
  assert.deepEqual(parseTagInput('query=a=b'), { key: 'query', value: 'a=b' });
  assert.deepEqual(parseTagInput('keeper'), { key: 'keeper', value: '' });
});

test('a run pulled from a team server names its origin; a local run has none', () => {
  assert.equal(remoteOrigin({ [ORIGIN_TAG]: 'http://mlflow:5000' }), 'http://mlflow:5000');
  assert.equal(remoteOrigin({ team: 'vision' }), undefined);
  assert.equal(remoteOrigin(undefined), undefined);
});
