// The webview tier: builds the bundles (node scripts/build.js), then runs every
// test/webview/*.test.ts in headless Chromium with node:test.
// Usage: node --import tsx test/webview/run.ts [extra node --test flags]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);
const files = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.test.ts'))
  .sort()
  .map((f) => path.join(__dirname, f));
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', ...process.argv.slice(2), ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
