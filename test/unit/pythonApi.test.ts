// The Python client's MLflow-shaped API (clients/python/runlens.py), run as real python3
// processes over a real store.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Store } from '../../src/core/store/store';
import { repoRoot, tempDir } from '../helpers/tmp';

const PY_CLIENT = path.join(repoRoot, 'clients', 'python');
const clean = {
  RUNLENS_STORE: '',
  RUNLENS_RUN_DIR: '',
  RUNLENS_RUN_ID: '',
  RUNLENS_PARAMS: '',
  RUNLENS_EXPERIMENT: '',
};

function py(cwd: string, code: string, env: NodeJS.ProcessEnv = {}) {
  const file = path.join(cwd, `script-${Math.random().toString(36).slice(2)}.py`);
  fs.writeFileSync(file, code);
  const r = spawnSync('python3', [file], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...clean, PYTHONPATH: PY_CLIENT, PYTHONDONTWRITEBYTECODE: '1', ...env },
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('Python client', () => {
  test('init() reads the installed distributions once per process, not once per run', () => {
    const ws = tempDir();
    const out = py(
      ws,
      `import importlib.metadata as md
calls = [0]
real = md.distributions
def counting(*a, **k):
    calls[0] += 1
    return real(*a, **k)
md.distributions = counting
import runlens
for i in range(5):
    runlens.init(experiment="sweep", params={"i": i}, store=".runlens").finish()
print(calls[0])
`,
    );
    assert.equal(out.trim(), '1');
    const store = Store.open(path.join(ws, '.runlens'));
    const runs = store.listRuns().entries;
    assert.equal(runs.length, 5);
    for (const e of runs) {
      const pkgs = store.getRun(e.id).environment.pythonPackages;
      assert.ok(pkgs && typeof pkgs === 'object', 'every run still records the packages');
    }
  });
});
