// runlens.yaml in the editor: a stage that names an unknown stage and a cycle are shown as
// diagnostics on their lines, and disappear once the file is fixed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

suite('pipeline file', () => {
  test('errors in runlens.yaml appear as diagnostics with their lines', async () => {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    const file = path.join(ws, 'runlens.yaml');
    fs.writeFileSync(
      file,
      [
        'stages:',
        '  train:',
        '    cmd: python3 train.py',
        '    after: [prepare]',
        '  report:',
        '    cmd: python3 train.py',
        '    after: [train]',
        '',
      ].join('\n'),
    );
    const doc = await vscode.workspace.openTextDocument(file);
    const editor = await vscode.window.showTextDocument(doc);
    const diags = await waitFor('a diagnostic for the unknown stage', () => {
      const d = vscode.languages.getDiagnostics(doc.uri);
      return d.length ? d : undefined;
    });
    const unknown = diags.find((d) => /prepare/.test(d.message));
    assert.ok(unknown, JSON.stringify(diags.map((d) => [d.range.start.line, d.message])));
    assert.equal(unknown.range.start.line, 3);

    // fix it in the editor: the diagnostic goes away without saving
    await editor.edit((b) => b.delete(doc.lineAt(3).rangeIncludingLineBreak));
    await waitFor('the diagnostics to clear', () => vscode.languages.getDiagnostics(doc.uri).length === 0);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    fs.rmSync(file);
  });
});
