import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { detectDrift } from '../../../src/core/drift/drift';
import { driftSnapshot, groupDriftWarnings } from '../../../src/core/drift/view';
import type { RunlensError } from '../../../src/core/errors';
import { gateMarkdown, judge, parsePolicy, verdictLine } from '../../../src/core/gate/gate';
import { Registry } from '../../../src/core/store/registry';
import { Store } from '../../../src/core/store/store';
import { MetricLog } from '../../../src/core/tracking/metricLog';
import { repoRoot, tempDir } from '../../helpers/tmp';
import { runlens } from '../../helpers/evalCli';

const QUICKSTART_DATA = path.join(repoRoot, 'examples', 'quickstart', 'data', 'breast_cancer.csv');
const NO_POLICY = { metrics: {}, required: [], source: null };
const POLICY = parsePolicy(
  {
    metrics: { 'eval/roc_auc': { goal: 'max' }, 'eval/log_loss': { goal: 'min', maxRegression: '5%' } },
    required: ['eval/roc_auc'],
  },
  'runlens.yaml (gate)',
);

/** scikit-learn's own copy of the data: the same rows under its raw first line (rows, features, classes). */
function sklearnRawCopy(dir: string): string {
  const text = fs.readFileSync(QUICKSTART_DATA, 'utf8');
  const file = path.join(dir, 'breast_cancer_raw.csv');
  fs.writeFileSync(file, '569,30,malignant,benign' + text.slice(text.indexOf('\n')));
  return file;
}

describe('gate verdict: missing candidate values make it incomplete, never pass nor fail', () => {
  test('a candidate that was never evaluated but beats the baseline on what it logged is incomplete', () => {
    const r = judge({ loss: 0.2, val_acc: 0.95 }, { loss: 0.3, val_acc: 0.9, 'eval/roc_auc': 0.97 }, POLICY);
    assert.equal(r.verdict, 'incomplete');
    assert.match(r.reason!, /^evaluate the candidate first: it has no value for eval\/roc_auc$/);
    assert.deepEqual(
      r.metrics.map((m) => [m.metric, m.verdict, m.rule]),
      [
        ['eval/log_loss', 'missing', 'candidate has no value'],
        ['eval/roc_auc', 'missing', 'candidate has no value'],
      ],
    );
    assert.equal(
      verdictLine(r),
      'incomplete: evaluate the candidate first: it has no value for eval/roc_auc',
    );
    assert.match(
      gateMarkdown({
        ...r,
        candidate: { run: 'c', name: 'c', experiment: 'e' },
        baseline: { run: 'b', name: 'b', ref: 'run b' },
        policy: null,
      }),
      /⏳ incomplete[\s\S]*\*\*Incomplete:\*\* evaluate the candidate first/,
    );
  });

  test('a metric that is worse still fails, even with others missing', () => {
    const r = judge({ 'eval/roc_auc': 0.9 }, { 'eval/roc_auc': 0.95, 'eval/log_loss': 0.2 }, POLICY);
    assert.equal(r.verdict, 'fail');
  });

  test('all values present and better: pass; a required metric the baseline lacks: fail', () => {
    assert.equal(
      judge(
        { 'eval/roc_auc': 0.99, 'eval/log_loss': 0.1 },
        { 'eval/roc_auc': 0.95, 'eval/log_loss': 0.2 },
        POLICY,
      ).verdict,
      'pass',
    );
    const r = judge({ 'eval/roc_auc': 0.99, 'eval/log_loss': 0.1 }, { 'eval/log_loss': 0.2 }, POLICY);
    assert.equal(r.verdict, 'fail');
    assert.equal(r.metrics.find((m) => m.metric === 'eval/roc_auc')!.rule, 'baseline has no value');
  });

  test('default policy: the baseline evaluation metrics the candidate lacks make it incomplete', () => {
    const r = judge({ loss: 0.1 }, { loss: 0.2, 'eval/accuracy': 0.9 }, NO_POLICY);
    assert.equal(r.verdict, 'incomplete');
    assert.deepEqual(
      r.metrics.map((m) => [m.metric, m.verdict]),
      [
        ['loss', 'pass'],
        ['eval/accuracy', 'missing'],
      ],
    );
  });

  test('default policy, no metric in common: nothing compared is incomplete, not a pass', () => {
    const r = judge({ a_custom: 1 }, { b_custom: 2 }, NO_POLICY);
    assert.equal(r.verdict, 'incomplete');
    assert.match(r.reason!, /nothing compared/);
  });

  test('runlens compare exits 3 when incomplete, 0 once the candidate is evaluated', async () => {
    const ws = tempDir();
    fs.writeFileSync(
      path.join(ws, 'runlens.yaml'),
      'gate:\n  metrics:\n    eval/roc_auc: { goal: max }\n  required: [eval/roc_auc]\n',
    );
    const store = Store.open(path.join(ws, '.runlens'), { create: true });
    const runWith = (name: string, metrics: Record<string, number>) => {
      const run = store.createRun({ experiment: 'exp', name, status: 'finished' });
      const log = new MetricLog(store.metricsFile(run.id));
      log.log(metrics, 0);
      log.close();
      return run.id;
    };
    const base = runWith('base', { loss: 0.3, 'eval/roc_auc': 0.9 });
    await new Registry(store).setBaseline('exp', { run: base });
    const cand = runWith('cand', { loss: 0.2 });
    const r = runlens(['compare', cand], ws);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stdout, /INCOMPLETE \(evaluate the candidate first: it has no value for eval\/roc_auc\)/);
    const log = new MetricLog(store.metricsFile(cand));
    log.log({ 'eval/roc_auc': 0.93 }, 1);
    log.close();
    const after = runlens(['compare', cand], ws);
    assert.equal(after.status, 0, after.stdout + after.stderr);
  });
});

