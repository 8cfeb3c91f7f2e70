import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ACTION_NAMES } from '../../../src/core/pipeline/types';
import { ACTIONS } from '../../../src/core/pipeline/actions';
import { checkWorkflow, initCi, runsPython, workflowFor } from '../../../src/core/pipeline/ci';
import { lineageOf } from '../../../src/core/pipeline/lineage';
import { PipelineError, loadPipeline, parsePipeline } from '../../../src/core/pipeline/parse';
import { pipelineStatus, readState, runPipeline } from '../../../src/core/pipeline/run';
import type { PipelineRunResult, StageEvent } from '../../../src/core/pipeline/types';
import { Watcher, nextCron, readTriggers } from '../../../src/core/pipeline/watch';
import { inferSchema, writeSchema } from '../../../src/core/data/schema';
import { Registry } from '../../../src/core/store/registry';
import { Store } from '../../../src/core/store/store';
import { repoRoot, tempDir, waitFor } from '../../helpers/tmp';
import { runlens } from '../../helpers/evalCli';

/**
 * A tiny real training script: fits a threshold classifier on x,label rows, prints loss=, writes
 * the model and a predictions file (label, prediction, score) the evaluate action reads.
 */
const TRAIN_JS = `
const fs = require('fs');
const p = JSON.parse(process.env.RUNLENS_PARAMS || '{}');
const rows = fs.readFileSync('work/clean.csv', 'utf8').trim().split('\\n').slice(1).map((l) => l.split(',').map(Number));
const t = Number(p.threshold);
const preds = rows.map(([x, y]) => { const s = 1 / (1 + Math.exp(-(x - t))); return [y, s >= 0.5 ? 1 : 0, s]; });
const loss = -preds.reduce((a, [y, , s]) => a + (y ? Math.log(s) : Math.log(1 - s)), 0) / preds.length;
console.log('loss=' + loss.toFixed(6));
fs.writeFileSync('work/model.json', JSON.stringify({ threshold: t, n: rows.length }));
fs.writeFileSync('work/preds.csv', 'label,prediction,score\\n' + preds.map((r) => r.join(',')).join('\\n') + '\\n');
`;

const PREPARE = `node -e "const fs=require('fs');fs.mkdirSync('work',{recursive:true});const l=fs.readFileSync('data/raw.csv','utf8').trim().split('\\n').filter(r=>!r.includes('NA'));fs.writeFileSync('work/clean.csv',l.join('\\n')+'\\n')"`;

const PIPELINE = `experiment: tiny
params: params.json
stages:
  prepare:
    cmd: ${PREPARE}
    deps: [data/raw.csv]
    outs: [work/clean.csv]
  train:
    cmd: node train.js
    deps: [train.js, work/clean.csv]
    params: [threshold]
    outs: [work/model.json, work/preds.csv]
  evaluate:
    action: evaluate
    with: { predictions: work/preds.csv, run: train }
    deps: [work/preds.csv]
  gate:
    action: gate
    with: { run: train }
    after: [evaluate]
  register:
    action: register
    with: { model: tiny, run: train, files: [work/model.json] }
    after: [gate]
  notes:
    cmd: node -e "require('fs').writeFileSync('notes.txt', 'n=' + require('fs').readFileSync('README.txt','utf8').length)"
    deps: [README.txt]
    outs: [notes.txt]
`;

function rawData(extra = ''): string {
  const rows = ['x,label'];
  for (let i = 0; i < 40; i++) {
    const x = (i - 20) / 4;
    rows.push(`${x},${x + ((i * 7) % 5) / 4 - 0.5 > 0 ? 1 : 0}`);
  }
  rows.push('NA,1');
  return rows.join('\n') + '\n' + extra;
}

