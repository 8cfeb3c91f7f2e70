// Everything a fresh Debian machine needs before `npm start` or `npm test`: npm dependencies, the
// build, and (for tests) Debian's Chromium and scikit-learn/scipy, and a code-server to test in.
// Safe to run again: each step checks first.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const purpose = process.argv.includes('--for') ? process.argv[process.argv.indexOf('--for') + 1] : 'test';

function step(msg) {
  console.log(`[setup] ${msg}`);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...options });
  if (r.status !== 0) {
    console.error(`[setup] failed: ${cmd} ${args.join(' ')}`);
    process.exit(r.status ?? 1);
  }
}

function has(cmd, args = ['--version']) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function npmDependencies() {
  const stamp = path.join(root, 'node_modules', '.package-lock.json');
  const lock = path.join(root, 'package-lock.json');
  if (fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= fs.statSync(lock).mtimeMs) return;
  step('installing npm dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

function debianPackages(packages) {
  const missing = packages.filter((p) => spawnSync('dpkg', ['-s', p], { stdio: 'ignore' }).status !== 0);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get', ['--version'])) {
    step(
      `missing Debian packages: ${missing.join(' ')}; install them with: sudo apt-get install ${missing.join(' ')}`,
    );
    return;
  }
  step(`installing Debian packages: ${missing.join(' ')}`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

const MLFLOW_PACKAGES =
  `python3 python3-flask python3-sqlalchemy python3-alembic python3-click python3-entrypoints
python3-gunicorn python3-importlib-metadata python3-jinja2 python3-numpy python3-pandas python3-protobuf
python3-requests python3-scipy python3-sqlparse python3-tz python3-waitress python3-yaml python3-packaging
python3-cloudpickle python3-git python3-markdown python3-matplotlib python3-simplejson python3-dateutil
python3-cachetools python3-docker python3-graphene curl`.split(/\s+/);

npmDependencies();
if (purpose === 'test') {
  // Chromium: webview and VS Code tests. scikit-learn/scipy/pandas: reference values for statistics.
  debianPackages(['chromium', 'python3-sklearn', 'python3-scipy', 'python3-pandas', 'git']);
  // A real MLflow tracking server for test/sync (scripts/services/mlflow-up.sh): its Python dependencies.
  debianPackages(MLFLOW_PACKAGES);
  // nbconvert and a Python kernel: notebooks run headless as tracked runs (test/unit/tracking/notebook.test.ts).
  debianPackages(['jupyter-nbconvert', 'python3-ipykernel']);
  // A real VS Code to run the integration tests in: Node 24 and code-server from the npm registry.
  step('VS Code test tools (Node 24, code-server), cached in .cache/e2e-tools');
  run('bash', ['scripts/e2e/install-tools.sh'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
if (purpose === 'demo') {
  step('building');
  run('node', ['scripts/build.js']);
}
