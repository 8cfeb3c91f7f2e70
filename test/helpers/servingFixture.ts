import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, repoRoot, tempDir } from './tmp';

/**
 * A workspace holding a copy of examples/quickstart with one real training run (TensorFlow.js, the
 * real train.js through `runlens run`), which saves artifacts/model/ and predictions.csv.
 */
export function trainedWorkspace(epochs = 8): { dir: string; runId: string } {
  const dir = path.join(tempDir('runlens-serving-'), 'qs');
  fs.cpSync(path.join(repoRoot, 'examples', 'quickstart'), dir, {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}.runlens`),
  });
  // The copy is outside the repository, so `require('runlens')` needs the package linked in.
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(repoRoot, path.join(dir, 'node_modules', 'runlens'));
  const r = cli(
    [
      '--store',
      path.join(dir, '.runlens'),
      'run',
      '-e',
      'quickstart',
      '-p',
      `epochs=${epochs}`,
      '--input',
      'data/breast_cancer.csv',
      '--',
      process.execPath,
      'train.js',
    ],
    { cwd: dir, env: { RUNLENS_TF_BACKEND: 'wasm' } },
  );
  if (r.status !== 0) throw new Error(`training failed: ${r.stderr}\n${r.stdout}`);
  const runId = /run (\w+) finished/.exec(r.stderr + r.stdout)?.[1];
  if (!runId) throw new Error(`no run id in: ${r.stderr}`);
  return { dir, runId };
}
