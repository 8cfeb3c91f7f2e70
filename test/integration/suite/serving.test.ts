// Package and serve from the Models view in a real VS Code: the quickstart's real training script
// trains a model into the workspace store (a tracked run), it is registered, then the extension's
// commands package it and serve it, and the smoke test compares served and in-process predictions.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunlensApi } from '../../../src/extension/root';

// This file runs as out/test/integration/suite/serving.test.js.
const repo = path.resolve(__dirname, '../../../..');

suite('serving', () => {
  test('Package Model for Serving, then Serve Model Locally passes the smoke test', async function () {
    this.timeout(240_000);
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    const cli = (...args: string[]) =>
      execFileSync(process.env.RUNLENS_NODE || 'node', [path.join(repo, 'bin/runlens.js'), ...args], {
        cwd: ws,
        encoding: 'utf8',
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', RUNLENS_STORE: '' },
        timeout: 180_000,
      });
    cli(
      'run',
      '-e',
      'serving',
      '-n',
      'qs',
      '-p',
      'epochs=5',
      '--',
      'node',
      path.join(repo, 'examples/quickstart/train.js'),
    );
    const runs = JSON.parse(cli('ls', '-e', 'serving', '--json')) as { id: string }[];
    cli('model', 'register', 'qs-model', '--run', runs[0].id);

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
