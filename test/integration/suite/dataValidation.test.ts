// Data validation in the editor: "Infer Data Schema" on training data, then a new data file with
// anomalies opened in VS Code shows them in the Problems panel at their rows.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { waitFor } from './wait';

suite('data validation', () => {
  test('anomalies of a data file appear as diagnostics at their rows', async () => {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    const dir = path.join(ws, 'data');
    fs.mkdirSync(dir, { recursive: true });
    const rows = ['x,colour'];
    for (let i = 0; i < 60; i++) rows.push(`${i / 2},${i % 2 ? 'red' : 'blue'}`);
    fs.writeFileSync(path.join(dir, 'train.csv'), rows.join('\n') + '\n');
    await vscode.commands.executeCommand('runlens.inferSchema', vscode.Uri.file(path.join(dir, 'train.csv')));
    assert.ok(fs.existsSync(path.join(dir, 'train.schema.json')), 'the schema is written beside the data');

    // line 3: out of range; line 4: a category never seen; line 5: text in a numeric column
    const fresh = path.join(dir, 'fresh.csv');
    fs.writeFileSync(fresh, 'x,colour\n1.5,red\n400,blue\n2,green\nabc,red\n3,blue\n');
    const doc = await vscode.workspace.openTextDocument(fresh);
    await vscode.window.showTextDocument(doc);
    const diags = await waitFor('diagnostics on fresh.csv', () => {
      const d = vscode.languages.getDiagnostics(doc.uri);
      return d.length >= 3 ? d : undefined;
    });
    const at = (code: string) => diags.find((d) => d.code === code);
    assert.equal(
      at('out_of_range')?.range.start.line,
      2,
      JSON.stringify(diags.map((d) => [d.code, d.message])),
    );
    assert.equal(at('unseen_category')?.range.start.line, 3);
    const text = diags.find((d) => d.range.start.line === 4);
    assert.ok(
      text,
      `a diagnostic at the row with text in x: ${JSON.stringify(diags.map((d) => [d.code, d.range.start.line]))}`,
    );
    assert.match(text.message, /x/);
  });
});
