// `runlens reproduce` over real git repositories and real training processes: the quickstart's
// Node (TensorFlow.js) and Python (scikit-learn) scripts, a changed input, a recorded diff that no
// longer applies, a run without git, and a script that seeds itself from the clock.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { patchFiles } from '../../../src/core/repro/diff';
import { REPRODUCES_TAG, ReproduceError, reproduceRun } from '../../../src/core/repro/reproduce';
import { Store } from '../../../src/core/store/store';
import { cli, tempDir } from '../../helpers/tmp';
import { copyQuickstart, git, newRepo, quiet, track, worktrees, write } from '../../helpers/gitRepo';

const PYTHON = '/usr/bin/python3';

/** A script that logs one metric from a seed read from the clock and one that is always the same. */
const CLOCK_SCRIPT = `const run = require('runlens').init({ params: { steps: 10 } });
const seed = Number(process.hrtime.bigint() % 1000003n);
let x = seed;
for (let i = 0; i < 10; i++) x = (x * 1103515245 + 12345) % 2147483648;
run.log({ score: 0.9 + (x / 2147483648) * 0.01, steps: run.params.steps });
run.finish();
`;

test('the quickstart Node script, run with an uncommitted change, reproduces', async () => {
  const { dir, store } = newRepo(copyQuickstart());
  // An uncommitted change (fewer epochs): the recorded diff has to be applied to get the same run.
  const params = JSON.parse(fs.readFileSync(path.join(dir, 'params.json'), 'utf8'));
  write(dir, { 'params.json': JSON.stringify({ ...params, epochs: 6 }) });
  const original = await track(store, dir, [process.execPath, 'train.js']);
  assert.equal(original.git?.dirty, true);
  assert.equal(original.params.epochs, 6);
  git(dir, 'checkout', '--', 'params.json');

  const r = await reproduceRun(store, original.id, quiet);
  assert.equal(r.verdict, 'reproduced', JSON.stringify(r.metrics));
  assert.equal(r.diffApplied, true);
  assert.equal(r.reason, null);
  assert.deepEqual(
    r.metrics.map((m) => m.metric),
    ['acc', 'loss', 'val_acc', 'val_loss'],
  );
  assert.ok(r.metrics.every((m) => m.within && m.reproduction !== null));
  assert.deepEqual(r.inputs, [
    {
      path: 'data/breast_cancer.csv',
      recorded: original.inputs[0].sha256,
      current: original.inputs[0].sha256,
      status: 'same',
      from: 'commit',
      file: r.inputs[0].file,
    },
  ]);
  const repro = store.getRun(r.run.id);
  assert.equal(repro.tags[REPRODUCES_TAG], original.id);
  assert.equal(repro.tags['tfjs.backend'], original.tags['tfjs.backend']);
  assert.equal(repro.params.epochs, 6);
  assert.equal(repro.summary?.loss.count, 6);
  // Recorded where the original ran, with its inputs under the same paths.
  assert.equal(repro.cwd, original.cwd);
  assert.equal(repro.script, 'train.js');
  assert.deepEqual(repro.inputs, original.inputs);
  assert.equal(repro.git?.commit, original.git?.commit);
  // The temporary worktree is gone, in git's list and on disk.
  assert.equal(worktrees(dir).length, 1);
  assert.equal(fs.existsSync(path.dirname(r.inputs[0].file)), false);
  assert.ok(r.timings.runMs > 0 && r.timings.totalMs >= r.timings.prepareMs + r.timings.runMs);
});

test('the quickstart Python script reproduces with its recorded params', async () => {
  const { dir, store } = newRepo(copyQuickstart());
  const original = await track(store, dir, [PYTHON, 'train_sklearn.py'], {
    params: { n_estimators: 15, learning_rate: 0.2 },
  });
  const r = await reproduceRun(store, original.id, quiet);
  assert.equal(r.verdict, 'reproduced', JSON.stringify(r.metrics));
  assert.equal(r.diffApplied, false);
  assert.deepEqual(
    r.metrics.map((m) => m.metric),
    ['loss', 'val_acc', 'val_auc', 'val_loss'],
  );
  const repro = store.getRun(r.run.id);
  assert.equal(repro.params.n_estimators, 15);
  assert.equal(repro.summary?.loss.count, 15);
  // The Python client recorded the interpreter and its packages both times: no difference here.
  assert.ok(repro.environment.python && repro.environment.pythonPackages);
  assert.deepEqual(r.environment, []);
  assert.equal(worktrees(dir).length, 1);
});

