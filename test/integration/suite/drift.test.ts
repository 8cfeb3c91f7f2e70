// The drift panel in a real VS Code: Check Data Drift over the committed bike-sharing files copied into
// the workspace (2011 against 2012, windows by month); then Check Serving Drift on a model that the
// quickstart's real training script trained, the extension packaged and served, with real requests
// and a feedback file of their true labels (online accuracy).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { detectDrift } from '../../../src/core/drift/drift';
import type { RunlensApi } from '../../../src/extension/root';
import { repo, trainQuickstartModel } from './quickstart';
import { waitFor } from './wait';

// This file runs as out/test/integration/suite/drift.test.js.

async function api(): Promise<RunlensApi> {
  const ext = vscode.extensions.getExtension<RunlensApi>('runlens.runlens');
  assert.ok(ext);
  return ext.activate();
}

suite('drift', () => {
  test('Check Data Drift on two CSV files of the workspace opens the report with its timeline', async () => {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    const data = path.join(ws, 'drift-data');
    fs.mkdirSync(data, { recursive: true });
    for (const f of ['day_2011.csv', 'day_2012.csv'])
      fs.copyFileSync(path.join(repo, 'test/fixtures/datasets/bike-sharing', f), path.join(data, f));
    const reference = path.join(data, 'day_2011.csv');
    const current = path.join(data, 'day_2012.csv');
    const a = await api();
    a.drift.panels.current?.dispose();
    const panel = await vscode.commands.executeCommand<unknown>(
      'runlens.checkDataDrift',
      vscode.Uri.file(reference),
      vscode.Uri.file(current),
      'mnth',
    );
    assert.ok(panel, 'the command opened a panel');
    const rendered = await waitFor('the drift webview to draw', () => a.drift.panels.current?.lastRendered);
    // What core computes for the same files is what the webview drew.
    const expected = await detectDrift(reference, current, { by: 'mnth' });
    assert.equal(rendered.columns, expected.columns.length);
    assert.equal(rendered.timelineWindows, 12);
    assert.equal(rendered.datasetDrift, expected.datasetDrift);
    assert.equal(rendered.selected, expected.columns[0].column);
    assert.equal(rendered.histogramBins, expected.columns[0].histogram.reference.length);
    assert.deepEqual(new Set(rendered.order), new Set(expected.columns.map((c) => c.column)));
    assert.match(a.drift.panels.current!.panel.title, /day_2012\.csv against day_2011\.csv/);
  });

  test('Check Serving Drift on a served package shows drift by hour and online accuracy', async function () {
    this.timeout(240_000);
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    trainQuickstartModel('drift-serving', 'drift-model');
    const a = await api();
    const folder = vscode.workspace.workspaceFolders![0].uri.toString();
    const dir = await a.serving.package({ kind: 'version', folder, name: 'drift-model', version: 1 });
    assert.ok(dir, 'packaged');
    try {
      const smoke = await vscode.commands.executeCommand<{ ok: boolean }>(
        'runlens.serveModel',
        vscode.Uri.file(dir),
      );
      assert.ok(smoke?.ok, 'served and smoke-tested');
      // Real requests with ids, and their true labels from the quickstart's data set.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const dataset = require(path.join(repo, 'examples/quickstart/dataset.js')) as {
        load(): { features: string[]; classes: string[]; x: number[][]; y: number[] };
      };
      const d = dataset.load();
      const feedback = ['request_id,label'];
      for (let i = 0; i < 20; i++) {
        const res = await fetch(a.serving.endpoint!, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': `it-${i}` },
          body: JSON.stringify({ instances: [Object.fromEntries(d.features.map((f, j) => [f, d.x[i][j]]))] }),
        });
        assert.equal(res.status, 200);
        feedback.push(`it-${i},${d.classes[d.y[i]]}`);
      }
      fs.writeFileSync(path.join(dir, 'feedback.csv'), feedback.join('\n') + '\n');
      a.drift.panels.current?.dispose();
      await vscode.commands.executeCommand('runlens.checkServingDrift', vscode.Uri.file(dir));
      const rendered = await waitFor('the serving drift report', () => a.drift.panels.current?.lastRendered);
      assert.equal(rendered.columns, 30, 'the 30 input features');
      assert.ok(rendered.timelineWindows >= 1, 'windows by hour');
      assert.ok(rendered.accuracyWindows >= 1, 'online accuracy per window');
      assert.match(a.drift.panels.current!.panel.title, /Serving drift: drift-model v1/);
    } finally {
      await vscode.commands.executeCommand('runlens.stopServing');
    }
  });
});
