// A pipeline's stage runs grouped under their pipeline run (the Experiments view's items), on a real
// store written by real pipeline runs; the training stage still counts as a run of its script.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { recognizeMetricLines } from '../../../src/core/lens/recognize';
import { runsOfScript } from '../../../src/core/lens/runs';
import { loadPipeline, parsePipeline } from '../../../src/core/pipeline/parse';
import { listPipelineRuns, runPipeline } from '../../../src/core/pipeline/run';
import {
  groupPipelineRuns,
  pipelineRunOf,
  pipelineModels,
  pipelineRunStatus,
  stageRunIds,
  stageRunsOf,
} from '../../../src/core/pipeline/stageRuns';
import { sortEntries } from '../../../src/core/store/query';
import { Store } from '../../../src/core/store/store';
import type { RunEntry } from '../../../src/core/store/types';
import { TAG_PIPELINE_RUN } from '../../../src/core/store/types';
import { repoRoot, tempDir } from '../../helpers/tmp';

const TRAIN_JS = `
const fs = require('fs');
const p = JSON.parse(process.env.RUNLENS_PARAMS || '{}');
const lr = Number(p.lr);
for (let epoch = 0; epoch < 3; epoch++) console.log('epoch=' + epoch + ' loss=' + (1 / (1 + epoch * lr)).toFixed(4));
fs.writeFileSync('model.json', JSON.stringify({ lr }));
`;

const PIPELINE = `experiment: demo
params: params.json
stages:
  validate-data:
    cmd: node -e "require('fs').readFileSync('data.csv', 'utf8')"
    deps: [data.csv]
  train:
    cmd: node train.js
    deps: [train.js, data.csv]
    params: [lr]
    outs: [model.json]
    after: [validate-data]
  notes:
    cmd: node -e "require('fs').writeFileSync('notes.txt', 'ok')"
    outs: [notes.txt]
    after: [train]
`;

function workspace(): { dir: string; store: Store } {
  const dir = tempDir('runlens-stageruns-');
  fs.writeFileSync(path.join(dir, 'data.csv'), 'x,y\n1,0\n2,1\n');
  fs.writeFileSync(path.join(dir, 'train.js'), TRAIN_JS);
  fs.writeFileSync(path.join(dir, 'params.json'), JSON.stringify({ lr: 0.5 }));
  fs.writeFileSync(path.join(dir, 'runlens.yaml'), PIPELINE);
  return { dir, store: Store.open(path.join(dir, '.runlens'), { create: true }) };
}

const entriesOf = (store: Store): RunEntry[] => store.listRuns({}).entries;

