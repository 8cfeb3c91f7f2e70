// One contract, both logging clients: the same scenario is played by the Python client
// (clients/python/runlens.py, a real python3) and the Node client (dist/client.js, a real node),
// and the store each leaves behind is read back with the project's own store code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { scanMetrics } from '../../../src/core/store/metrics';
import { Store } from '../../../src/core/store/store';
import type { MetricPoint } from '../../../src/core/store/types';
import { cliPath, repoRoot, tempDir } from '../../helpers/tmp';

interface Client {
  name: string;
  file: string;
  /** Lines of the scenario in the client's language. */
  run(ws: string, code: string, env?: NodeJS.ProcessEnv): SpawnSyncReturns<string>;
}

const baseEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  PYTHONPATH: path.join(repoRoot, 'clients', 'python'),
  PYTHONDONTWRITEBYTECODE: '1',
  RUNLENS_STORE: '',
  RUNLENS_RUN_DIR: '',
  RUNLENS_RUN_ID: '',
  RUNLENS_PARAMS: '',
  RUNLENS_EXPERIMENT: '',
  RL_NODE: process.execPath,
  RL_CLI: cliPath,
  ...extra,
});

const clients: Client[] = [
  {
    name: 'python',
    file: 'train.py',
    run(ws, code, env) {
      const file = path.join(ws, this.file);
      fs.writeFileSync(file, 'import os, subprocess, runlens\n' + code + '\n');
      return spawnSync('python3', [file], { cwd: ws, env: baseEnv(env), encoding: 'utf8', timeout: 60_000 });
    },
  },
  {
    name: 'node',
    file: 'train.js',
    run(ws, code, env) {
      const file = path.join(ws, this.file);
      const client = JSON.stringify(path.join(repoRoot, 'dist', 'client.js'));
      fs.writeFileSync(
        file,
        `const runlens = require(${client}); const fs = require('fs'); const cp = require('child_process');\n` +
          code +
          '\n',
      );
      return spawnSync(process.execPath, [file], {
        cwd: ws,
        env: baseEnv(env),
        encoding: 'utf8',
        timeout: 60_000,
      });
    },
  },
];

/** The scenario text for each client. */
type Scenario = Record<'python' | 'node', string>;

function workspace(): { ws: string; store: Store } {
  const ws = fs.realpathSync(tempDir('runlens-contract-'));
  return { ws, store: Store.open(path.join(ws, '.runlens'), { create: true }) };
}

function points(file: string): MetricPoint[] {
  const out: MetricPoint[] = [];
  const scan = scanMetrics(file, (p) => out.push(p));
  assert.deepEqual(scan.warnings, [], `every line of ${file} parses`);
  return out;
}