function workspace(threshold = 0): { dir: string; store: Store } {
  const dir = tempDir('runlens-pipeline-');
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(path.join(dir, 'data', 'raw.csv'), rawData());
  fs.writeFileSync(path.join(dir, 'train.js'), TRAIN_JS);
  fs.writeFileSync(path.join(dir, 'README.txt'), 'a tiny pipeline\n');
  fs.writeFileSync(path.join(dir, 'params.json'), JSON.stringify({ threshold }));
  fs.writeFileSync(path.join(dir, 'runlens.yaml'), PIPELINE);
  const store = Store.open(path.join(dir, '.runlens'), { create: true });
  return { dir, store };
}

function states(r: PipelineRunResult): Record<string, string> {
  return Object.fromEntries(r.stages.map((s) => [s.stage, s.state]));
}

async function run(dir: string, store: Store, force = false, events?: StageEvent[]) {
  return runPipeline(store, loadPipeline(path.join(dir, 'runlens.yaml')), {
    force,
    onEvent: (e) => events?.push(e),
  });
}

describe('pipeline run', () => {
  test('first run executes every stage, second skips all, a data change reruns from the stage reading it', async () => {
    const { dir, store } = workspace();
    const events: StageEvent[] = [];
    const first = await run(dir, store, false, events);
    assert.equal(first.ok, true, JSON.stringify(first.stages));
    const all = {
      prepare: 'succeeded',
      train: 'succeeded',
      evaluate: 'succeeded',
      gate: 'succeeded',
      register: 'succeeded',
      notes: 'succeeded',
    };
    assert.deepEqual(states(first), all);
    // Each stage went queued -> running -> succeeded, in dependency order.
    assert.deepEqual(
      events.filter((e) => e.stage === 'train').map((e) => e.state),
      ['queued', 'running', 'succeeded'],
    );
    const order = events.filter((e) => e.state === 'running').map((e) => e.stage);
    assert.ok(
      order.indexOf('prepare') < order.indexOf('train') && order.indexOf('train') < order.indexOf('gate'),
    );
    // Every stage is a tracked run tagged with the pipeline run and its stage.
    for (const s of first.stages) {
      const r = store.getRun(s.runId!);
      assert.equal(r.tags['runlens.pipeline.run'], first.id);
      assert.equal(r.tags['runlens.pipeline.stage'], s.stage);
      assert.equal(r.status, 'finished');
    }
    const trainRun = store.getRun(first.stages.find((s) => s.stage === 'train')!.runId!);
    assert.deepEqual(trainRun.params, { threshold: 0 });
    assert.ok(trainRun.summary?.loss, 'loss= captured from the output');
    assert.ok(
      trainRun.summary?.['eval/accuracy'],
      'the evaluate action logged eval/ metrics to the train run',
    );
    assert.equal(
      trainRun.inputs.find((i) => i.path.endsWith('clean.csv'))?.size,
      fs.statSync(path.join(dir, 'work/clean.csv')).size,
    );

    const second = await run(dir, store);
    assert.deepEqual(new Set(Object.values(states(second))), new Set(['skipped']));
    assert.ok(second.stages.every((s) => s.reason === 'up to date'));
    assert.equal(second.stages.find((s) => s.stage === 'train')!.runId, trainRun.id);

    fs.writeFileSync(path.join(dir, 'data', 'raw.csv'), rawData('5.5,1\n'));
    const third = await run(dir, store);
    assert.equal(states(third).prepare, 'succeeded');
    assert.equal(states(third).train, 'succeeded');
    assert.equal(states(third).evaluate, 'succeeded');
    assert.equal(states(third).notes, 'skipped', 'notes does not read the data');
    assert.equal(store.getRun(third.stages.find((s) => s.stage === 'train')!.runId!).inputs.length, 2);

    // Changing a param reruns train (which declares it) but not prepare.
    fs.writeFileSync(path.join(dir, 'params.json'), JSON.stringify({ threshold: 0.25 }));
    const fourth = await run(dir, store);
    assert.equal(states(fourth).prepare, 'skipped');
    assert.equal(states(fourth).train, 'succeeded');

    const forced = await run(dir, store, true);
    assert.ok(
      forced.stages.every((s) => s.state !== 'skipped'),
      JSON.stringify(states(forced)),
    );

    // A deleted output makes its stage out of date.
    fs.rmSync(path.join(dir, 'notes.txt'));
    assert.equal(states(await run(dir, store)).notes, 'succeeded');
  });

  test('status says which stages a run would skip, and why the others would rerun', async () => {
    const { dir, store } = workspace();
    const def = () => loadPipeline(path.join(dir, 'runlens.yaml'));
    const why = () =>
      Object.fromEntries(pipelineStatus(store, def()).map((s) => [s.stage, s.why ?? 'up to date']));
    assert.deepEqual(new Set(Object.values(why())), new Set(['never ran']));
    await run(dir, store);
    assert.deepEqual(new Set(Object.values(why())), new Set(['up to date']));

    fs.writeFileSync(path.join(dir, 'data', 'raw.csv'), rawData('6,1\n'));
    fs.writeFileSync(path.join(dir, 'params.json'), JSON.stringify({ threshold: 0.5 }));
    fs.rmSync(path.join(dir, 'notes.txt'));
    assert.deepEqual(why(), {
      prepare: 'changed: data/raw.csv',
      train: 'after prepare reruns',
      evaluate: 'after train reruns',
      gate: 'after evaluate reruns',
      register: 'after gate reruns',
      notes: 'outs changed: notes.txt',
    });
    // What status predicts is what a run does.
    const r = await run(dir, store);
    assert.deepEqual(
      r.stages.filter((s) => s.state === 'skipped').map((s) => s.stage),
      [],
    );
    fs.writeFileSync(path.join(dir, 'params.json'), JSON.stringify({ threshold: 0.25 }));
    assert.equal(why().train, 'changed: param threshold');
    assert.equal(why().prepare, 'up to date');
    const cli = runlens(['pipeline', 'status'], dir);
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /^prepare .* up to date now$/m);
    assert.match(cli.stdout, /^train .* next run reruns it \(changed: param threshold\)$/m);
    const json = JSON.parse(runlens(['pipeline', 'status', '--json'], dir).stdout);
    assert.equal(
      json.stages.find((x: { stage: string }) => x.stage === 'evaluate').rerunBecause,
      'after train reruns',
    );
  });

  test('two pipelines started at once run one after the other', async () => {
    const { dir, store } = workspace();
    const [a, b] = await Promise.all([run(dir, store), run(dir, store)]);
    const [first, second] = a.stages.some((s) => s.state === 'succeeded') ? [a, b] : [b, a];
    assert.ok(
      first.stages.every((s) => s.state === 'succeeded'),
      JSON.stringify(states(first)),
    );
    assert.ok(
      second.stages.every((s) => s.state === 'skipped'),
      JSON.stringify(states(second)),
    );
  });

  test('a worse model fails the gate and is not registered; lineage traces the registered version', async () => {
    const { dir, store } = workspace(0);
    const first = await run(dir, store);
    assert.equal(first.ok, true);
    const registry = new Registry(store);
    assert.equal(registry.getModel('tiny').versions.length, 1);
    assert.equal(registry.getBaseline('tiny')?.kind, 'model');

    fs.writeFileSync(path.join(dir, 'params.json'), JSON.stringify({ threshold: 4 }));
    const worse = await run(dir, store);
    assert.equal(worse.ok, false);
    assert.equal(states(worse).gate, 'failed');
    assert.match(worse.stages.find((s) => s.stage === 'gate')!.reason!, /gate: fail/);
    assert.equal(states(worse).register, 'blocked');
    assert.deepEqual(worse.failed, ['gate']);
    assert.equal(registry.getModel('tiny').versions.length, 1, 'not registered');
    const md = fs.readFileSync(
      path.join(store.runDir(worse.stages.find((s) => s.stage === 'gate')!.runId!), 'artifacts', 'gate.md'),
      'utf8',
    );
    assert.match(md, /Runlens gate: ❌ fail/);

    const l = lineageOf(store, 'tiny', 1);
    assert.equal(l.pipelineRun, first.id);
    assert.equal(l.sourceRun, first.stages.find((s) => s.stage === 'train')!.runId);
    assert.deepEqual(l.params, { threshold: 0 });
    assert.equal(l.stages.length, 6);
    const cleanSha = l.dataHashes.find((d) => d.path.endsWith('clean.csv'))?.sha256;
    assert.equal(cleanSha, first.id && readState(store).stages.prepare.outs['work/clean.csv']);
    assert.ok(l.stageInputs.prepare['data/raw.csv']);
  });

  test('a failing stage blocks its dependents and the CLI exits non-zero naming it', async () => {
    const { dir, store } = workspace();
    fs.writeFileSync(path.join(dir, 'train.js'), "console.error('boom'); process.exit(3);\n");
    const r = await run(dir, store);
    assert.equal(r.ok, false);
    assert.equal(states(r).train, 'failed');
    assert.equal(r.stages.find((s) => s.stage === 'train')!.reason, 'exit code 3');
    assert.equal(states(r).evaluate, 'blocked');
    assert.equal(states(r).register, 'blocked');
    assert.equal(states(r).notes, 'succeeded', 'an independent stage still runs');
    assert.equal(store.getRun(r.stages.find((s) => s.stage === 'train')!.runId!).status, 'failed');
    assert.equal(readState(store).stages.train, undefined, 'a failed stage is never recorded as up to date');

    const cli = runlens(['pipeline', 'run'], dir);
    assert.equal(cli.status, 1, cli.stderr);
    assert.match(cli.stderr, /stage train failed/);
    assert.match(cli.stderr, /evaluate\s+blocked \(blocked by train/);

    fs.writeFileSync(path.join(dir, 'train.js'), TRAIN_JS);
    const ok = runlens(['pipeline', 'run', 'train', '--json'], dir);
    assert.equal(ok.status, 0, ok.stderr);
    const json = JSON.parse(ok.stdout) as PipelineRunResult;
    assert.deepEqual(
      json.stages.map((s) => [s.stage, s.state]),
      [
        ['prepare', 'skipped'],
        ['train', 'succeeded'],
      ],
    );
  });
});

