// The code each run ran, rebuilt from git (commit + recorded diff in a temporary index) for the
// What Changed diff editor: only files whose contents differ, and the working folder untouched.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { codeChanges, fileOf, runCode } from '../../../src/core/repro/codeVersions';
import { diffRuns } from '../../../src/core/repro/diff';
import { commitAll, git, newRepo, track, write } from '../../helpers/gitRepo';

const script = (n: number) => `require('runlens').init().log({ n: ${n} });\n`;

test('codeChanges: each run its commit plus its uncommitted diff; a file changed back is not listed', async () => {
  const { dir, store } = newRepo({ 'train.js': script(1), 'lib.js': 'module.exports = 1;\n' });
  // A: committed train.js, with lib.js changed but not committed.
  write(dir, { 'lib.js': 'module.exports = 2;\n' });
  const a = await track(store, dir, [process.execPath, 'train.js']);
  // B: the lib.js change committed (same content as A ran), train.js changed uncommitted.
  commitAll(dir, 'lib 2');
  write(dir, { 'train.js': script(2) });
  const b = await track(store, dir, [process.execPath, 'train.js']);
  const status = git(dir, 'status', '--porcelain', '--untracked-files=no');

  const codeA = runCode(store, a);
  assert.ok(codeA);
  assert.equal(fileOf(codeA, 'lib.js'), 'module.exports = 2;\n');
  assert.equal(fileOf(codeA, 'nope.js'), '');
  const d = await diffRuns(store, a.id, b.id);
  const { changes, reason } = codeChanges(store, d);
  assert.equal(reason, null);
  assert.deepEqual(changes, [{ file: 'train.js', a: script(1), b: script(2) }]);
  // Nothing in the working folder or the index moved.
  assert.equal(git(dir, 'status', '--porcelain', '--untracked-files=no'), status);
  assert.equal(fs.readFileSync(path.join(dir, 'train.js'), 'utf8'), script(2));
});
