// The Team view against a real MLflow 2.12.2 server (scripts/services/mlflow-up.sh): it lists the
// server's experiments, expanding one pulls its runs into the workspace store (marked with their
// origin); "Push Runs to MLflow" publishes a local run.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunlensApi } from '../../../src/extension/root';
import type { TeamNode } from '../../../src/extension/team/teamView';
import { waitFor } from './wait';

// This file runs as out/test/integration/suite/team.test.js.
const repo = path.resolve(__dirname, '../../../..');

suite('team (MLflow server)', function () {
  this.timeout(240_000);
  let dir: string;
  let uri: string;
  let pythonPath: string;

  suiteSetup(function () {
    this.timeout(240_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-team-mlflow-'));
    const port = String(30000 + (process.pid % 20000));
    const up = spawnSync('bash', [path.join(repo, 'scripts/services/mlflow-up.sh'), dir, port], {
      encoding: 'utf8',
    });
    assert.equal(up.status, 0, `mlflow-up.sh: ${up.stderr}`);
    uri = /^MLFLOW_TRACKING_URI=(.*)$/m.exec(up.stdout)![1];
    pythonPath = /^MLFLOW_PYTHONPATH=(.*)$/m.exec(up.stdout)![1];
    // The team's production model run, logged with MLflow's own client.
    const py = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        `import mlflow
mlflow.set_experiment("team-production")
with mlflow.start_run(run_name="prod-gbm"):
    mlflow.log_params({"learning_rate": "0.1", "max_depth": "3"})
    for i in range(30):
        mlflow.log_metric("val_acc", 0.8 + i / 200, step=i)`,
      ],
      { encoding: 'utf8', env: { ...process.env, MLFLOW_TRACKING_URI: uri, PYTHONPATH: pythonPath } },
    );
    assert.equal(py.status, 0, py.stderr);
  });

  suiteTeardown(async () => {
    await vscode.workspace
      .getConfiguration('runlens')
      .update('remote.mlflowUri', undefined, vscode.ConfigurationTarget.Workspace);
    spawnSync('bash', [path.join(repo, 'scripts/services/mlflow-down.sh'), dir]);
  });

  test('lists the server experiments and pulls on expand; Push Runs to MLflow publishes a run', async () => {
    const ext = vscode.extensions.getExtension<RunlensApi>('runlens.runlens');
    assert.ok(ext);
    const { team, model } = await ext.activate();
    await vscode.workspace
      .getConfiguration('runlens')
      .update('remote.mlflowUri', uri, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('workbench.view.extension.runlens');
    const roots = await team.getChildren();
    const exp = roots.find(
      (n): n is Extract<TeamNode, { kind: 'experiment' }> =>
        n.kind === 'experiment' && n.experiment.name === 'team-production',
    );
    assert.ok(exp, `team-production listed: ${JSON.stringify(roots.map((r) => team.getTreeItem(r).label))}`);
    assert.equal(team.getTreeItem(exp).collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    const runs = await team.getChildren(exp);
    assert.equal(runs.length, 1);
    const item = team.getTreeItem(runs[0]);
    assert.equal(item.label, 'prod-gbm');
    assert.equal(item.contextValue, 'run.remote');
    // The pulled run is in the explorer's model, with its points and origin, read-only.
    const pulled = await waitFor('the pulled run in the model', () =>
      model.allRuns().find((r) => r.entry.name === 'prod-gbm' && r.entry.tags['runlens.origin'] === uri),
    );
    assert.equal(pulled.entry.metrics.val_acc.count, 30);
    assert.equal(pulled.entry.params.max_depth, 3);

    // Push a local run of the workspace store.
    const folder = model.folders[0];
    assert.ok(folder.store);
    const local = folder.store.createRun({
      experiment: 'candidate',
      name: 'my-candidate',
      params: { lr: 0.01 },
      pid: null,
    });
    fs.appendFileSync(
      folder.store.metricsFile(local.id),
      '{"key":"val_acc","value":0.97,"step":0,"time":1}\n',
    );
    await folder.store.updateRun(local.id, (r) => ((r.status = 'finished'), (r.endTime = Date.now())));
    folder.reload();
    await waitFor('the local run in the model', () => folder.entries.get(local.id));
    await vscode.commands.executeCommand('runlens.pushToMlflow', {
      kind: 'run',
      folder: folder.folder.uri.toString(),
      id: local.id,
    });
    const check = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        `from mlflow.tracking import MlflowClient
c = MlflowClient()
e = c.get_experiment_by_name("candidate")
r = c.search_runs([e.experiment_id], "tags.\`runlens.run_id\` = '${local.id}'")[0]
print(r.info.run_name, r.info.status, r.data.params["lr"], [m.value for m in c.get_metric_history(r.info.run_id, "val_acc")])`,
      ],
      { encoding: 'utf8', env: { ...process.env, MLFLOW_TRACKING_URI: uri, PYTHONPATH: pythonPath } },
    );
    assert.equal(check.status, 0, check.stderr);
    assert.equal(check.stdout.trim(), 'my-candidate FINISHED 0.01 [0.97]');
  });
});
