// Notebooks run headless as tracked runs: which program runs them (papermill, else nbconvert, else
// a message saying what to install), and a real run of the fixture notebook with Debian's nbconvert
// and ipykernel (scripts/setup.js installs them): the notebook is the run's script, its cells are in
// the recorded diff and in notebook.py, and the lenses of its cells read the run's metrics.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { parseNotebook, recognizeNotebookCells } from '../../../src/core/lens/notebook';
import { matchesKey } from '../../../src/core/lens/recognize';
import { runsOfScript } from '../../../src/core/lens/runs';
import { reproduceRun } from '../../../src/core/repro/reproduce';
import { RunlensError } from '../../../src/core/errors';
import { readSeries } from '../../../src/core/store/metrics';
import { Store } from '../../../src/core/store/store';
import { findNotebookTools, launchNotebook, notebookCommand } from '../../../src/core/tracking/notebook';
import type { NotebookTools } from '../../../src/core/tracking/notebook';
import { newRepo, write } from '../../helpers/gitRepo';
import { cli, repoRoot, tempDir } from '../../helpers/tmp';

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'workspace', 'notebooks', 'train.ipynb');
const PY = '/usr/bin/python3';
const both: NotebookTools = {
  python: PY,
  papermill: [PY, '-m', 'papermill'],
  nbconvert: [PY, '-m', 'nbconvert'],
};

describe('the program that runs a notebook', () => {
  test('papermill when installed: params as -p (typed), -r (strings as text); output streamed', () => {
    const c = notebookCommand(both, '/w/nb.ipynb', '/w/.runlens/runs/x/artifacts/nb.ipynb', {
      lr: 0.05,
      epochs: 3,
      tag: '007',
      shuffle: false,
      note: null,
    });
    assert.equal(c.tool, 'papermill');
    assert.equal(c.command, PY);
    assert.deepEqual(c.args, [
      '-m',
      'papermill',
      '/w/nb.ipynb',
      '/w/.runlens/runs/x/artifacts/nb.ipynb',
      '-p',
      'lr',
      '0.05',
      '-p',
      'epochs',
      '3',
      '-r',
      'tag',
      '007',
      '-p',
      'shuffle',
      'False',
      '-p',
      'note',
      'None',
      '--stdout-file',
      '/dev/stdout',
      '--stderr-file',
      '/dev/stderr',
      '--no-progress-bar',
    ]);
    const win = notebookCommand(
      { python: 'python', papermill: ['papermill'] },
      'nb.ipynb',
      'out.ipynb',
      {},
      'win32',
    );
    assert.deepEqual(
      [win.command, ...win.args],
      ['papermill', 'nb.ipynb', 'out.ipynb', '--log-output', '--no-progress-bar'],
    );
  });

  test('nbconvert when papermill is not installed: executed into the output folder, no cell time limit', () => {
    const c = notebookCommand(
      { python: PY, nbconvert: ['jupyter-nbconvert'] },
      '/w/nb.ipynb',
      '/w/out/nb.ipynb',
      {
        lr: 1,
      },
    );
    assert.equal(c.tool, 'nbconvert');
    assert.deepEqual(
      [c.command, ...c.args],
      [
        'jupyter-nbconvert',
        '--to',
        'notebook',
        '--execute',
        '/w/nb.ipynb',
        '--output-dir',
        '/w/out',
        '--output',
        'nb',
        '--ExecutePreprocessor.timeout=-1',
      ],
    );
  });

  test("nbclient (nbconvert's executor) before the nbconvert command: the same Python runs the notebook and streams its cells' output", () => {
    const c = notebookCommand(
      { ...both, papermill: undefined, nbclient: [PY] },
      '/w/nb.ipynb',
      '/w/out/nb.ipynb',
      {},
    );
    assert.equal(c.tool, 'nbclient');
    assert.equal(c.command, PY);
    assert.equal(c.args[0], '-c');
    assert.deepEqual(c.args.slice(2), ['/w/nb.ipynb', '/w/out/nb.ipynb']);
    assert.match(c.args[1], /NotebookClient/);
    assert.match(c.args[1], /timeout=None/);
    // papermill still comes first
    assert.equal(
      notebookCommand({ ...both, nbclient: [PY] }, '/w/nb.ipynb', '/w/o.ipynb', {}).tool,
      'papermill',
    );
  });

  test('neither installed: an error that says which to install', () => {
    assert.throws(
      () => notebookCommand({ python: 'python3' }, 'nb.ipynb', 'out.ipynb', {}),
      (e: unknown) =>
        e instanceof RunlensError &&
        e.kind === 'usage' &&
        e.message.includes(
          'cannot run nb.ipynb headless: neither papermill nor jupyter nbconvert is installed',
        ) &&
        e.message.includes('looked in python3 and on PATH') &&
        e.message.includes('pip install papermill ipykernel') &&
        e.message.includes('apt-get install jupyter-nbconvert python3-ipykernel'),
    );
    assert.throws(
      () => notebookCommand({ python: 'py', missingKernel: true }, 'nb.ipynb', 'out.ipynb', {}),
      /py has papermill or nbconvert but no Python kernel; install ipykernel there/,
    );
  });

  test('a Python without either (a fresh venv, nothing else on PATH) finds neither', async (t) => {
    const dir = tempDir('runlens-venv-');
    const venv = spawnSync(PY, ['-m', 'venv', '--without-pip', path.join(dir, 'venv')], { encoding: 'utf8' });
    if (venv.status !== 0) return t.skip(`python3 -m venv is not available: ${venv.stderr}`);
    const python = path.join(dir, 'venv', 'bin', 'python');
    const tools = await findNotebookTools(python, { PATH: path.dirname(python) });
    assert.deepEqual(tools, { python });
    assert.throws(
      () => notebookCommand(tools, 'nb.ipynb', 'o.ipynb', {}),
      /neither papermill nor jupyter nbconvert/,
    );
  });
});

