import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { runIds, runRecord, runlens, slurmUp, workspace } from '../helpers/slurm';

describe('a pipeline with a stage on Slurm', () => {
  before(slurmUp);

  test('the pipeline waits on the job, passes its output on, and the next stage reads what it wrote', () => {
    const ws = workspace();
    fs.writeFileSync(path.join(ws, 'data.txt'), '1\n2\n3\n');
    fs.writeFileSync(
      path.join(ws, 'fit.py'),
      `import os, runlens
run = runlens.init()
total = sum(int(x) for x in open("data.txt"))
runlens.log({"total": total})
open("model.txt", "w").write("%d on %s\\n" % (total, os.environ["SLURM_JOB_ID"]))
print("fitted on", os.environ.get("SLURMD_NODENAME"))
`,
    );
    fs.writeFileSync(
      path.join(ws, 'runlens.yaml'),
      `stages:
  train:
    cmd: python3 fit.py
    deps: [data.txt, fit.py]
    outs: [model.txt]
    on: slurm
    resources:
      time: 5
      cpus: 1
  report:
    cmd: cat model.txt
    deps: [model.txt]
`,
    );
    const r = runlens(ws, ['pipeline', 'run']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /fitted on/);
    const runs = runIds(ws).map((id) => runRecord(ws, id));
    const train = runs.find((x) => x.name === 'train')!;
    const report = runs.find((x) => x.name === 'report')!;
    assert.equal(train.status, 'finished');
    assert.equal(train.job?.state, 'COMPLETED');
    assert.deepEqual(train.job?.resources, { time: '5', cpus: 1 });
    assert.equal(train.summary?.total.last, 6);
    assert.equal(report.job, undefined, 'the other stage ran here');
    assert.equal(fs.readFileSync(path.join(ws, 'model.txt'), 'utf8'), `6 on ${train.job!.id}\n`);
    // Up to date: the second run submits nothing.
    const again = runlens(ws, ['pipeline', 'run']);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(runIds(ws).length, 2);
  });

  test('a Slurm stage that fails stops the pipeline; resources are checked where they are written', () => {
    const ws = workspace();
    fs.writeFileSync(
      path.join(ws, 'runlens.yaml'),
      `stages:
  train:
    cmd: python3 -c "import sys; sys.exit(4)"
    on: slurm
  after:
    cmd: echo never
    after: [train]
`,
    );
    const r = runlens(ws, ['pipeline', 'run']);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /exit code 4/);
    assert.equal(runIds(ws).length, 1, 'the next stage is blocked');
    fs.writeFileSync(
      path.join(ws, 'runlens.yaml'),
      `stages:
  train:
    cmd: python3 train.py
    resources:
      gpus: 0
      colour: blue
`,
    );
    const bad = runlens(ws, ['pipeline', 'run']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr + bad.stdout, /runlens.yaml:5:\d+.*resources.gpus must be a whole number/);
    assert.match(bad.stderr + bad.stdout, /unknown resource "colour"/);
    assert.match(bad.stderr + bad.stdout, /resources apply to stages with on: slurm/);
  });
});
