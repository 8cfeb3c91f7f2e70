// Package and serve from the Models view in a real VS Code: the quickstart's real training script
// trains a model into the workspace store (a tracked run), it is registered, then the extension's
// commands package it and serve it, and the smoke test compares served and in-process predictions.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunlensApi } from '../../../src/extension/root';
import { trainQuickstartModel } from './quickstart';

// This file runs as out/test/integration/suite/serving.test.js.

suite('serving', () => {
  test('Package Model for Serving, then Serve Model Locally passes the smoke test', async function () {
    this.timeout(240_000);
    trainQuickstartModel('serving', 'qs-model');

    const ext = vscode.extensions.getExtension<RunlensApi>('runlens.runlens');
    assert.ok(ext);
    const api = await ext.activate();
    const folder = vscode.workspace.workspaceFolders![0].uri.toString();
    const dir = await api.serving.package({ kind: 'version', folder, name: 'qs-model', version: 1 });
    assert.ok(dir && fs.existsSync(path.join(dir, 'manifest.json')), `package folder: ${dir}`);
    for (const f of ['server.js', 'Dockerfile', 'MODEL_CARD.md', 'package.json'])
      assert.ok(fs.existsSync(path.join(dir, f)), f);

    const smoke = await vscode.commands.executeCommand<{ ok: boolean; rows: number; maxDifference: number }>(
      'runlens.serveModel',
      vscode.Uri.file(dir),
    );
    assert.ok(smoke, 'the smoke test ran');
    assert.ok(smoke.ok, JSON.stringify(smoke));
    assert.ok(smoke.rows > 0);
    assert.ok(api.serving.endpoint?.startsWith('http://127.0.0.1:'), api.serving.endpoint);
    const res = await fetch(
      api.serving.endpoint!.replace(/:predict$/, '').replace('/v1/models/', '/v1/models/'),
    );
    assert.equal(res.status, 200);
    await vscode.commands.executeCommand('runlens.stopServing');
    assert.equal(api.serving.endpoint, undefined);
  });
});
