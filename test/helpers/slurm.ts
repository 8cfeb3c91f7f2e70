// Shared by the tests that run against a real Slurm cluster (started by `npm test -- slurm`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunRecord } from '../../src/core/store/types';
import { cli, tempDir, waitFor } from './tmp';

/** Fast polls for tests: the watcher asks the scheduler every 0.2 s while something changes. */
export const env = { RUNLENS_SLURM_POLL_MS: '200' };

export function slurmUp(): void {
  const r = spawnSync('sinfo', ['-h', '-o', '%a'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `no Slurm cluster (start one with scripts/services/slurm-up.sh): ${r.stderr}`);
}

/** A workspace with a training script that logs through the Python client and prints a metric. */
export function workspace(): string {
  const ws = tempDir('runlens-slurm-');
  fs.writeFileSync(
    path.join(ws, 'train.py'),
    `import os, sys, time, runlens
run = runlens.init(params={"lr": 0.1, "epochs": 3})
lr = float(run.params["lr"])
for e in range(int(run.params["epochs"])):
    runlens.log({"loss": 1.0 / (e + 1) / lr, "lr_seen": lr}, step=e)
    print("epoch %d on %s" % (e, os.environ.get("SLURMD_NODENAME", "?")), flush=True)
    time.sleep(float(os.environ.get("EPOCH_SECONDS", "0.3")))
sys.exit(int(os.environ.get("EXIT_CODE", "0")))
`,
  );
  fs.writeFileSync(
    path.join(ws, 'printer.js'),
    `for (let e = 0; e < 4; e++) console.log('epoch ' + e + ' - loss: ' + (1 / (e + 1)).toFixed(4));`,
  );
  fs.mkdirSync(path.join(ws, '.runlens'));
  return ws;
}

export function runlens(ws: string, args: string[], extra: NodeJS.ProcessEnv = {}) {
  return cli(args, { cwd: ws, env: { ...env, ...extra } });
}

export function runRecord(ws: string, id: string): RunRecord {
  return JSON.parse(fs.readFileSync(path.join(ws, '.runlens', 'runs', id, 'run.json'), 'utf8')) as RunRecord;
}

export function runIds(ws: string): string[] {
  const dir = path.join(ws, '.runlens', 'runs');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => !d.startsWith('.')) : [];
}

export interface Listed {
  id: string;
  status: string;
  tags: Record<string, string>;
  params: Record<string, unknown>;
  metrics: Record<string, { last: number; count: number }>;
}

export function ls(ws: string): Listed[] {
  const r = runlens(ws, ['ls', '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Listed[];
}

/** `runlens ls` until the run reaches one of `statuses` (each ls reconciles with Slurm). */
export async function lsUntil(
  ws: string,
  id: string,
  statuses: string[],
  timeoutMs = 60_000,
): Promise<Listed> {
  let last: Listed | undefined;
  try {
    return await waitFor(
      `run ${id} to be ${statuses.join('/')}`,
      () => {
        last = ls(ws).find((e) => e.id === id);
        return last && statuses.includes(last.status) ? last : undefined;
      },
      timeoutMs,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; last seen: ${JSON.stringify(last)}`, { cause: e });
  }
}

/** Job ids of the array `arrayId` currently RUNNING, from squeue. */
export function runningTasks(arrayId: string): string[] {
  const r = spawnSync('squeue', ['-h', '-r', '-j', arrayId, '-t', 'RUNNING', '-o', '%i'], {
    encoding: 'utf8',
  });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}
