// Two stores push to one server at the same time, into the same new experiment: both land whole.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { appendLines } from '../../src/core/store/fsutil';
import { formatPoint } from '../../src/core/store/metrics';
import { Store } from '../../src/core/store/store';
import { cliAsync, tempDir } from '../helpers/tmp';
import { assertPushed } from '../helpers/syncCompare';
import { mlflowServer, readBack } from '../helpers/mlflowServer';

function exited(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

async function storeWithRuns(experiment: string, who: string): Promise<Store> {
  const store = Store.open(path.join(tempDir(`runlens-${who}-`), '.runlens'), { create: true });
  for (let r = 0; r < 4; r++) {
    const run = store.createRun({ experiment, name: `${who}-${r}`, params: { seed: r, who }, pid: null });
    const t0 = Date.now();
    const lines: string[] = [];
    for (let s = 0; s < 1500; s++) {
      for (const key of ['loss', 'acc']) {
        lines.push(
          formatPoint({ key, value: Math.sin(s + r) + (key === 'acc' ? 1 : 0), step: s, time: t0 + s }),
        );
      }
    }
    appendLines(store.metricsFile(run.id), lines);
    await store.updateRun(run.id, (x) => ((x.status = 'finished'), (x.endTime = t0 + 2000)));
  }
  return store;
}

describe('two stores pushing at once', { timeout: 600_000 }, () => {
  test('both land whole in one experiment', async () => {
    const server = await mlflowServer();
    const experiment = `shared-${process.pid}-${Date.now()}`;
    const stores = [await storeWithRuns(experiment, 'ann'), await storeWithRuns(experiment, 'bob')];
    const results = await Promise.all(
      stores.map((s) =>
        exited(
          cliAsync(['--store', s.dir, 'sync', 'push', '--all', '--to', server.uri, '--json'], {
            cwd: s.root,
          }),
        ),
      ),
    );
    const experimentIds = new Set<string>();
    for (const [i, r] of results.entries()) {
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      assert.equal(report.runs.length, 4);
      const back = readBack(
        server,
        report.runs.map((x: { mlflowRunId: string }) => x.mlflowRunId),
      );
      for (const run of report.runs) {
        experimentIds.add(run.experimentId);
        assert.equal(assertPushed(stores[i], run.runId, back[run.mlflowRunId]), 3000);
      }
    }
    assert.equal(experimentIds.size, 1, 'one experiment, created once');
  });
});
