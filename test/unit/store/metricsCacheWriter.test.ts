import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { SeriesCache } from '../../../src/core/charts/panelData';
import { METRICS_HEADER, formatPoint, scanMetrics } from '../../../src/core/store/metrics';
import { metricsCacheFile, readMetricsCache } from '../../../src/core/store/metricsCache';
import type { CachedMetrics, Columns } from '../../../src/core/store/metricsCache';
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

/**
 * The cache a reader builds from scratch for the same JSONL (a copy read by a fresh SeriesCache,
 * which parses it all and writes its own cache), compared field by field with the writer's.
 */
function assertSameAsFromScratch(file: string): void {
  const copy = path.join(tempDir(), 'metrics.jsonl');
  fs.copyFileSync(file, copy);
  new SeriesCache().load(copy);
  const scratch: CachedMetrics | undefined = readMetricsCache(copy);
  const kept: CachedMetrics | undefined = readMetricsCache(file);
  assert.ok(scratch, 'the reader wrote a cache');
  assert.ok(kept, 'the writer left a cache');
  assert.equal(kept.offset, fs.statSync(file).size, "the writer's cache covers the whole file");
  assert.equal(kept.offset, scratch.offset);
  assert.equal(kept.lines, scratch.lines);
  assert.equal(kept.t0, scratch.t0);
  assert.equal(kept.warnings.length, scratch.warnings.length);
  assert.deepEqual([...kept.series.keys()].sort(), [...scratch.series.keys()].sort());
  for (const [key, c] of scratch.series) {
    const mine: Columns | undefined = kept.series.get(key);
    assert.ok(mine, key);
    assert.deepEqual(mine.steps, c.steps, `steps of ${key}`);
    assert.deepEqual(mine.values, c.values, `values of ${key}`);
    assert.deepEqual(mine.times, c.times, `times of ${key}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

  test('columns in pieces across appends, an idle rewrite and a resumed writer: the cache equals one built from scratch', async () => {
    const file = newFile();
    const log = new MetricLog(file);
    const point = (s: number) => ({
      loss: 1 / (s + 1),
      // -0 is written as 0 in JSON: the columns must hold what the JSONL says.
      acc: s % 1000 === 0 ? -0 : s / 7,
      big: s * 1e12,
    });
    // 30,000 steps x 3 keys: nine appends, the first of them rewriting the cache at once.
    for (let s = 0; s < 30_000; s++) log.log(point(s), s);
    assert.ok(readMetricsCache(file), 'the first rewrite is not deferred');
    // A second later, a burst that leaves points logged after its last append: the rewrite it made
    // due waits for the event loop and covers only what is in the file.
    await sleep(1_100);
    for (let s = 30_000; s < 33_340; s++) log.log(point(s), s);
    await new Promise((r) => setImmediate(r));
    const idle = readMetricsCache(file);
    assert.equal(idle?.offset, fs.statSync(file).size, 'rewritten when the event loop turned');
    // The last append ended with the loss of step 33,333 (10,000 lines of three keys a step).
    assert.equal(idle.series.get('loss')!.steps.length, 33_334, 'holding the appended points only');
    assert.equal(idle.series.get('acc')!.steps.length, 33_333);
    assert.deepEqual(fromReader(file).series, fromJsonl(file).series);
    // Past a piece (32,768 numbers) of every column, then closed.
    for (let s = 33_340; s < 70_000; s++) log.log(point(s), s);
    log.close();
    assertSameAsFromScratch(file);
    assert.equal(fromReader(file).parsedBytes, 0);
    // A second writer resumes from that cache (its columns start in pieces) and adds to them.
    const again = new MetricLog(file);
    for (let s = 70_000; s < 100_000; s++) again.log(point(s), s + 0.5);
    again.close();
    assertSameAsFromScratch(file);
    assert.equal(fromJsonl(file).series.get('acc')!.values.length, 100_000);
  });

  test('two writers appending by turns past a piece boundary: each catches up and the cache equals the JSONL', () => {
    const file = newFile();
    const a = new MetricLog(file);
    const b = new MetricLog(file);
    // 9,000 points a turn on the key both log: the third turn of `a`, thrown away (b appended in
    // between) and read back from the file, goes from the 27,000th past the 32,768th point of x.
    for (let round = 0; round < 5; round++) {
      for (let s = 0; s < 9_000; s++) a.log({ x: s, y: -s }, round * 9_000 + s);
      a.flush();
      for (let s = 0; s < 9_000; s++) b.log({ x: -s }, round * 9_000 + s);
      b.flush();
    }
    // `a` closes last: the cache left is its columns.
    b.close();
    a.close();
    assertSameAsFromScratch(file);
    assert.equal(fromJsonl(file).series.get('x')!.values.length, 90_000);
  });

  test('a client killed after idle rewrites, then resumed by init({ runId }): the cache equals one built from scratch', () => {
    const dir = tempDir();
    const store = path.join(dir, '.runlens');
    const client = JSON.stringify(path.join(repoRoot, 'dist', 'client.js'));
    // Bursts of 20,000 steps (four appends of two keys) with the event loop turning in between,
    // killed inside the third.
    const first = `
      const runlens = require(${client});
      const run = runlens.init({ store: ${JSON.stringify(store)} });
      console.log(run.id);
      (async () => {
        let s = 0;
        for (let burst = 0; burst < 3; burst++) {
          for (let i = 0; i < 20000; i++, s++) {
            run.log({ loss: 1 / (s + 1), acc: s % 11 }, s);
            if (burst === 2 && i === 15000) process.kill(process.pid, 'SIGKILL');
          }
          await new Promise((r) => setTimeout(r, 1100));
        }
      })();`;
    const r = spawnSync(process.execPath, ['-e', first], { encoding: 'utf8' });
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    const id = r.stdout.trim();
    const file = path.join(store, 'runs', id, 'metrics.jsonl');
    const cached = readMetricsCache(file);
    assert.ok(cached, 'a cache from before the kill');
    assert.equal(cached.series.get('loss')!.steps.length, 40_000, 'rewritten in the pause after each burst');
    assert.ok(cached.offset < fs.statSync(file).size);
    assert.deepEqual(fromReader(file).series, fromJsonl(file).series);
    const truth = fromJsonl(file);
    assert.equal(
      truth.series.get('loss')!.values.length,
      55_000,
      'three appends of the third burst were written',
    );
    // Resumed: continues from the cache, reads the JSONL after it, and finishes.
    const second = `
      const runlens = require(${client});
      const run = runlens.init({ store: ${JSON.stringify(store)}, runId: ${JSON.stringify(id)} });
      for (let s = 55000; s < 80000; s++) run.log({ loss: 1 / (s + 1), acc: s % 11 }, s);
      run.finish();`;
    const r2 = spawnSync(process.execPath, ['-e', second], { encoding: 'utf8' });
    assert.equal(r2.status, 0, r2.stderr);
    assertSameAsFromScratch(file);
    assert.equal(fromReader(file).parsedBytes, 0);
    assert.equal(fromJsonl(file).series.get('loss')!.values.length, 80_000);
  });
});
