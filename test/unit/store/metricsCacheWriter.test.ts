import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { SeriesCache } from '../../../src/core/charts/panelData';
import { METRICS_HEADER, formatPoint, scanMetrics } from '../../../src/core/store/metrics';
import { metricsCacheFile, readMetricsCache } from '../../../src/core/store/metricsCache';
import { MetricLog } from '../../../src/core/tracking/metricLog';
import { cliPath, repoRoot, tempDir } from '../../helpers/tmp';

type Parsed = Map<string, { steps: number[]; values: number[]; times: number[] }>;

/** Every series of a metrics file, parsed from its JSONL (the source of truth). */
function fromJsonl(file: string): { series: Parsed; warnings: number; size: number } {
  const series: Parsed = new Map();
  const scan = scanMetrics(file, (p) => {
    let s = series.get(p.key);
    if (!s) series.set(p.key, (s = { steps: [], values: [], times: [] }));
    s.steps.push(p.step);
    s.values.push(p.value);
    s.times.push(p.time);
  });
  return { series, warnings: scan.warnings.length, size: scan.endOffset };
}

/** What a new reader (a chart opened in a fresh process) gets, and how many JSONL bytes it parsed. */
function fromReader(file: string): { series: Parsed; warnings: number; parsedBytes: number } {
  // What the writers left, read before the reader (which may rewrite the cache itself) loads.
  const cached = readMetricsCache(file);
  const state = new SeriesCache().load(file);
  const series: Parsed = new Map();
  for (const [key, c] of state.series)
    series.set(key, { steps: [...c.steps], values: [...c.values], times: [...c.times] });
  return { series, warnings: state.warnings.length, parsedBytes: state.offset - (cached?.offset ?? 0) };
}

function newFile(): string {
  const file = path.join(tempDir(), 'metrics.jsonl');
  fs.writeFileSync(file, METRICS_HEADER + '\n');
  return file;
}

function logSteps(log: MetricLog, from: number, to: number): void {
  for (let s = from; s < to; s++)
    log.log({ loss: 1 / (s + 1), acc: s === 3 ? NaN : s / to, lr: s === 5 ? Infinity : 0.1 }, s);
}

