import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { importMlflow } from '../../src/core/importers/mlflow';
import { RunEventsReader, importTensorboard } from '../../src/core/importers/tensorboard';
import { TENSORBOARD_SCHEMA } from '../../src/core/importers/tensorboardSchema';
import { frameRecord } from '../../src/core/importers/tfrecord';
import { Store } from '../../src/core/store/store';
import { benchDir, best, record, time } from './common';

/** An event file of scalar summaries (simple_value, 3 tags), about `mb` megabytes. */
function writeScalarEvents(file: string, mb: number): number {
  const root = protobuf.Root.fromJSON(TENSORBOARD_SCHEMA as protobuf.INamespace);
  const Event = root.lookupType('tensorflow.Event');
  const tags = ['train/loss', 'train/accuracy', 'learning_rate'];
  const chunks: Buffer[] = [
    frameRecord(Event.encode({ wall_time: 1.7e9, file_version: 'brain.Event:2' }).finish()),
  ];
  let size = chunks[0].length;
  const fd = fs.openSync(file, 'w');
  for (let step = 0; size < mb * 1e6; step++) {
    const tag = tags[step % 3];
    const rec = frameRecord(
      Event.encode({
        wall_time: 1.7e9 + step * 0.01,
        step: Math.floor(step / 3),
        summary: { value: [{ tag, simple_value: Math.fround(1 / (1 + step)) }] },
      }).finish(),
    );
    chunks.push(rec);
    size += rec.length;
    if (chunks.length >= 10_000) fs.writeSync(fd, Buffer.concat(chunks.splice(0)));
  }
  fs.writeSync(fd, Buffer.concat(chunks));
  fs.closeSync(fd);
  return size;
}

/** TensorBoard: decode speed of scalar records (both CRCs checked) next to a plain read of the bytes. */
async function tensorboardDecode(): Promise<void> {
  const dir = benchDir('tb');
  const logdir = path.join(dir, 'logs', 'run');
  fs.mkdirSync(logdir, { recursive: true });
  const file = path.join(logdir, 'events.out.tfevents.1700000000.bench.1.0');
  const bytes = writeScalarEvents(file, 50);
  const mb = bytes / 1e6;
  const readMs = best(3, () => {
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.allocUnsafe(4 << 20);
    let sum = 0;
    for (let pos = 0; ;) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      sum += buf[n - 1];
      pos += n;
    }
    fs.closeSync(fd);
    return sum;
  });
  let scalars = 0;
  // What the importer and TfEventsFollower do: both CRCs checked, every event decoded.
  const decodeMs = best(3, () => {
    scalars = 0;
    new RunEventsReader(logdir).read({ scalar: () => void scalars++ });
  });
  record({
    name: `TensorBoard decode of scalar records (${mb.toFixed(0)} MB, ${scalars.toLocaleString('en-US')} scalars)`,
    value: mb / (decodeMs / 1000),
    unit: 'MB/s',
    baselineName: 'plain read of the same bytes',
    baseline: mb / (readMs / 1000),
    target: '>= 50 MB/s',
    pass: mb / (decodeMs / 1000) >= 50,
  });
  const store = Store.open(path.join(dir, '.runlens'), { create: true });
  const t0 = process.hrtime.bigint();
  const report = await importTensorboard(store, path.join(dir, 'logs'));
  const importMs = Number(process.hrtime.bigint() - t0) / 1e6;
  record({
    name: `TensorBoard import into a store (${report.points.toLocaleString('en-US')} points written)`,
    value: mb / (importMs / 1000),
    unit: 'MB/s',
    baselineName: 'plain read of the same bytes',
    baseline: mb / (readMs / 1000),
    target: '(reported)',
    pass: true,
  });
}

/** An MLflow file store of `runs` runs x `metrics` metrics x `points` points, as MLflow 2.x writes it. */
function writeMlruns(
  root: string,
  runs: number,
  metrics: number,
  points: number,
): { files: string[]; bytes: number } {
  const expId = '123456789012345678';
  const expDir = path.join(root, expId);
  fs.mkdirSync(expDir, { recursive: true });
  fs.writeFileSync(
    path.join(expDir, 'meta.yaml'),
    `artifact_location: file://${expDir}\ncreation_time: 1700000000000\nexperiment_id: '${expId}'\nlast_update_time: 1700000000000\nlifecycle_stage: active\nname: bench\n`,
  );
  const files: string[] = [];
  let bytes = 0;
  for (let r = 0; r < runs; r++) {
    const id = r.toString(16).padStart(32, '0');
    const runDir = path.join(expDir, id);
    fs.mkdirSync(path.join(runDir, 'metrics'), { recursive: true });
    fs.mkdirSync(path.join(runDir, 'params'));
    fs.mkdirSync(path.join(runDir, 'tags'));
    const start = 1_700_000_000_000 + r * 100_000;
    const meta = `artifact_uri: file://${runDir}/artifacts\nend_time: ${start + 99_000}\nentry_point_name: ''\nexperiment_id: '${expId}'\nlifecycle_stage: active\nrun_id: ${id}\nrun_name: run-${r}\nrun_uuid: ${id}\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: ${start}\nstatus: 3\ntags: []\nuser_id: bench\n`;
    fs.writeFileSync(path.join(runDir, 'meta.yaml'), meta);
    fs.writeFileSync(path.join(runDir, 'params', 'lr'), String(0.001 * (r + 1)));
    fs.writeFileSync(path.join(runDir, 'tags', 'mlflow.runName'), `run-${r}`);
    files.push(path.join(runDir, 'meta.yaml'));
    for (let m = 0; m < metrics; m++) {
      let text = '';
      for (let s = 0; s < points; s++)
        text += `${start + s * 97} ${Math.sin(r + m + s / 7) / (s + 1)} ${s}\n`;
      const f = path.join(runDir, 'metrics', `metric_${m}`);
      fs.writeFileSync(f, text);
      files.push(f);
      bytes += text.length;
    }
  }
  return { files, bytes };
}

/** MLflow: a file store of 1,000 runs x 10 metrics x 1,000 points imported, next to a plain read of its files. */
async function mlflowFileStore(): Promise<void> {
  const dir = benchDir('mlflow');
  const root = path.join(dir, 'mlruns');
  const { files, bytes } = writeMlruns(root, 1000, 10, 1000);
  // The floor: open and read every file the importer reads, and find its lines.
  const plain = time(() => {
    let lines = 0;
    for (const f of files) {
      const b = fs.readFileSync(f);
      for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lines++;
    }
    return lines;
  });
  const store = Store.open(path.join(dir, '.runlens'), { create: true });
  const t0 = process.hrtime.bigint();
  const report = await importMlflow(store, root);
  const importMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (report.points !== 10_000_000 || report.runs.created !== 1000) {
    throw new Error(`import incomplete: ${JSON.stringify({ ...report, runIds: undefined })}`);
  }
  record({
    name: `MLflow file store import: 1,000 runs x 10 metrics x 1,000 points (${(bytes / 1e6).toFixed(0)} MB of metric files)`,
    value: importMs / 1000,
    unit: 's',
    baselineName: 'plain read of the same files',
    baseline: plain.ms / 1000,
    target: '< 10 s',
    pass: importMs < 10_000,
  });
}

export async function benchImporters(): Promise<void> {
  await tensorboardDecode();
  await mlflowFileStore();
}
