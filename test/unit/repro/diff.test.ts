// `runlens diff` over real git repositories and real runs: a params change, a code change (a new
// commit and an uncommitted diff) and a data change (a CSV input kept in git, shifted and grown).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffRuns, patchFiles } from '../../../src/core/repro/diff';
import { cli } from '../../helpers/tmp';
import { commitAll, newRepo, track, write } from '../../helpers/gitRepo';

const SCRIPT = `const fs = require('node:fs');
const run = require('runlens').init({ params: { lr: 0.1 } });
const rows = fs.readFileSync('data.csv', 'utf8').trim().split('\\n').slice(1);
run.log({ rows: rows.length, score: run.params.lr * 10 });
run.finish();
`;

/** n rows of x (0..1 spread, shifted by `shift`) and a category column; `extra` adds a column. */
function csv(n: number, shift: number, extra = false): string {
  const lines = [extra ? 'x,kind,z' : 'x,kind'];
  for (let i = 0; i < n; i++) {
    const x = ((i * 37) % 100) / 100 + shift;
    lines.push(`${x.toFixed(3)},${i % 3 === 0 ? 'a' : 'b'}${extra ? `,${i}` : ''}`);
  }
  return lines.join('\n') + '\n';
}

test('a params change: only the params and the metrics that follow them differ', async () => {
  const { dir, store } = newRepo({ 'train.js': SCRIPT, 'data.csv': csv(50, 0) });
  const a = await track(store, dir, [process.execPath, 'train.js'], { inputs: ['data.csv'] });
  const b = await track(store, dir, [process.execPath, 'train.js'], {
    inputs: ['data.csv'],
    params: { lr: 0.3 },
  });
  const d = await diffRuns(store, a.id, b.id);
  assert.deepEqual(d.params, [{ key: 'lr', a: 0.1, b: 0.3 }]);
  assert.equal(d.code.same, true);
  assert.deepEqual(
    d.inputs.map((i) => [i.path, i.status]),
    [['data.csv', 'same']],
  );
  assert.deepEqual(d.environment, []);
  const score = d.metrics.find((m) => m.key === 'score');
  assert.ok(score && Math.abs((score.delta ?? 0) - 2) < 1e-12 && Math.abs((score.relative ?? 0) - 2) < 1e-12);
  assert.equal(d.metrics.find((m) => m.key === 'rows')?.delta, 0);

  const out = cli(['diff', a.id, b.id], { cwd: dir });
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /\nparams:\n {2}lr: 0\.1 -> 0\.3\n/);
  assert.match(out.stdout, /\ncode: same \(commit [0-9a-f]{12}\)\n/);
  assert.match(out.stdout, /\nscore +1 +3 +\+2 +\+200\.00%/);
});

test('a code change: the files between the two commits and an uncommitted diff, with --patch', async () => {
  const { dir, store } = newRepo({ 'train.js': SCRIPT, 'data.csv': csv(50, 0) });
  const a = await track(store, dir, [process.execPath, 'train.js']);
  write(dir, {
    'train.js': SCRIPT.replace('run.params.lr * 10', 'run.params.lr * 20'),
    'util.js': 'module.exports = 1;\n',
  });
  commitAll(dir, 'double the score');
  write(dir, { 'train.js': SCRIPT.replace('run.params.lr * 10', 'run.params.lr * 30') });
  const b = await track(store, dir, [process.execPath, 'train.js']);
  const d = await diffRuns(store, a.id, b.id);
  assert.deepEqual(d.params, []);
  assert.equal(d.code.same, false);
  assert.equal(d.code.reason, null);
  assert.deepEqual(d.code.commits?.files, [
    { file: 'train.js', added: 1, removed: 1 },
    { file: 'util.js', added: 1, removed: 0 },
  ]);
  assert.match(
    d.code.commits?.patch ?? '',
    /^\+run\.log\(\{ rows: rows\.length, score: run\.params\.lr \* 20 \}\);$/m,
  );
  assert.equal(d.code.workingA.patch, '');
  assert.deepEqual(d.code.workingB.files, [{ file: 'train.js', added: 1, removed: 1 }]);
  assert.match(d.code.workingB.patch, /^\+.*run\.params\.lr \* 30/m);
  assert.equal(d.metrics.find((m) => m.key === 'score')?.b, 3);

  const out = cli(['diff', a.id, b.id, '--patch'], { cwd: dir });
  assert.equal(out.status, 0, out.stderr);
  assert.match(
    out.stdout,
    /\n {2}commits [0-9a-f]{12} -> [0-9a-f]{12}: 2 file\(s\) changed\n {4}train\.js {2}\+1 -1\n {4}util\.js {2}\+1 -0\n/,
  );
  assert.match(
    out.stdout,
    /\n {2}uncommitted in A: none\n {2}uncommitted in B: 1 file\(s\)\n {4}train\.js {2}\+1 -1\n/,
  );
  assert.match(out.stdout, /\n--- uncommitted in B\ndiff --git a\/train\.js b\/train\.js\n/);
});