describe('metrics.cache kept by the writers', () => {
  test('a writer keeps the columns current: a new reader parses no JSONL and gets the same series', () => {
    const file = newFile();
    const log = new MetricLog(file);
    logSteps(log, 0, 20_000); // 60,000 lines: six appends, the cache rewritten on a doubling schedule
    log.close();
    const cached = readMetricsCache(file);
    assert.ok(cached, 'cache written');
    assert.equal(cached.offset, fs.statSync(file).size, 'the cache covers the whole file');
    const truth = fromJsonl(file);
    const read = fromReader(file);
    assert.equal(read.parsedBytes, 0);
    assert.deepEqual(read.series, truth.series);
    assert.equal(truth.series.get('loss')!.values.length, 20_000);
  });

  test('a writer killed between its JSONL append and its cache write: readers complete from the JSONL', () => {
    // A real process (the built Node client) logging, then SIGKILLed: its last appends are newer
    // than its cache.
    const dir = tempDir();
    const store = path.join(dir, '.runlens');
    const script = `
      const runlens = require(${JSON.stringify(path.join(repoRoot, 'dist', 'client.js'))});
      const run = runlens.init({ store: ${JSON.stringify(store)} });
      console.log(run.id);
      for (let i = 0; i < 45000; i++) run.log({ loss: 1 / (i + 1), acc: i % 7 }, i);
      process.kill(process.pid, 'SIGKILL');`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    const file = path.join(store, 'runs', r.stdout.trim(), 'metrics.jsonl');
    const cached = readMetricsCache(file);
    assert.ok(cached, 'the client kept a cache while it ran');
    assert.ok(cached.offset < fs.statSync(file).size, 'the JSONL holds more than the cache');
    const truth = fromJsonl(file);
    assert.equal(truth.series.get('loss')!.values.length, 45_000, 'nine full appends of 10,000 lines');
    const read = fromReader(file);
    assert.ok(read.parsedBytes > 0);
    assert.deepEqual(read.series, truth.series);
    // The same in process: the JSONL appended, the cache write never happened.
    const file2 = newFile();
    const log = new MetricLog(file2);
    logSteps(log, 0, 5000);
    log.close();
    fs.appendFileSync(file2, formatPoint({ key: 'loss', value: 7, step: 5000, time: 1 }) + '\n');
    assert.deepEqual(fromReader(file2).series, fromJsonl(file2).series);
    assert.equal(fromReader(file2).series.get('loss')!.values.at(-1), 7);
  });

  test("the launcher's stdout capture leaves a cache covering every captured point", () => {
    const ws = tempDir();
    const script =
      'for (let i = 0; i < 30000; i++) console.log(`step ${i} loss=${1 / (i + 1)} acc=${i % 9}`);';
    // The launcher tees the program's output: a megabyte of it, not kept here.
    const r = spawnSync(process.execPath, [cliPath, 'run', '--', process.execPath, '-e', script], {
      cwd: ws,
      env: { ...process.env, RUNLENS_STORE: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const runs = path.join(ws, '.runlens', 'runs');
    const file = path.join(runs, fs.readdirSync(runs)[0], 'metrics.jsonl');
    assert.equal(readMetricsCache(file)?.offset, fs.statSync(file).size);
    const truth = fromJsonl(file);
    assert.equal(truth.series.get('loss')!.values.length, 30_000);
    const read = fromReader(file);
    assert.equal(read.parsedBytes, 0);
    assert.deepEqual(read.series, truth.series);
  });

  test('a metrics.jsonl edited by hand is detected and its cache rebuilt', async () => {
    const file = newFile();
    const log = new MetricLog(file);
    logSteps(log, 0, 5000);
    log.close();
    assert.ok(readMetricsCache(file));
    // A hand edit comes later than the write (file times have a coarse clock).
    await new Promise((r) => setTimeout(r, 30));
    // 1. In place, same length: one value in the middle changed.
    const text = fs.readFileSync(file, 'utf8');
    const line = formatPoint({ key: 'lr', value: 0.1, step: 2500, time: 0 }).slice(0, 40);
    const at = text.indexOf(line);
    assert.ok(at > 0);
    const edited = text.slice(0, at) + line.replace('0.1', '0.9') + text.slice(at + line.length);
    assert.equal(edited.length, text.length);
    fs.writeFileSync(file, edited);
    assert.equal(readMetricsCache(file), undefined, 'a same-length edit is detected');
    const read = fromReader(file);
    assert.deepEqual(read.series, fromJsonl(file).series);
    assert.equal(read.series.get('lr')!.values[2500], 0.9);
    assert.ok(readMetricsCache(file), 'the reader rebuilt the cache');
    assert.equal(fromReader(file).parsedBytes, 0);
    // 2. In place, a line deleted: shorter, its last bytes moved.
    await new Promise((r) => setTimeout(r, 30));
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.splice(100, 1);
    fs.writeFileSync(file, lines.join('\n'));
    assert.equal(readMetricsCache(file), undefined, 'a shorter file is detected');
    assert.deepEqual(fromReader(file).series, fromJsonl(file).series);
    // 3. Replaced by a copy (another inode) that then had lines appended.
    await new Promise((r) => setTimeout(r, 30));
    const copy = file + '.new';
    fs.copyFileSync(file, copy);
    fs.appendFileSync(copy, formatPoint({ key: 'loss', value: 3, step: 9, time: 1 }) + '\n');
    fs.renameSync(copy, file);
    assert.equal(readMetricsCache(file), undefined, 'a replaced file is detected');
    assert.deepEqual(fromReader(file).series, fromJsonl(file).series);
  });

  test('two writers on one file, and a writer after a torn line: the cache equals the JSONL', () => {
    const file = newFile();
    const a = new MetricLog(file);
    const b = new MetricLog(file);
    for (let round = 0; round < 4; round++) {
      for (let s = 0; s < 3000; s++) a.log({ a: s }, round * 3000 + s);
      a.flush();
      for (let s = 0; s < 3000; s++) b.log({ b: -s }, round * 3000 + s);
      b.flush();
    }
    a.close();
    b.close();
    assert.equal(readMetricsCache(file)!.offset, fs.statSync(file).size);
    assert.deepEqual(fromReader(file).series, fromJsonl(file).series);
    // A writer killed mid-line, then a new writer: the torn line is one warning, nothing else lost.
    fs.appendFileSync(file, '{"key":"a","val');
    const c = new MetricLog(file);
    logSteps(c, 0, 3000);
    c.close();
    const truth = fromJsonl(file);
    const read = fromReader(file);
    assert.equal(read.parsedBytes, 0);
    assert.deepEqual(read.series, truth.series);
    assert.equal(read.warnings, truth.warnings);
    assert.equal(truth.warnings, 1);
    assert.ok(fs.existsSync(metricsCacheFile(file)));
  });
});
