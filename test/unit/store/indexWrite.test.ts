// How the index is read from and written to disk at scale: run.json read from one open file (its
// mtime from fstat), index.json written in pieces without a replacer call per value, byte for
// byte what a single JSON.stringify with the store's NaN/Infinity replacer writes.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { RunlensError } from '../../../src/core/errors';
import { hasNonFinite, nonFinite, readTextStamped, toStoreJson } from '../../../src/core/store/fsutil';
import { newRunId } from '../../../src/core/store/ids';
import { RUN_SCHEMA_VERSION, readRunFileStamped } from '../../../src/core/store/runFile';
import { RunIndex } from '../../../src/core/store/runIndex';
import { Store } from '../../../src/core/store/store';
import type { RunRecord } from '../../../src/core/store/types';
import { tempDir } from '../../helpers/tmp';

function runRecord(id: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    schemaVersion: RUN_SCHEMA_VERSION,
    id,
    experiment: 'e',
    name: `n-${id.slice(-4)}`,
    status: 'finished',
    command: null,
    cwd: '',
    script: null,
    params: { lr: 0.1 },
    tags: {},
    starred: false,
    startTime: 1_700_000_000_000,
    endTime: 1_700_000_001_000,
    exitCode: 0,
    pid: null,
    host: '',
    git: null,
    environment: { os: 'linux', arch: 'x64' },
    inputs: [],
    summary: { loss: { last: 0.5, lastStep: 1, min: 0.5, max: 1, count: 2, lastTime: 1_700_000_000_500 } },
    note: null,
    updatedAt: 1_700_000_001_000,
    ...over,
  };
}

function writeRun(store: Store, run: RunRecord): void {
  fs.mkdirSync(store.runDir(run.id), { recursive: true });
  fs.writeFileSync(path.join(store.runDir(run.id), 'run.json'), JSON.stringify(run, nonFinite, 2));
  fs.writeFileSync(store.metricsFile(run.id), '');
}

test('readRunFileStamped: the record and the mtime of the file read; large files; clear errors', () => {
  const store = Store.open(path.join(tempDir('runlens-stamped-'), '.runlens'), { create: true });
  const id = newRunId(Date.now());
  // larger than the 64 KiB read buffer: it grows and the whole file is read
  const big = runRecord(id, { note: 'x'.repeat(200_000) });
  writeRun(store, big);
  const file = path.join(store.runDir(id), 'run.json');
  const { run, mtimeMs } = readRunFileStamped(store.runDir(id));
  assert.equal(run.note, big.note);
  assert.equal(mtimeMs, fs.statSync(file).mtimeMs);
  assert.equal(readTextStamped(file).text, fs.readFileSync(file, 'utf8'));
  // a small file after the big one: only its own bytes
  const small = path.join(store.dir, 'small.txt');
  fs.writeFileSync(small, 'é\n');
  assert.equal(readTextStamped(small).text, 'é\n');

  fs.writeFileSync(file, '{"id": ');
  assert.throws(
    () => readRunFileStamped(store.runDir(id)),
    (e: unknown) => e instanceof RunlensError && e.message.includes(file) && /not valid JSON/.test(e.message),
  );
  fs.rmSync(file);
  assert.throws(
    () => readRunFileStamped(store.runDir(id)),
    (e: unknown) => e instanceof RunlensError && /does not exist/.test(e.message),
  );
});

test('toStoreJson writes what JSON.stringify with the NaN/Infinity replacer writes', () => {
  const values: unknown[] = [
    { a: 1, b: [1, 2, { c: NaN }] },
    { a: Infinity },
    { a: -Infinity, s: 'NaN', n: null, u: undefined },
    [1, 'x', null, { y: [0, -0, 1e308] }],
    { nested: { deep: { deeper: [Number.NaN] } } },
    { plain: 'text', k: 1.5 },
  ];
  for (const v of values) assert.equal(toStoreJson(v), JSON.stringify(v, nonFinite));
  assert.equal(hasNonFinite({ a: [1, { b: Infinity }] }), true);
  assert.equal(hasNonFinite({ a: [1, { b: 2 }], c: 'Infinity' }), false);
});

test('index.json after a rebuild is the lowdb document of the entries, NaN and infinities as text', () => {
  const store = Store.open(path.join(tempDir('runlens-indexjson-'), '.runlens'), { create: true });
  const t0 = Date.now() - 10_000;
  const ids: string[] = [];
  // more than one piece of 1,000 entries
  for (let i = 0; i < 2_345; i++) {
    const id = newRunId(t0 + i);
    ids.push(id);
    const summary =
      i % 500 === 7
        ? { loss: { last: NaN, lastStep: 1, min: -Infinity, max: Infinity, count: 2, lastTime: t0 } }
        : undefined;
    writeRun(store, runRecord(id, summary ? { summary, params: { lr: i % 3 === 0 ? Infinity : i } } : {}));
  }
  const index = new RunIndex(store.dir, path.join(store.dir, 'runs'));
  const { entries } = index.refresh({ rebuild: true });
  const text = fs.readFileSync(path.join(store.dir, 'index.json'), 'utf8');
  const byId = new Map(entries.map((e) => [e.id, e]));
  // what lowdb wrote before: JSON.stringify of { schemaVersion, runs } with the replacer
  const expected = JSON.stringify(
    {
      schemaVersion: 1,
      runs: Object.fromEntries(
        Object.keys((JSON.parse(text) as { runs: object }).runs).map((id) => [id, byId.get(id)]),
      ),
    },
    nonFinite,
  );
  assert.equal(text, expected);
  const parsed = JSON.parse(text) as { runs: Record<string, { metrics: { loss: { last: unknown } } }> };
  assert.equal(Object.keys(parsed.runs).length, 2_345);
  assert.equal(parsed.runs[ids[7]].metrics.loss.last, 'NaN');
  // and it reads back as the same entries (NaN restored)
  const loaded = index.load();
  assert.equal(loaded.size, 2_345);
  assert.ok(Number.isNaN(loaded.get(ids[7])!.metrics.loss.last));
  assert.equal(loaded.get(ids[7])!.params.lr, ids.indexOf(ids[7]) % 3 === 0 ? Infinity : 7);
});
