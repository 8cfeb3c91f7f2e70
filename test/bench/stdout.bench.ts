import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Store } from '../../src/core/store/store';
import { StdoutMetricParser } from '../../src/core/tracking/stdoutMetrics';
import { benchDir, best, record, time } from './common';

const repoRoot = path.resolve(__dirname, '..', '..');

/**
 * Output capture of hostile lines: an 80 KB `a/a/a/...` line (22 s with the former quadratic
 * default pattern) against an 80 KB line of words, in the parser and in a real `runlens run`.
 */
export async function stdoutBench(): Promise<void> {
  const hostile = 'a/'.repeat(40_000);
  const plain = 'word '.repeat(16_000);
  const parse = (line: string) => best(5, () => new StdoutMetricParser().parseLine(line));
  const plainMs = parse(plain);
  const hostileMs = parse(hostile);
  record({
    name: 'parse one 80 KB a/a/a/ line',
    value: hostileMs,
    unit: 'ms',
    baselineName: 'an 80 KB line of words',
    baseline: plainMs,
    target: 'ratio <= 3',
    pass: hostileMs <= 3 * Math.max(plainMs, 0.05),
  });

  const dir = benchDir('stdout');
  Store.open(path.join(dir, '.runlens'), { create: true });
  const launch = (capture: boolean) =>
    time(() => {
      const r = spawnSync(
        process.execPath,
        [
          path.join(repoRoot, 'dist', 'cli.js'),
          'run',
          ...(capture ? [] : ['--no-capture']),
          '--',
          process.execPath,
          '-e',
          `for (let i = 0; i < 10; i++) process.stdout.write('a/'.repeat(40000) + '\\nloss=' + i + '\\n')`,
        ],
        { cwd: dir, encoding: 'utf8', env: { ...process.env, RUNLENS_STORE: '' } },
      );
      if (r.status !== 0) throw new Error(r.stderr);
    }).ms;
  const without = Math.min(launch(false), launch(false));
  const withCapture = Math.min(launch(true), launch(true));
  record({
    name: 'runlens run printing ten 80 KB a/a/a/ lines, output captured',
    value: withCapture,
    unit: 'ms',
    baselineName: 'the same with --no-capture',
    baseline: without,
    target: 'ratio <= 1.5',
    pass: withCapture <= 1.5 * without,
  });
}
