// The extension is there, activates, and registers every command its package.json contributes.
import * as assert from 'node:assert/strict';
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
});