test('an input that changed since the run is named, and the reproduction stops unless told to go on', async () => {
  const { dir, store } = newRepo(
    {
      'train.js': `const fs = require('node:fs');
const run = require('runlens').init();
const rows = fs.readFileSync('data/rows.csv', 'utf8').trim().split('\\n').slice(1).map(Number);
run.log({ mean: rows.reduce((a, b) => a + b, 0) / rows.length });
run.finish();
`,
    },
    ['data/'],
  );
  write(dir, { 'data/rows.csv': 'x\n1\n2\n3\n' });
  const original = await track(store, dir, [process.execPath, 'train.js'], { inputs: ['data/rows.csv'] });
  assert.equal(original.summary?.mean.last, 2);
  write(dir, { 'data/rows.csv': 'x\n1\n2\n3\n10\n' });

  await assert.rejects(reproduceRun(store, original.id, quiet), (e: unknown) => {
    assert.ok(e instanceof ReproduceError);
    assert.equal(e.reason, 'inputs-changed');
    assert.match(e.message, /data\/rows\.csv: sha256 [0-9a-f]{12}, recorded [0-9a-f]{12}/);
    assert.equal(e.inputs[0].status, 'changed');
    assert.equal(e.inputs[0].from, 'workspace');
    return true;
  });
  assert.equal(worktrees(dir).length, 1);
  assert.equal(fs.readdirSync(store.runsDir).length, 1, 'nothing was started');

  let asked: string[] = [];
  const r = await reproduceRun(store, original.id, {
    ...quiet,
    onInputsChanged: (changed) => ((asked = changed.map((c) => c.path)), true),
  });
  assert.deepEqual(asked, ['data/rows.csv']);
  assert.equal(r.verdict, 'not reproduced');
  assert.equal(r.metrics[0].metric, 'mean');
  assert.equal(r.metrics[0].reproduction, 4);
  assert.equal(worktrees(dir).length, 1);
});

/** Logs the sum of weights.bin's bytes: a metric that depends on a binary file. */
const BINARY_SCRIPT = `const fs = require('node:fs');
const run = require('runlens').init();
run.log({ weight_sum: [...fs.readFileSync('weights.bin')].reduce((a, b) => a + b, 0) });
run.finish();
`;

test('a changed binary file is in the recorded diff (git diff --binary): the run reproduces with it', async () => {
  const { dir, store } = newRepo({
    'train.js': BINARY_SCRIPT,
    'weights.bin': Buffer.from([0, 1, 2, 3, 0, 255]),
  });
  write(dir, { 'weights.bin': Buffer.from([0, 9, 9, 9, 0, 255]) });
  const original = await track(store, dir, [process.execPath, 'train.js']);
  assert.equal(original.git?.dirty, true);
  assert.equal(original.summary?.weight_sum.last, 282);
  const diff = fs.readFileSync(path.join(store.runDir(original.id), original.git!.diffArtifact!), 'utf8');
  assert.match(diff, /^GIT binary patch$/m);
  git(dir, 'checkout', '--', 'weights.bin');
  const r = await reproduceRun(store, original.id, quiet);
  assert.equal(r.verdict, 'reproduced', JSON.stringify(r.metrics));
  assert.equal(r.diffApplied, true);
  assert.equal(store.getRun(r.run.id).summary?.weight_sum.last, 282);
  // The reproduction ran the same code: the same commit and the same uncommitted (binary) diff.
  const d = cli(['diff', original.id, r.run.id], { cwd: dir });
  assert.equal(d.status, 0, d.stderr);
  assert.match(d.stdout, /\ncode: same \(commit [0-9a-f]{12}, same uncommitted diff\)\n/);
  assert.deepEqual(patchFiles(diff), [{ file: 'weights.bin', added: null, removed: null }]);
});

