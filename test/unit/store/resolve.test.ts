// One meaning of a store path (src/core/store/resolve.ts) for the CLI's --store, RUNLENS_STORE,
// the Node and Python clients' store option and the editor's runlens.storePath: the path names
// the store folder itself. Real processes on a real store.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { resolveStoreDir, workspaceStoreDir } from '../../../src/core/store/resolve';
import { Store } from '../../../src/core/store/store';
import { cli, repoRoot, tempDir } from '../../helpers/tmp';

const PY_CLIENT = path.join(repoRoot, 'clients', 'python');
const NODE_CLIENT = JSON.stringify(path.join(repoRoot, 'dist', 'client.js'));
const clean = {
  RUNLENS_STORE: '',
  RUNLENS_RUN_DIR: '',
  RUNLENS_RUN_ID: '',
  RUNLENS_PARAMS: '',
  RUNLENS_EXPERIMENT: '',
};

function py(cwd: string, code: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync('python3', ['-c', code], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...clean, PYTHONPATH: PY_CLIENT, PYTHONDONTWRITEBYTECODE: '1', ...env },
    timeout: 60_000,
  });
}

function nodeScript(cwd: string, code: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['-e', `const runlens = require(${NODE_CLIENT});\n${code}`], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...clean, ...env },
    timeout: 60_000,
  });
}

function names(storeDir: string): string[] {
  return Store.open(storeDir)
    .listRuns()
    .entries.map((e) => e.name)
    .sort();
}

describe('one store rule', () => {
  test('--store S, RUNLENS_STORE=S, the Python and the Node client all write and read S itself', () => {
    const ws = tempDir();
    const s = path.join(ws, 'S');
    // A new folder: the CLI creates the store in S (not S/.runlens).
    const r1 = cli(['--store', s, 'run', '-n', 'from-cli', '--', process.execPath, '-e', ''], { cwd: ws });
    assert.equal(r1.status, 0, r1.stderr);
    assert.equal(fs.existsSync(path.join(s, '.runlens')), false);
    const r2 = py(
      ws,
      `import runlens\nrunlens.init(name="from-python", store=${JSON.stringify(s)}).finish()`,
    );
    assert.equal(r2.status, 0, r2.stderr);
    const r3 = py(ws, `import runlens\nrunlens.init(name="python-env").finish()`, { RUNLENS_STORE: 'S' });
    assert.equal(r3.status, 0, r3.stderr);
    const r4 = nodeScript(
      ws,
      `runlens.init({ name: 'from-node', store: ${JSON.stringify(s)} }); runlens.finish();`,
    );
    assert.equal(r4.status, 0, r4.stderr);
    const r5 = nodeScript(ws, `runlens.init({ name: 'node-env' }); runlens.finish();`, { RUNLENS_STORE: s });
    assert.equal(r5.status, 0, r5.stderr);
    const want = ['from-cli', 'from-node', 'from-python', 'node-env', 'python-env'];
    assert.deepEqual(names(s), want);
    const ls = cli(['--store', s, 'ls', '--json'], { cwd: ws });
    assert.equal(ls.status, 0, ls.stderr);
    assert.deepEqual((JSON.parse(ls.stdout) as { name: string }[]).map((e) => e.name).sort(), want);
    const lsEnv = cli(['ls', '--json'], { cwd: ws, env: { RUNLENS_STORE: 'S' } });
    assert.deepEqual((JSON.parse(lsEnv.stdout) as { name: string }[]).map((e) => e.name).sort(), want);
    assert.equal(fs.existsSync(path.join(s, '.runlens')), false);
    // The editor reads the same folder when its storePath names it.
    assert.equal(workspaceStoreDir(ws, 'S'), s);
  });

  test('a path that holds a store in .runlens is an error naming that folder, everywhere', () => {
    const ws = tempDir();
    Store.open(path.join(ws, '.runlens'), { create: true });
    const inner = path.join(ws, '.runlens');
    const r1 = cli(['--store', ws, 'ls'], { cwd: ws });
    assert.equal(r1.status, 2);
    assert.match(
      r1.stderr,
      new RegExp(`not a store, but ${inner.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is`),
    );
    const r2 = cli(['ls'], { cwd: '/', env: { RUNLENS_STORE: ws } });
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /RUNLENS_STORE .* is not a store/);
    const r3 = py(ws, `import runlens\nrunlens.init(store=${JSON.stringify(ws)})`);
    assert.notEqual(r3.status, 0);
    assert.match(r3.stderr, /ValueError: store .* is not a store, but .*\.runlens is/);
    const r4 = nodeScript(ws, `runlens.init({ store: ${JSON.stringify(ws)} });`);
    assert.notEqual(r4.status, 0);
    assert.match(r4.stderr, /is not a store, but .*\.runlens is/);
    assert.throws(() => workspaceStoreDir(ws, '.'), /is not a store, but/);
    // Nothing was written into the workspace folder itself.
    assert.equal(fs.existsSync(path.join(ws, 'runs')), false);
    assert.equal(fs.existsSync(path.join(ws, 'store.json')), false);
  });

  test('without a path: RUNLENS_STORE, else the nearest .runlens at or above, else ./.runlens', () => {
    const ws = tempDir();
    const sub = path.join(ws, 'a', 'b');
    fs.mkdirSync(sub, { recursive: true });
    assert.deepEqual(resolveStoreDir({ cwd: sub, env: {} }), {
      dir: path.join(sub, '.runlens'),
      source: 'default',
    });
    Store.open(path.join(ws, '.runlens'), { create: true });
    assert.deepEqual(resolveStoreDir({ cwd: sub, env: {} }), {
      dir: path.join(ws, '.runlens'),
      source: 'nearest',
    });
    assert.deepEqual(resolveStoreDir({ cwd: sub, env: { RUNLENS_STORE: 'x' } }), {
      dir: path.join(sub, 'x'),
      source: 'env',
    });
    assert.deepEqual(resolveStoreDir({ cwd: sub, env: { RUNLENS_STORE: 'x' }, explicit: '../y' }), {
      dir: path.join(ws, 'a', 'y'),
      source: 'explicit',
    });
    // The clients follow the same rule from a subfolder: the run lands in the workspace store.
    const r1 = py(sub, `import runlens\nrunlens.init(name="nearest-py").finish()`);
    assert.equal(r1.status, 0, r1.stderr);
    const r2 = nodeScript(sub, `runlens.init({ name: 'nearest-node' }); runlens.finish();`);
    assert.equal(r2.status, 0, r2.stderr);
    assert.deepEqual(names(path.join(ws, '.runlens')), ['nearest-node', 'nearest-py']);
    // The editor: runlens.storePath relative to the workspace folder, default .runlens.
    assert.equal(workspaceStoreDir(ws, '.runlens'), path.join(ws, '.runlens'));
    assert.equal(workspaceStoreDir(ws, ''), path.join(ws, '.runlens'));
    assert.equal(workspaceStoreDir(ws, '/abs/store'), '/abs/store');
  });
});
