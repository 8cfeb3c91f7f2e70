// The extension is there, activates, and registers every command its package.json contributes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'runlens.runlens';

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
  return ext;
}

suite('activation', () => {
  test(`${EXTENSION_ID} is present`, () => {
    extension();
  });

  test('is activated by the workspace (train.py) without being asked', async () => {
    const ext = extension();
    // workspaceContains activation runs a file search at startup: give it a moment on a slow machine
    for (let i = 0; i < 100 && !ext.isActive; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(ext.isActive, true, 'not active 10 s after the tests started');
  });

  test('activates', async () => {
    const ext = extension();
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  test('registers every contributed command', async function () {
    const ext = extension();
    const contributed: string[] = (ext.packageJSON.contributes?.commands ?? []).map(
      (c: { command: string }) => c.command,
    );
    if (contributed.length === 0) this.skip(); // package.json contributes no commands yet
    await ext.activate();
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      contributed.filter((id) => !registered.has(id)),
      [],
      'contributed commands that are not registered',
    );
  });

  test('a new integrated terminal has the runlens command on PATH', async function () {
    this.timeout(60_000);
    const ext = extension();
    await ext.activate();
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-term-')), 'version.txt');
    const terminal = vscode.window.createTerminal({
      name: 'runlens PATH check',
      shellPath: '/bin/sh',
      shellArgs: [
        '-c',
        `command -v runlens > '${out}.tmp'; runlens --version >> '${out}.tmp'; mv '${out}.tmp' '${out}'`,
      ],
    });
    try {
      for (let i = 0; i < 400 && !fs.existsSync(out); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(fs.existsSync(out), 'the terminal did not run runlens within 40 s');
      const [where, version] = fs.readFileSync(out, 'utf8').trim().split('\n');
      assert.match(where, /[\\/]bin[\\/]runlens$/);
      assert.equal(version, ext.packageJSON.version);
    } finally {
      terminal.dispose();
    }
  });
});