test('a recorded diff that no longer applies gets its reason, and nothing runs', async () => {
  const { dir, store } = newRepo({
    'train.js': BINARY_SCRIPT,
    'weights.bin': Buffer.from([0, 1, 2, 3, 0, 255]),
  });
  write(dir, { 'weights.bin': Buffer.from([0, 9, 9, 9, 0, 255]) });
  const original = await track(store, dir, [process.execPath, 'train.js']);
  // Runs recorded before diffs were taken with --binary hold "Binary files ... differ", which git
  // cannot apply: such a record, as `git diff HEAD` wrote it.
  fs.writeFileSync(
    path.join(store.runDir(original.id), original.git!.diffArtifact!),
    git(dir, 'diff', 'HEAD'),
  );
  await assert.rejects(reproduceRun(store, original.id, quiet), (e: unknown) => {
    assert.ok(e instanceof ReproduceError);
    assert.equal(e.reason, 'diff-does-not-apply');
    assert.match(e.message, /no longer applies to commit [0-9a-f]{12}/);
    assert.match(e.message, /weights\.bin/);
    return true;
  });
  assert.equal(worktrees(dir).length, 1);
  assert.equal(fs.readdirSync(store.runsDir).length, 1);
});

test('untracked files are named in the record and in the report; an untracked input is not among them', async () => {
  const { dir, store } = newRepo({
    'src/train.js': `const fs = require('node:fs');
const run = require('runlens').init();
run.log({ rows: fs.readFileSync('../data/extra.csv', 'utf8').trim().split('\\n').length });
run.finish();
`,
  });
  write(dir, {
    'notes.txt': 'not committed\n',
    'src/helper.js': 'module.exports = 2;\n',
    'data/extra.csv': 'a\n1\n2\n',
  });
  // Started in a subfolder: the names are still from the repository's top.
  const original = await track(store, path.join(dir, 'src'), [process.execPath, 'train.js'], {
    inputs: ['../data/extra.csv'],
  });
  assert.equal(original.git?.dirty, false);
  assert.deepEqual(original.git?.untracked, ['data/extra.csv', 'notes.txt', 'src/helper.js']);
  assert.equal(original.git?.untrackedCount, undefined);
  const progress: string[] = [];
  const r = await reproduceRun(store, original.id, { ...quiet, onProgress: (m) => progress.push(m) });
  assert.equal(r.verdict, 'reproduced', JSON.stringify(r.metrics));
  assert.deepEqual(r.untracked, ['notes.txt', 'src/helper.js']);
  assert.equal(r.untrackedCount, 2);
  assert.ok(
    progress.some((m) =>
      /^warning: 2 file\(s\) were untracked when run \S+ ran; .*: notes\.txt, src\/helper\.js$/.test(m),
    ),
    progress.join('\n'),
  );
  // The reproduction's record: its input was linked in, not an untracked file of its own.
  assert.equal(store.getRun(r.run.id).git?.untracked, undefined);
  const out = cli(['reproduce', original.id], { cwd: dir });
  assert.equal(out.status, 0, out.stderr);
  assert.match(
    out.stdout,
    /\nuntracked when the original ran \(not in its record, so not in the reproduction\): 2 file\(s\)\n {2}notes\.txt\n {2}src\/helper\.js\n/,
  );
});

test('a run recorded without git gets a clear reason', async () => {
  const ws = fs.realpathSync(tempDir());
  fs.writeFileSync(path.join(ws, 'train.js'), "require('runlens').init().log({ a: 1 });\n");
  const store = Store.open(path.join(ws, '.runlens'), { create: true });
  const original = await track(store, ws, [process.execPath, 'train.js']);
  assert.equal(original.git, null);
  await assert.rejects(reproduceRun(store, original.id, quiet), (e: unknown) => {
    assert.ok(e instanceof ReproduceError);
    assert.equal(e.reason, 'no-git');
    assert.match(e.message, /recorded without git: .* was not in a git repository/);
    return true;
  });
});