describe('pipeline file errors carry file and line', () => {
  const issuesOf = (text: string, files: Record<string, string> = {}) => {
    const dir = tempDir('runlens-pipeline-');
    for (const [f, c] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), c);
    const file = path.join(dir, 'runlens.yaml');
    return parsePipeline(text, file).issues.map((i) => ({ ...i, file: path.basename(i.file) }));
  };

  test('YAML syntax error', () => {
    const issues = issuesOf('stages:\n  a:\n    cmd: node -v\n    deps: [x\n');
    assert.equal(issues.length >= 1, true);
    assert.match(issues[0].message, /YAML syntax error/);
    assert.equal(issues[0].file, 'runlens.yaml');
    assert.ok(issues[0].line >= 4, `line ${issues[0].line}`);
  });

  test('cycle, unknown stage, unknown input, missing command, unknown key', () => {
    const text = [
      'stages:', //               1
      '  a:', //                  2
      '    cmd: node -v', //      3
      '    deps: [b.out]', //     4
      '    outs: [a.out]', //     5
      '  b:', //                  6
      '    cmd: node -v', //      7
      '    deps: [a.out]', //     8
      '    outs: [b.out]', //     9
      '  c:', //                  10
      '    cmd: no-such-program-xyz --go', // 11
      '    after: [ghost]', //    12
      '    deps: [missing.csv]', // 13
      '    colour: red', //       14
    ].join('\n');
    const issues = issuesOf(text);
    const find = (re: RegExp) => issues.find((i) => re.test(i.message));
    assert.deepEqual(
      [
        find(/cycle between stages: a -> b -> a/)?.line,
        find(/unknown stage "ghost"/)?.line,
        find(/unknown input "missing.csv"/)?.line,
      ],
      [2, 12, 13],
    );
    assert.equal(find(/command "no-such-program-xyz" not found/)?.line, 11);
    assert.equal(find(/command "no-such-program-xyz" not found/)?.column, 10);
    assert.equal(find(/unknown key "colour"/)?.line, 14);
    assert.equal(find(/unknown input "missing.csv"/)?.column, 12);
  });

  test('stage without cmd or action, unknown action; loadPipeline throws every issue', () => {
    const dir = tempDir('runlens-pipeline-');
    const file = path.join(dir, 'runlens.yaml');
    fs.writeFileSync(file, 'stages:\n  a:\n    deps: []\n  b:\n    action: teleport\n');
    assert.throws(
      () => loadPipeline(file),
      (e: unknown) =>
        e instanceof PipelineError &&
        /runlens\.yaml:2:3: stage "a" needs a cmd or an action/.test(e.message) &&
        /runlens\.yaml:5:13: stage "b": unknown action "teleport"/.test(e.message),
    );
  });
});

