// The one launch environment: runs started through the built CLI (a real process) in a folder
// outside this checkout find both logging clients, and the clients attach to the launched run.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Store } from '../../../src/core/store/store';
import { clientPaths, launchEnv } from '../../../src/core/tracking/launchEnv';
import { cli, repoRoot, tempDir } from '../../helpers/tmp';

test('launchEnv puts the clients first on the module paths and names the run and store', () => {
  const ws = tempDir();
  const store = Store.open(path.join(ws, '.runlens'), { create: true });
  const clients = clientPaths();
  const id = store.createRun({}).id;
  assert.equal(clients.packageRoot, repoRoot);
  assert.ok(fs.existsSync(path.join(clients.python, 'runlens.py')));
  const env = launchEnv(
    store,
    id,
    { PATH: '/usr/bin', PYTHONPATH: `/a${path.delimiter}${clients.python}`, NODE_PATH: '/b' },
    { params: { lr: 0.1 } },
  );
  assert.equal(env.PATH, '/usr/bin');
  // the shipped client first, the user's entries after it, no duplicate
  assert.equal(env.PYTHONPATH, [clients.python, '/a'].join(path.delimiter));
  assert.equal(env.NODE_PATH, [clients.node, '/b'].join(path.delimiter));
  assert.equal(env.RUNLENS_RUN_ID, id);
  assert.equal(env.RUNLENS_RUN_DIR, store.runDir(id));
  assert.equal(env.RUNLENS_STORE, store.dir);
  assert.equal(env.RUNLENS_PARAMS, '{"lr":0.1}');
  assert.equal(env.RUNLENS_EXPERIMENT, undefined);
  assert.equal(launchEnv(store, id, {}, { experiment: 'e' }).RUNLENS_EXPERIMENT, 'e');
});

function lastRun(ws: string): Record<string, unknown> & { summary: Record<string, { last: number }> } {
  const runs = path.join(ws, '.runlens', 'runs');
  const [id] = fs.readdirSync(runs).sort().reverse();
  return JSON.parse(fs.readFileSync(path.join(runs, id, 'run.json'), 'utf8'));
}

test('`runlens run` in a folder outside the checkout: the Node client resolves and attaches', () => {
  const ws = tempDir();
  fs.writeFileSync(
    path.join(ws, 'train.js'),
    "const r = require('runlens').init({ params: { lr: 1 } }); r.log({ score: r.params.lr * 2 }); r.finish();\n",
  );
  const r = cli(['run', '-p', 'lr=3', '--', process.execPath, 'train.js'], {
    cwd: ws,
    env: { NODE_PATH: '', PYTHONPATH: '' },
  });
  assert.equal(r.status, 0, r.stderr);
  const run = lastRun(ws);
  assert.equal(run.status, 'finished');
  assert.equal(run.summary.score.last, 6);
});

test('`runlens run` with Python: the shipped client wins over one the user put on PYTHONPATH', () => {
  const ws = tempDir();
  const own = path.join(ws, 'site');
  fs.mkdirSync(own);
  fs.writeFileSync(path.join(own, 'runlens.py'), 'raise ImportError("the user\'s copy was imported")\n');
  fs.writeFileSync(
    path.join(ws, 'train.py'),
    [
      'import runlens',
      'run = runlens.init(params={"lr": 1})',
      'runlens.log({"score": float(run.params["lr"]) * 2, "from_checkout": float(runlens.__file__.startswith(' +
        JSON.stringify(repoRoot) +
        '))})',
      'runlens.finish()',
      '',
    ].join('\n'),
  );
  const r = cli(['run', '-p', 'lr=4', '--', 'python3', 'train.py'], {
    cwd: ws,
    env: { PYTHONPATH: own },
  });
  assert.equal(r.status, 0, r.stderr);
  const run = lastRun(ws);
  assert.equal(run.summary.score.last, 8);
  assert.equal(run.summary.from_checkout.last, 1);
});
