import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import * as protobuf from 'protobufjs';
import {
  TagCache,
  TfEventsFollower,
  decodeEvent,
  decodeSimpleScalars,
  fileFingerprint,
  importTensorboard,
} from '../../../src/core/importers/tensorboard';
import { TENSORBOARD_SCHEMA } from '../../../src/core/importers/tensorboardSchema';
import { frameRecord, scanTfRecordsAt } from '../../../src/core/importers/tfrecord';
import { readSeries } from '../../../src/core/store/metrics';
import { Store } from '../../../src/core/store/store';
import type { MetricSummary, RunRecord } from '../../../src/core/store/types';
import { repoRoot, tempDir } from '../../helpers/tmp';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'importers');
const PROTO = path.join(repoRoot, 'src', 'core', 'importers', 'tensorboard.proto');
const SCHEMA_TS = path.join(repoRoot, 'src', 'core', 'importers', 'tensorboardSchema.ts');

function newStore(): Store {
  return Store.open(path.join(tempDir('runlens-import-'), '.runlens'), { create: true });
}

type ExpectedSeries = {
  count: number;
  first: number | string;
  last: number | string;
  lastStep: number;
  min: number | string | null;
  max: number | string | null;
  firstStep: number;
  firstTime: number;
  lastTime: number;
};
type ExpectedRun = {
  series: Record<string, ExpectedSeries>;
  other: Record<string, number>;
  params: Record<string, unknown>;
  start: number;
  end: number;
};
/**
 * Decoded independently of the importer: test/fixtures/importers/expected-tfevents.json is the output
 * of tfevents_tool.py (Python, struct module, bit-by-bit CRC-32C, hand-written protobuf parsing).
 */
const EXPECTED = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected-tfevents.json'), 'utf8')) as Record<
  string,
  ExpectedRun
>;

function num(v: number | string | null): number | null {
  if (v === null || typeof v === 'number') return v;
  return v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : -Infinity;
}

function runsByTbRun(store: Store): Map<string, RunRecord> {
  return new Map(store.listRuns().entries.map((e) => [e.tags['tensorboard.run'], store.getRun(e.id)]));
}

/**
 * Compare the runs imported from a logdir with what tfevents_tool.py read: `names` are the run
 * folders relative to the logdir ('.' for the logdir itself), `prefix/name` the keys of EXPECTED.
 */
function checkRuns(
  store: Store,
  prefix: string,
  names: string[],
): { points: number; skipped: Record<string, number> } {
  const runs = runsByTbRun(store);
  let points = 0;
  const skipped: Record<string, number> = {};
  for (const name of names) {
    const want = EXPECTED[name === '.' ? prefix : `${prefix}/${name}`];
    const run = runs.get(name);
    assert.ok(run, `run ${name} imported`);
    assert.equal(run.status, 'finished');
    assert.equal(run.startTime, want.start, `${name} start`);
    assert.equal(run.endTime, want.end, `${name} end`);
    assert.deepEqual(Object.keys(run.summary!).sort(), Object.keys(want.series).sort(), `${name} tags`);
    assert.deepEqual(run.params, want.params);
    for (const [tag, s] of Object.entries(want.series)) {
      const where = `${name} ${tag}`;
      const { series } = readSeries(store.metricsFile(run.id), tag);
      assert.equal(series.values.length, s.count, `${where} count`);
      assert.equal(series.values[0], num(s.first), `${where} first`);
      assert.equal(series.steps[0], s.firstStep, `${where} first step`);
      assert.equal(series.times[0], s.firstTime, `${where} first time (s -> ms)`);
      const sum: MetricSummary = run.summary![tag];
      assert.equal(sum.count, s.count, where);
      assert.equal(sum.last, num(s.last), `${where} last`);
      assert.equal(sum.lastStep, s.lastStep, `${where} last step`);
      assert.equal(sum.lastTime, s.lastTime, `${where} last time`);
      assert.equal(sum.min, num(s.min), `${where} min`);
      assert.equal(sum.max, num(s.max), `${where} max`);
      points += s.count;
    }
    for (const [k, n] of Object.entries(want.other)) skipped[k] = (skipped[k] ?? 0) + n;
  }
  return { points, skipped };
}

