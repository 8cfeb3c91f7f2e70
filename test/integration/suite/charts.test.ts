// The metrics chart panel in a real VS Code: opened from the explorer's command on the fixture run
// and from the lens above train.py's logging line; the webview draws one chart per metric key.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunlensApi } from '../../../src/extension/root';
import { waitFor } from './wait';

suite('charts', () => {
  test('Open Metrics Chart on a run draws its loss and val_acc curves', async () => {
    const ext = vscode.extensions.getExtension<RunlensApi>('runlens.runlens');
    assert.ok(ext);
    const api = await ext.activate();
    const fixture = await waitFor('the fixture run', () =>
      api.model.allRuns().find((r) => r.entry.name === 'fixture-run'),
    );
    await vscode.commands.executeCommand('runlens.openMetricsChart', {
      kind: 'run',
      folder: fixture.folder.folder.uri.toString(),
      id: fixture.entry.id,
    });
    const rendered = await waitFor('the webview to draw', () => {
      const r = api.panels.metrics.current?.lastRendered;
      return r && r.charts.length >= 2 ? r : undefined;
    });
    assert.deepEqual(rendered.charts.map((c) => c.key).sort(), ['loss', 'val_acc']);
    // 12 epochs logged (test/fixtures/workspace/train.py): every point reaches the chart, none invented
    assert.ok(rendered.points >= 12 * 2, `points drawn: ${rendered.points}`);
    for (const c of rendered.charts) assert.equal(c.lines, 1, `${c.key}: one line for one run`);
  });

  test("the lens above train.py's logging line opens the chart of the script's runs", async () => {
    const ext = vscode.extensions.getExtension<RunlensApi>('runlens.runlens');
    assert.ok(ext);
    const api = await ext.activate();
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    const uri = vscode.Uri.file(path.join(ws, 'train.py'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    let command: vscode.Command | undefined;
    const deadline = Date.now() + 20_000;
    while (!command && Date.now() < deadline) {
      const lenses =
        (await vscode.commands.executeCommand<vscode.CodeLens[]>(
          'vscode.executeCodeLensProvider',
          uri,
          100,
        )) ?? [];
      command = lenses.find((l) => l.command?.title.startsWith('$(graph-line) val_acc'))?.command;
      if (!command) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(command, 'a lens with the val_acc value');
    assert.equal(command.command, 'runlens.openMetricsChart');
    api.panels.metrics.current?.dispose();
    await vscode.commands.executeCommand(command.command, ...(command.arguments ?? []));
    const rendered = await waitFor('the chart of the script runs', () => {
      const r = api.panels.metrics.current?.lastRendered;
      return r && r.charts.some((c) => c.key === 'val_acc') ? r : undefined;
    });
    assert.ok(rendered.series >= 1);
  });
});
