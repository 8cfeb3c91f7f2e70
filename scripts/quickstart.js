// `npm start`: the quickstart end to end on the embedded store (examples/quickstart/.runlens), no
// server. Trains real models with TensorFlow.js (and scikit-learn when Debian's python3-sklearn is
// present), each as a tracked run with different parameters, then prints the runs table.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dir = path.join(root, 'examples', 'quickstart');
const cli = path.join(root, 'bin', 'runlens.js');

function runlens(args, { allowFail = false } = {}) {
  console.log(`\n$ runlens ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, stdio: 'inherit' });
  if (r.status !== 0 && !allowFail) {
    console.error(`quickstart: \`runlens ${args.join(' ')}\` exited with ${r.status}`);
    process.exit(r.status ?? 1);
  }
  return r.status;
}

const data = ['--input', 'data/breast_cancer.csv'];
runlens([
  'run',
  '-e',
  'quickstart',
  '-n',
  'tfjs-lr0.01',
  '-p',
  'lr=0.01',
  ...data,
  '--',
  process.execPath,
  'train.js',
]);
runlens([
  'run',
  '-e',
  'quickstart',
  '-n',
  'tfjs-lr0.002-h8',
  '-p',
  'lr=0.002',
  '-p',
  'hidden=8',
  ...data,
  '--',
  process.execPath,
  'train.js',
]);

const python = '/usr/bin/python3';
const sklearn = spawnSync(python, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0;
if (sklearn) {
  runlens([
    'run',
    '-e',
    'quickstart',
    '-n',
    'sklearn-gb-0.1',
    '-p',
    'learning_rate=0.1',
    ...data,
    '--',
    python,
    'train_sklearn.py',
  ]);
  runlens([
    'run',
    '-e',
    'quickstart',
    '-n',
    'sklearn-gb-0.03',
    '-p',
    'learning_rate=0.03',
    '-p',
    'max_depth=3',
    ...data,
    '--',
    python,
    'train_sklearn.py',
  ]);
} else {
  console.log(
    '\n(scikit-learn example skipped: install it with `sudo apt-get install python3-sklearn`, then run `npm start` again)',
  );
}

runlens(['ls', '-e', 'quickstart', '--limit', '8']);

// Package the best TensorFlow.js run for serving, serve it once: smoke test plus one request.
const best = JSON.parse(
  spawnSync(
    process.execPath,
    [
      cli,
      'ls',
      '-e',
      'quickstart',
      '-w',
      'tags.framework=tfjs',
      '-w',
      'status=finished',
      '-s',
      '-metrics.val_acc',
      '-l',
      '1',
      '--json',
    ],
    { cwd: dir, encoding: 'utf8' },
  ).stdout || '[]',
)[0];
if (best) {
  runlens(['package', best.id, '--out', 'serving/quickstart']);
  runlens(['serve', 'serving/quickstart', '--port', '0', '--once']);
}
main().catch((e) => {
  console.error(`quickstart: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});

async function main() {
  if (best) await checkServedDrift();
  printNext();
}

// Drift of the requests the server just logged (smoke test and one request) against the training
// data, computed by core in this process, as `runlens monitor serving/quickstart` would.
async function checkServedDrift() {
  require('tsx/cjs/api').register();
  const { monitorPackage } = require('../src/core/serving/monitor.ts');
  const r = await monitorPackage(path.join(dir, 'serving', 'quickstart'));
  const rep = r.report;
  console.log(`\n# drift of the served requests (core monitorPackage)`);
  console.log(
    `${r.requests} logged rows against ${rep.reference.rows} training rows: dataset drift ${rep.datasetDrift ? 'YES' : 'no'} (${rep.drifted}/${rep.tested} columns drifted)`,
  );
}

function printNext() {
  console.log(`
Where to look next:
  runlens show <id>                  one run: params, metrics (last/min/max), inputs, git
  runlens metrics <id> --key val_acc the points of one metric (--csv, --json)
  runlens ls --where "metrics.val_acc>=0.97" --sort -metrics.val_acc
  runlens serve serving/quickstart   serve the packaged model on http://127.0.0.1:8080 (Ctrl+C stops)
  runlens monitor serving/quickstart drift of the logged requests (--feedback labels.csv: accuracy)
  code ${path.relative(process.cwd(), dir) || '.'}            open the quickstart in VS Code with the Runlens extension
The store is ${path.join(dir, '.runlens')}: plain JSON files, see docs/store-format.md.`);
}