describe('pipeline stage runs in the explorer', () => {
  test('each pipeline run groups the runs it started, in stage order; other runs stay beside them', async () => {
    const { dir, store } = workspace();
    const pipeline = loadPipeline(path.join(dir, 'runlens.yaml'));
    const first = await runPipeline(store, pipeline);
    assert.equal(first.ok, true, JSON.stringify(first.stages));
    // A training started by hand between the two pipeline runs.
    const manual = store.createRun({ experiment: 'demo', name: 'by hand', script: 'train.js', pid: null });
    await store.updateRun(manual.id, (r) => {
      r.status = 'finished';
      r.endTime = Date.now();
    });
    // Only the notes stage is out of date: the others are skipped and keep their first runs.
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'changed');
    const second = await runPipeline(store, pipeline);
    assert.deepEqual(
      second.stages.map((s) => [s.stage, s.state]),
      [
        ['validate-data', 'skipped'],
        ['train', 'skipped'],
        ['notes', 'succeeded'],
      ],
    );

    const entries = entriesOf(store);
    assert.equal(entries.length, 5);
    for (const e of entries.filter((e) => e.id !== manual.id))
      assert.ok(e.tags[TAG_PIPELINE_RUN], `stage run ${e.name} is tagged with its pipeline run at creation`);

    const items = groupPipelineRuns(sortEntries(entries, '-start'));
    assert.deepEqual(
      items.map((i) =>
        i.kind === 'run' ? i.entry.name : `${i.id}: ${i.runs.map((r) => r.name).join(', ')}`,
      ),
      [`${second.id}: notes`, 'by hand', `${first.id}: validate-data, train, notes`],
    );
    // What Open Metrics Chart and Compare Runs take for a pipeline run: its stage runs in the experiment.
    assert.deepEqual(
      stageRunsOf(entries, 'demo', first.id).map((e) => e.name),
      ['validate-data', 'train', 'notes'],
    );
    assert.deepEqual(stageRunsOf(entries, 'other', first.id), []);
    const firstGroup = items[2];
    assert.ok(firstGroup.kind === 'pipelineRun');
    assert.equal(pipelineRunStatus(firstGroup.runs), 'finished');
  });

  test('runs written before the tag are grouped from the pipeline records; skipped stages stay with their first run', async () => {
    const { dir, store } = workspace();
    const pipeline = loadPipeline(path.join(dir, 'runlens.yaml'));
    const first = await runPipeline(store, pipeline);
    await runPipeline(store, pipeline, { stage: 'train' }); // all up to date: only skipped stages
    // A store written before stage runs were tagged: remove the tag from every run.
    for (const e of entriesOf(store))
      await store.updateRun(e.id, (r) => {
        delete r.tags[TAG_PIPELINE_RUN];
      });
    const untagged = entriesOf(store);
    assert.ok(untagged.every((e) => pipelineRunOf(e) === undefined));

    const recorded = stageRunIds(listPipelineRuns(store));
    assert.equal(recorded.size, 3);
    assert.ok([...recorded.values()].every((p) => p === first.id));
    const items = groupPipelineRuns(sortEntries(untagged, '-start'), recorded);
    assert.equal(items.length, 1);
    assert.ok(items[0].kind === 'pipelineRun');
    assert.deepEqual(
      items[0].runs.map((r) => r.name),
      ['validate-data', 'train', 'notes'],
    );
  });

  test("the training stage's run is a run of its script for the lenses", async () => {
    const { dir, store } = workspace();
    const result = await runPipeline(store, loadPipeline(path.join(dir, 'runlens.yaml')));
    const trainRun = result.stages.find((s) => s.stage === 'train')!.runId!;
    const lines = recognizeMetricLines(TRAIN_JS, 'javascript');
    const runs = runsOfScript(entriesOf(store), 'train.js', lines);
    assert.deepEqual(
      runs.map((r) => r.id),
      [trainRun],
    );
    assert.equal(runs[0].tags[TAG_PIPELINE_RUN], result.id);
    assert.ok(runs[0].metrics.loss, 'its metrics come from the output');
    // The other stage runs are not the script's.
    assert.deepEqual(runsOfScript(entriesOf(store), 'notes.js', []), []);
  });

  test('a failed stage makes its pipeline run failed; a running one makes it running', () => {
    const run = (status: RunEntry['status']) => ({ status }) as RunEntry;
    assert.equal(pipelineRunStatus([run('finished'), run('failed')]), 'failed');
    assert.equal(pipelineRunStatus([run('finished'), run('running')]), 'running');
    assert.equal(pipelineRunStatus([run('finished')]), 'finished');
    assert.equal(
      pipelineRunStatus([run('finished')], {
        ok: false,
        stages: [],
      } as unknown as Parameters<typeof pipelineRunStatus>[1]),
      'failed',
    );
  });
});

describe("the model a pipeline registers (Register Model's suggestion)", () => {
  test("the quickstart's register stage registers quickstart-classifier from experiment quickstart", () => {
    const p = loadPipeline(path.join(repoRoot, 'examples', 'quickstart', 'runlens.yaml'));
    assert.deepEqual(pipelineModels(p), [
      { model: 'quickstart-classifier', experiment: 'quickstart', stage: 'register' },
    ]);
  });

  test('the experiment is the one of the stage whose run is registered', () => {
    const text = `experiment: main
stages:
  train:
    cmd: node train.js
    experiment: trainings
  ship:
    action: register
    with: { model: churn, run: train }
  other:
    action: evaluate
    with: { run: train, predictions: p.csv }
`;
    const parsed = parsePipeline(text, path.join(tempDir('runlens-pmodels-'), 'runlens.yaml'));
    assert.ok(parsed.pipeline, JSON.stringify(parsed.issues));
    assert.deepEqual(pipelineModels(parsed.pipeline), [
      { model: 'churn', experiment: 'trainings', stage: 'ship' },
    ]);
  });
});
