// Evaluate Model..., Open Evaluation and Compare to Baseline... in a real VS Code: the commands
// take the explorer's run node and a file (no dialog), save evaluation.json through the core, and
// the evaluation and gate webviews report what they drew.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Registry } from '../../../src/core/store/registry';
import type { Store } from '../../../src/core/store/store';
import type { RunRecord } from '../../../src/core/store/types';
import type { ExplorerNode } from '../../../src/extension/runs/experimentsTree';
import type { EvaluateCommandResult } from '../../../src/extension/evaluation/evaluationCommands';
import type { RunlensApi } from '../../../src/extension/root';
import { waitFor } from './wait';

// This file runs as out/test/integration/suite/evaluation.test.js.
const repo = path.resolve(__dirname, '../../../..');

async function api(): Promise<RunlensApi> {
  const ext = vscode.extensions.getExtension<RunlensApi>('runlens.runlens');
  assert.ok(ext);
  return ext.activate();
}

function workspace(): string {
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(ws);
  return ws;
}

// Two runs of their own (removed at the end), so the fixture run other suites check is untouched.
suite('evaluation', () => {
  const predictions = () => path.join(workspace(), 'evaluation', 'breast_cancer.predictions.csv');
  let a: RunlensApi;
  let folderKey: string;
  let store: Store;
  let baseRun: RunRecord;
  let candRun: RunRecord;
  let baselinesBefore: Buffer | undefined;
  let baselinesFile: string;

  suiteSetup(async () => {
    a = await api();
    const fixture = await waitFor('the fixture run', () =>
      a.model.allRuns().find((r) => r.entry.name === 'fixture-run'),
    );
    folderKey = fixture.folder.folder.uri.toString();
    store = fixture.folder.store!;
    baselinesFile = path.join(store.dir, 'baselines.json');
    baselinesBefore = fs.existsSync(baselinesFile) ? fs.readFileSync(baselinesFile) : undefined;
    baseRun = store.createRun({ experiment: 'evaluation', name: 'eval-baseline', status: 'finished' });
    candRun = store.createRun({ experiment: 'evaluation', name: 'eval-candidate', status: 'finished' });
    await waitFor(
      'the new runs in the explorer',
      () => fixture.folder.entries.get(baseRun.id) && fixture.folder.entries.get(candRun.id),
    );
  });

  suiteTeardown(() => {
    a.evaluation.evaluation.current?.dispose();
    a.evaluation.gate.current?.dispose();
    for (const r of [baseRun, candRun]) if (r) store.removeRun(r.id);
    if (baselinesBefore) fs.writeFileSync(baselinesFile, baselinesBefore);
    else if (baselinesFile) fs.rmSync(baselinesFile, { force: true });
  });

  const node = (id: string) => ({ kind: 'run', folder: folderKey, id });

  test('Evaluate Model... on a run saves evaluation.json and the panel draws it', async () => {
    const r = await vscode.commands.executeCommand<EvaluateCommandResult | undefined>(
      'runlens.evaluateModel',
      node(baseRun.id),
      vscode.Uri.file(predictions()),
    );
    assert.ok(r, 'the command returned its result');
    assert.equal(r.file, path.join(store.runDir(baseRun.id), 'artifacts', 'evaluation.json'));
    const saved = JSON.parse(fs.readFileSync(r.file, 'utf8'));
    assert.deepEqual(saved.metrics, r.metrics);
    // scikit-learn's values for these predictions (test/reference/eval_reference.py)
    const sklearn = JSON.parse(
      fs.readFileSync(path.join(repo, 'test/fixtures/reference/eval/breast_cancer.expected.json'), 'utf8'),
    );
    assert.ok(Math.abs(r.metrics['eval/accuracy'] - sklearn.accuracy) < 1e-12);
    assert.ok(Math.abs(r.metrics['eval/roc_auc'] - sklearn.roc_auc) < 1e-12);
    const rendered = await waitFor('the evaluation webview to draw', () => {
      const x = a.evaluation.evaluation.current?.lastRendered;
      return x && x.ref === r.ref && x.charts.length > 0 ? x : undefined;
    });
    assert.deepEqual(rendered.charts.map((c) => c.id).sort(), ['calibration', 'confusion', 'pr', 'roc']);
    // A card per metric but the micro and weighted averages (accuracy, AUC, F1 macro, log loss, ...).
    const cards = Object.keys(r.metrics).filter((k) => !/_(micro|weighted)$/.test(k));
    assert.equal(rendered.cards, cards.length);
    // The metrics reached the run: the explorer's model sees them.
    await waitFor(
      'eval/accuracy in the run summary',
      () => a.model.byKey(folderKey)?.entries.get(baseRun.id)?.metrics['eval/accuracy'],
    );

    // The explorer marks the run as evaluated: its context menu offers Open Evaluation
    // (package.json: viewItem =~ /^run.* evaluated$/), a run without eval/* metrics does not.
    const item = (id: string) => a.experiments.getTreeItem(node(id) as ExplorerNode).contextValue ?? '';
    await waitFor('the run item to be marked evaluated', () => /^run.* evaluated$/.test(item(baseRun.id)));
    assert.doesNotMatch(item(candRun.id), / evaluated$/);

    // Open Evaluation on the run, in a new panel.
    a.evaluation.evaluation.current?.dispose();
    const ref = await vscode.commands.executeCommand<string>('runlens.openEvaluation', node(baseRun.id));
    assert.equal(ref, r.ref);
    await waitFor('the reopened panel to draw', () => {
      const x = a.evaluation.evaluation.current?.lastRendered;
      return x && x.ref === r.ref && x.charts.length === 4 ? x : undefined;
    });
  });

  test('Compare to Baseline... reports the verdict against the experiment baseline', async () => {
    // The candidate's predictions are the baseline's with every 7th label flipped: the same scores
    // (so the same ROC AUC), a lower accuracy.
    const lines = fs.readFileSync(predictions(), 'utf8').trim().split('\n');
    const worse = lines.map((l, i) => {
      if (i === 0 || i % 7) return l;
      const [label, pred, score] = l.split(',');
      return [label, pred === '1' ? '0' : '1', score].join(',');
    });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-itest-eval-')), 'worse.csv');
    fs.writeFileSync(file, worse.join('\n') + '\n');
    const evaluated = await vscode.commands.executeCommand<EvaluateCommandResult | undefined>(
      'runlens.evaluateModel',
      node(candRun.id),
      file,
    );
    assert.ok(evaluated);
    assert.ok(fs.existsSync(path.join(store.runDir(baseRun.id), 'artifacts', 'evaluation.json')));
    await new Registry(store).setBaseline('evaluation', { run: baseRun.id });

    await vscode.commands.executeCommand('runlens.compareToBaseline', node(candRun.id));
    const failed = await waitFor('the gate webview to draw a verdict', () => {
      const p = a.evaluation.gate.current;
      return p?.lastRendered && p.lastResult?.candidate.run === candRun.id ? p : undefined;
    });
    assert.equal(failed.lastRendered!.verdict, 'fail');
    assert.equal(failed.lastResult!.baseline.run, baseRun.id);
    const v = Object.fromEntries(failed.lastResult!.metrics.map((m) => [m.metric, m.verdict]));
    assert.equal(v['eval/accuracy'], 'fail');
    assert.equal(v['eval/roc_auc'], 'pass');
    assert.equal(failed.lastRendered!.rows, failed.lastResult!.metrics.length);
    assert.equal(failed.lastRendered!.charts, 2, 'both runs have evaluations: ROC and PR overlaid');

    // The other way round, the baseline given as an argument: the baseline run passes.
    await vscode.commands.executeCommand('runlens.compareToBaseline', node(baseRun.id), candRun.id);
    const passed = await waitFor('the verdict with the runs swapped', () => {
      const p = a.evaluation.gate.current;
      return p?.lastResult?.candidate.run === baseRun.id && p.lastRendered?.verdict === 'pass'
        ? p
        : undefined;
    });
    assert.equal(passed.lastResult!.verdict, 'pass');
    assert.equal(passed.lastResult!.baseline.run, candRun.id);
  });
});
