import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { runIds, runRecord, runlens, slurmUp, workspace } from '../helpers/slurm';

describe('a job that exceeds its time limit', () => {
  before(slurmUp);

  test('ends crashed with the reason TIMEOUT, its metrics kept (takes the 1-minute minimum limit)', () => {
    const ws = workspace();
    const r = runlens(
      ws,
      ['run', '--on', 'slurm', '--time', '1', '-p', 'epochs=1000', '--', 'python3', 'train.py'],
      {
        EPOCH_SECONDS: '1',
      },
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /crashed \(TIMEOUT\)/);
    const id = runIds(ws)[0];
    const run = runRecord(ws, id);
    assert.equal(run.status, 'crashed');
    assert.equal(run.job?.state, 'TIMEOUT');
    assert.equal(run.job?.reason, 'TIMEOUT');
    assert.equal(run.job?.timeLimit, 60);
    assert.ok(run.summary!.loss.count >= 30, `points kept: ${run.summary?.loss.count}`);
    const out = fs.readFileSync(path.join(ws, '.runlens', 'runs', id, 'output.log'), 'utf8');
    assert.match(out, /DUE TO TIME LIMIT/);
  });
});