describe('continuous training', () => {
  test('the watcher retrains after a data change and records the trigger; a missing path is reported', async () => {
    const { dir, store } = workspace();
    await run(dir, store);
    const logs: string[] = [];
    const done: PipelineRunResult[] = [];
    const w = new Watcher(store, path.join(dir, 'runlens.yaml'), {
      debounceMs: 150,
      log: (l) => logs.push(l),
      onRunDone: (r) => done.push(r),
    });
    assert.deepEqual(w.watched.map((x) => x.rel).sort(), ['README.txt', 'data/raw.csv', 'train.js']);
    w.start();
    try {
      fs.writeFileSync(path.join(dir, 'data', 'raw.csv'), rawData('6,1\n'));
      await waitFor('a pipeline run after the data change', () => done.length >= 1, 60_000);
      await w.idle();
      assert.equal(states(done[0]).train, 'succeeded');
      assert.equal(states(done[0]).notes, 'skipped');
      const triggers = readTriggers(store);
      assert.equal(triggers.at(-1)?.reason, 'data/raw.csv changed');
      assert.equal(triggers.at(-1)?.pipelineRun, done[0].id);

      fs.rmSync(path.join(dir, 'README.txt'));
      const line = await waitFor(
        'the disappearance message',
        () => logs.find((l) => /disappeared/.test(l)),
        10_000,
      );
      assert.match(line, /runlens\.yaml:\d+:\d+: watched path README.txt disappeared/);
    } finally {
      w.stop();
    }
    assert.throws(
      () => new Watcher(store, path.join(dir, 'runlens.yaml')),
      /runlens\.yaml:27:12: stage "notes": unknown input "README.txt"/,
    );
    fs.writeFileSync(path.join(dir, 'README.txt'), 'back\n');
    assert.throws(
      () => new Watcher(store, path.join(dir, 'runlens.yaml'), { paths: ['data/gone.csv'] }),
      /watched path data\/gone.csv does not exist/,
    );
  });

  test('triggers during a run coalesce into one more run', async () => {
    const { dir, store } = workspace();
    const done: string[] = [];
    const w = new Watcher(store, path.join(dir, 'runlens.yaml'), { onRunDone: (_r, why) => done.push(why) });
    w.trigger('first');
    w.trigger('second');
    w.trigger('third');
    await w.idle();
    w.stop();
    assert.deepEqual(done, ['first', 'second']);
    assert.equal(readTriggers(store).filter((t) => t.coalesced).length, 1);
  });

  test('cron schedule', () => {
    const from = new Date('2026-01-01T10:15:00Z');
    assert.equal(nextCron('0 * * * *', from).toISOString(), '2026-01-01T11:00:00.000Z');
    assert.throws(() => nextCron('61 * * * *'), /invalid cron expression "61 \* \* \* \*"/);
  });
});

