// Reproduce Run and What Changed in a real VS Code: a git repository inside the workspace (so the
// other suites' runs stay without git), a run tracked there through the CLI, then the commands.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunlensApi } from '../../../src/extension/root';
import { repo } from './quickstart';
import { waitFor } from './wait';

const SCRIPT = (n: number) =>
  `const run = require('runlens').init({ params: { k: ${n} } }); run.log({ score: run.params.k / 8 }); run.finish();\n`;

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd });
}

suite('reproduce', () => {
  test('Reproduce Run reproduces a run and What Changed opens the diff of two runs', async () => {
    const ext = vscode.extensions.getExtension<RunlensApi>('runlens.runlens');
    assert.ok(ext);
    const { model } = await ext.activate();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const ws = folder.uri.fsPath;
    const dir = path.join(ws, 'repro-repo');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'train.js'), SCRIPT(1));
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'one');
    const track = () =>
      execFileSync(
        process.env.RUNLENS_NODE || 'node',
        [
          path.join(repo, 'bin/runlens.js'),
          '--store',
          path.join(ws, '.runlens'),
          'run',
          '-e',
          'repro',
          '--',
          'node',
          'train.js',
        ],
        { cwd: dir, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', RUNLENS_STORE: '' }, timeout: 120_000 },
      );
    track();
    const original = await waitFor('the tracked run in the model', () =>
      model.allRuns().find((r) => r.entry.experiment === 'repro' && r.entry.status === 'finished'),
    );
    const node = { kind: 'run' as const, folder: folder.uri.toString(), id: original.entry.id };

    // Here, without the Local/Slurm question (asked when sbatch is on PATH).
    await vscode.commands.executeCommand('runlens.reproduceRun', node, undefined, { on: 'local' });
    const store = original.folder.store!;
    const copy = await waitFor('the reproduction', () =>
      model
        .allRuns()
        .find((r) => r.entry.tags.reproduces === original.entry.id && r.entry.status === 'finished'),
    );
    assert.equal(store.getRun(copy.entry.id).summary?.score.last, 0.125);

    // A code change committed, then What Changed on the two runs.
    fs.writeFileSync(path.join(dir, 'train.js'), SCRIPT(3));
    git(dir, 'commit', '-q', '-am', 'three');
    track();
    const second = await waitFor('the second run', () =>
      model
        .allRuns()
        .find(
          (r) => r.entry.experiment === 'repro' && r.entry.params.k === 3 && r.entry.status === 'finished',
        ),
    );
    await vscode.commands.executeCommand('runlens.whatChanged', undefined, [
      node,
      { kind: 'run', folder: folder.uri.toString(), id: second.entry.id },
    ]);
    const report = await waitFor('the What Changed report', () =>
      vscode.workspace.textDocuments.find((d) => d.getText().startsWith(`A: ${original.entry.id}`)),
    );
    assert.match(report.getText(), /\n {2}k: 1 -> 3\n/);
    assert.match(report.getText(), /\n {4}train\.js {2}\+1 -1\n/);
    // The two versions of train.js behind the diff editor.
    const right = await vscode.workspace.openTextDocument(
      vscode.Uri.from({ scheme: 'runlens-code', path: `/${second.entry.id}/train.js` }),
    );
    assert.equal(right.getText(), SCRIPT(3));
    const left = await vscode.workspace.openTextDocument(
      vscode.Uri.from({ scheme: 'runlens-code', path: `/${original.entry.id}/train.js` }),
    );
    assert.equal(left.getText(), SCRIPT(1));

    // From the compare panel's What changed section: its reference run is A, even when it is newer.
    await vscode.commands.executeCommand(
      'runlens.whatChanged',
      undefined,
      [{ kind: 'run', folder: folder.uri.toString(), id: second.entry.id }, node],
      { keepOrder: true },
    );
    const reversed = await waitFor('the reversed What Changed report', () =>
      vscode.workspace.textDocuments.find((d) => d.getText().startsWith(`A: ${second.entry.id}`)),
    );
    assert.match(reversed.getText(), /\n {2}k: 3 -> 1\n/);
  });
});
