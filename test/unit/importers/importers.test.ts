import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { PointWriter, paramFromText, paramText, pythonFloatRepr } from '../../../src/core/importers/common';
import type { ImportWarning } from '../../../src/core/importers/common';
import type { MlflowDataset } from '../../../src/core/importers/mlflowFormat';
import {
  parseFlatMeta,
  parsePythonFloat,
  readMetaYaml,
  readMetricFile,
} from '../../../src/core/importers/mlflowFormat';
import { importTensorboard } from '../../../src/core/importers/tensorboard';
import { crc32c, frameRecord, maskedCrc32c, scanTfRecords } from '../../../src/core/importers/tfrecord';
import { scanMetrics } from '../../../src/core/store/metrics';
import { Store } from '../../../src/core/store/store';
import { repoRoot, tempDir } from '../../helpers/tmp';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'importers');
/** lax/run_3: 1 file_version event + 130 events x 3 tags (tfevents_tool.py), 18,110 bytes. */
const EVENTS = path.join(
  FIXTURES,
  'tfevents/tensorboard-reducer/tests/runs/lax/run_3/events.out.tfevents.1622543341.janoshs-mbp.lan.86862.5',
);
const METRIC_FILE = path.join(
  FIXTURES,
  'mlruns/ConvNeXt-V2-UNet/examples/mlruns/187479759740700411/ea71e54bc850434eaa5170c17d564de6/metrics/loss',
);

/** Deterministic pseudo-random numbers (mulberry32), so that a failing case can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Start offsets of the records of a well-formed file, walking the length fields. */
function recordStarts(bytes: Buffer): number[] {
  const starts: number[] = [];
  for (let o = 0; o + 12 <= bytes.length;) {
    starts.push(o);
    o += 16 + Number(bytes.readBigUInt64LE(o));
  }
  return starts;
}

describe('CRC-32C and TFRecord framing', () => {
  test('CRC-32C check values (RFC 3720 B.4 and the usual "123456789")', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
    assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
    assert.equal(crc32c(Buffer.alloc(0)), 0);
  });

  test('the masked CRCs of the real fixture files match, record after record', () => {
    const bytes = fs.readFileSync(EVENTS);
    const starts = recordStarts(bytes);
    assert.equal(starts.length, 391);
    for (const o of starts) {
      const len = Number(bytes.readBigUInt64LE(o));
      assert.equal(maskedCrc32c(bytes, o, o + 8), bytes.readUInt32LE(o + 8));
      assert.equal(maskedCrc32c(bytes, o + 12, o + 12 + len), bytes.readUInt32LE(o + 12 + len));
    }
    // frameRecord writes exactly what TensorFlow wrote.
    const data = bytes.subarray(starts[1] + 12, starts[2] - 4);
    assert.deepEqual(frameRecord(data), bytes.subarray(starts[1], starts[2]));
  });
});

