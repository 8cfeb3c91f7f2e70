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
function nodeTests(name, globs, env = {}) {
  if (only.length && !only.includes(name)) return;
  const tap = path.join(os.tmpdir(), `runlens-${name}-${process.pid}.tap`);
  sh(
    name,
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=2',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...globs,
    ],
    env,
  );
  countTap(tap);
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

const npx = (bin) => path.join(root, 'node_modules', '.bin', bin);
sh('lint', npx('eslint'), ['.']);
sh('format', npx('prettier'), ['--check', '.']);
sh('typecheck', npx('tsc'), ['--noEmit', '-p', '.']);
if (!sh('build', process.execPath, ['scripts/build.js'])) failures.push('build (later tiers need it)');
nodeTests('unit', ['test/unit/**/*.test.ts']);

console.log('');
if (failures.length) console.log(`failed stages: ${failures.join(', ')}`);
console.log(
  `tests: ${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`,
);
process.exit(failures.length || totals.failed ? 1 : 0);
