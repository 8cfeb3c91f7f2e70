// metrics.cache kept by the Python client (clients/python/runlens.py) as it appends, read by the
// Node reader (store/metricsCache.ts): real python3 processes, the store read back with core code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { SeriesCache } from '../../../src/core/charts/panelData';
import { formatPoint, scanMetrics } from '../../../src/core/store/metrics';
import { metricsCacheFile, readMetricsCache } from '../../../src/core/store/metricsCache';
import { tempDir } from '../../helpers/tmp';

const CLIENT_DIR = path.resolve(__dirname, '..', '..', '..', 'clients', 'python');

type Parsed = Map<string, { steps: number[]; values: number[]; times: number[] }>;

/** Every series of a metrics file, parsed from its JSONL (the source of truth). */
function fromJsonl(file: string): { series: Parsed; warnings: number; t0: number } {
  const series: Parsed = new Map();
  let t0 = Infinity;
  const scan = scanMetrics(file, (p) => {
    let s = series.get(p.key);
    if (!s) series.set(p.key, (s = { steps: [], values: [], times: [] }));
    s.steps.push(p.step);
    s.values.push(p.value);
    s.times.push(p.time);
    if (p.time < t0) t0 = p.time;
  });
  return { series, warnings: scan.warnings.length, t0 };
}

/** What a new reader (a chart opened in a fresh process) gets, and how many JSONL bytes it parsed. */
function fromReader(file: string): { series: Parsed; warnings: number; t0: number; parsedBytes: number } {
  const cached = readMetricsCache(file);
  const state = new SeriesCache().load(file);
  const series: Parsed = new Map();
  for (const [key, c] of state.series)
    series.set(key, { steps: [...c.steps], values: [...c.values], times: [...c.times] });
  return {
    series,
    warnings: state.warnings.length,
    t0: state.t0,
    parsedBytes: state.offset - (cached?.offset ?? 0),
  };
}

/** Run a Python script with the client importable; returns its stdout (or the signal that ended it). */
function python(code: string, env: NodeJS.ProcessEnv = {}): { stdout: string; signal: string | null } {
  const r = spawnSync('python3', ['-c', code], {
    encoding: 'utf8',
    env: {
      ...process.env,
      PYTHONPATH: CLIENT_DIR,
      PYTHONDONTWRITEBYTECODE: '1',
      RUNLENS_STORE: '',
      RUNLENS_RUN_DIR: '',
      RUNLENS_RUN_ID: '',
      RUNLENS_PARAMS: '',
      RUNLENS_EXPERIMENT: '',
      ...env,
    },
  });
  if (r.status !== 0 && r.signal === null) throw new Error(r.stderr);
  return { stdout: r.stdout, signal: r.signal };
}

const LOG_STEPS = `
import math, os, signal, sys
import runlens
def log_steps(run, start, end):
    for s in range(start, end):
        run.log({"loss": 1 / (s + 1), "acc": math.nan if s == 3 else s / end, "lr": math.inf if s == 5 else 0.1, "big": 2 ** 60 + s}, step=s)
`;

function metricsFile(store: string, id: string): string {
  return path.join(store, 'runs', id, 'metrics.jsonl');
}