describe('TFRecord reader fuzz: no crash, no hang, bounded memory, file and offset in every warning', () => {
  const original = fs.readFileSync(EVENTS);
  const starts = recordStarts(original);
  const total = starts.length;

  test(
    'truncated at any offset: the complete records are read, the rest left for later',
    { timeout: 60_000 },
    () => {
      const dir = tempDir('runlens-fuzz-');
      const file = path.join(dir, 'events.out.tfevents.cut');
      for (let k = 0; k <= original.length; k += k < 300 ? 1 : 37) {
        fs.writeFileSync(file, original.subarray(0, k));
        const complete = starts.filter(
          (_s, i) => (i + 1 < starts.length ? starts[i + 1] : original.length) <= k,
        ).length;
        const end = complete === 0 ? 0 : complete < starts.length ? starts[complete] : original.length;
        const scan = scanTfRecords(file, 0, () => undefined);
        assert.deepEqual(
          {
            records: scan.records,
            corrupt: scan.corrupt,
            endOffset: scan.endOffset,
            pending: scan.pendingBytes,
          },
          { records: complete, corrupt: 0, endOffset: end, pending: k - end },
          `cut at ${k}`,
        );
        assert.deepEqual(scan.warnings, []);
      }
    },
  );

  test(
    'one flipped byte costs exactly the record it is in, named by file and offset',
    { timeout: 60_000 },
    () => {
      const dir = tempDir('runlens-fuzz-');
      const file = path.join(dir, 'events.out.tfevents.flip');
      const random = rng(1);
      for (let i = 0; i < 300; i++) {
        const bytes = Buffer.from(original);
        const at = Math.floor(random() * bytes.length);
        bytes[at] ^= 1 + Math.floor(random() * 255);
        fs.writeFileSync(file, bytes);
        const hit = starts.filter((s) => s <= at).length - 1;
        const scan = scanTfRecords(file, 0, () => undefined);
        const where = `byte ${at} (record ${hit} at ${starts[hit]})`;
        assert.equal(scan.records, total - 1, where);
        assert.equal(scan.corrupt, 1, where);
        assert.equal(scan.endOffset, original.length, where);
        assert.equal(scan.warnings.length, 1, where);
        assert.equal(scan.warnings[0].file, file);
        assert.equal(scan.warnings[0].offset, starts[hit], where);
        assert.match(scan.warnings[0].message, /checksum mismatch/);
      }
    },
  );

  test('huge length fields: never allocated, never a hang', { timeout: 60_000 }, () => {
    const dir = tempDir('runlens-fuzz-');
    const file = path.join(dir, 'events.out.tfevents.huge');
    const k = 200;
    for (const len of [2n ** 40n, 2n ** 64n - 1n, BigInt(original.length)]) {
      // With a valid length checksum: it reads as a record still being written; everything before it is read.
      const bytes = Buffer.from(original);
      bytes.writeBigUInt64LE(len, starts[k]);
      bytes.writeUInt32LE(maskedCrc32c(bytes, starts[k], starts[k] + 8), starts[k] + 8);
      fs.writeFileSync(file, bytes);
      const before = process.memoryUsage().arrayBuffers;
      const scan = scanTfRecords(file, 0, () => undefined);
      assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024, 'memory stays bounded');
      assert.deepEqual(
        { records: scan.records, endOffset: scan.endOffset, pending: scan.pendingBytes },
        { records: k, endOffset: starts[k], pending: original.length - starts[k] },
      );
      // Without it: the header is corrupt, skipped to the next record.
      bytes.writeUInt32LE(0, starts[k] + 8);
      fs.writeFileSync(file, bytes);
      const resync = scanTfRecords(file, 0, () => undefined);
      assert.deepEqual(
        { records: resync.records, corrupt: resync.corrupt },
        { records: total - 1, corrupt: 1 },
      );
      assert.equal(resync.warnings[0].offset, starts[k]);
    }
    // A record over the size limit is skipped unread, with a warning.
    fs.writeFileSync(file, original);
    const limited = scanTfRecords(file, 0, () => undefined, { maxRecordBytes: 25 });
    assert.equal(limited.records, 1, 'the 24-byte file_version event; the scalar events have 29 bytes');
    assert.equal(limited.corrupt, total - 1);
    assert.match(limited.warnings[0].message, /larger than 25 bytes/);
  });

  test('random garbage, garbage between records, tiny chunks', { timeout: 60_000 }, () => {
    const dir = tempDir('runlens-fuzz-');
    const file = path.join(dir, 'events.out.tfevents.garbage');
    const random = rng(2);
    const garbage = Buffer.from(Array.from({ length: 1 << 20 }, () => Math.floor(random() * 256)));
    fs.writeFileSync(file, garbage);
    // a hang or quadratic rescan is caught by the test's timeout, not by timing it here
    const scan = scanTfRecords(file, 0, () => undefined);
    assert.equal(scan.records, 0);
    assert.ok(scan.warnings.every((w) => w.file === file && typeof w.offset === 'number'));
    // 1000 bytes of garbage after record 10: one warning, every record still read, in 64-byte chunks.
    const mixed = Buffer.concat([
      original.subarray(0, starts[10]),
      garbage.subarray(0, 1000),
      original.subarray(starts[10]),
    ]);
    fs.writeFileSync(file, mixed);
    const seen: number[] = [];
    const r = scanTfRecords(file, 0, (_d, offset) => seen.push(offset), { chunkBytes: 64 });
    assert.equal(r.records, total);
    assert.equal(r.corrupt, 1);
    assert.equal(r.warnings[0].offset, starts[10]);
    assert.match(
      r.warnings[0].message,
      new RegExp(`1000 bytes skipped to the next valid record at offset ${starts[10] + 1000}`),
    );
    assert.equal(seen[10], starts[10] + 1000);
  });

  test('through the importer: a corrupt record is counted and warned about, the rest imported', async () => {
    const logdir = tempDir('runlens-fuzz-');
    const bytes = Buffer.from(original);
    bytes[starts[5] + 20] ^= 0xff; // inside record 5's data
    fs.writeFileSync(path.join(logdir, path.basename(EVENTS)), bytes);
    const store = Store.open(path.join(tempDir(), '.runlens'), { create: true });
    const report = await importTensorboard(store, logdir);
    assert.equal(report.points, 390 - 1);
    assert.equal(report.skippedValues['corrupt records'], 1);
    assert.equal(report.warnings.length, 1);
    assert.equal(report.warnings[0].file, path.join(logdir, path.basename(EVENTS)));
    assert.equal(report.warnings[0].offset, starts[5]);
  });
});