describe('ci init', () => {
  test('writes a valid workflow and a shell entry point', () => {
    const dir = tempDir('runlens-ci-');
    fs.writeFileSync(path.join(dir, 'package.json'), '{}');
    const files = initCi(dir).map((f) => f.path);
    assert.deepEqual(files, ['.github/workflows/runlens.yml', 'ci/runlens-pipeline.sh']);
    interface Step {
      run?: string;
      uses?: string;
      with?: Record<string, string>;
    }
    const wf = parseYaml(fs.readFileSync(path.join(dir, files[0]), 'utf8')) as {
      on: Record<string, unknown>;
      jobs: { pipeline: { steps: Step[] } };
    };
    assert.deepEqual(checkWorkflow(wf), []);
    assert.ok('pull_request' in wf.on);
    const steps = wf.jobs.pipeline.steps;
    assert.ok(steps.some((s) => s.run === 'npm install'));
    assert.ok(!steps.some((s) => String(s.uses).startsWith('actions/setup-python@')), 'no stage runs Python');
    assert.ok(steps.some((s) => s.run === 'bash ci/runlens-pipeline.sh'));
    const upload = steps.find((s) => String(s.uses).startsWith('actions/upload-artifact@'));
    assert.equal(upload?.with?.path, '.runlens\nrunlens-gate.md');
    assert.match(
      steps.find((s) => String(s.uses).startsWith('actions/github-script@'))?.with?.script ?? '',
      /updateComment[\s\S]*createComment/,
    );
    assert.ok(fs.statSync(path.join(dir, files[1])).mode & 0o100);
    // unedited files are rewritten (or left alone when the same); an edited one only with --force
    assert.deepEqual(
      initCi(dir).map((f) => f.action),
      ['unchanged', 'unchanged'],
    );
    const wfFile = path.join(dir, files[0]);
    fs.writeFileSync(
      wfFile,
      fs.readFileSync(wfFile, 'utf8').replace('timeout-minutes: 60', 'timeout-minutes: 30'),
    );
    const script = fs.readFileSync(path.join(dir, files[1]), 'utf8');
    assert.throws(
      () => initCi(dir),
      /\.github\/workflows\/runlens\.yml was edited since `runlens ci init` wrote it/,
    );
    assert.equal(fs.readFileSync(path.join(dir, files[1]), 'utf8'), script, 'nothing written');
    assert.match(fs.readFileSync(wfFile, 'utf8'), /timeout-minutes: 30/);
    assert.deepEqual(
      initCi(dir, { force: true }).map((f) => f.action),
      ['replaced', 'unchanged'],
    );
    assert.match(fs.readFileSync(wfFile, 'utf8'), /timeout-minutes: 60/);
    // a hand-written file of the same name (no header) is not replaced either
    fs.writeFileSync(wfFile, 'name: mine\n');
    assert.throws(() => initCi(dir), /was edited .* \(or was not written by it\)/);
    // The checker rejects what GitHub rejects.
    assert.deepEqual(
      checkWorkflow({ on: { pull_request: {} }, jobs: { 'bad id': { steps: [{ uses: 'x', run: 'y' }] } } }),
      [
        'job id "bad id" is not valid',
        'jobs.bad id: missing runs-on',
        'jobs.bad id.steps[0]: needs exactly one of uses and run',
        'jobs.bad id.steps[0]: uses "x" is not owner/repo@ref',
      ],
    );
  });

  test('Python is set up when a stage runs it, with pip caching and requirements.txt when present', () => {
    const dir = tempDir('runlens-ci-');
    fs.writeFileSync(
      path.join(dir, 'runlens.yaml'),
      'stages:\n  prep:\n    cmd: node prep.js\n  train:\n    cmd: /usr/bin/python3 -u train.py --epochs 2\n',
    );
    type Wf = {
      jobs: { pipeline: { steps: { uses?: string; run?: string; with?: Record<string, unknown> }[] } };
    };
    const steps = () => (workflowFor(dir) as unknown as Wf).jobs.pipeline.steps;
    assert.deepEqual(steps().find((s) => String(s.uses).startsWith('actions/setup-python@'))?.with, {
      'python-version': '3.12',
    });
    fs.writeFileSync(path.join(dir, 'requirements.txt'), 'scikit-learn\n');
    const py = steps().find((s) => String(s.uses).startsWith('actions/setup-python@'));
    assert.equal(py?.with?.cache, 'pip');
    assert.ok(steps().some((s) => s.run === 'pip install -r requirements.txt'));
    assert.equal(runsPython('python3 train.py'), true);
    assert.equal(runsPython('node train.js'), false);
    assert.equal(runsPython('bash run.sh scripts/fit.py'), true);
    const gl = parseYaml(
      initCi(dir, { provider: 'gitlab' }).map((f) => fs.readFileSync(path.join(dir, f.path), 'utf8'))[0],
    ) as Record<string, Record<string, unknown>>;
    const job = gl['runlens-pipeline'];
    assert.ok((job.before_script as string[]).includes('pip install -r requirements.txt'));
    assert.deepEqual(job.after_script, ['node ci/runlens-gitlab-note.js']);
  });
});

