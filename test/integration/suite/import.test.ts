// The import commands over real TensorBoard logs and a real MLflow store (test/fixtures/importers,
// sources in its SOURCES.md): the imported runs appear in the explorer.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunlensApi } from '../../../src/extension/root';
import { waitFor } from './wait';

// This file runs as out/test/integration/suite/import.test.js.
const fixtures = path.resolve(__dirname, '../../../../test/fixtures/importers');

suite('import', () => {
  test('Import TensorBoard Logs brings each run folder in as a run with its scalars', async () => {
    const logdir = path.join(fixtures, 'tfevents/tensorboard-reducer/tests/runs/strict');
    assert.ok(fs.existsSync(logdir), logdir);
    const ext = vscode.extensions.getExtension<RunlensApi>('runlens.runlens');
    assert.ok(ext);
    const { model } = await ext.activate();
    await vscode.commands.executeCommand('runlens.importTensorboard', vscode.Uri.file(logdir));
    const runs = await waitFor('three imported runs', () => {
      const r = model.allRuns().filter((x) => x.entry.metrics['strict/foo']);
      return r.length === 3 ? r : undefined;
    });
    // 100 points each (test/fixtures/importers/expected-tfevents.json, from tfevents_tool.py).
    for (const r of runs) assert.equal(r.entry.metrics['strict/foo'].count, 100);
  });

  test('Import MLflow Runs brings in the experiments of an mlruns folder', async () => {
    const mlruns = path.join(fixtures, 'mlruns/ConvNeXt-V2-UNet/examples/mlruns');
    const expected = JSON.parse(fs.readFileSync(path.join(fixtures, 'expected-mlruns.json'), 'utf8'))[
      'mlruns/ConvNeXt-V2-UNet/examples/mlruns'
    ] as Record<string, { name: string; runs: Record<string, { lifecycle_stage: string }> }>;
    const ext = vscode.extensions.getExtension<RunlensApi>('runlens.runlens');
    assert.ok(ext);
    const { model } = await ext.activate();
    await vscode.commands.executeCommand('runlens.importMlflow', vscode.Uri.file(mlruns));
    for (const exp of Object.values(expected)) {
      // deleted runs are left out unless asked for
      const count = Object.values(exp.runs).filter((r) => r.lifecycle_stage === 'active').length;
      await waitFor(`${count} runs of experiment ${exp.name}`, () => {
        const n = model.allRuns().filter((x) => x.entry.experiment === exp.name).length;
        return n === count;
      });
    }
  });

  test('an imported run left RUNNING does not make the views re-render every second', async () => {
    // ConvNeXt-V2-UNet's placid-shad-212 is RUNNING in its MLflow store, with no end time: the model
    // re-reads running runs every second, and firing a change each time re-rendered the explorer
    // under the user's clicks (its commands got no node for the selected rows).
    const ext = vscode.extensions.getExtension<RunlensApi>('runlens.runlens');
    assert.ok(ext);
    const { model } = await ext.activate();
    const running = await waitFor('the imported RUNNING run', () =>
      model.allRuns().find((r) => r.entry.name === 'placid-shad-212' && r.entry.status === 'running'),
    );
    const others = model
      .allRuns()
      .filter((r) => r.entry.status === 'running' && r.entry.id !== running.entry.id);
    assert.deepEqual(
      others.map((r) => r.entry.name),
      [],
      'no other run may be training during this test',
    );
    // The import's own file events may still arrive: a quiet spell of three polls must come.
    const quietSpell = async (): Promise<boolean> => {
      for (let tries = 0; tries < 8; tries++) {
        let changes = 0;
        const sub = model.onDidChange(() => changes++);
        await new Promise((r) => setTimeout(r, 3500));
        sub.dispose();
        if (changes === 0) return true;
      }
      return false;
    };
    assert.ok(await quietSpell(), 'nothing changed on disk, yet the model kept firing changes');
    // a change on disk is still seen
    let changes = 0;
    const sub = model.onDidChange(() => changes++);
    try {
      const store = running.folder.store;
      assert.ok(store);
      await store.updateRun(running.entry.id, (r) => (r.name = 'placid-shad-212 (renamed)'));
      await waitFor('the renamed run', () =>
        model.allRuns().some((r) => r.entry.name === 'placid-shad-212 (renamed)'),
      );
      assert.ok(changes > 0);
    } finally {
      sub.dispose();
    }
  });

  test('a launched script writing TensorBoard events shows its scalars while it trains', async () => {
    const event = path.join(
      fixtures,
      'tfevents/tensorboard-reducer/tests/runs/strict/run_2/events.out.tfevents.1622543341.janoshs-mbp.lan.86862.1',
    );
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    // A writer that appends a real event file in pieces, as SummaryWriter flushes: records cut mid-way.
    const script = path.join(ws, 'train_tb.js');
    fs.writeFileSync(
      script,
      `const fs = require('fs');
const data = fs.readFileSync(${JSON.stringify(event)});
fs.mkdirSync('tb_logs/run', { recursive: true });
const out = fs.openSync('tb_logs/run/' + ${JSON.stringify(path.basename(event))}, 'a');
let at = 0;
const tick = () => {
  if (at >= data.length) return fs.closeSync(out);
  fs.writeSync(out, data.subarray(at, at + 250));
  at += 250;
  setTimeout(tick, 200);
};
tick();
`,
    );
    const ext = vscode.extensions.getExtension<RunlensApi>('runlens.runlens');
    assert.ok(ext);
    const { model } = await ext.activate();
    void vscode.commands.executeCommand('runlens.runScript', vscode.Uri.file(script));
    const live = await waitFor('a running run with some strict/foo points', () =>
      model.allRuns().find((r) => r.entry.status === 'running' && r.entry.metrics['strict/foo']?.count > 0),
    );
    assert.ok(live.entry.metrics['strict/foo'].count < 100);
    const done = await waitFor('the run to finish with every point', () => {
      const e = live.folder.entries.get(live.entry.id);
      return e?.status === 'finished' ? e : undefined;
    });
    // 100 points, last value from expected-tfevents.json (tfevents_tool.py)
    const expected = JSON.parse(fs.readFileSync(path.join(fixtures, 'expected-tfevents.json'), 'utf8'))[
      'strict/run_2'
    ].series['strict/foo'];
    assert.equal(done.metrics['strict/foo'].count, expected.count);
    assert.equal(done.metrics['strict/foo'].last, expected.last);
  });
});
