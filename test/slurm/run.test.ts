import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { waitFor } from '../helpers/tmp';
import { ls, lsUntil, runIds, runRecord, runlens, slurmUp, workspace } from '../helpers/slurm';

const node = os.hostname().split('.')[0];

describe('runs on a real Slurm cluster', () => {
  before(slurmUp);

  test('a tracked run on Slurm end to end: queued with its job id, client and stdout metrics, output.log', async () => {
    const ws = workspace();
    const r = runlens(ws, [
      'run',
      '--on',
      'slurm',
      '--time',
      '5',
      '--cpus',
      '1',
      '-p',
      'lr=0.5',
      '--',
      'python3',
      'train.py',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const [id] = runIds(ws);
    const run = runRecord(ws, id);
    assert.equal(run.status, 'finished');
    assert.equal(run.exitCode, 0);
    assert.match(r.stderr, new RegExp(`run ${id} .*Slurm job ${run.job!.id}`));
    assert.equal(run.job?.scheduler, 'slurm');
    assert.equal(run.job?.state, 'COMPLETED');
    assert.equal(run.job?.settled, true);
    assert.equal(run.job?.node, node);
    assert.equal(run.job?.timeLimit, 300);
    assert.deepEqual(run.job?.resources, { time: '5', cpus: 1 });
    // Slurm reports StartTime in whole seconds, the submit time is in milliseconds.
    assert.ok(
      run.job!.startTime! >= Math.floor(run.job!.submitTime / 1000) * 1000,
      'started after it was submitted',
    );
    // The client on the compute node wrote the points; the param reached the script.
    assert.equal(run.params.lr, 0.5);
    assert.equal(run.summary?.lr_seen.last, 0.5);
    assert.equal(run.summary?.loss.count, 3);
    assert.ok(Math.abs(run.summary!.loss.last - 1 / 3 / 0.5) < 1e-9);
    // The program's output went to output.log, and the CLI printed it as it came.
    const out = fs.readFileSync(path.join(ws, '.runlens', 'runs', id, 'output.log'), 'utf8');
    assert.match(out, new RegExp(`epoch 2 on ${node}`));
    assert.match(r.stdout, /epoch 0 on/);
    const listed = ls(ws).find((e) => e.id === id)!;
    assert.equal(listed.status, 'finished');

    // Metrics printed by a program without a client are read from its output on the node.
    const p = runlens(ws, ['run', '--on', 'slurm', '--', process.execPath, 'printer.js']);
    assert.equal(p.status, 0, p.stderr);
    const printed = ls(ws).find((e) => e.id !== id)!;
    assert.equal(printed.status, 'finished');
    assert.equal(printed.metrics.loss.count, 4);
    assert.equal(printed.metrics.loss.last, 0.25);
  });

  test('submitted with --detach: the run exists at once as queued or running with its job id; ls follows it', async () => {
    const ws = workspace();
    const r = runlens(ws, ['run', '--on', 'slurm', '--detach', '--', 'python3', 'train.py'], {
      EPOCH_SECONDS: '1',
    });
    assert.equal(r.status, 0, r.stderr);
    const [id] = runIds(ws);
    const run = runRecord(ws, id);
    assert.ok(['queued', 'running'].includes(run.status), run.status);
    assert.match(run.job!.id, /^\d+$/);
    assert.equal(run.job?.user, os.userInfo().username);
    assert.equal(run.pid, null, 'no process on this machine owns it');
    await lsUntil(ws, id, ['running']);
    const done = await lsUntil(ws, id, ['finished']);
    assert.equal(done.metrics.loss.count, 3);
  });

  test('system metrics on the node every 5 s, and none with --no-system-metrics', () => {
    const ws = workspace();
    const sleep = ['--', 'python3', '-c', 'import time; time.sleep(7)'];
    const on = runlens(ws, ['run', '--on', 'slurm', '--time', '5', ...sleep]);
    assert.equal(on.status, 0, on.stderr);
    const [sampledId] = runIds(ws);
    const off = runlens(ws, ['run', '--on', 'slurm', '--time', '5', '--no-system-metrics', ...sleep]);
    assert.equal(off.status, 0, off.stderr);
    const quietId = runIds(ws).find((id) => id !== sampledId)!;
    const systemKeys = (id: string) =>
      Object.keys(runRecord(ws, id).summary ?? {}).filter((k) => k.startsWith('system/'));
    assert.ok(
      systemKeys(sampledId).includes('system/memory_rss_mb'),
      `sampled on the node: ${systemKeys(sampledId)}`,
    );
    assert.deepEqual(systemKeys(quietId), []);
  });

  test('a failing job: failed with its exit code', () => {
    const ws = workspace();
    const r = runlens(ws, ['run', '--on', 'slurm', '--', 'python3', 'train.py'], { EXIT_CODE: '3' });
    assert.equal(r.status, 3, r.stderr);
    const run = runRecord(ws, runIds(ws)[0]);
    assert.equal(run.status, 'failed');
    assert.equal(run.exitCode, 3);
    assert.equal(run.job?.state, 'FAILED');
    assert.equal(run.summary?.loss.count, 3, 'its metrics are kept');
    assert.match(r.stderr, /failed \(exit code 3\)/);
  });

  test('a command that does not exist: failed, and the reason is in output.log', () => {
    const ws = workspace();
    const r = runlens(ws, ['run', '--on', 'slurm', '--', 'no-such-program-x']);
    assert.equal(r.status, 127, r.stderr);
    const id = runIds(ws)[0];
    assert.equal(runRecord(ws, id).status, 'failed');
    assert.match(
      fs.readFileSync(path.join(ws, '.runlens', 'runs', id, 'output.log'), 'utf8'),
      /could not start no-such-program-x/,
    );
  });

  test('sbatch refuses the job: an error naming the reason, the run failed with it in output.log', () => {
    const ws = workspace();
    const r = runlens(ws, [
      'run',
      '--on',
      'slurm',
      '--partition',
      'nosuchpartition',
      '--',
      'python3',
      'train.py',
    ]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /sbatch refused the job: .*partition/i);
    const id = runIds(ws)[0];
    assert.equal(runRecord(ws, id).status, 'failed');
    assert.match(
      fs.readFileSync(path.join(ws, '.runlens', 'runs', id, 'output.log'), 'utf8'),
      /not submitted: sbatch refused/,
    );
    // Bad resources are refused before anything is submitted.
    const bad = runlens(ws, ['run', '--on', 'slurm', '--mem', '4 G', '--', 'true']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /Slurm mem "4 G" is not valid/);
    const local = runlens(ws, ['run', '--gpus', '1', '--', 'true']);
    assert.equal(local.status, 2);
    assert.match(local.stderr, /--gpus applies to runs on a cluster/);
  });

  test('runlens cancel (scancel): a running job ends killed, with CANCELLED', async () => {
    const ws = workspace();
    const r = runlens(ws, ['run', '--on', 'slurm', '--detach', '--', 'python3', 'train.py'], {
      EPOCH_SECONDS: '60',
    });
    assert.equal(r.status, 0, r.stderr);
    const [id] = runIds(ws);
    await lsUntil(ws, id, ['running']);
    const output = path.join(ws, '.runlens', 'runs', id, 'output.log');
    await waitFor('the first epoch', () => fs.readFileSync(output, 'utf8').includes('epoch 0'), 30_000);
    const c = runlens(ws, ['cancel', id]);
    assert.equal(c.status, 0, c.stderr);
    await lsUntil(ws, id, ['killed']);
    const run = runRecord(ws, id);
    assert.equal(run.job?.state, 'CANCELLED');
    assert.equal(run.job?.settled, true);
    assert.equal(run.job?.reason, null);
    assert.ok(run.endTime !== null);
    assert.equal(run.summary?.loss.count, 1, 'the point logged before the cancel is kept');
    const again = runlens(ws, ['cancel', id]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already ended \(killed\)/);
  });

  test('Ctrl-C while the CLI follows a job cancels it', async () => {
    const ws = workspace();
    const { cliAsync } = await import('../helpers/tmp');
    const child = cliAsync(['run', '--on', 'slurm', '--', 'python3', 'train.py'], {
      cwd: ws,
      env: { RUNLENS_SLURM_POLL_MS: '200', EPOCH_SECONDS: '60' },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const [id] = await (
      await import('../helpers/tmp')
    ).waitFor('the run', () => runIds(ws).length === 1 && runIds(ws));
    await lsUntil(ws, id, ['running']);
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(runRecord(ws, id).status, 'killed', stderr);
    assert.notEqual(code, 0);
    assert.match(stderr, /killed/);
    assert.equal(
      spawnSync('squeue', ['-h', '-j', runRecord(ws, id).job!.id])
        .stdout.toString()
        .trim(),
      '',
    );
  });
});
