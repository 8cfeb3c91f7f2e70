// The explorer over the fixture store, a training run launched from a command while the tree
// follows it, stopping it, and a store that turns corrupt and is fixed again.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PARENT_TAG } from '../../../src/core/store/nesting';
import { Store } from '../../../src/core/store/store';
import { TAG_PIPELINE_RUN, TAG_STAGE } from '../../../src/core/store/types';
import type { ExplorerNode } from '../../../src/extension/runs/experimentsTree';
import type { RunlensApi } from '../../../src/extension/root';
import { waitFor } from './wait';

async function api(): Promise<RunlensApi> {
  const ext = vscode.extensions.getExtension<RunlensApi>('runlens.runlens');
  assert.ok(ext);
  return ext.activate();
}

function workspace(): string {
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(ws, 'a workspace folder is open');
  return ws;
}

function label(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

suite('explorer', () => {
  test('shows the fixture experiment, its run, status, key metric and sections', async () => {
    const { experiments } = await api();
    const exp = await waitFor('the fixture experiment', () =>
      experiments
        .getChildren()
        .find(
          (n): n is Extract<ExplorerNode, { kind: 'experiment' }> =>
            n.kind === 'experiment' && n.name === 'fixture',
        ),
    );
    const [run] = experiments.getChildren(exp);
    const item = experiments.getTreeItem(run);
    assert.equal(label(item), 'fixture-run');
    assert.equal(item.contextValue, 'run');
    assert.match(String(item.description), /^val_acc 0\.\d+ · \d+[smhd] ago$/);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'pass');
    const sections = experiments.getChildren(run).map((n) => label(experiments.getTreeItem(n)));
    assert.deepEqual(sections, ['Params', 'Metrics', 'Artifacts', 'Inputs', 'Git']);
    const metrics = experiments
      .getChildren(experiments.getChildren(run)[1])
      .map((n) => experiments.getTreeItem(n));
    assert.deepEqual(metrics.map(label), ['loss', 'val_acc']);
    assert.match(String(metrics[0].description), /@ 11 {2}best/);
    const params = experiments
      .getChildren(experiments.getChildren(run)[0])
      .map((n) => [label(experiments.getTreeItem(n)), experiments.getTreeItem(n).description]);
    assert.deepEqual(params, [
      ['lr', '0.3'],
      ['epochs', '12'],
    ]);
  });

  test('a run launched from the palette appears, updates while it trains, and stops', async () => {
    const { model, experiments } = await api();
    const ws = workspace();
    const script = path.join(ws, 'train_slow.py');
    fs.writeFileSync(
      script,
      'import time, runlens\nwith runlens.init(experiment="live", params={"steps": 400}) as run:\n' +
        '    for i in range(400):\n        runlens.log({"loss": 1.0 / (i + 1)}, step=i)\n        time.sleep(0.05)\n',
    );
    // Not awaited: the command resolves when the run ends.
    void vscode.commands.executeCommand('runlens.runScript', vscode.Uri.file(script));
    const live = await waitFor('the launched run to appear as running', () =>
      model
        .allRuns()
        .find((r) => r.entry.experiment === 'live' && r.entry.status === 'running' && r.entry.metrics.loss),
    );
    const first = live.entry.metrics.loss.count;
    const grown = await waitFor('its metric count to grow while it runs', () => {
      const e = live.folder.entries.get(live.entry.id);
      return e && e.status === 'running' && e.metrics.loss.count >= first + 5 ? e : undefined;
    });
    const runNode = { kind: 'run' as const, folder: live.folder.folder.uri.toString(), id: grown.id };
    assert.equal(experiments.getTreeItem(runNode).contextValue, 'run.running');
    assert.equal((experiments.getTreeItem(runNode).iconPath as vscode.ThemeIcon).id, 'loading~spin');
    await vscode.commands.executeCommand('runlens.stopRun', runNode);
    const stopped = await waitFor('the run to be killed', () => {
      const e = live.folder.entries.get(grown.id);
      return e?.status === 'killed' ? e : undefined;
    });
    assert.ok(stopped.metrics.loss.count < 400, 'stopped before the end');
  });

  test('a store that turns corrupt shows the error and recovers when fixed', async () => {
    const { experiments } = await api();
    const storeFile = path.join(workspace(), '.runlens', 'store.json');
    const good = fs.readFileSync(storeFile, 'utf8');
    fs.writeFileSync(storeFile, '{ not json');
    const err = await waitFor('an error node', () =>
      experiments.getChildren().find((n) => n.kind === 'error'),
    );
    assert.match(String(experiments.getTreeItem(err).description), /store\.json is corrupt/);
    fs.writeFileSync(storeFile, good);
    await waitFor('the experiments to come back', () =>
      experiments.getChildren().some((n) => n.kind === 'experiment'),
    );
  });

  test('a nested run shows under its parent; a query in the filter lists matches flat', async () => {
    const { experiments } = await api();
    const store = Store.open(path.join(workspace(), '.runlens'));
    const parent = store.createRun({ experiment: 'nested-runs', name: 'sweep', status: 'finished' });
    const child = store.createRun({
      experiment: 'nested-runs',
      name: 'fold-0',
      status: 'finished',
      tags: { [PARENT_TAG]: parent.id },
    });
    try {
      const exp = await waitFor('the nested-runs experiment with its two runs', () => {
        const node = experiments
          .getChildren()
          .find(
            (n): n is Extract<ExplorerNode, { kind: 'experiment' }> =>
              n.kind === 'experiment' && n.name === 'nested-runs',
          );
        return node && experiments.getChildren(node).length === 1 && node;
      });
      const [top] = experiments.getChildren(exp);
      assert.equal(label(experiments.getTreeItem(top)), 'sweep');
      const under = experiments.getChildren(top);
      assert.deepEqual(under[0], { kind: 'run', folder: exp.folder, id: child.id });
      assert.equal(label(experiments.getTreeItem(under[0])), 'fold-0');
      assert.deepEqual(experiments.getParent(under[0]), { kind: 'run', folder: exp.folder, id: parent.id });
      experiments.setFilter({ text: "attributes.run_name LIKE 'fold%'" });
      assert.deepEqual(
        experiments.getChildren(exp).map((n) => label(experiments.getTreeItem(n))),
        ['fold-0'],
      );
    } finally {
      experiments.setFilter({});
      store.removeRun(child.id);
      store.removeRun(parent.id);
    }
  });

  test('an experiment lists a page of its newest runs; Load more adds the next newest; a filter and a sort page too', async () => {
    const { experiments } = await api();
    const store = Store.open(path.join(workspace(), '.runlens'));
    const config = vscode.workspace.getConfiguration('runlens');
    await config.update('explorer.pageSize', 10, vscode.ConfigurationTarget.Workspace);
    // 25 runs started a minute apart, created oldest last: newest first is not creation order
    const t0 = Date.now() - 3_600_000;
    const runs = [];
    for (let i = 0; i < 25; i++) {
      const r = store.createRun({
        experiment: 'paged',
        name: `paged-${i}`,
        status: 'finished',
        pid: null,
        params: { i },
      });
      runs.push(await store.updateRun(r.id, (rec) => (rec.startTime = t0 + (25 - i) * 60_000)));
    }
    const names = (nodes: ExplorerNode[]) =>
      nodes.filter((n) => n.kind === 'run').map((n) => label(experiments.getTreeItem(n)));
    const byStart = runs.map((r) => r.name); // newest first: paged-0 started last
    try {
      const exp = await waitFor('the paged experiment with its first page', () => {
        const node = experiments
          .getChildren()
          .find(
            (n): n is Extract<ExplorerNode, { kind: 'experiment' }> =>
              n.kind === 'experiment' && n.name === 'paged',
          );
        // every run seen, with the start time it was given after it was created
        return (
          node &&
          experiments.getTreeItem(node).description === '25 runs' &&
          names(experiments.getChildren(node)).join() === byStart.slice(0, 10).join() &&
          node
        );
      });
      assert.equal(experiments.getTreeItem(exp).description, '25 runs');
      // More runs shown than a page: only the experiment with the latest run starts expanded
      const all = experiments.getChildren().filter((n) => n.kind === 'experiment');
      assert.ok(all.length > 1, 'the workspace has other experiments beside paged');
      assert.deepEqual(
        all.map((n) => experiments.getTreeItem(n).collapsibleState),
        all.map((_, i) =>
          i === 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
        ),
      );
      const first = experiments.getChildren(exp);
      assert.deepEqual(names(first), byStart.slice(0, 10));
      const more = first[first.length - 1];
      assert.equal(more.kind, 'loadMore');
      assert.equal(label(experiments.getTreeItem(more)), 'Load more (10 of 25)');
      await vscode.commands.executeCommand('runlens.loadMore', more);
      const second = experiments.getChildren(exp);
      assert.deepEqual(names(second), byStart.slice(0, 20));
      assert.equal(label(experiments.getTreeItem(second[second.length - 1])), 'Load more (20 of 25)');
      experiments.setSort('start');
      assert.deepEqual(names(experiments.getChildren(exp)), [...byStart].reverse().slice(0, 20));
      experiments.setSort('-start');
      experiments.setFilter({ text: 'params.i >= 5' });
      assert.equal(experiments.getTreeItem(exp).description, '20 runs');
      assert.deepEqual(names(experiments.getChildren(exp)), byStart.slice(5, 25));
    } finally {
      experiments.setFilter({});
      experiments.setSort('-start');
      await config.update('explorer.pageSize', undefined, vscode.ConfigurationTarget.Workspace);
      for (const r of runs) store.removeRun(r.id);
    }
  });

  test('stage runs sit under their pipeline run; alike names say what differs; params group by prefix', async () => {
    const { experiments } = await api();
    const store = Store.open(path.join(workspace(), '.runlens'));
    const pipelineRun = 'pipe00000000000001';
    const stage = (name: string) =>
      store.createRun({
        experiment: 'grouped',
        name,
        status: 'finished',
        pid: null,
        tags: { [TAG_PIPELINE_RUN]: pipelineRun, [TAG_STAGE]: name },
      });
    const runs = [
      stage('validate-data'),
      stage('train'),
      store.createRun({
        experiment: 'grouped',
        name: 'whale_calls_finetune_unbalanced_lr0.001_seed1',
        status: 'finished',
        pid: null,
        params: { 'model.depth': 4, 'model.width': 64, seed: 1 },
      }),
      store.createRun({
        experiment: 'grouped',
        name: 'whale_calls_finetune_unbalanced_lr0.001_seed2',
        status: 'finished',
        pid: null,
      }),
    ];
    try {
      const exp = await waitFor('the grouped experiment with a pipeline run and two runs', () => {
        const node = experiments
          .getChildren()
          .find(
            (n): n is Extract<ExplorerNode, { kind: 'experiment' }> =>
              n.kind === 'experiment' && n.name === 'grouped',
          );
        return node && experiments.getChildren(node).length === 3 && node;
      });
      const top = experiments.getChildren(exp);
      const pipe = top.find((n) => n.kind === 'pipelineRun');
      assert.ok(pipe, JSON.stringify(top));
      const pipeItem = experiments.getTreeItem(pipe);
      assert.equal(label(pipeItem), 'pipeline run');
      assert.equal(pipeItem.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
      assert.match(String(pipeItem.description), /^2 stage runs · /);
      const stages = experiments.getChildren(pipe);
      assert.deepEqual(
        stages.map((n) => label(experiments.getTreeItem(n))),
        ['validate-data', 'train'],
      );
      assert.deepEqual(experiments.getParent(stages[1]), pipe);
      const alike = top.filter((n) => n.kind === 'run').map((n) => experiments.getTreeItem(n));
      assert.deepEqual(alike.map((i) => String(i.description).split(' · ')[0]).sort(), ['…seed1', '…seed2']);
      const withParams = top.find((n) => n.kind === 'run' && n.id === runs[2].id)!;
      const params = experiments.getChildren(experiments.getChildren(withParams)[0]);
      assert.deepEqual(
        params.map((n) => [label(experiments.getTreeItem(n)), experiments.getTreeItem(n).description]),
        [
          ['model.', '2 params'],
          ['seed', '1'],
        ],
      );
      assert.deepEqual(
        experiments.getChildren(params[0]).map((n) => label(experiments.getTreeItem(n))),
        ['depth', 'width'],
      );
    } finally {
      for (const r of runs) store.removeRun(r.id);
    }
  });
});