describe('MLflow metric lines', () => {
  function read(text: string | Buffer): {
    points: [number, number, number][];
    warnings: ImportWarning[];
    datasets: MlflowDataset[];
  } {
    const file = path.join(tempDir('runlens-lines-'), 'metric');
    fs.writeFileSync(file, text);
    const points: [number, number, number][] = [];
    const warnings: ImportWarning[] = [];
    const datasets = new Map<string, MlflowDataset>();
    readMetricFile(file, { point: (v, step, time) => points.push([time, v, step]) }, warnings, datasets);
    return { points, warnings, datasets: [...datasets.values()] };
  }

  test('2, 3, 5 and 6 fields; nan, inf, -inf, Infinity, exponents; a last line without newline', () => {
    const r = read(
      '100 0.5\n200 1e-05 3\n300 nan 4 train abc123\n400 -inf 5 train abc123 m-1\n500 Infinity 6\n600 -1.5E+300 7\n700 inf 8\n800 1 9 m-0a1b eval e5e5',
    );
    assert.deepEqual(r.points, [
      [100, 0.5, 0],
      [200, 1e-5, 3],
      [300, NaN, 4],
      [400, -Infinity, 5],
      [500, Infinity, 6],
      [600, -1.5e300, 7],
      [700, Infinity, 8],
      [800, 1, 9],
    ]);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.datasets, [
      { name: 'train', digest: 'abc123' },
      { name: 'eval', digest: 'e5e5' },
    ]);
  });

  test('the fast path (bytes copied) and the general path write the same points', () => {
    const text = [
      '1700000000000 0.6286832690238953 0',
      '1700000000001 -1.5e-07 12',
      '1700000000002 1E+300 -3',
      '1700000000003 0 7',
      '1700000000004 -0.0 8',
      '1700000000005 nan 9',
      '1700000000006 1. 10',
      '1700000000007 +2 11',
      '1700000000008 007 0012',
      '1700000000009 3 4 ds abc',
      '1700000000010 5',
      '1700000000011 6 1\r',
      '1700000000012 7 1 junk x y z',
      '',
    ].join('\n');
    const dir = tempDir('runlens-lines-');
    const src = path.join(dir, 'metric');
    fs.writeFileSync(src, text);
    const general = path.join(dir, 'general.jsonl');
    const fast = path.join(dir, 'fast.jsonl');
    for (const [out, direct] of [
      [general, false],
      [fast, true],
    ] as const) {
      const w = new PointWriter(out, true);
      const s = w.series('k');
      const prefix = PointWriter.linePrefix('k');
      readMetricFile(
        src,
        {
          point: (v, step, time, vt, st, tt) => w.add('"k"', s, v, step, time, vt, st, tt),
          direct: direct
            ? {
                writer: w,
                prefix,
                prefixView: new DataView(prefix.buffer, prefix.byteOffset, prefix.length),
                summary: s,
              }
            : undefined,
        },
        [],
        new Map(),
      );
      w.close();
    }
    const read = (f: string) => {
      const pts: unknown[] = [];
      const r = scanMetrics(f, (p) => pts.push(p));
      assert.deepEqual(r.warnings, []);
      return pts;
    };
    assert.equal(read(fast).length, 12);
    assert.deepEqual(read(fast), read(general));
  });

  test("values as Python's float() reads them, and nothing else", () => {
    for (const [text, want] of [
      ['1', 1],
      ['-0.25', -0.25],
      ['.5', 0.5],
      ['5.', 5],
      ['+3', 3],
      ['1_000.5', 1000.5],
      ['NaN', NaN],
      ['-nan', NaN],
      ['+Infinity', Infinity],
      ['INF', Infinity],
      ['1e400', Infinity],
    ] as const) {
      assert.deepEqual(parsePythonFloat(text), want, text);
    }
    for (const bad of ['0x10', 'abc', '1,5', '--1', '1e', 'infinite', '']) {
      assert.equal(parsePythonFloat(bad), undefined, bad);
    }
  });

  test(
    'fuzz: flipped bytes, cuts, binary noise and a 9 MB line never throw; every warning has file, line and offset',
    { timeout: 60_000 },
    () => {
      const original = fs.readFileSync(METRIC_FILE);
      const lines = original.toString('utf8').split('\n').length - 1;
      assert.equal(lines, 100);
      const random = rng(3);
      for (let i = 0; i < 300; i++) {
        const bytes = Buffer.from(original);
        const flips = 1 + Math.floor(random() * 5);
        for (let f = 0; f < flips; f++)
          bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        const cut = random() < 0.3 ? Math.floor(random() * bytes.length) : bytes.length;
        const r = read(bytes.subarray(0, cut));
        assert.ok(r.points.length <= lines);
        assert.ok(r.points.length + r.warnings.length >= lines - 2 * flips - 1 || cut < bytes.length);
        for (const w of r.warnings) {
          assert.ok(w.file.endsWith('metric'));
          if (w.message.includes('more malformed lines')) continue;
          assert.equal(typeof w.line, 'number');
          assert.equal(typeof w.offset, 'number');
          assert.ok(w.offset! >= 0 && w.offset! <= cut);
        }
      }
      const noise = Buffer.from(Array.from({ length: 200_000 }, () => Math.floor(random() * 256)));
      const r = read(noise);
      assert.ok(r.warnings.length <= 21, 'warnings are capped per file');
      const long = read(
        Buffer.concat([Buffer.from('1 1 1\n'), Buffer.alloc(9 << 20, 0x37), Buffer.from('\n2 2 2\n')]),
      );
      assert.deepEqual(long.points, [
        [1, 1, 1],
        [2, 2, 2],
      ]);
      assert.equal(long.warnings.length, 1);
      assert.deepEqual(
        { line: long.warnings[0].line, offset: long.warnings[0].offset },
        { line: 2, offset: 6 },
      );
      assert.match(long.warnings[0].message, /longer than/);
    },
  );
});