describe('TensorBoard schema', () => {
  test('the embedded descriptor is tensorboard.proto, parsed (set RUNLENS_UPDATE_SCHEMA=1 to regenerate)', () => {
    const parsed = protobuf.parse(fs.readFileSync(PROTO, 'utf8'), { keepCase: true }).root.toJSON();
    if (process.env.RUNLENS_UPDATE_SCHEMA === '1') {
      fs.writeFileSync(
        SCHEMA_TS,
        '// Generated from tensorboard.proto (the documented source) by test/unit/importers/tensorboard.test.ts\n' +
          '// with RUNLENS_UPDATE_SCHEMA=1; that test checks that the two agree. Do not edit by hand.\n\n' +
          '/** protobufjs JSON descriptor of the TensorFlow event-file messages (package tensorflow). */\n' +
          `export const TENSORBOARD_SCHEMA = ${JSON.stringify(parsed, null, 2)};\n`,
      );
    }
    assert.deepEqual(JSON.parse(JSON.stringify(TENSORBOARD_SCHEMA)), JSON.parse(JSON.stringify(parsed)));
  });

  test('field numbers match the fixture files: a real event decodes to its tag, value and plugin', () => {
    const file = path.join(
      FIXTURES,
      'tfevents/tfevents-js/src/__tests__/assets/events.out.tfevents.1687811641.v2',
    );
    const bytes = fs.readFileSync(file);
    // Second record: header 12 bytes at 40, data 38 bytes (lengths from `xxd`: 0x18 then 0x26).
    const data = bytes.subarray(52, 52 + 38);
    const got: unknown[] = [];
    const plugins: Record<string, string> = {};
    decodeEvent(data, plugins, { scalar: (...a) => got.push(a) });
    assert.deepEqual(got, [['hello', 0, 1687811641000, 1]]);
    assert.deepEqual(plugins, { hello: 'scalars' });
  });
});

describe('TensorBoard decoding: the fast path for simple scalars agrees with protobufjs', () => {
  test('on every record of every fixture file, and on records with extra fields', () => {
    const files = (fs.readdirSync(FIXTURES, { recursive: true }) as string[]).filter((f) =>
      f.includes('events.out.tfevents'),
    );
    assert.equal(files.length, 13);
    let fast = 0;
    let records = 0;
    for (const f of files) {
      const viaFast: unknown[] = [];
      const viaProto: unknown[] = [];
      const pluginsA: Record<string, string> = {};
      const pluginsB: Record<string, string> = {};
      const tags = new TagCache();
      scanTfRecordsAt(path.join(FIXTURES, f), 0, (buf, start, end) => {
        records++;
        const sinkA = {
          scalar: (...a: unknown[]) => viaFast.push(a),
          wallTime: (ms: number) => viaFast.push(ms),
        };
        if (decodeSimpleScalars(buf, start, end, pluginsA, sinkA, tags)) fast++;
        else decodeEvent(buf.subarray(start, end), pluginsA, sinkA);
        decodeEvent(buf.subarray(start, end), pluginsB, {
          scalar: (...a: unknown[]) => viaProto.push(a),
          wallTime: (ms: number) => viaProto.push(ms),
        });
      });
      assert.deepEqual(viaFast, viaProto, f);
      assert.deepEqual(pluginsA, pluginsB, f);
    }
    // Each file starts with a file_version record. strict 3 x (1 + 100), lax (1 + 330) + (1 + 360) +
    // (1 + 390), duplicate_steps 3 x (1 + 420), tfevents-js 2, synthetic tf2 1 + 1 graph + 1 hparams
    // + 50, pytorch (1 + 1 session log + 20 + 4) + (1 + 11).
    assert.equal(records, 303 + 1083 + 1263 + 2 + 53 + 26 + 12);
    assert.ok(fast > records * 0.9, `${fast} of ${records} records through the fast path`);
    // Records the fast path must leave to protobufjs: metadata, tensors, a second value field.
    const Event = protobuf.Root.fromJSON(TENSORBOARD_SCHEMA as protobuf.INamespace).lookupType(
      'tensorflow.Event',
    );
    for (const value of [
      { tag: 'a', simple_value: 1, metadata: { plugin_data: { plugin_name: 'scalars' } } },
      { tag: 'a', tensor: { dtype: 1, float_val: [1] } },
      { tag: 'a', histo: { min: 0 } },
    ]) {
      const bytes = Event.encode({ wall_time: 1, step: 2, summary: { value: [value] } }).finish();
      assert.equal(
        decodeSimpleScalars(bytes, 0, bytes.length, {}, { scalar: () => undefined }, new TagCache()),
        false,
      );
    }
    const negative = Event.encode({
      wall_time: 1,
      step: -5,
      summary: { value: [{ tag: 'a', simple_value: 1 }] },
    }).finish();
    assert.equal(
      decodeSimpleScalars(negative, 0, negative.length, {}, { scalar: () => undefined }, new TagCache()),
      false,
    );
  });
});

