import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { updateRunFileSync } from '../../src/core/store/runFile';
import { Store } from '../../src/core/store/store';
import { cliPath, waitFor } from '../helpers/tmp';
import { env, lsUntil, runIds, runRecord, slurmUp, workspace } from '../helpers/slurm';

function readable(ws: string, id: string) {
  try {
    return runRecord(ws, id);
  } catch {
    return undefined;
  }
}

/** `runlens run --on slurm` in the background, killed with SIGKILL once its job is running. */
async function launchAndKill(ws: string, extra: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, [cliPath, 'run', '--on', 'slurm', '--', 'python3', 'train.py'], {
    cwd: ws,
    env: { ...process.env, RUNLENS_STORE: '', ...env, ...extra },
    stdio: 'ignore',
  });
  const id = await waitFor('the run', () => runIds(ws)[0], 30_000);
  await waitFor('the job running', () => readable(ws, id)?.job?.state === 'RUNNING', 30_000);
  const gone = new Promise((resolve) => child.on('close', resolve));
  child.kill('SIGKILL');
  await gone;
  return id;
}

describe('reconciling cluster runs after the launching process is gone', () => {
  before(slurmUp);

  test('the launcher killed mid-run: the job goes on, and runlens ls finds it finished with its metrics', async () => {
    const ws = workspace();
    const id = await launchAndKill(ws, { EPOCH_SECONDS: '1' });
    assert.equal(runRecord(ws, id).status, 'running');
    const done = await lsUntil(ws, id, ['finished']);
    assert.equal(done.metrics.loss.count, 3);
    assert.equal(runRecord(ws, id).job?.state, 'COMPLETED');
  });

  test('the launcher killed, then the job cancelled outside Runlens: ls records it killed from the scheduler', async () => {
    const ws = workspace();
    const id = await launchAndKill(ws, { EPOCH_SECONDS: '60' });
    const job = runRecord(ws, id).job!;
    assert.equal(spawnSync('scancel', [job.id]).status, 0);
    await lsUntil(ws, id, ['killed']);
    const run = runRecord(ws, id);
    assert.equal(run.job?.state, 'CANCELLED');
    assert.equal(run.job?.settled, true);
    assert.ok(run.endTime !== null);
  });

  test("a job the scheduler does not know: crashed with the reason; another user's run is left alone", async () => {
    const ws = workspace();
    const store = Store.open(path.join(ws, '.runlens'), { create: true });
    const mk = (user: string) => {
      const run = store.createRun({ command: ['python3', 'train.py'], status: 'queued', pid: null });
      updateRunFileSync(store.runDir(run.id), (r) => {
        r.job = {
          scheduler: 'slurm',
          id: '99999999',
          user,
          state: 'PENDING',
          reason: null,
          node: null,
          submitTime: Date.now(),
          startTime: null,
          timeLimit: null,
          resources: {},
          settled: false,
        };
      });
      return run.id;
    };
    const mine = mk(os.userInfo().username);
    const theirs = mk('someone-else');
    const listed = await lsUntil(ws, mine, ['crashed']);
    assert.equal(listed.status, 'crashed');
    assert.equal(runRecord(ws, mine).job?.reason, 'the job left the scheduler with no end recorded');
    assert.equal(runRecord(ws, theirs).status, 'queued', "another user's job is theirs to reconcile");
    assert.equal(runRecord(ws, theirs).job?.settled, false);
  });
});