describe('parameter text', () => {
  test('numbers and booleans only where writing them back gives the same text', () => {
    for (const [text, want] of [
      ['8', 8],
      ['0.001', 0.001],
      ['1e-05', 1e-5],
      ['-2.5', -2.5],
      ['true', true],
      ['1.0', '1.0'],
      ['True', 'True'],
      ['08', '08'],
      ['1e5', '1e5'],
      ['nan', 'nan'],
      ['[1, 2]', '[1, 2]'],
      ['', ''],
    ] as const) {
      assert.equal(paramFromText(text), want, text);
      assert.equal(paramText(paramFromText(text)), text, `${text} round trip`);
    }
  });

  test("floats written as Python's repr", () => {
    for (const [v, text] of [
      [0.5, '0.5'],
      [3, '3.0'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [1e16, '1e+16'],
      [123456789012345.6, '123456789012345.6'],
      [2.5e-300, '2.5e-300'],
      [NaN, 'nan'],
      [-Infinity, '-inf'],
      [-0, '-0.0'],
    ] as const) {
      assert.equal(pythonFloatRepr(v), text);
    }
  });
});

describe('meta.yaml read as PyYAML reads it', () => {
  test('flat files without the YAML library; what it cannot read goes to the library', () => {
    // Expected values from PyYAML 6 (`yaml.safe_load('x: ' + v)['x']`), which wrote these files.
    const cases: [string, unknown][] = [
      ['1e5', '1e5'], // YAML 1.1 floats need a dot: PyYAML left it unquoted as text
      ["'it''s'", "it's"],
      ["'0'", '0'],
      ['187479759740700411', 187479759740700411n],
      ['-3', -3n],
      ['null', null],
      ['~', null],
      ['[]', []],
      ['888293e0c4a047a4aa99c13869a08738', '888293e0c4a047a4aa99c13869a08738'],
      ['bs10_2023-07-26_23:44:21', 'bs10_2023-07-26_23:44:21'],
      ['file:///a b/c', 'file:///a b/c'],
    ];
    for (const [v, want] of cases) assert.deepEqual(parseFlatMeta(`x: ${v}\n`), { x: want }, v);
    // YAML 1.1 booleans, other integer forms, floats, dates, comments, nesting: left to the library.
    for (const v of [
      'yes',
      'On',
      '0x1f',
      '007',
      '12_3',
      '190:20:30',
      '1.5',
      '.inf',
      '2023-07-26',
      'a #b',
      '"q"',
      '[1]',
    ]) {
      assert.equal(parseFlatMeta(`x: ${v}\n`), undefined, v);
    }
    assert.equal(parseFlatMeta('x:\n  - nested\n'), undefined);
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'meta.yaml'), 'name: team/a\ntags:\n  k: v\nflag: yes\n');
    assert.deepEqual(readMetaYaml(path.join(dir, 'meta.yaml')), {
      name: 'team/a',
      tags: { k: 'v' },
      flag: true,
    });
  });
});