describe('TensorBoard import: real event files (PyTorch SummaryWriter, tfevents-js)', () => {
  const reducer = path.join(FIXTURES, 'tfevents/tensorboard-reducer/tests/runs');

  test('strict, lax and duplicate_steps: every run, tag and point, first/last/min/max as decoded in Python', async () => {
    const store = newStore();
    const totals = { runs: 0, points: 0 };
    // Counts (tfevents_tool.py): strict 3 runs x 1 tag x 100 points; lax 3 runs x 3 tags x 110, 120,
    // 130 points; duplicate_steps 3 runs x 2 tags x 210 points (steps 0..199, some repeated).
    const want = { strict: 300, lax: 3 * 110 + 3 * 120 + 3 * 130, duplicate_steps: 3 * 2 * 210 };
    for (const [logdir, points] of Object.entries(want)) {
      const s = newStore();
      const report = await importTensorboard(s, path.join(reducer, logdir));
      assert.deepEqual(report.warnings, []);
      assert.deepEqual(report.runs, { found: 3, created: 3, updated: 0, skipped: 0 });
      assert.equal(report.points, points);
      assert.deepEqual(report.skippedValues, {});
      const checked = checkRuns(s, logdir, ['run_1', 'run_2', 'run_3']);
      assert.equal(checked.points, points);
      totals.runs += report.runs.created;
      totals.points += report.points;
      assert.ok(s.listRuns().entries.every((e) => e.experiment === logdir));
    }
    assert.deepEqual(totals, { runs: 9, points: 2640 });
    // The whole folder at once: 9 runs named by their folder relative to the logdir.
    const report = await importTensorboard(store, reducer, { experiment: 'reducer' });
    assert.equal(report.runs.created, 9);
    assert.deepEqual(
      store
        .listRuns()
        .entries.map((e) => e.name)
        .sort(),
      [
        'duplicate_steps/run_1',
        'duplicate_steps/run_2',
        'duplicate_steps/run_3',
        'lax/run_1',
        'lax/run_2',
        'lax/run_3',
        'strict/run_1',
        'strict/run_2',
        'strict/run_3',
      ],
    );
  });

  test('a 94-byte file with one scalar and its plugin metadata', async () => {
    const store = newStore();
    const report = await importTensorboard(
      store,
      path.join(FIXTURES, 'tfevents/tfevents-js/src/__tests__/assets'),
    );
    assert.equal(report.points, 1);
    checkRuns(store, 'assets', ['.']);
    const [run] = runsByTbRun(store).values();
    assert.equal(run.name, 'assets');
    assert.deepEqual(JSON.parse(run.tags['tensorboard.plugins']), { hello: 'scalars' });
  });
});