function ok(r: SpawnSyncReturns<string>, who: string): void {
  assert.equal(r.status, 0, `${who} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

/** Every file under dir (relative paths), to prove that nothing was written elsewhere. */
function tree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .map((p) => p.split(path.sep).join('/'))
    .sort();
}

describe('logging clients contract (Python and Node)', () => {
  const escapes = ['../../../../zz.txt', 'a/../../zz.txt', '..', 'x/..\\..\\zz.txt', ''];
  const artifactScenario: Scenario = {
    python: `
run = runlens.init()
open("w.bin", "w").write("weights")
for name in ${JSON.stringify(escapes)}:
    try:
        runlens.log_artifact("w.bin", name)
        print("accepted", repr(name))
    except ValueError as e:
        print("refused:", e)
print("kept", runlens.log_artifact("w.bin", "model/w.bin"))
runlens.finish()`,
    node: `
runlens.init();
fs.writeFileSync('w.bin', 'weights');
for (const name of ${JSON.stringify(escapes)}) {
  try { runlens.logArtifact('w.bin', name); console.log('accepted', JSON.stringify(name)); }
  catch (e) { console.log('refused:', e.message); }
}
console.log('kept', runlens.logArtifact('w.bin', 'model/w.bin'));
runlens.finish();`,
  };

  for (const c of clients) {
    test(`${c.name}: an artifact name cannot leave artifacts/`, { timeout: 60_000 }, () => {
      const { ws, store } = workspace();
      // The store sits deep enough that ../../../../ from artifacts/ lands inside the workspace.
      const r = c.run(ws, artifactScenario[c.name as keyof Scenario]);
      ok(r, c.name);
      assert.doesNotMatch(r.stdout, /accepted/);
      assert.equal(
        r.stdout.match(/^refused: .*must be a relative path inside artifacts/gm)?.length,
        escapes.length,
      );
      assert.match(r.stdout, /^kept artifacts\/model\/w\.bin$/m);
      const [e] = store.listRuns().entries;
      assert.deepEqual(tree(path.join(store.runDir(e.id), 'artifacts')), ['model', 'model/w.bin']);
      assert.deepEqual(
        tree(ws).filter((p) => !p.startsWith('.runlens/')),
        ['.runlens', c.file, 'w.bin'],
        'nothing written outside the store',
      );
    });
  }

  const tornScenario: Scenario = {
    python: `
runlens.init()
runlens.log({"loss": 2.0}, step=1)
runlens.finish()`,
    node: `
runlens.init();
runlens.log({ loss: 2 }, 1);
runlens.finish();`,
  };

  for (const c of clients) {
    test(`${c.name}: a metrics file with a torn last line gets a newline before the first point`, () => {
      const { ws, store } = workspace();
      const run = store.createRun({ experiment: 'torn' });
      const file = store.metricsFile(run.id);
      // A writer killed mid-line left half a point behind.
      fs.appendFileSync(file, '{"key":"loss","value":1,"step":0,"time":1}\n{"key":"loss","val');
      ok(
        c.run(ws, tornScenario[c.name as keyof Scenario], { RUNLENS_RUN_DIR: store.runDir(run.id) }),
        c.name,
      );
      const got: MetricPoint[] = [];
      const scan = scanMetrics(file, (p) => got.push(p));
      assert.deepEqual(
        got.map((p) => [p.key, p.step, p.value]),
        [
          ['loss', 0, 1],
          ['loss', 1, 2],
        ],
        'the point logged after the torn line is kept',
      );
      assert.equal(scan.warnings.length, 1, 'only the torn half line is skipped');
      assert.equal(scan.partialTail, false);
    });
  }

  const removedScenario: Scenario = {
    python: `
run = runlens.init()
runlens.log({"loss": 1.0})
runlens.flush()
subprocess.run([os.environ["RL_NODE"], os.environ["RL_CLI"], "rm", run.id], check=True)
for i in range(3):
    runlens.log({"loss": 2.0})
    runlens.flush()
runlens.log_params({"late": 1})
runlens.set_tags({"late": "yes"})
runlens.finish()
print("done")`,
    node: `
const run = runlens.init();
runlens.log({ loss: 1 });
run.flush();
cp.execFileSync(process.env.RL_NODE, [process.env.RL_CLI, 'rm', run.id]);
for (let i = 0; i < 3; i++) { runlens.log({ loss: 2 }); run.flush(); }
runlens.logParams({ late: 1 });
runlens.setTags({ late: 'yes' });
runlens.finish();
console.log('done');`,
  };

  for (const c of clients) {
    test(
      `${c.name}: a run removed while it logs: one warning, no more writes, a clean exit`,
      { timeout: 60_000 },
      () => {
        const { ws, store } = workspace();
        const r = c.run(ws, removedScenario[c.name as keyof Scenario]);
        ok(r, c.name);
        assert.match(r.stdout, /^done$/m);
        assert.doesNotMatch(r.stderr, /Traceback|Error/);
        const warnings = r.stderr.split('\n').filter((l) => l.startsWith('runlens:'));
        assert.equal(warnings.length, 1, r.stderr);
        assert.match(warnings[0], /was removed/);
        assert.deepEqual(store.listRuns().entries, [], 'the removed run is not brought back');
        const [id] = store.removedRuns();
        const trashed = path.join(store.trashDir, id);
        assert.deepEqual(
          points(path.join(trashed, 'metrics.jsonl')).map((p) => p.value),
          [1],
          'nothing is written into the trash',
        );
        const record = JSON.parse(fs.readFileSync(path.join(trashed, 'run.json'), 'utf8'));
        assert.equal(record.params.late, undefined);
      },
    );
  }

  test(
    'python under runlens run: the launcher also stops writing and exits with the program',
    { timeout: 60_000 },
    () => {
      const { ws, store } = workspace();
      fs.writeFileSync(
        path.join(ws, 'train.py'),
        `import os, subprocess, runlens
run = runlens.init()
runlens.log({"loss": 1.0})
runlens.flush()
subprocess.run([os.environ["RL_NODE"], os.environ["RL_CLI"], "rm", run.id], check=True)
runlens.log({"loss": 2.0})
print("loss=3")
runlens.finish()
print("done")
`,
      );
      const r = spawnSync(process.execPath, [cliPath, 'run', '--', 'python3', 'train.py'], {
        cwd: ws,
        env: baseEnv(),
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^done$/m);
      assert.match(r.stderr, /was removed while it ran/);
      assert.doesNotMatch(r.stderr, /Traceback|error:/);
      assert.deepEqual(fs.readdirSync(store.runsDir), [], 'the run folder is not made again');
      const [id] = store.removedRuns();
      // The launcher's system/ samples taken before the removal (a slow start on a loaded machine)
      // are the run's too; what the script logged after it is not.
      assert.deepEqual(
        points(path.join(store.trashDir, id, 'metrics.jsonl'))
          .filter((p) => !p.key.startsWith('system/'))
          .map((p) => p.value),
        [1],
      );
    },
  );
});