describe('runlens.yaml schema and the quickstart', () => {
  test('the JSON Schema names the same actions and stage keys as the parser', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(repoRoot, 'schemas', 'runlens.schema.json'), 'utf8'));
    const stage = schema.definitions.stage;
    assert.deepEqual([...stage.properties.action.enum].sort(), [...ACTION_NAMES].sort());
    assert.deepEqual(Object.keys(ACTIONS).sort(), [...ACTION_NAMES].sort());
    assert.deepEqual(Object.keys(stage.properties).sort(), [
      'action',
      'after',
      'cmd',
      'deps',
      'desc',
      'experiment',
      'outs',
      'params',
      'with',
    ]);
    assert.deepEqual(Object.keys(schema.properties).sort(), [
      'experiment',
      'gate',
      'params',
      'remote',
      'reproduce',
      'stages',
      'watch',
    ]);
  });

  test('watch: paths and cron come from runlens.yaml, with positions', () => {
    const dir = tempDir('runlens-pipeline-');
    fs.writeFileSync(path.join(dir, 'd.csv'), 'a\n1\n');
    const text =
      'watch:\n  paths: [d.csv, nope.csv]\n  cron: "0 3 * * *"\nstages:\n  a:\n    cmd: node -v\n    deps: [d.csv]\n';
    const r = parsePipeline(text, path.join(dir, 'runlens.yaml'));
    assert.deepEqual(
      r.issues.map((i) => [i.line, i.column, i.message]),
      [[2, 18, 'watch: path "nope.csv" does not exist']],
    );
    assert.equal(r.pipeline?.watch.cron, '0 3 * * *');
  });

  test('the quickstart pipeline: cold run trains and registers, then up to date, then a worse model fails the gate', async () => {
    const dir = tempDir('runlens-quickstart-');
    const src = path.join(repoRoot, 'examples', 'quickstart');
    for (const f of ['runlens.yaml', 'train.js', 'dataset.js', 'params.json'])
      fs.copyFileSync(path.join(src, f), path.join(dir, f));
    fs.cpSync(path.join(src, 'data'), path.join(dir, 'data'), { recursive: true });
    // train.js requires('runlens'): the package under test.
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(repoRoot, path.join(dir, 'node_modules', 'runlens'), 'dir');
    const store = Store.open(path.join(dir, '.runlens'), { create: true });
    const cold = await run(dir, store);
    assert.equal(cold.ok, true, JSON.stringify(cold.stages));
    assert.deepEqual(Object.values(states(cold)), Array(7).fill('succeeded'));
    assert.match(cold.stages.find((s) => s.stage === 'serve-smoke')!.reason!, /0 label mismatches/);
    assert.ok(fs.existsSync(path.join(dir, 'serving', 'quickstart-classifier', 'manifest.json')));
    // The model card says which pipeline run and params produced the packaged model.
    const card = fs.readFileSync(path.join(dir, 'serving', 'quickstart-classifier', 'MODEL_CARD.md'), 'utf8');
    assert.match(card, new RegExp(`## Lineage\\n\\nTrained by pipeline run ${cold.id}, stage train;`));
    assert.match(card, /runlens pipeline lineage quickstart-classifier@v1/);
    const qsParams = JSON.parse(fs.readFileSync(path.join(src, 'params.json'), 'utf8'));
    assert.match(card, new RegExp(`\\| epochs \\| ${qsParams.epochs} \\|`));
    const def = loadPipeline(path.join(dir, 'runlens.yaml'));
    assert.equal(def.watch.drift?.package, 'serving/quickstart-classifier');
    assert.deepEqual(
      def.watch.paths.map((p) => p.path),
      ['data/breast_cancer.csv', 'params.json', 'train.js'],
    );
    const registry = new Registry(store);
    assert.equal(registry.getVersion('quickstart-classifier', 'staging').version, 1);
    const warm = await run(dir, store);
    assert.ok(warm.stages.every((s) => s.state === 'skipped'));

    const params = JSON.parse(fs.readFileSync(path.join(dir, 'params.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'params.json'), JSON.stringify({ ...params, epochs: 2, lr: 0.0005 }));
    const worse = await run(dir, store);
    assert.deepEqual(states(worse), {
      'validate-data': 'skipped',
      train: 'succeeded',
      evaluate: 'succeeded',
      compare: 'failed',
      register: 'blocked',
      package: 'blocked',
      'serve-smoke': 'blocked',
    });
    assert.equal(registry.getModel('quickstart-classifier').versions.length, 1);
  });
});

describe('data actions', () => {
  test('validate blocks training on anomalous data; drift fails on shifted data', async () => {
    const dir = tempDir('runlens-pipeline-');
    const rows = (shift: number, bad = false) =>
      [
        'a,b',
        ...Array.from({ length: 200 }, (_, i) => `${(i % 50) + shift},${bad && i === 7 ? 'oops' : i % 3}`),
      ].join('\n') + '\n';
    fs.writeFileSync(path.join(dir, 'ref.csv'), rows(0));
    fs.writeFileSync(path.join(dir, 'cur.csv'), rows(0));
    writeSchema(path.join(dir, 'schema.json'), await inferSchema(path.join(dir, 'ref.csv')));
    fs.writeFileSync(
      path.join(dir, 'runlens.yaml'),
      [
        'stages:',
        '  check:',
        '    action: validate',
        '    with: { data: cur.csv, schema: schema.json }',
        '    deps: [cur.csv, schema.json]',
        '  drift:',
        '    action: drift',
        '    with: { reference: ref.csv, current: cur.csv }',
        '    deps: [ref.csv, cur.csv]',
        '  fit:',
        "    cmd: node -e \"require('fs').writeFileSync('fit.txt', 'ok')\"",
        '    deps: [cur.csv]',
        '    outs: [fit.txt]',
        '    after: [check, drift]',
      ].join('\n') + '\n',
    );
    const store = Store.open(path.join(dir, '.runlens'), { create: true });
    const ok = await run(dir, store);
    assert.deepEqual(states(ok), { check: 'succeeded', drift: 'succeeded', fit: 'succeeded' });

    fs.writeFileSync(path.join(dir, 'cur.csv'), rows(0, true));
    const bad = await run(dir, store);
    assert.equal(states(bad).check, 'failed');
    assert.match(bad.stages.find((s) => s.stage === 'check')!.reason!, /anomal/);
    assert.equal(states(bad).fit, 'blocked');

    fs.writeFileSync(path.join(dir, 'cur.csv'), rows(40));
    const drifted = await run(dir, store);
    assert.equal(states(drifted).check, 'failed', 'values past the schema range');
    assert.equal(states(drifted).drift, 'failed');
    assert.match(drifted.stages.find((s) => s.stage === 'drift')!.reason!, /dataset drift/);
  });
});
