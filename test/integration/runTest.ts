// Runs the integration tests (suite/index.ts and suite/*.test.ts) inside a real VS Code with
// @vscode/test-electron. With E2E_CODE_SHIM set (the path of scripts/e2e/code-shim.sh; see
// scripts/e2e/run-integration.sh) that VS Code is code-server driven by headless Chromium, for
// machines that cannot download VS Code; without it test-electron downloads VS Code as usual.
//
// The workspace is a fresh temporary copy of test/fixtures/workspace, with its `.runlens` store made
// here, before VS Code starts, the way a user makes one: the fixture's train.py run as a tracked run
// by the `runlens` CLI (bin/runlens.js, built by scripts/build.js). Made inside the tests instead, the
// store would appear just after the extension activated (train.py activates it), a race between the
// extension's file watcher and the first test.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

// This file runs as out/test/integration/runTest.js.
const repo = path.resolve(__dirname, '../../..');

function createFixtureStore(workspace: string): void {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // the one-file Python client that train.py imports
    PYTHONPATH: [path.join(repo, 'clients', 'python'), process.env.PYTHONPATH]
      .filter(Boolean)
      .join(path.delimiter),
  };
  // a store named by the environment would take the run elsewhere
  delete env.RUNLENS_STORE;
  delete env.RUNLENS_RUN_DIR;
  const python = process.env.RUNLENS_PYTHON || 'python3';
  // the tests name the run's metrics: no system/ samples, which a slow machine would add after 5 s
  const args = ['run', '-e', 'fixture', '-n', 'fixture-run', '--no-system-metrics', '--', python, 'train.py'];
  const r = spawnSync(process.execPath, [path.join(repo, 'bin', 'runlens.js'), ...args], {
    cwd: workspace,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0 || !fs.existsSync(path.join(workspace, '.runlens', 'store.json'))) {
    throw new Error(
      `could not create the fixture store with \`runlens ${args.join(' ')}\` in ${workspace} ` +
        `(exit ${r.status ?? r.signal}${r.error ? `, ${r.error.message}` : ''}):\n${r.stdout}${r.stderr}`,
    );
  }
}

async function main(): Promise<number> {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-itest-workspace-'));
  fs.cpSync(path.join(repo, 'test/fixtures/workspace'), workspace, {
    recursive: true,
    // never start from a developer's leftover store
    filter: (src) => path.basename(src) !== '.runlens',
  });
  createFixtureStore(workspace);
  console.log(`workspace: ${workspace} (fixture store created)`);
  const shim = process.env.E2E_CODE_SHIM;
  try {
    await runTests({
      vscodeExecutablePath: shim ? path.resolve(shim) : undefined,
      extensionDevelopmentPath: repo,
      extensionTestsPath: path.join(__dirname, 'suite', 'index'),
      launchArgs: [workspace, '--disable-extensions'],
    });
  } catch (err) {
    console.error(`integration tests failed: ${(err as Error).message} (workspace kept: ${workspace})`);
    return 1;
  }
  fs.rmSync(workspace, { recursive: true, force: true });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
