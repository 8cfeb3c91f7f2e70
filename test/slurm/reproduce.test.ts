// `runlens reproduce --on slurm` on a real Slurm cluster: the quickstart's runs, recorded on this
// machine, are reproduced as batch jobs from a worktree in the store (which the node shares); the
// verdict comes when the job ends, and the worktree is gone after.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { REPRODUCES_TAG, REPRODUCE_WORKTREES_DIR, reproduceRun } from '../../src/core/repro/reproduce';
import { SlurmLauncher } from '../../src/core/slurm/launcher';
import { copyQuickstart, git, newRepo, quiet, track, worktrees, write } from '../helpers/gitRepo';
import { env, slurmUp } from '../helpers/slurm';
import { cli } from '../helpers/tmp';

const node = os.hostname().split('.')[0];
const PYTHON = '/usr/bin/python3';

/** The store's worktree folder holds nothing once a reproduction is over. */
function leftovers(storeDir: string): string[] {
  const dir = path.join(storeDir, REPRODUCE_WORKTREES_DIR);
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

describe('reproduce on a real Slurm cluster', () => {
  before(slurmUp);

  test('the quickstart Node script with an uncommitted change: reproduced as a Slurm job (CLI)', async () => {
    const { dir, store } = newRepo(copyQuickstart());
    const params = JSON.parse(fs.readFileSync(path.join(dir, 'params.json'), 'utf8'));
    write(dir, { 'params.json': JSON.stringify({ ...params, epochs: 6 }) });
    const original = await track(store, dir, [process.execPath, 'train.js']);
    assert.equal(original.git?.dirty, true);
    git(dir, 'checkout', '--', 'params.json');

    const r = cli(['reproduce', original.id, '--on', 'slurm', '--time', '10', '--json'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      verdict: string;
      target: string;
      job: string;
      run: string;
      diffApplied: boolean;
      metrics: { metric: string; within: boolean }[];
      timings: { prepareMs: number; runMs: number; totalMs: number; queueMs?: number };
    };
    assert.equal(out.verdict, 'reproduced', r.stdout);
    assert.equal(out.target, 'slurm');
    assert.match(out.job, /^\d+$/);
    assert.equal(out.diffApplied, true);
    assert.deepEqual(
      out.metrics.map((m) => [m.metric, m.within]),
      [
        ['acc', true],
        ['loss', true],
        ['val_acc', true],
        ['val_loss', true],
      ],
    );
    assert.equal(typeof out.timings.queueMs, 'number');
    // The job ran the reproduction on the node; the run is linked to the original, recorded at
    // its folder, with the job's record.
    const repro = store.getRun(out.run);
    assert.equal(repro.tags[REPRODUCES_TAG], original.id);
    assert.equal(repro.status, 'finished');
    assert.equal(repro.job?.id, out.job);
    assert.equal(repro.job?.state, 'COMPLETED');
    assert.equal(repro.job?.node, node);
    assert.deepEqual(repro.job?.resources, { time: '10' });
    assert.equal(repro.cwd, original.cwd);
    assert.equal(repro.params.epochs, 6);
    // The program's output came to the terminal (stderr with --json) from output.log.
    assert.match(r.stderr, new RegExp(`as Slurm job ${out.job}`));
    assert.match(r.stderr, /val_acc/);
    assert.deepEqual(worktrees(dir).length, 1);
    assert.deepEqual(leftovers(store.dir), []);

    // The text report names the job and the queue time.
    const t = cli(['reproduce', original.id, '--on', 'slurm'], { cwd: dir, env });
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /^REPRODUCED: run \S+ reproduces .* on Slurm \(job \d+\)$/m);
    assert.match(t.stdout, /timings: prepare [\d.]+ s .*, run [\d.]+ s \([\d.]+ s of it queued\), total/);
  });

  test('the quickstart Python script, run on Slurm, is reproduced with the resources its job had', async () => {
    const { dir, store } = newRepo(copyQuickstart());
    const first = cli(
      [
        'run',
        '--on',
        'slurm',
        '--cpus',
        '1',
        '--time',
        '9',
        '-p',
        'n_estimators=12',
        '--',
        PYTHON,
        'train_sklearn.py',
      ],
      { cwd: dir, env },
    );
    assert.equal(first.status, 0, first.stderr);
    const [original] = store.listRuns().entries;
    assert.equal(original.status, 'finished');
    const r = cli(['reproduce', original.id, '--on', 'slurm', '--json'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { verdict: string; run: string; metrics: { metric: string }[] };
    assert.equal(out.verdict, 'reproduced', r.stdout);
    assert.deepEqual(
      out.metrics.map((m) => m.metric),
      ['loss', 'val_acc', 'val_auc', 'val_loss'],
    );
    const repro = store.getRun(out.run);
    assert.deepEqual(repro.job?.resources, { cpus: 1, time: '9' });
    assert.equal(repro.params.n_estimators, 12);
    assert.equal(repro.summary?.loss.count, 12);
    assert.deepEqual(leftovers(store.dir), []);
  });

  test('a script seeded from the clock: not reproduced on Slurm, the metric named (core)', async () => {
    const { dir, store } = newRepo({
      'clock.js': `const run = require('runlens').init({ params: { steps: 10 } });
const seed = Number(process.hrtime.bigint() % 1000003n);
run.log({ score: 0.9 + (seed / 1000003) * 0.01, steps: run.params.steps });
run.finish();
`,
    });
    const original = await track(store, dir, [process.execPath, 'clock.js']);
    const output: Buffer[] = [];
    const launcher = new SlurmLauncher({
      resources: { time: '5' },
      watcher: { minIntervalMs: 200, maxIntervalMs: 1000 },
    });
    const r = await reproduceRun(store, original.id, { ...quiet, launcher, onOutput: (c) => output.push(c) });
    assert.equal(r.verdict, 'not reproduced');
    assert.equal(r.target, 'slurm');
    assert.equal(r.reason, null);
    assert.deepEqual(
      r.metrics.filter((m) => !m.within).map((m) => m.metric),
      ['score'],
    );
    assert.ok(r.metrics.find((m) => m.metric === 'steps')?.within);
    assert.equal(store.getRun(r.run.id).job?.state, 'COMPLETED');
    assert.deepEqual(leftovers(store.dir), []);
    assert.equal(worktrees(dir).length, 1);
  });
});