const hasNbconvert = () =>
  spawnSync(PY, ['-c', 'import nbconvert, ipykernel'], { stdio: 'ignore' }).status === 0;

/** A notebook of these code cells, cells.ipynb in dir, run headless as nbclient runs it (papermill aside). */
async function runCells(
  dir: string,
  sources: string[],
  onOutput: (chunk: Buffer) => void,
  env?: NodeJS.ProcessEnv,
) {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: sources.map((source) => ({
      cell_type: 'code',
      metadata: {},
      execution_count: null,
      outputs: [],
      source,
    })),
  };
  fs.writeFileSync(path.join(dir, 'cells.ipynb'), JSON.stringify(nb));
  const store = Store.open(path.join(dir, '.runlens'), { create: true });
  const tools = await findNotebookTools(PY, { ...process.env, PATH: '/usr/bin:/bin' });
  const launched = await launchNotebook(store, {
    notebook: 'cells.ipynb',
    cwd: dir,
    tools: { ...tools, papermill: undefined },
    systemMetrics: false,
    onOutput,
    env,
  });
  return { store, ...(await launched.done) };
}

describe('a notebook run (nbconvert, real kernel)', () => {
  test('the notebook is the script, its changed cell is in the diff, the lenses of its cells read the run', async (t) => {
    if (!hasNbconvert())
      return t.skip(
        'nbconvert and ipykernel are not installed for /usr/bin/python3 (apt-get install jupyter-nbconvert python3-ipykernel)',
      );
    const original = fs.readFileSync(FIXTURE, 'utf8');
    const { dir, store } = newRepo({ 'notebooks/train.ipynb': original });
    // An uncommitted edit of the training cell: the run must record it.
    const edited = JSON.parse(original) as { cells: { source: string[] }[] };
    edited.cells[3].source = edited.cells[3].source.map((l) =>
      l.replace('math.exp(-lr * (epoch + 1))', 'math.exp(-lr * (epoch + 1)) * 0.5'),
    );
    write(dir, { 'notebooks/train.ipynb': JSON.stringify(edited, null, 1) + '\n' });

    const tools = await findNotebookTools(PY, { ...process.env, PATH: '/usr/bin:/bin' });
    assert.deepEqual(tools.nbconvert, [PY, '-m', 'nbconvert']);
    assert.deepEqual(tools.nbclient, [PY]);
    const output: Buffer[] = [];
    const launched = await launchNotebook(store, {
      notebook: 'train.ipynb',
      cwd: path.join(dir, 'notebooks'),
      tools: { ...tools, papermill: undefined },
      params: { lr: 0.5, epochs: 5 },
      systemMetrics: false,
      onOutput: (c) => output.push(c),
    });
    const { run, status } = await launched.done;
    assert.equal(status, 'finished', Buffer.concat(output).toString());
    assert.equal(run.script, 'notebooks/train.ipynb');
    assert.equal(run.name.startsWith('train-'), true, run.name);
    assert.equal(run.tags['runlens.notebook.tool'], 'nbclient');
    const executed = path.join(store.runDir(run.id), 'artifacts', 'train.ipynb');
    assert.equal(run.command?.[0], PY);
    assert.deepEqual(run.command?.slice(3), [path.join(dir, 'notebooks', 'train.ipynb'), executed]);
    // what the cells printed reached the run's output (a shell cell's too)
    assert.match(
      Buffer.concat(output).toString(),
      /training\r?\n[\s\S]*loss=1\.0 written by a shell cell\n[\s\S]*final: train_time=2\.5/,
    );
    assert.deepEqual(run.params, { lr: 0.5, epochs: 5 });

    // The client in the kernel attached to the launched run: the params reached it, its points are the run's.
    const loss = readSeries(store.metricsFile(run.id), 'loss').series;
    assert.deepEqual(loss.steps, [0, 1, 2, 3, 4]);
    for (const [i, v] of loss.values.entries())
      assert.ok(Math.abs(v - Math.exp(-0.5 * (i + 1)) * 0.5) < 1e-12, `loss[${i}] ${v}`);

    // The executed copy with its outputs; the notebook in the workspace is left as it was.
    const ran = parseNotebook(fs.readFileSync(executed, 'utf8'));
    assert.equal(ran.cells.length, 6);
    const outputs = (
      JSON.parse(fs.readFileSync(executed, 'utf8')) as { cells: { outputs?: { text?: string[] }[] }[] }
    ).cells;
    assert.match(JSON.stringify(outputs[5].outputs), /final: train_time=2.5/);
    assert.equal(
      fs.readFileSync(path.join(dir, 'notebooks', 'train.ipynb'), 'utf8'),
      JSON.stringify(edited, null, 1) + '\n',
    );

    // The record: the changed cell line in git.diff, every code cell in notebook.py.
    assert.ok(run.git?.dirty && run.git.diffArtifact, JSON.stringify(run.git));
    const diff = fs.readFileSync(path.join(store.runDir(run.id), run.git.diffArtifact), 'utf8');
    assert.match(diff, /^\+.*math\.exp\(-lr \* \(epoch \+ 1\)\) \* 0\.5/m);
    assert.match(diff, /^-.*math\.exp\(-lr \* \(epoch \+ 1\)\)\\n/m);
    const script = fs.readFileSync(path.join(store.runDir(run.id), 'artifacts', 'notebook.py'), 'utf8');
    assert.match(
      script,
      /# %% \[cell 4\]\n!echo training\nfor epoch in range\(epochs\):\n {4}loss = math\.exp\(-lr \* \(epoch \+ 1\)\) \* 0\.5/,
    );
    assert.match(
      script,
      /# %% \[cell 6\]\nprint\(f"final: train_time=\{epochs \* 0\.5\}"\)\nrun\.finish\(\)\n/,
    );

    // The lenses of the notebook's cells find this run by its script and name its metrics.
    const cells = ran.cells.filter((c) => c.kind === 'code').map((c) => c.source);
    const lines = recognizeNotebookCells(cells, 'python');
    const runs = runsOfScript(store.listRuns().entries, 'notebooks/train.ipynb', lines.flat());
    assert.deepEqual(
      runs.map((r) => r.id),
      [run.id],
    );
    const logged = Object.keys(runs[0].metrics);
    assert.deepEqual(
      lines[1].map((l) => logged.filter((k) => matchesKey(l, k)).sort()),
      [['loss', 'val_acc']],
    );

    // Reproduced from its record (commit + the recorded cell edit): the same losses, and the executed
    // copy goes to the new run's artifacts, never over the original's.
    const before = fs.readFileSync(executed);
    const beforeTime = fs.statSync(executed).mtimeMs;
    const again = await reproduceRun(store, run.id, { onOutput: () => undefined });
    assert.equal(again.verdict, 'reproduced', JSON.stringify(again.metrics));
    assert.deepEqual(fs.readFileSync(executed), before);
    assert.equal(fs.statSync(executed).mtimeMs, beforeTime);
    const copy = path.join(store.runDir(again.run.id), 'artifacts', 'train.ipynb');
    assert.match(fs.readFileSync(copy, 'utf8'), /final: train_time=2.5/);
  });

  test('a notebook that only prints its metrics: each printed line reaches the run while the cells run, and its metrics are read', async (t) => {
    if (!hasNbconvert()) return t.skip('nbconvert and ipykernel are not installed for /usr/bin/python3');
    const dir = tempDir();
    const go = path.join(dir, 'go');
    let text = '';
    let seenFirst = false;
    const { store, run, status } = await runCells(
      dir,
      [
        'import os, time\nprint("epoch 0: loss=0.9 acc=0.51", flush=True)',
        // waits until the test has seen the first line: a runner that writes output only at the end never gets here
        `deadline = time.time() + 120\nwhile not os.path.exists(${JSON.stringify(go)}) and time.time() < deadline:\n    time.sleep(0.05)\nprint("waited" if os.path.exists(${JSON.stringify(go)}) else "timed out")`,
        'for e in (1, 2):\n    print(f"epoch {e}: loss={0.9 / (e + 1):.4f} acc={0.51 + 0.1 * e:.2f}")',
      ],
      (c) => {
        text += c.toString();
        if (!seenFirst && text.includes('epoch 0: loss=0.9')) {
          seenFirst = true;
          fs.writeFileSync(go, '');
        }
      },
    );
    assert.equal(status, 'finished', text);
    assert.equal(run.tags['runlens.notebook.tool'], 'nbclient');
    assert.match(text, /epoch 0: loss=0\.9 acc=0\.51\n[\s\S]*waited\n/);
    const loss = readSeries(store.metricsFile(run.id), 'loss').series;
    assert.deepEqual(loss.steps, [0, 1, 2]);
    for (const [i, want] of [0.9, 0.45, 0.3].entries())
      assert.ok(Math.abs(loss.values[i] - want) < 1e-9, `${loss.values[i]}`);
    assert.deepEqual(readSeries(store.metricsFile(run.id), 'acc').series.values, [0.51, 0.61, 0.71]);
  });

  test('a failing cell: the executed copy is still written, the error is in the output, the run failed', async (t) => {
    if (!hasNbconvert()) return t.skip('nbconvert and ipykernel are not installed for /usr/bin/python3');
    let text = '';
    const { store, run, status } = await runCells(
      tempDir(),
      ['print("before")', 'raise ValueError("bad column: label")', 'print("never")'],
      (c) => (text += c.toString()),
    );
    assert.equal(status, 'failed');
    assert.match(text, /before\n/);
    assert.match(text, /ValueError: bad column: label/);
    assert.doesNotMatch(text, /never/);
    const copy = fs.readFileSync(path.join(store.runDir(run.id), 'artifacts', 'cells.ipynb'), 'utf8');
    assert.match(copy, /bad column: label/);
  });

  test('what a subprocess of a cell prints is read once; non-ASCII output under a non-UTF-8 locale; a kernel that dies', async (t) => {
    if (!hasNbconvert()) return t.skip('nbconvert and ipykernel are not installed for /usr/bin/python3');
    let text = '';
    const sub = await runCells(
      tempDir(),
      [
        'import subprocess, sys\nfor e in range(3):\n    subprocess.run([sys.executable, "-c", f"print(\'epoch {e}: loss={1 / (e + 1):.3f}\')"])',
        'print("acc=0.9 \u2713 caf\u00e9")',
      ],
      (c) => (text += c.toString()),
      { PYTHONIOENCODING: 'cp1252' },
    );
    assert.equal(sub.status, 'finished', text);
    assert.equal(text.match(/epoch 1: loss=0\.500/g)?.length, 1, text);
    assert.match(text, /acc=0\.9 \u2713 caf\u00e9/);
    const loss = readSeries(sub.store.metricsFile(sub.run.id), 'loss').series;
    assert.deepEqual(loss.steps, [0, 1, 2]);

    text = '';
    const died = await runCells(
      tempDir(),
      ['print("before")', 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)'],
      (c) => (text += c.toString()),
    );
    assert.equal(died.status, 'failed');
    assert.match(text, /before\n[\s\S]*(DeadKernelError|Kernel died)/);
    const copy = fs.readFileSync(
      path.join(died.store.runDir(died.run.id), 'artifacts', 'cells.ipynb'),
      'utf8',
    );
    assert.match(copy, /before/);
  });

  test('run in a kernel outside Runlens, the client records the notebook its front end names', (t) => {
    if (!hasNbconvert()) return t.skip('nbconvert and ipykernel are not installed for /usr/bin/python3');
    const { dir, store } = newRepo({ 'notebooks/train.ipynb': fs.readFileSync(FIXTURE, 'utf8') });
    const nb = path.join(dir, 'notebooks', 'train.ipynb');
    const env = {
      ...process.env,
      PYTHONPATH: path.join(repoRoot, 'clients', 'python'),
      RUNLENS_STORE: store.dir,
      RUNLENS_RUN_DIR: '',
      PYDEVD_DISABLE_FILE_VALIDATION: '1',
    };
    const execute = (extra: NodeJS.ProcessEnv) =>
      spawnSync(PY, ['-m', 'nbconvert', '--to', 'notebook', '--execute', nb, '--output-dir', tempDir()], {
        cwd: path.dirname(nb),
        env: { ...env, ...extra },
        encoding: 'utf8',
      });
    // Jupyter Server names the notebook of a kernel's session in JPY_SESSION_NAME.
    let r = execute({ JPY_SESSION_NAME: nb });
    assert.equal(r.status, 0, r.stderr);
    r = execute({ JPY_SESSION_NAME: '' });
    assert.equal(r.status, 0, r.stderr);
    const runs = store.listRuns().entries.sort((a, b) => a.startTime - b.startTime);
    assert.deepEqual(
      runs.map((e) => [e.script, e.status]),
      [
        ['notebooks/train.ipynb', 'finished'],
        [null, 'finished'],
      ],
    );
    assert.match(runs[0].name, /^train-/);
  });

  test('runlens run NOTEBOOK.ipynb runs it headless from the command line, with -p params', (t) => {
    if (!hasNbconvert()) return t.skip('nbconvert and ipykernel are not installed for /usr/bin/python3');
    const { dir } = newRepo({ 'notebooks/train.ipynb': fs.readFileSync(FIXTURE, 'utf8') });
    const env = { PATH: '/usr/bin:/bin', RUNLENS_SYSTEM_METRICS: '0' };
    const r = cli(['run', '--python', PY, '-p', 'epochs=3', '--', 'notebooks/train.ipynb'], {
      cwd: dir,
      env,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /finished \(exit code 0\)/);
    const runs = JSON.parse(cli(['ls', '--json'], { cwd: dir }).stdout) as {
      id: string;
      script: string;
      params: Record<string, unknown>;
      metrics: Record<string, { count: number; last: number }>;
    }[];
    assert.equal(runs.length, 1);
    assert.equal(runs[0].script, 'notebooks/train.ipynb');
    assert.equal(runs[0].params.epochs, 3);
    // The fixture's loop: loss = exp(-lr * (epoch + 1)) with lr 0.3, here for 3 epochs.
    assert.equal(runs[0].metrics.loss.count, 3);
    assert.ok(Math.abs(runs[0].metrics.loss.last - Math.exp(-0.9)) < 1e-12);
    const copy = path.join(dir, '.runlens', 'runs', runs[0].id, 'artifacts', 'train.ipynb');
    assert.ok(fs.existsSync(copy), 'the executed copy is an artifact');
    // On Slurm it is refused before a run exists, saying why.
    const slurm = cli(['run', '--on', 'slurm', '--', 'notebooks/train.ipynb'], { cwd: dir, env });
    assert.equal(slurm.status, 2);
    assert.match(slurm.stderr, /is a notebook: notebooks run on this machine, not on Slurm/);
    assert.equal((JSON.parse(cli(['ls', '--json'], { cwd: dir }).stdout) as unknown[]).length, 1);
  });

  test('a notebook that is not one is refused before a run exists', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'broken.ipynb'), '{"cells": [');
    const { store } = newRepo({});
    await assert.rejects(
      launchNotebook(store, { notebook: path.join(dir, 'broken.ipynb'), tools: both, cwd: dir }),
      /broken\.ipynb: not a Jupyter notebook \(invalid JSON/,
    );
    await assert.rejects(
      launchNotebook(store, { notebook: 'missing.ipynb', tools: both, cwd: dir }),
      /missing\.ipynb: no such notebook/,
    );
    await assert.rejects(
      launchNotebook(store, { notebook: FIXTURE, tools: { python: 'python3' }, cwd: dir }),
      /neither papermill nor jupyter nbconvert is installed/,
    );
    assert.deepEqual(store.listRuns().entries, []);
  });
});
