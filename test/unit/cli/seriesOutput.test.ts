// `runlens metrics RUN --json/--csv/--jsonl`: whole series streamed from the binary columns, run as
// a real process (dist/cli.js; node scripts/build.js first), byte for byte what the JSONL holds.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { toJson } from '../../../src/core/format';
import { METRICS_HEADER, formatPoint, readSeries } from '../../../src/core/store/metrics';
import { metricsCacheFile, readMetricsCache } from '../../../src/core/store/metricsCache';
import { Store } from '../../../src/core/store/store';
import { spawnSync } from 'node:child_process';
import { cliPath, tempDir } from '../../helpers/tmp';

// Keys that JSON objects and CSV treat specially: integer-like, a prototype name, a comma and quote.
const KEYS = ['loss', '1', '__proto__', 'a,"b"'];

/** The CLI as a real process, its output kept whole (megabytes of it). */
function cli(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [cliPath, ...args], {
    cwd,
    env: { ...process.env, RUNLENS_STORE: '' },
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
}

function workspace(n: number): { ws: string; id: string; file: string } {
  const ws = tempDir('runlens-series-');
  const store = Store.open(path.join(ws, '.runlens'), { create: true });
  const run = store.createRun({ name: 'long' });
  const lines = [METRICS_HEADER];
  for (let i = 0; i < n; i++) {
    const value = i === 7 ? NaN : i === 8 ? Infinity : i === 9 ? -Infinity : Math.exp(-i / 9000) + i * 1e-9;
    lines.push(formatPoint({ key: 'loss', value, step: i, time: 1_790_000_000_000 + i }));
    if (i % 100 === 0)
      for (const key of KEYS.slice(1)) lines.push(formatPoint({ key, value: -i / 3, step: i, time: i }));
  }
  lines.push('not json');
  const file = store.metricsFile(run.id);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return { ws, id: run.id, file };
}

/** The output the command printed before it streamed: built whole from a JSONL parse per key. */
function expected(file: string, keys: string[], format: 'json' | 'csv' | 'jsonl'): string {
  const all = keys.map((k) => readSeries(file, k).series);
  const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const csvNum = (v: number) => (Number.isNaN(v) ? 'NaN' : String(v));
  if (format === 'json') return toJson({}, Object.fromEntries(all.map((s) => [s.key, s]))) + '\n';
  if (format === 'csv')
    return (
      ['key,step,value,time']
        .concat(
          all.flatMap((s) =>
            s.steps.map((st, i) => `${csvCell(s.key)},${st},${csvNum(s.values[i])},${s.times[i]}`),
          ),
        )
        .join('\n') + '\n'
    );
  return (
    all
      .flatMap((s) =>
        s.steps.map((st, i) => toJson({}, { key: s.key, step: st, value: s.values[i], time: s.times[i] })),
      )
      .join('\n') + '\n'
  );
}

describe('runlens metrics --json/--csv/--jsonl (whole series)', () => {
  const n = 60_000; // several 1 MB chunks of output
  const { ws, id, file } = workspace(n);

  test('same bytes as the JSONL says, without a cache, from the cache, and with points after it', () => {
    const sorted = [...KEYS].sort();
    for (const stage of ['no cache', 'cache', 'appended'] as const) {
      if (stage === 'no cache') fs.rmSync(metricsCacheFile(file), { force: true });
      if (stage === 'appended') {
        assert.ok(readMetricsCache(file), 'the first read left a cache');
        fs.appendFileSync(file, formatPoint({ key: 'loss', value: 0.5, step: n, time: 1 }) + '\n');
      }
      for (const format of ['json', 'csv', 'jsonl'] as const) {
        for (const keys of [['loss'], sorted]) {
          const args = ['metrics', id, `--${format}`, ...(keys.length === 1 ? ['--key', keys[0]] : [])];
          const r = cli(args, ws);
          assert.equal(r.status, 0, r.stderr);
          assert.ok(r.stdout === expected(file, keys, format), `${stage}, ${format}, ${keys.join('|')}`);
          assert.match(r.stderr, /not valid JSON/, 'the bad line is named');
        }
      }
    }
    const out = JSON.parse(cli(['metrics', id, '--json', '--key', 'loss'], ws).stdout) as {
      loss: { values: (number | string)[] };
    };
    assert.deepEqual(out.loss.values.slice(7, 10), ['NaN', 'Infinity', '-Infinity']);
    assert.equal(out.loss.values.length, n + 1);
  });

  test('a key the run does not have is still an error naming its metrics', () => {
    const r = cli(['metrics', id, '--json', '--key', 'nope'], ws);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /has no metric "nope"/);
    assert.equal(r.stdout, '');
  });
});
