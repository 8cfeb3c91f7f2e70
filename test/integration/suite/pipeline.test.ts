// runlens.yaml in the editor: a stage that names an unknown stage and a cycle are shown as
// diagnostics on their lines, and disappear once the file is fixed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { waitFor } from './wait';

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

  test('Run Pipeline runs the stages as tracked runs, then skips them when nothing changed', async () => {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    const file = path.join(ws, 'runlens.yaml');
    fs.writeFileSync(path.join(ws, 'pipe_in.txt'), 'one\n');
    fs.writeFileSync(
      file,
      [
        'experiment: pipe',
        'stages:',
        '  prepare:',
        "    cmd: node -e \"require('fs').writeFileSync('pipe_out.txt', require('fs').readFileSync('pipe_in.txt', 'utf8').toUpperCase())\"",
        '    deps: [pipe_in.txt]',
        '    outs: [pipe_out.txt]',
        '  report:',
        "    cmd: node -e \"console.log('lines=' + require('fs').readFileSync('pipe_out.txt', 'utf8').split('\\\\n').length)\"",
        '    deps: [pipe_out.txt]',
        '',
      ].join('\n'),
    );
    type Result = { ok: boolean; stages: { stage: string; state: string }[] };
    const first = await vscode.commands.executeCommand<Result>('runlens.runPipeline');
    assert.ok(first?.ok, JSON.stringify(first));
    assert.deepEqual(
      first.stages.map((s) => [s.stage, s.state]),
      [
        ['prepare', 'succeeded'],
        ['report', 'succeeded'],
      ],
    );
    assert.equal(fs.readFileSync(path.join(ws, 'pipe_out.txt'), 'utf8'), 'ONE\n');
    const second = await vscode.commands.executeCommand<Result>('runlens.runPipeline');
    assert.deepEqual(
      second?.stages.map((s) => s.state),
      ['skipped', 'skipped'],
    );
    fs.rmSync(file);
  });
});