describe('TensorBoard import: every scalar encoding and the values that are not scalars', () => {
  test('tensor_content float32/float64, float_val/double_val, simple_value; images, histograms, graphs, text, hparams', async () => {
    const store = newStore();
    const report = await importTensorboard(store, path.join(FIXTURES, 'synthetic/tensorboard'));
    assert.deepEqual(report.warnings, []);
    const { points, skipped } = checkRuns(store, 'tensorboard', ['tf2', 'pytorch']);
    assert.equal(report.points, points);
    assert.equal(points, 50 + 50 + 20 + 20 + 11);
    assert.deepEqual(report.skippedValues, skipped);
    assert.deepEqual(skipped, { graphs: 1, histograms: 9, hparams: 1, images: 9, text: 2 });
    const tf2 = runsByTbRun(store).get('tf2')!;
    assert.deepEqual(tf2.params, { lr: 0.001, optimizer: 'adam', use_bn: true });
    // NaN at step 17 and +inf at step 33 of "loss" (tfevents_tool.py synth).
    const loss = readSeries(store.metricsFile(tf2.id), 'loss').series;
    assert.ok(Number.isNaN(loss.values[17]));
    assert.equal(loss.values[33], Infinity);
    const pytorch = runsByTbRun(store).get('pytorch')!;
    assert.equal(Object.keys(JSON.parse(pytorch.tags['tensorboard.files'])).length, 2, 'two files, one run');
  });
});

const root = protobuf.Root.fromJSON(TENSORBOARD_SCHEMA as protobuf.INamespace);
const Event = root.lookupType('tensorflow.Event');

function scalarEvent(tag: string, step: number, value: number, wall = 1700000000 + step): Buffer {
  return frameRecord(
    Event.encode({ wall_time: wall, step, summary: { value: [{ tag, simple_value: value }] } }).finish(),
  );
}
function versionEvent(wall = 1700000000): Buffer {
  return frameRecord(Event.encode({ wall_time: wall, file_version: 'brain.Event:2' }).finish());
}

describe('TensorBoard import: idempotent, and only the new points of files that grew', () => {
  test('re-import adds nothing; a grown file adds its new points; a new run is created', async () => {
    const logdir = tempDir('runlens-tb-');
    const runA = path.join(logdir, 'a');
    fs.mkdirSync(runA);
    const fileA = path.join(runA, 'events.out.tfevents.1700000000.host.1.0');
    fs.writeFileSync(
      fileA,
      Buffer.concat([versionEvent(), ...[0, 1, 2].map((s) => scalarEvent('loss', s, 1 / (s + 1)))]),
    );
    const store = newStore();
    const first = await importTensorboard(store, logdir);
    assert.deepEqual(first.runs, { found: 1, created: 1, updated: 0, skipped: 0 });
    assert.equal(first.points, 3);

    const again = await importTensorboard(store, logdir);
    assert.deepEqual(again.runs, { found: 1, created: 0, updated: 0, skipped: 1 });
    assert.equal(again.points, 0);

    // The writer goes on, and a partial record is at the end: only complete records are taken.
    const next = scalarEvent('loss', 4, 0.2);
    fs.appendFileSync(fileA, Buffer.concat([scalarEvent('loss', 3, 0.25), next.subarray(0, 10)]));
    const grown = await importTensorboard(store, logdir);
    assert.deepEqual(grown.runs, { found: 1, created: 0, updated: 1, skipped: 0 });
    assert.equal(grown.points, 1);
    assert.match(grown.warnings[0].message, /not a complete record yet/);
    assert.equal(grown.warnings[0].offset, fs.statSync(fileA).size - 10);
    fs.appendFileSync(fileA, next.subarray(10));
    fs.mkdirSync(path.join(logdir, 'b'));
    fs.writeFileSync(
      path.join(logdir, 'b', 'events.out.tfevents.1700000100.host.2.0'),
      Buffer.concat([versionEvent(1700000100), scalarEvent('acc', 0, 0.5)]),
    );
    const more = await importTensorboard(store, logdir);
    assert.deepEqual(more.runs, { found: 2, created: 1, updated: 1, skipped: 0 });
    assert.equal(more.points, 2);

    const runs = runsByTbRun(store);
    assert.equal(runs.size, 2);
    const a = runs.get('a')!;
    const loss = readSeries(store.metricsFile(a.id), 'loss').series;
    assert.deepEqual(loss.steps, [0, 1, 2, 3, 4]);
    assert.deepEqual(loss.values, [1, 0.5, 1 / 3, 0.25, 0.2].map(Math.fround)); // simple_value is a float32
    assert.equal(a.summary!.loss.count, 5);
    assert.equal(a.summary!.loss.last, Math.fround(0.2));
    assert.equal(a.endTime, 1700000004000);
    assert.equal(a.startTime, 1700000000000);
    assert.equal(a.tags['runlens.import'], undefined);
  });

  test('an append interrupted half-way is cut back and redone', async () => {
    const logdir = tempDir('runlens-tb-');
    const file = path.join(logdir, 'events.out.tfevents.1700000000.host.1.0');
    fs.writeFileSync(file, Buffer.concat([versionEvent(), scalarEvent('x', 0, 1)]));
    const store = newStore();
    await importTensorboard(store, logdir);
    const [entry] = store.listRuns().entries;
    const size = fs.statSync(store.metricsFile(entry.id)).size;
    // What a crash after the marker and some appended lines leaves behind.
    await store.updateRun(entry.id, (r) => {
      r.tags['runlens.import'] = `append:${size}`;
    });
    fs.appendFileSync(store.metricsFile(entry.id), '{"key":"x","value":2,"step":1,"time":1}\n');
    fs.appendFileSync(file, scalarEvent('x', 1, 2));
    const report = await importTensorboard(store, logdir);
    assert.equal(report.points, 1);
    const run = store.getRun(entry.id);
    assert.deepEqual(readSeries(store.metricsFile(run.id), 'x').series.values, [1, 2]);
    assert.equal(run.summary!.x.count, 2);
    assert.equal(run.tags['runlens.import'], undefined);
  });
});

