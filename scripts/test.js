// The test command: lint, format, type check, build, then every test tier. Prints one closing line
// with the totals of all tiers. `npm test -- unit` runs only the named tiers.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const only = process.argv.slice(2);
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function sh(name, cmd, args, env = {}) {
  if (only.length && !only.includes(name)) return true;
  const t0 = Date.now();
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env: { ...process.env, ...env } });
  const ok = r.status === 0;
  console.log(
    `=== ${name}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  if (!ok) failures.push(name);
  return ok;
}

/** Run node:test files with the spec reporter on screen and TAP in a file for the totals. */
function nodeTests(name, globs, { env = {}, concurrency = 2 } = {}) {
  if (only.length && !only.includes(name)) return;
  const tap = path.join(os.tmpdir(), `runlens-${name}-${process.pid}.tap`);
  sh(
    name,
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...expand(globs),
    ],
    env,
  );
  countTap(tap);
}

// Node 20 --test does not expand globs: list the files matching `dir/**/*.suffix` here.
function expand(globs) {
  const files = [];
  for (const g of globs) {
    const m = /^(.*?)\/\*\*\/\*(\..+)$/.exec(g);
    if (!m) {
      files.push(g);
      continue;
    }
    const walk = (dir) => {
      for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
        const rel = `${dir}/${e.name}`;
        if (e.isDirectory()) walk(rel);
        else if (e.name.endsWith(m[2])) files.push(rel);
      }
    };
    walk(m[1]);
  }
  return files.sort();
}

/** A tier run inside a real VS Code: the suite writes its totals as JSON to RUNLENS_TEST_RESULTS. */
function vscodeTests(name, script, env = {}) {
  const results = path.join(os.tmpdir(), `runlens-${name}-${process.pid}.json`);
  sh(name, 'bash', [script], { RUNLENS_TEST_RESULTS: results, ...env });
  if (!fs.existsSync(results)) return;
  const r = JSON.parse(fs.readFileSync(results, 'utf8'));
  totals.passed += r.passed || 0;
  totals.failed += r.failed || 0;
  totals.skipped += r.skipped || 0;
  fs.rmSync(results, { force: true });
}

function countTap(file) {
  if (!fs.existsSync(file)) return;
  const text = fs.readFileSync(file, 'utf8');
  const num = (k) => Number((new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text) || [])[1] || 0);
  totals.passed += num('pass');
  totals.failed += num('fail') + num('cancelled');
  totals.skipped += num('skipped') + num('todo');
  fs.rmSync(file, { force: true });
}

/** test/sync against a real MLflow tracking server started for the tier and stopped after it. */
function syncTests() {
  if (only.length && !only.includes('sync')) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-mlflow-'));
  const port = String(20000 + (process.pid % 20000));
  const up = spawnSync('bash', ['scripts/services/mlflow-up.sh', dir, port], { cwd: root, encoding: 'utf8' });
  const env = Object.fromEntries(
    [...up.stdout.matchAll(/^MLFLOW_(TRACKING_URI|PYTHONPATH)=(.*)$/gm)].map((m) => [m[1], m[2]]),
  );
  if (up.status !== 0 || !env.TRACKING_URI) {
    console.log(`\n=== sync: FAILED (the MLflow server did not start)\n${up.stderr}${up.stdout}`);
    failures.push('sync');
    return;
  }
  try {
    nodeTests('sync', ['test/sync/**/*.test.ts'], {
      env: { RUNLENS_MLFLOW_URI: env.TRACKING_URI, RUNLENS_MLFLOW_PYTHONPATH: env.PYTHONPATH },
      concurrency: 1,
    });
  } finally {
    spawnSync('bash', ['scripts/services/mlflow-down.sh', dir], { cwd: root, stdio: 'inherit' });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const npx = (bin) => path.join(root, 'node_modules', '.bin', bin);
sh('lint', npx('eslint'), ['.']);
sh('format', npx('prettier'), ['--check', '.']);
sh('typecheck', npx('tsc'), ['--noEmit', '-p', '.']);
if (!sh('build', process.execPath, ['scripts/build.js'])) failures.push('build (later tiers need it)');
nodeTests('unit', ['test/unit/**/*.test.ts']);
syncTests();
// the webviews in headless Chromium (the bundles were built above); screenshots in $RUNLENS_SHOTS
nodeTests('webview', ['test/webview/**/*.test.ts'], { concurrency: 1 });
// runs and sweeps on a real single-node Slurm cluster, started (as root) for this tier and stopped after
if (!only.length || only.includes('slurm')) {
  if (sh('slurm', 'bash', ['scripts/services/slurm-up.sh'])) {
    nodeTests('slurm', ['test/slurm/**/*.test.ts'], { concurrency: 3 });
    // a sweep launched onto the cluster from a real VS Code's palette, watched and cancelled in the explorer
    vscodeTests('slurm', 'scripts/e2e/run-ui.sh', { E2E_SCENARIO: 'slurm-scenario' });
  }
  sh('slurm', 'bash', ['scripts/services/slurm-down.sh']);
}
if (!only.length || only.includes('integration'))
  vscodeTests('integration', 'scripts/e2e/run-integration.sh');
// the path a new user walks, in a real VS Code with a fresh profile on public data: MLflow imports,
// charts, compare on 103 params, drift, the pipeline, lenses while a run trains, the gate
if (!only.length || only.includes('walkthrough'))
  vscodeTests('walkthrough', 'scripts/e2e/run-ui.sh', { E2E_SCENARIO: 'walkthrough-scenario' });
if (only.includes('ui') || (!only.length && process.env.RUNLENS_UI_TESTS))
  vscodeTests('ui', 'scripts/e2e/run-ui.sh');
// Runlens as a user gets it: the packed tarball in an empty prefix, a temporary git repository with
// the quickstart, `env -i`; runs `runlens ci init` and the generated CI script (test/userrepo)
nodeTests('userrepo', ['test/userrepo/**/*.test.ts'], { concurrency: 1 });

console.log('');
if (failures.length) console.log(`failed stages: ${failures.join(', ')}`);
console.log(
  `tests: ${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`,
);
process.exit(failures.length || totals.failed ? 1 : 0);