test('a data change: the hash, the row count, the new column and the drift verdict', async () => {
  const { dir, store } = newRepo({ 'train.js': SCRIPT, 'data.csv': csv(200, 0) });
  const a = await track(store, dir, [process.execPath, 'train.js'], { inputs: ['data.csv'] });
  write(dir, { 'data.csv': csv(300, 0.5, true) });
  commitAll(dir, 'new data');
  const b = await track(store, dir, [process.execPath, 'train.js'], { inputs: ['data.csv'] });
  // The version run A read is only in git now: it is found there by its hash.
  const d = await diffRuns(store, a.id, b.id);
  const [input] = d.inputs;
  assert.equal(input.status, 'changed');
  assert.equal(input.note, undefined);
  assert.ok(input.table);
  assert.equal(input.table.a.rows, 200);
  assert.equal(input.table.b.rows, 300);
  assert.deepEqual(input.table.addedColumns, ['z']);
  assert.deepEqual(input.table.removedColumns, []);
  assert.deepEqual(input.table.drift?.drifted, ['x']);
  assert.equal(input.table.drift?.tested, 2);
  assert.equal(input.table.drift?.datasetDrift, true);
  assert.deepEqual(
    d.code.commits?.files.map((f) => f.file),
    ['data.csv'],
  );
  assert.equal(d.metrics.find((m) => m.key === 'rows')?.delta, 100);

  const out = cli(['diff', a.id, b.id], { cwd: dir });
  assert.equal(out.status, 0, out.stderr);
  assert.match(
    out.stdout,
    /\n {2}data\.csv: CHANGED, sha256 [0-9a-f]{12} -> [0-9a-f]{12}, \d+ -> \d+ bytes\n {4}rows 200 -> 300 \(\+100\)\n {4}columns \+z\n {4}drift: DATASET DRIFT, 1 of 2 columns drifted \(x\)/,
  );
});

test('a data file that is not UTF-8, in a folder named "..data", is found in git by its hash', async () => {
  // Latin-1 bytes (0xE9 is "é") in git: read as bytes, not as text; "..data" is inside the repository.
  const latin1 = (n: number) => Buffer.from(csv(n, 0).replace(/,a\n/g, ',caf\u00e9\n'), 'latin1');
  const script = SCRIPT.replace("'data.csv'", "'..data/data.csv'");
  const { dir, store } = newRepo({ 'train.js': script, '..data/data.csv': latin1(60) });
  const a = await track(store, dir, [process.execPath, 'train.js'], { inputs: ['..data/data.csv'] });
  write(dir, { '..data/data.csv': latin1(90) });
  commitAll(dir, 'more rows');
  const b = await track(store, dir, [process.execPath, 'train.js'], { inputs: ['..data/data.csv'] });
  const [input] = (await diffRuns(store, a.id, b.id)).inputs;
  assert.equal(input.path, '..data/data.csv');
  assert.equal(input.status, 'changed');
  assert.equal(input.note, undefined);
  assert.equal(input.table?.a.rows, 60);
  assert.equal(input.table?.b.rows, 90);
});

test('a data change kept out of git: the version run A read is gone, and the diff says so', async () => {
  const { dir, store } = newRepo({ 'train.js': SCRIPT }, ['data.csv']);
  write(dir, { 'data.csv': csv(100, 0) });
  const a = await track(store, dir, [process.execPath, 'train.js'], { inputs: ['data.csv'] });
  write(dir, { 'data.csv': csv(120, 0) });
  const b = await track(store, dir, [process.execPath, 'train.js'], { inputs: ['data.csv'] });
  const [lost] = (await diffRuns(store, a.id, b.id)).inputs;
  assert.equal(lost.status, 'changed');
  assert.equal(lost.table, undefined);
  assert.match(
    lost.note ?? '',
    /^the version run \w+ read \(sha256 [0-9a-f]{12}\) is neither on disk nor in either run's commit$/,
  );
});

test('patchFiles counts added and removed lines per file and marks binary files', () => {
  const patch = [
    'diff --git a/a.txt b/a.txt',
    '--- a/a.txt',
    '+++ b/a.txt',
    '@@ -1,2 +1,2 @@',
    '-old',
    '+new',
    '+more',
    'diff --git a/w.bin b/w.bin',
    'Binary files a/w.bin and b/w.bin differ',
  ].join('\n');
  assert.deepEqual(patchFiles(patch), [
    { file: 'a.txt', added: 2, removed: 1 },
    { file: 'w.bin', added: null, removed: null },
  ]);
});