describe('TfEventsFollower', () => {
  test('poll() returns the scalars written since the last poll, resuming after a partial record', () => {
    const dir = tempDir('runlens-follow-');
    const file = path.join(dir, 'events.out.tfevents.1700000000.host.1.0');
    const follower = new TfEventsFollower(dir);
    assert.deepEqual(follower.poll(), []);
    fs.writeFileSync(file, Buffer.concat([versionEvent(), scalarEvent('loss', 0, 1)]));
    assert.deepEqual(follower.poll(), [{ tag: 'loss', step: 0, wallTime: 1700000000000, value: 1 }]);
    assert.deepEqual(follower.poll(), []);
    const rec = scalarEvent('loss', 1, 0.5);
    for (let cut = 1; cut < rec.length; cut += 7) {
      const f = new TfEventsFollower(dir, follower.state);
      fs.writeFileSync(
        file,
        Buffer.concat([versionEvent(), scalarEvent('loss', 0, 1), rec.subarray(0, cut)]),
      );
      assert.deepEqual(f.poll(), [], `nothing from a record cut at ${cut}`);
      fs.appendFileSync(file, rec.subarray(cut));
      assert.deepEqual(f.poll(), [{ tag: 'loss', step: 1, wallTime: 1700000001000, value: 0.5 }]);
      assert.deepEqual(f.warnings, []);
    }
    // A second file in the same folder (a restarted writer) is followed too.
    fs.writeFileSync(
      path.join(dir, 'events.out.tfevents.1700000100.host.1.1'),
      Buffer.concat([versionEvent(1700000100), scalarEvent('acc', 5, 0.75, 1700000105)]),
    );
    const f2 = new TfEventsFollower(dir, follower.state);
    assert.deepEqual(
      f2.poll().map((p) => [p.tag, p.step]),
      [
        ['loss', 1],
        ['acc', 5],
      ],
    );
    const state = f2.state;
    assert.equal(Object.keys(state.files).length, 2);
    assert.equal(state.files['events.out.tfevents.1700000000.host.1.0'].offset, fs.statSync(file).size);
    assert.equal(state.files['events.out.tfevents.1700000000.host.1.0'].fp, fileFingerprint(file));
  });

  test('a file rewritten from scratch is read again from its start', () => {
    const dir = tempDir('runlens-follow-');
    const file = path.join(dir, 'events.out.tfevents.1700000000.host.1.0');
    fs.writeFileSync(file, Buffer.concat([versionEvent(), scalarEvent('a', 0, 1), scalarEvent('a', 1, 2)]));
    const f = new TfEventsFollower(dir);
    assert.equal(f.poll().length, 2);
    fs.writeFileSync(file, Buffer.concat([versionEvent(1700000500), scalarEvent('a', 0, 3)]));
    assert.deepEqual(
      f.poll().map((p) => p.value),
      [3],
    );
    assert.match(f.takeWarnings()[0].message, /rewritten/);
  });
});
