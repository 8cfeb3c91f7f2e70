// multiprocessing.Pool workers log into their parent's run. They leave with os._exit (no atexit),
// so the Python client must flush them another way; a real Pool, real python3.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { scanMetrics } from '../../../src/core/store/metrics';
import { Store } from '../../../src/core/store/store';
import { repoRoot, tempDir } from '../../helpers/tmp';

const N = 2000;

for (const ending of ['with', 'close-join'] as const) {
  test(
    `Pool workers' points all reach metrics.jsonl (pool ended by ${ending === 'with' ? 'the with block: terminate()' : 'close() and join()'})`,
    { timeout: 120_000, skip: process.platform === 'win32' },
    () => {
      const ws = fs.realpathSync(tempDir('runlens-pool-'));
      const store = Store.open(path.join(ws, '.runlens'), { create: true });
      const body =
        ending === 'with'
          ? `with ctx.Pool(4) as pool:\n    print(sum(pool.map(work, range(${N}), chunksize=50)))`
          : `pool = ctx.Pool(4)\nprint(sum(pool.map(work, range(${N}), chunksize=50)))\npool.close()\npool.join()`;
      fs.writeFileSync(
        path.join(ws, 'train.py'),
        `import multiprocessing as mp, runlens
run = runlens.init()
def work(i):
    runlens.log({"worker": float(i)}, step=i)
    return 1
ctx = mp.get_context("fork")
${body}
run.log({"parent": 1.0})
`,
      );
      const r = spawnSync('python3', ['train.py'], {
        cwd: ws,
        encoding: 'utf8',
        timeout: 100_000,
        env: {
          ...process.env,
          PYTHONPATH: path.join(repoRoot, 'clients', 'python'),
          PYTHONDONTWRITEBYTECODE: '1',
          RUNLENS_STORE: '',
          RUNLENS_RUN_DIR: '',
          RUNLENS_PARAMS: '',
          RUNLENS_EXPERIMENT: '',
        },
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), String(N));
      assert.doesNotMatch(r.stderr, /Traceback/);
      const [e] = store.listRuns().entries;
      const steps = new Set<number>();
      const scan = scanMetrics(store.metricsFile(e.id), (p) => {
        if (p.key === 'worker') steps.add(p.step);
      });
      assert.deepEqual(scan.warnings, []);
      assert.equal(steps.size, N, `${N - steps.size} of ${N} worker points lost`);
      const run = store.getRun(e.id);
      assert.equal(run.status, 'finished');
      assert.equal(run.summary?.worker.count, N, 'the summary folds the workers points');
    },
  );
}
