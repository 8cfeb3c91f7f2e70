// The Node client's read calls (searchRuns, getRun, getMetricHistory) against runs the Python
// client wrote: both read the same store the same way.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { getMetricHistory, getRun, searchRuns } from '../../../clients/node/runlens';
import { repoRoot, tempDir } from '../../helpers/tmp';

test('searchRuns / getRun / getMetricHistory agree with the Python client on the same store', () => {
  const ws = tempDir();
  const store = path.join(ws, '.runlens');
  const r = spawnSync(
    'python3',
    [
      '-c',
      `import json, sys, runlens
for i in range(6):
    with runlens.init(params={"opt": "adam" if i % 2 else "sgd", "i": i}, store=sys.argv[1]) as run:
        for s in range(4):
            run.log({"acc": i / 10 + s / 100}, step=s)
rows = runlens.search_runs("params.opt = 'adam' or metrics.acc < 0.1", order_by="metrics.acc DESC", store=sys.argv[1], output_format="list")
print(json.dumps([r["run_id"] for r in rows]))
print(json.dumps(runlens.get_metric_history(rows[0]["run_id"], "acc", store=sys.argv[1])))`,
      store,
    ],
    { encoding: 'utf8', env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'clients', 'python') } },
  );
  assert.equal(r.status, 0, r.stderr);
  const [pyIds, pyHistory] = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  const rows = searchRuns("params.opt = 'adam' or metrics.acc < 0.1", { orderBy: 'metrics.acc DESC', store });
  assert.deepEqual(
    rows.map((x) => x.run_id),
    pyIds,
  );
  assert.deepEqual(
    rows.map((x) => x['params.i']),
    [5, 3, 1, 0],
  );
  assert.deepEqual(getMetricHistory(rows[0].run_id, 'acc', { store }), pyHistory);
  assert.equal(getRun(rows[0].run_id, { store }).summary?.acc.last, 0.53);
  assert.deepEqual(
    searchRuns('', { orderBy: ['params.i ASC'], offset: 1, maxResults: 2, store }).map((x) => x['params.i']),
    [1, 2],
  );
  assert.throws(() => searchRuns('metrics.acc>0.5abc', { store }), /column 16/);
  assert.throws(() => searchRuns('', { orderBy: '-metrics.accc', store }), /no run has it/);
});
