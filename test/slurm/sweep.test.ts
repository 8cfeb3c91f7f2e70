import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { before, describe, test } from 'node:test';
import { cliPath, waitFor } from '../helpers/tmp';
import {
  env,
  ls,
  lsUntil,
  runIds,
  runRecord,
  runlens,
  runningTasks,
  slurmUp,
  workspace,
} from '../helpers/slurm';

/** Run a sweep through the CLI while sampling squeue: the most array tasks seen running at once. */
async function sweepWatchingConcurrency(ws: string, concurrency: number) {
  const child = spawn(
    process.execPath,
    [
      cliPath,
      'sweep',
      '--on',
      'slurm',
      '-c',
      String(concurrency),
      '-p',
      'lr=0.1,0.2,0.3,0.4',
      '--',
      'python3',
      'train.py',
    ],
    {
      cwd: ws,
      env: { ...process.env, RUNLENS_STORE: '', ...env, EPOCH_SECONDS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const arrayId = await waitFor('the array job id', () => /Slurm array (\d+)/.exec(stderr)?.[1], 30_000);
  let most = 0;
  let closed = false;
  void exited.then(() => (closed = true));
  while (!closed) {
    most = Math.max(most, runningTasks(arrayId).length);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { code: await exited, stderr, arrayId, most };
}

describe('sweeps as Slurm job arrays', () => {
  before(slurmUp);

  test('a 4-task array with throttle 2: never more than 2 running, each task its own run tagged with the sweep', async () => {
    const ws = workspace();
    const { code, stderr, arrayId, most } = await sweepWatchingConcurrency(ws, 2);
    assert.equal(code, 0, stderr);
    assert.equal(most, 2, 'two tasks ran at once, and never more');
    const runs = runIds(ws).map((id) => runRecord(ws, id));
    assert.equal(runs.length, 4);
    const sweep = runs[0].tags.sweep;
    assert.match(sweep, /^sweep-/);
    assert.deepEqual(runs.map((r) => r.params.lr).sort(), [0.1, 0.2, 0.3, 0.4]);
    for (const r of runs) {
      assert.equal(r.status, 'finished');
      assert.equal(r.tags.sweep, sweep);
      assert.equal(r.job?.sweep, sweep);
      assert.match(r.job!.id, new RegExp(`^${arrayId}_[0-3]$`));
      assert.equal(r.summary?.lr_seen.last, r.params.lr, 'each task ran with its own params');
    }
  });

  test('without a throttle the cluster runs more than 2 at once (the throttle above is what held them)', async () => {
    const ws = workspace();
    const { code, stderr, most } = await sweepWatchingConcurrency(ws, 4);
    assert.equal(code, 0, stderr);
    assert.ok(most > 2, `at most ${most} ran at once`);
  });

  test('cancelling the sweep cancels the array: running and pending tasks end killed', async () => {
    const ws = workspace();
    const r = runlens(
      ws,
      ['sweep', '--on', 'slurm', '--detach', '-c', '1', '-p', 'lr=1,2,3', '--', 'python3', 'train.py'],
      {
        EPOCH_SECONDS: '60',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const ids = runIds(ws);
    assert.equal(ids.length, 3);
    const sweep = runRecord(ws, ids[0]).tags.sweep;
    await waitFor('one task running', () => ls(ws).some((e) => e.status === 'running'), 30_000);
    const queued = ls(ws).filter((e) => e.status === 'queued');
    assert.equal(queued.length, 2, 'two tasks wait behind the throttle');
    const reason = runRecord(ws, queued[0].id).job?.reason;
    assert.ok(reason === 'JobArrayTaskLimit' || reason === null, `pending reason ${reason}`);
    const c = runlens(ws, ['cancel', sweep]);
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /cancelled Slurm job \d+$/m);
    for (const id of ids) await lsUntil(ws, id, ['killed']);
    assert.ok(ids.every((id) => runRecord(ws, id).job?.state === 'CANCELLED'));
  });
});