describe('metrics.cache kept by the Python client', () => {
  test('a new reader of a run the Python client logged parses no JSONL and gets the same series', () => {
    const store = path.join(tempDir(), '.runlens');
    const { stdout } = python(`${LOG_STEPS}
run = runlens.init(store=${JSON.stringify(store)})
print(run.id)
log_steps(run, 0, 20000)  # 80,000 lines: eight appends, the cache rewritten on a doubling schedule
run.log({"late": -0.0}, step=3)
run.finish()
`);
    const file = metricsFile(store, stdout.trim());
    const cached = readMetricsCache(file);
    assert.ok(cached, 'cache written');
    assert.equal(cached.offset, fs.statSync(file).size, 'the cache covers the whole file');
    assert.deepEqual(cached.warnings, []);
    const truth = fromJsonl(file);
    const read = fromReader(file);
    assert.equal(read.parsedBytes, 0);
    assert.deepEqual(read.series, truth.series);
    assert.equal(read.t0, truth.t0);
    assert.equal(cached.lines, 80_002, 'the header and every point line');
    assert.equal(truth.series.get('loss')!.values.length, 20_000);
    assert.ok(Number.isNaN(read.series.get('acc')!.values[3]));
    assert.equal(read.series.get('lr')!.values[5], Infinity);
    assert.ok(Object.is(read.series.get('late')!.values[0], -0));
  });

  test('a Python writer killed between its JSONL append and its cache write: readers complete from the JSONL', () => {
    const store = path.join(tempDir(), '.runlens');
    const { stdout, signal } = python(`${LOG_STEPS}
run = runlens.init(store=${JSON.stringify(store)})
print(run.id, flush=True)
log_steps(run, 0, 45000)
run.flush()
# One more small append after the last one that may have rewritten the cache (a doubling schedule).
run.log({"loss": 7.0}, step=45000)
run.flush()
os.kill(os.getpid(), signal.SIGKILL)
`);
    assert.equal(signal, 'SIGKILL');
    const file = metricsFile(store, stdout.trim());
    const cached = readMetricsCache(file);
    assert.ok(cached, 'the client kept a cache while it ran');
    assert.ok(cached.offset < fs.statSync(file).size, 'the JSONL holds more than the cache');
    const truth = fromJsonl(file);
    assert.equal(truth.series.get('loss')!.values.length, 45_001);
    const read = fromReader(file);
    assert.ok(read.parsedBytes > 0);
    assert.deepEqual(read.series, truth.series);
  });

  test('a metrics.jsonl edited by hand after the Python client wrote it is detected and rebuilt', async () => {
    const store = path.join(tempDir(), '.runlens');
    const { stdout } = python(`${LOG_STEPS}
run = runlens.init(store=${JSON.stringify(store)})
print(run.id)
log_steps(run, 0, 5000)
run.finish()
`);
    const file = metricsFile(store, stdout.trim());
    assert.equal(readMetricsCache(file)?.offset, fs.statSync(file).size);
    // A hand edit comes later than the write (file times have a coarse clock).
    await new Promise((r) => setTimeout(r, 30));
    const text = fs.readFileSync(file, 'utf8');
    const line = '{"key":"lr","value":0.1,"step":2500,';
    const at = text.indexOf(line);
    assert.ok(at > 0);
    fs.writeFileSync(file, text.slice(0, at) + line.replace('0.1', '0.9') + text.slice(at + line.length));
    assert.equal(fs.statSync(file).size, text.length, 'same length');
    assert.equal(readMetricsCache(file), undefined, 'a same-length edit is detected');
    const read = fromReader(file);
    assert.deepEqual(read.series, fromJsonl(file).series);
    assert.equal(read.series.get('lr')!.values[2500], 0.9);
    assert.equal(fromReader(file).parsedBytes, 0, 'the reader rebuilt the cache');
  });

  test('a resumed run continues the cache; after a torn line the Python writer leaves it to the readers', () => {
    const store = path.join(tempDir(), '.runlens');
    const id = python(`${LOG_STEPS}
run = runlens.init(store=${JSON.stringify(store)})
print(run.id)
log_steps(run, 0, 3000)
run.finish()
`).stdout.trim();
    const file = metricsFile(store, id);
    const resume = `${LOG_STEPS}
run = runlens.init(store=${JSON.stringify(store)}, run_id=${JSON.stringify(id)})
log_steps(run, 3000, 6000)
run.finish()
`;
    python(resume);
    assert.equal(readMetricsCache(file)?.offset, fs.statSync(file).size, 'resumed from its own cache');
    let read = fromReader(file);
    assert.equal(read.parsedBytes, 0);
    assert.deepEqual(read.series, fromJsonl(file).series);
    assert.equal(read.series.get('loss')!.steps.length, 6000);
    // A writer killed mid-line: the next Python writer cannot account for the file and writes no
    // cache of its own; the one left covers less, and readers complete it from the JSONL.
    fs.appendFileSync(file, formatPoint({ key: 'loss', value: 1, step: 1, time: 1 }).slice(0, 20));
    const before = readMetricsCache(file)!.offset;
    python(resume.replace('3000, 6000', '6000, 7000'));
    assert.equal(readMetricsCache(file)?.offset, before);
    const truth = fromJsonl(file);
    read = fromReader(file);
    assert.ok(read.parsedBytes > 0);
    assert.deepEqual(read.series, truth.series);
    assert.equal(read.warnings, truth.warnings);
    assert.equal(truth.warnings, 1, 'the torn line');
    // A cache replaced by garbage is not read by the next writer either.
    fs.writeFileSync(metricsCacheFile(file), 'RLMC garbage');
    python(resume.replace('3000, 6000', '7000, 7100'));
    assert.deepEqual(fromReader(file).series, fromJsonl(file).series);
  });
});
