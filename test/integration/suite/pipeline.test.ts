// runlens.yaml in the editor: a stage that names an unknown stage and a cycle are shown as
// diagnostics on their lines, and disappear once the file is fixed.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunlensApi } from '../../../src/extension/root';
import type { PipelineTree } from '../../../src/extension/pipeline/pipelineTree';
import { waitFor } from './wait';

suite('pipeline', () => {
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
    // Reverted and closed for sure: a dirty buffer left open would be written back over the next test's file.
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await waitFor('the edit to be reverted', () => !doc.isDirty);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(file);
  });

  test('Run Pipeline: the Pipeline view shows each stage running then done; a second run is up to date', async () => {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    const api = await activate();
    const file = path.join(ws, 'runlens.yaml');
    fs.writeFileSync(path.join(ws, 'pipe_in.txt'), 'one\n');
    fs.writeFileSync(file, PIPELINE);
    const view = api.pipeline.view;
    // The view follows runlens.yaml on disk (through a file watcher).
    await waitFor(
      'the view to list the stages',
      () =>
        rows(view)
          .map((r) => r.label)
          .join() === 'prepare,report',
    );
    assert.deepEqual(
      rows(view).map((r) => r.icon),
      ['circle-large-outline', 'circle-large-outline'],
    );

    // Every state each stage's row went through while the command ran, as the view rendered it.
    const seen: Record<string, string[]> = { prepare: [], report: [] };
    const sub = api.pipeline.runner.onDidChange(() => {
      for (const r of rows(view)) if (seen[r.label].at(-1) !== r.icon) seen[r.label].push(r.icon);
    });
    type Result = { ok: boolean; stages: { stage: string; state: string; runId?: string }[] };
    let first: Result | undefined;
    try {
      first = await vscode.commands.executeCommand<Result>('runlens.runPipeline');
    } finally {
      sub.dispose();
    }
    assert.ok(first?.ok, JSON.stringify(first));
    assert.deepEqual(
      first.stages.map((s) => [s.stage, s.state]),
      [
        ['prepare', 'succeeded'],
        ['report', 'succeeded'],
      ],
    );
    assert.equal(fs.readFileSync(path.join(ws, 'pipe_out.txt'), 'utf8'), 'ONE\n');
    for (const stage of ['prepare', 'report'])
      assert.deepEqual(
        seen[stage].slice(-3),
        ['clock', 'sync~spin', 'pass'],
        `${stage}: ${seen[stage].join(' > ')}`,
      );
    // Idle, the view reads the recorded run: each row links to the tracked run it produced.
    const after = await waitFor('the recorded states', () => {
      const r = rows(view);
      return r.every((x) => x.icon === 'pass' && x.command) && r;
    });
    assert.deepEqual(
      after.map((r) => r.command?.arguments?.[0]?.id),
      first.stages.map((s) => s.runId),
    );
    assert.match(String(api.pipeline.view.view.description), /^last: ok · VS Code · /);

    const second = await vscode.commands.executeCommand<Result>('runlens.runPipeline');
    assert.deepEqual(
      second?.stages.map((s) => s.state),
      ['skipped', 'skipped'],
    );
    const idle = await waitFor('up to date rows', () => {
      const r = rows(view);
      return r.every((x) => x.description === 'up to date') && r;
    });
    assert.deepEqual(
      idle.map((r) => r.icon),
      ['check', 'check'],
    );

    // Idle, an edited input shows before anything runs (the core's up-to-date check), without a refresh.
    fs.writeFileSync(path.join(ws, 'pipe_in.txt'), 'one more\n');
    const stale = await waitFor('the view to notice the edited input', () => {
      const r = rows(view);
      return r[0].icon === 'diff-modified' && r;
    });
    assert.deepEqual(
      stale.map((r) => [r.description, r.icon]),
      [
        ['will rerun: changed: pipe_in.txt', 'diff-modified'],
        ['will rerun: after prepare reruns', 'diff-modified'],
      ],
    );
  });

  test('continuous training: a change to watched data runs the pipeline with the reason recorded', async () => {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    const api = await activate();
    const file = path.join(ws, 'runlens.yaml');
    if (!fs.existsSync(file)) fs.writeFileSync(file, PIPELINE);
    const ct = api.pipeline.continuousTraining;
    await vscode.commands.executeCommand('runlens.startContinuousTraining');
    try {
      assert.ok(ct.watching);
      assert.deepEqual(
        ct.current?.watched.map((w) => w.rel),
        ['pipe_in.txt'],
      );
      assert.equal(ct.statusText, '$(eye) CT: watching');
      const triggersFile = path.join(ws, '.runlens', 'pipeline', 'triggers.jsonl');
      const before = fs.existsSync(triggersFile) ? fs.readFileSync(triggersFile, 'utf8') : '';

      const states: string[] = [];
      const sub = api.pipeline.runner.onDidChange(() => {
        const p = api.pipeline.view.status('prepare');
        if (p && states.at(-1) !== p.state) states.push(p.state);
      });
      try {
        fs.writeFileSync(path.join(ws, 'pipe_in.txt'), 'two\n');
        const trig = await waitFor(
          'a trigger recorded after the data change',
          () => {
            if (!fs.existsSync(triggersFile)) return undefined;
            const lines = fs.readFileSync(triggersFile, 'utf8').slice(before.length).trim();
            return lines ? JSON.parse(lines.split('\n').at(-1)!) : undefined;
          },
          60_000,
        );
        assert.equal(trig.reason, 'pipe_in.txt changed');
        assert.equal(trig.ok, true);
        const rec = JSON.parse(
          fs.readFileSync(path.join(ws, '.runlens', 'pipeline', 'runs', `${trig.pipelineRun}.json`), 'utf8'),
        );
        assert.equal(rec.trigger, 'pipe_in.txt changed');
        assert.deepEqual(
          rec.stages.map((s: { state: string }) => s.state),
          ['succeeded', 'succeeded'],
        );
      } finally {
        sub.dispose();
      }
      assert.ok(states.includes('running'), states.join(' > '));
      assert.equal(fs.readFileSync(path.join(ws, 'pipe_out.txt'), 'utf8'), 'TWO\n');
      await waitFor('the status bar to show the last trigger', () =>
        /^\$\(eye\) CT: watching · last: pipe_in\.txt changed \d/.test(ct.statusText ?? ''),
      );
      assert.match(String(api.pipeline.view.view.description), /^last: ok · pipe_in\.txt changed · /);
    } finally {
      await vscode.commands.executeCommand('runlens.stopContinuousTraining');
    }
    assert.equal(ct.watching, false);
    assert.equal(ct.statusText, undefined);
    fs.rmSync(file);
  });

  test('Models view: a version registered by the pipeline shows its lineage', async () => {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    const api = await activate();
    const file = path.join(ws, 'runlens.yaml');
    fs.writeFileSync(path.join(ws, 'pipe_in.txt'), 'three\n');
    fs.writeFileSync(
      file,
      PIPELINE.replace(
        'watch:',
        [
          '  register:',
          '    action: register',
          '    with: { model: pipe-model, run: prepare, files: [pipe_out.txt] }',
          'watch:',
        ].join('\n'),
      ),
    );
    type Result = { id: string; ok: boolean; stages: { stage: string; state: string; runId?: string }[] };
    const r = await vscode.commands.executeCommand<Result>('runlens.runPipeline');
    assert.ok(r?.ok, JSON.stringify(r));
    const prepareRun = r.stages.find((s) => s.stage === 'prepare')!.runId!;
    const models = api.models;
    const version = await waitFor('pipe-model v1 in the Models view', () => {
      const m = models.getChildren().find((n) => n.kind === 'model' && n.name === 'pipe-model');
      return m && models.getChildren(m)[0];
    });
    assert.equal(models.getTreeItem(version).collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    const [lineage] = models.getChildren(version);
    assert.equal(models.getTreeItem(lineage).label, 'Lineage');
    const items = models.getChildren(lineage).map((n) => {
      const it = models.getTreeItem(n);
      return {
        label: String(it.label),
        description: String(it.description ?? ''),
        run: it.command?.arguments?.[0]?.id,
      };
    });
    assert.equal(items[0].label, `pipeline run ${r.id}`);
    assert.equal(items[0].description, 'VS Code');
    const prep = items.find((i) => i.label === 'prepare');
    assert.ok(prep, JSON.stringify(items));
    assert.equal(prep.run, prepareRun);
    assert.match(prep.description, new RegExp(`^(succeeded|up to date) · run ${prepareRun}`));
    // The data the source run (prepare) read, by its sha256.
    const data = items.find((i) => i.label === 'pipe_in.txt');
    assert.ok(data, JSON.stringify(items));
    const sha = crypto.createHash('sha256').update('three\n').digest('hex');
    assert.equal(data.description, `sha256 ${sha.slice(0, 12)}`);
    assert.ok(items.some((i) => i.label === 'git commit'));
    fs.rmSync(file);
  });

  test('without runlens.yaml the view is empty (welcome) and Create runlens.yaml writes one for train.py', async () => {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    const api = await activate();
    const file = path.join(ws, 'runlens.yaml');
    fs.rmSync(file, { force: true });
    api.pipeline.runner.invalidate();
    assert.deepEqual(api.pipeline.view.getChildren(), []);
    await vscode.commands.executeCommand('runlens.createPipelineFile');
    assert.match(
      fs.readFileSync(file, 'utf8'),
      /\n {2}train:\n {4}cmd: python train\.py\n {4}deps: \[train\.py\]\n/,
    );
    await waitFor(
      'the train stage in the view',
      () =>
        rows(api.pipeline.view)
          .map((r) => r.label)
          .join() === 'train',
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(file);
  });
});

const PIPELINE = [
  'experiment: pipe',
  'stages:',
  '  prepare:',
  "    cmd: node -e \"require('fs').writeFileSync('pipe_out.txt', require('fs').readFileSync('pipe_in.txt', 'utf8').toUpperCase())\"",
  '    deps: [pipe_in.txt]',
  '    outs: [pipe_out.txt]',
  '  report:',
  "    cmd: node -e \"console.log('lines=' + require('fs').readFileSync('pipe_out.txt', 'utf8').split('\\\\n').length)\"",
  '    deps: [pipe_out.txt]',
  'watch:',
  '  paths: [pipe_in.txt]',
  '',
].join('\n');

async function activate(): Promise<RunlensApi> {
  const ext = vscode.extensions.getExtension<RunlensApi>('runlens.runlens');
  assert.ok(ext);
  return ext.activate();
}

/** The Pipeline view's rows as VS Code gets them from the tree data provider. */
function rows(view: PipelineTree) {
  return view.getChildren().map((n) => {
    const item = view.getTreeItem(n);
    return {
      label: String(item.label),
      description: String(item.description ?? ''),
      icon: (item.iconPath as vscode.ThemeIcon | undefined)?.id ?? '',
      command: item.command,
    };
  });
}
