// The `runlens` command the extension puts on the integrated terminal's PATH: a real shim file run
// by a real shell, starting the built CLI with the given runtime (here Node; VS Code's Electron in
// the editor, which ELECTRON_RUN_AS_NODE turns into Node).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { writeCliShim } from '../../../src/extension/terminal/cliShim';
import { cliPath, repoRoot, tempDir } from '../../helpers/tmp';

const version = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version;

test('the shim on PATH runs the extension’s CLI, also from a folder with a quote in its name', () => {
  const storage = path.join(tempDir(), "it's storage");
  const bin = writeCliShim(path.join(storage, 'bin'), process.execPath, cliPath, 'linux');
  const shim = path.join(bin, 'runlens');
  assert.ok(fs.statSync(shim).mode & 0o100, 'executable');
  const ws = tempDir();
  const env = { PATH: `${bin}${path.delimiter}/usr/bin${path.delimiter}/bin`, HOME: ws };
  const r = spawnSync('sh', ['-c', 'runlens --version'], { cwd: ws, env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), version);
  // a tracked run through the shim, with the same launch environment as everywhere else
  fs.writeFileSync(path.join(ws, 'train.js'), "require('runlens').init().log({ x: 1 });\n");
  const run = spawnSync('sh', ['-c', `runlens run -- '${process.execPath}' train.js`], {
    cwd: ws,
    env,
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /finished \(exit code 0\): x=1/);
  // rewriting (the next activation) keeps one file and its mode
  writeCliShim(bin, process.execPath, cliPath, 'linux');
  assert.deepEqual(fs.readdirSync(bin), ['runlens']);
});

test('on Windows the shim is a .cmd file', () => {
  const bin = writeCliShim(
    path.join(tempDir(), 'bin'),
    'C:\\VS Code\\Code.exe',
    'C:\\ext\\dist\\cli.js',
    'win32',
  );
  const cmd = fs.readFileSync(path.join(bin, 'runlens.cmd'), 'utf8');
  assert.match(cmd, /set ELECTRON_RUN_AS_NODE=1\r\n"C:\\VS Code\\Code.exe" "C:\\ext\\dist\\cli.js" %\*/);
});