test('a script seeding from the clock is not reproduced, and the metric is named; a tolerance in runlens.yaml accepts it', async () => {
  const { dir, store } = newRepo({ 'train.js': CLOCK_SCRIPT });
  const original = await track(store, dir, [process.execPath, 'train.js']);
  const r = await reproduceRun(store, original.id, quiet);
  assert.equal(r.verdict, 'not reproduced');
  assert.equal(r.reason, null);
  const score = r.metrics.find((m) => m.metric === 'score');
  const steps = r.metrics.find((m) => m.metric === 'steps');
  assert.ok(score && steps);
  assert.equal(score.within, false);
  assert.ok(score.delta !== null && score.delta !== 0 && Math.abs(score.delta) < 0.01);
  assert.ok(score.relative !== null && score.relative > 1e-6);
  assert.equal(steps.within, true);

  // Through the CLI (a real process): the verdict line, the metric named with its delta, exit code 1.
  const out = cli(['reproduce', original.id], { cwd: dir });
  assert.equal(out.status, 1, out.stderr);
  assert.match(out.stdout, /^NOT REPRODUCED: run \w+ reproduces /);
  assert.match(
    out.stdout,
    /\n {2}score: 0\.9\d* -> 0\.9\d* \(delta -?\d\.\d{3}e-\d+, relative \d\.\d{3}e-\d+, tolerance rel 1e-6\)/,
  );
  assert.doesNotMatch(out.stdout, /\n {2}steps:/);

  // The score may move by 0.01 (absolute) per runlens.yaml; --tolerance sets the rest.
  write(dir, { 'runlens.yaml': 'reproduce:\n  metrics:\n    score: { absolute: 0.01 }\n' });
  const ok = cli(['reproduce', original.id, '--tolerance', '0', '--json'], { cwd: dir });
  assert.equal(ok.status, 0, ok.stderr);
  const json = JSON.parse(ok.stdout);
  assert.equal(json.verdict, 'reproduced');
  assert.deepEqual(json.tolerance, { relative: 0, absolute: 0 });
  assert.match(json.policy, /runlens\.yaml \(reproduce\)$/);
  assert.equal(worktrees(dir).length, 1);
});

test('the CLI stops on a changed input with exit code 2 and names it; --force goes on', async () => {
  const { dir, store } = newRepo({ 'train.js': "require('runlens').init().log({ a: 1 });\n" }, ['data.csv']);
  write(dir, { 'data.csv': 'a\n1\n' });
  const original = await track(store, dir, [process.execPath, 'train.js'], { inputs: ['data.csv'] });
  write(dir, { 'data.csv': 'a\n2\n' });
  const stop = cli(['reproduce', original.id], { cwd: dir });
  assert.equal(stop.status, 2, stop.stderr);
  assert.match(
    stop.stderr,
    /cannot reproduce: input of run \w+ changed since it ran:\n {2}data\.csv: sha256 /,
  );
  assert.match(stop.stderr, /fix: .*--force/);
  const go = cli(['reproduce', original.id, '--force'], { cwd: dir });
  assert.equal(go.status, 0, go.stderr);
  assert.match(go.stderr, /warning: going on with changed inputs/);
  assert.match(go.stdout, /^REPRODUCED/);
  assert.match(go.stdout, /data\.csv: CHANGED/);
});

test('metrics an evaluation added after the run ended are named and left out of the verdict', async () => {
  const script = `const run = require('runlens').init();\nrun.log({ score: 0.75 });\nrun.finish();\n`;
  const { dir, store } = newRepo({ 'train.js': script });
  const original = await track(store, dir, [process.execPath, 'train.js']);
  // What a pipeline's evaluate stage does: `runlens eval` logs eval/... onto the trained run.
  write(dir, { 'preds.csv': 'label,prediction\n1,1\n0,1\n1,1\n0,0\n' });
  const ev = cli(['eval', 'preds.csv', '--run', original.id], { cwd: dir });
  assert.equal(ev.status, 0, ev.stderr);
  assert.ok(store.getRun(original.id).summary?.['eval/accuracy']);

  const r = await reproduceRun(store, original.id, quiet);
  assert.equal(r.verdict, 'reproduced', JSON.stringify(r.metrics));
  assert.deepEqual(
    r.metrics.map((m) => m.metric),
    ['score'],
  );
  assert.ok(r.laterMetrics.includes('eval/accuracy'), r.laterMetrics.join());
  assert.ok(
    r.laterMetrics.every((k) => k.startsWith('eval/')),
    r.laterMetrics.join(),
  );
  const out = cli(['reproduce', original.id], { cwd: dir });
  assert.equal(out.status, 0, out.stderr);
  assert.match(
    out.stdout,
    /\nnot compared, added to the original after its program ended \(an evaluation\): eval\/accuracy, /,
  );
});