describe('drift verdict: nothing compared is never a pass', () => {
  test("scikit-learn's raw header against named columns: an error that names the numeric first line", async () => {
    const dir = tempDir();
    const raw = sklearnRawCopy(dir);
    await assert.rejects(detectDrift(QUICKSTART_DATA, raw), (e: RunlensError) => {
      assert.match(
        e.message,
        /^nothing compared: no column of the reference .*breast_cancer\.csv \("radius_mean", .* and 23 more\) is in .*breast_cancer_raw\.csv \("569", "30", "malignant", "benign"\)$/,
      );
      assert.match(
        e.hint!,
        /breast_cancer_raw\.csv starts with numbers, not column names: give it a header line/,
      );
      return true;
    });
    const r = runlens(['drift', '--reference', QUICKSTART_DATA, '--current', raw, '--no-fail-on-drift'], dir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /nothing compared/);
  });

  test('shared columns that all go untested: a grey "nothing compared" with the reason, exit 1', async () => {
    const dir = tempDir();
    const ref = path.join(dir, 'ref.csv');
    const cur = path.join(dir, 'cur.csv');
    fs.writeFileSync(
      ref,
      'a,b\n' + Array.from({ length: 40 }, (_, i) => `,${i % 2 ? '' : ''}`).join('\n') + '\n',
    );
    fs.writeFileSync(cur, 'a,b\n' + Array.from({ length: 40 }, (_, i) => `${i},${i}`).join('\n') + '\n');
    const report = await detectDrift(ref, cur);
    assert.equal(report.tested, 0);
    assert.equal(report.datasetDrift, false);
    const s = driftSnapshot(report, {
      source: { kind: 'files', reference: ref, current: cur },
      show: (f) => path.relative(dir, f),
    });
    assert.equal(
      s.nothingCompared,
      'none of the 2 shared columns could be tested (no values in the reference data)',
    );
    assert.deepEqual(s.notices, ['2 columns with no values in ref.csv, not tested: "a", "b"']);
    const r = runlens(['drift', '--reference', ref, '--current', cur, '--no-fail-on-drift'], dir);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /NOTHING COMPARED: none of the 2 shared columns could be tested/);
  });

  test('warnings are grouped per kind and file, with the paths as shown', async () => {
    const dir = tempDir();
    const cols = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}${i}`);
    const ref = path.join(dir, 'data', 'ref.csv');
    const cur = path.join(dir, 'data', 'cur.csv');
    fs.mkdirSync(path.dirname(ref));
    const body = (n: number) =>
      Array.from({ length: 30 }, (_, i) => Array.from({ length: n }, () => i).join(',')).join('\n');
    fs.writeFileSync(ref, ['x', ...cols('r', 30)].join(',') + '\n' + body(31) + '\n');
    fs.writeFileSync(cur, ['x', ...cols('c', 30)].join(',') + '\n' + body(31) + '\n');
    const report = await detectDrift(ref, cur);
    assert.equal(report.warnings.length, 60);
    const lines = groupDriftWarnings(report.warnings, (f) => path.relative(dir, f));
    assert.deepEqual(lines, [
      '30 columns of the reference are not in data/cur.csv, not tested: "r0", "r1", "r2", "r3", "r4", "r5" and 24 more',
      '30 columns of data/cur.csv are not in the reference, not tested: "c0", "c1", "c2", "c3", "c4", "c5" and 24 more',
    ]);
    assert.ok(
      lines.every((l) => !l.includes(dir)),
      'no absolute path',
    );
  });

  test("the quickstart's data has a header every reader agrees on", () => {
    const header = fs.readFileSync(QUICKSTART_DATA, 'utf8').split('\n', 1)[0].split(',');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dataset = require(path.join(repoRoot, 'examples', 'quickstart', 'dataset.js')) as {
      load(): { features: string[]; x: number[][] };
    };
    const d = dataset.load();
    assert.deepEqual(header, [...d.features, 'label']);
    assert.equal(d.x.length, 569);
  });
});
