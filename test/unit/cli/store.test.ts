// `runlens experiments ls|rename|rm|restore`, `runlens artifacts ls|get` and `runlens gc`, as real
// CLI processes over a real store.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Store } from '../../../src/core/store/store';
import { cli, tempDir } from '../../helpers/tmp';

test('experiments: ls, rename, rm, restore; gc empties the trash after a dry run', () => {
  const ws = tempDir();
  const store = Store.open(path.join(ws, '.runlens'), { create: true });
  for (let i = 0; i < 5; i++) store.createRun({ experiment: i < 3 ? 'mnist' : 'cifar', status: 'finished' });
  const run = (args: string[]) => cli(args, { cwd: ws });
  const ls = () =>
    JSON.parse(run(['experiments', 'ls', '--json']).stdout) as { name: string; runs: number }[];
  assert.deepEqual(
    ls()
      .map((e) => [e.name, e.runs])
      .sort(),
    [
      ['cifar', 2],
      ['mnist', 3],
    ],
  );
  assert.equal(run(['experiments', 'rename', 'mnist', 'digits']).status, 0);
  const clash = run(['experiments', 'rename', 'digits', 'cifar']);
  assert.equal(clash.status, 1);
  assert.match(clash.stderr, /an experiment "cifar" already exists/);
  const typo = run(['experiments', 'rm', 'digit']);
  assert.equal(typo.status, 1);
  assert.match(typo.stderr, /no experiment "digit".*\n.*close names: digits/);
  assert.equal(run(['experiments', 'rm', 'digits']).status, 0);
  assert.deepEqual(
    ls().map((e) => e.name),
    ['cifar'],
  );
  assert.equal(run(['experiments', 'restore', 'digits']).status, 0);
  assert.deepEqual(
    ls()
      .map((e) => [e.name, e.runs])
      .sort(),
    [
      ['cifar', 2],
      ['digits', 3],
    ],
  );
  // Remove again, look at what gc would delete, then delete it.
  assert.equal(run(['experiments', 'rm', 'cifar']).status, 0);
  const dry = run(['gc', '--dry-run']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /would free \d+ bytes in 2 runs/);
  assert.equal(fs.readdirSync(store.trashDir).length, 2);
  const gc = run(['gc']);
  assert.match(gc.stdout, /freed \d+ bytes in 2 runs/);
  assert.equal(fs.readdirSync(store.trashDir).length, 0);
  assert.equal(run(['experiments', 'restore', 'cifar']).status, 1);
  assert.match(run(['gc']).stdout, /the trash is empty/);
});

test('artifacts: ls lists files under a run (or a folder), get copies one out, never outside', () => {
  const ws = tempDir();
  const store = Store.open(path.join(ws, '.runlens'), { create: true });
  const r = store.createRun({ name: 'trained' });
  store.addArtifact(r.id, 'model/weights.bin', Buffer.from([1, 2, 3]));
  store.addArtifact(r.id, 'config.json', '{"a":1}');
  const run = (args: string[]) => cli(args, { cwd: ws });
  assert.deepEqual(JSON.parse(run(['artifacts', 'ls', 'trained', '--json']).stdout), [
    { path: 'config.json', bytes: 7 },
    { path: 'model/weights.bin', bytes: 3 },
  ]);
  assert.deepEqual(JSON.parse(run(['artifacts', 'ls', 'trained', 'model', '--json']).stdout), [
    { path: 'model/weights.bin', bytes: 3 },
  ]);
  const got = run(['artifacts', 'get', 'trained', 'model', '-o', 'out/model']);
  assert.equal(got.status, 0, got.stderr);
  assert.deepEqual([...fs.readFileSync(path.join(ws, 'out', 'model', 'weights.bin'))], [1, 2, 3]);
  const again = run(['artifacts', 'get', 'trained', 'model', '-o', 'out/model']);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /exists; nothing was copied/);
  const escape = run(['artifacts', 'get', 'trained', '../run.json']);
  assert.equal(escape.status, 2);
  assert.match(escape.stderr, /is not a path inside/);
  assert.match(run(['artifacts', 'ls', 'trained', 'nope']).stderr, /no artifact "nope"/);
});
