// The module VS Code loads through --extensionTestsPath: run() runs mocha over the compiled
// *.test.js files next to it, inside the extension host, with the real `vscode` API.
// The workspace (a copy of test/fixtures/workspace with a `.runlens` store) is made by runTest.ts.
// With RUNLENS_TEST_RESULTS set (an absolute path) run() also writes {passed, failed, skipped} there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  // RUNLENS_TEST_GREP runs only the tests whose suite or name matches it (while working on one).
  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    timeout: 60_000,
    grep: process.env.RUNLENS_TEST_GREP || undefined,
  });
  for (const file of fs.readdirSync(__dirname).sort()) {
    if (file.endsWith('.test.js')) mocha.addFile(path.join(__dirname, file));
  }
  const stats = await new Promise<Mocha.Stats>((resolve) => {
    const runner = mocha.run(() => resolve(runner.stats ?? ({} as Mocha.Stats)));
  });
  // for scripts/test.js's closing totals (an absolute path: it survives the shim's TMPDIR)
  if (process.env.RUNLENS_TEST_RESULTS) {
    const { passes: passed = 0, failures: failed = 0, pending: skipped = 0 } = stats;
    fs.writeFileSync(process.env.RUNLENS_TEST_RESULTS, JSON.stringify({ passed, failed, skipped }) + '\n');
  }
  if (stats.failures > 0) throw new Error(`${stats.failures} integration test(s) failed`);
}
