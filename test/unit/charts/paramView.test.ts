import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import {
  defaultAxes,
  groupParams,
  importance,
  middleEllipsis,
  numericValues,
  paramGroup,
  pearson,
  ranks,
  spearman,
} from '../../../src/core/charts/paramView';
import type { ParamColumn } from '../../../src/core/charts/paramView';
import type { Stat } from '../../../src/protocol/compare';
import { mlflowDiffusers } from '../../fixtures/webview/mlflowDiffusers';
import { repoRoot, tempDir } from '../../helpers/tmp';

// Expected values: scipy 1.10.1 (Debian's python3-scipy) pearsonr and spearmanr, computed by
// test/reference/compare_reference.py from the real diffusers MLflow stores (read with Python's
// standard library) into test/fixtures/reference/compare/expected.json.
const REF_DIR = path.join(repoRoot, 'test', 'fixtures', 'reference', 'compare');
const EXPECTED = JSON.parse(fs.readFileSync(path.join(REF_DIR, 'expected.json'), 'utf8')) as {
  runs: string[];
  batch_size: number[];
  metrics: Record<string, { values: number[]; pearson: number; spearman: number }>;
};
const TOL = 1e-9;

function close(actual: number | null, want: number, what: string): void {
  assert.ok(
    actual !== null && Math.abs(actual - want) <= TOL,
    `${what}: ${actual} differs from scipy's ${want} by more than ${TOL}`,
  );
}

describe('param correlations equal scipy 1.10 within 1e-9 on real MLflow runs (diffusers)', () => {
  // The same runs as the host sends them to the compare panel (recorded by test/fixtures/webview/record.ts).
  const s = mlflowDiffusers;
  const order = EXPECTED.runs.map((name) => s.runs.findIndex((r) => r.name === name));
  const param = s.params.find((p) => p.key === 'batch_size')!;

  test('the panel snapshot holds the values scipy was given', () => {
    assert.ok(
      order.every((i) => i >= 0),
      'every run of the store is in the snapshot',
    );
    assert.deepEqual(
      order.map((i) => param.values[i]),
      EXPECTED.batch_size,
    );
  });

  for (const [name, want] of Object.entries(EXPECTED.metrics)) {
    test(`batch_size against ${name}: Pearson and Spearman (ties averaged)`, () => {
      const [key, stat] = name.split('.') as [string, Stat];
      const metric = s.metrics.find((m) => m.key === key)!;
      const ys = order.map((i) => metric.stats[stat][i]?.value ?? null);
      for (let k = 0; k < ys.length; k++) close(ys[k], want.values[k], `${name} of ${EXPECTED.runs[k]}`);
      const xs = order.map((i) => param.values[i] as number);
      close(pearson(xs, ys), want.pearson, `pearson ${name}`);
      close(spearman(xs, ys), want.spearman, `spearman ${name}`);
      // The importance column is Spearman's rho over the panel's own run order.
      const all = metric.stats[stat].map((c) => c?.value ?? null);
      close(importance(param, all), want.spearman, `importance ${name}`);
    });
  }

  const hasScipy = spawnSync('/usr/bin/python3', ['-c', 'import scipy'], { encoding: 'utf8' }).status === 0;
  test(
    'compare_reference.py reproduces the committed JSON',
    { skip: !hasScipy && 'no scipy in /usr/bin/python3' },
    () => {
      const out = tempDir();
      const r = spawnSync(
        '/usr/bin/python3',
        [path.join(repoRoot, 'test', 'reference', 'compare_reference.py')],
        {
          encoding: 'utf8',
          env: { ...process.env, RUNLENS_REFERENCE_OUT: out },
        },
      );
      assert.equal(r.status, 0, r.stderr);
      const made = JSON.parse(fs.readFileSync(path.join(out, 'expected.json'), 'utf8')) as typeof EXPECTED;
      assert.deepEqual(made.runs, EXPECTED.runs);
      for (const [k, v] of Object.entries(EXPECTED.metrics)) {
        close(made.metrics[k].pearson, v.pearson, `${k} pearson`);
        close(made.metrics[k].spearman, v.spearman, `${k} spearman`);
      }
    },
  );
});

describe('correlation edge cases', () => {
  test('n/a below 3 runs with both values, or when either side is constant', () => {
    assert.equal(spearman([1, 2], [3, 4]), null);
    assert.equal(spearman([1, 2, null, 4], [3, 4, 5, null]), null);
    assert.equal(pearson([1, 1, 1], [1, 2, 3]), null);
    assert.equal(spearman([1, 2, 3], [5, 5, 5]), null);
    assert.equal(pearson([1, 2, NaN, 4], [2, 4, 6, 8]), 1);
  });
  test('ranks average ties, as scipy.stats.rankdata', () => {
    assert.deepEqual(ranks([10, 250, 6, 60, 8, 8, 800]), [4, 6, 1, 5, 2.5, 2.5, 7]);
  });
  test('importance is n/a for text params and params equal in all runs', () => {
    const metric = [1, 2, 3];
    assert.equal(importance({ key: 'm', values: ['a', 'b', 'c'], differs: true }, metric), null);
    assert.equal(importance({ key: 'c', values: [2, 2, 2], differs: false }, metric), null);
    assert.equal(importance({ key: 'lr', values: [0.1, 0.01, 0.001], differs: true }, metric), -1);
  });
});

describe('numeric params', () => {
  test('text spelling a number counts (MLflow logs a float sweep as 0.0, 0.1, ...); other text does not', () => {
    assert.deepEqual(numericValues(['0.0', 0.1, '1e-05', null, '-2', '.5']), [0, 0.1, 1e-5, null, -2, 0.5]);
    assert.equal(numericValues(['0.0', 'None']), null);
    assert.equal(numericValues([true, false]), null);
    assert.equal(numericValues(['2024-03-14', 1]), null);
    assert.equal(numericValues(['[1, 2]']), null);
    assert.equal(numericValues(['nan', 1]), null);
  });
  test('a float sweep with 0.0 among its values has an importance and is a default axis', () => {
    const dropout: ParamColumn = { key: 'model/net/dropout', values: ['0.0', 0.1, 0.2, 0.3], differs: true };
    assert.equal(importance(dropout, [0.99, 0.98, 0.97, 0.96]), -1);
    assert.deepEqual(
      defaultAxes([dropout, { key: 'x', values: [1, 2, 1, 2], differs: true }], [0.99, 0.98, 0.97, 0.96]),
      ['model/net/dropout', 'x'],
    );
  });
});

describe('middle ellipsis', () => {
  test('keeps text that fits, cuts longer text in the middle to exactly max characters, keeping more of the end', () => {
    assert.equal(middleEllipsis('adam', 10), 'adam');
    const path = '/home/user/logs/train/runs/2023-07-26_23-44-21/checkpoints/epoch_012.ckpt';
    const cut = middleEllipsis(path, 24);
    assert.equal([...cut].length, 24);
    assert.equal(cut, '/home/use…epoch_012.ckpt');
    assert.ok(path.startsWith(cut.split('…')[0]) && path.endsWith(cut.split('…')[1]));
    assert.equal(middleEllipsis('abcdef', 1), '…');
  });
  test('never splits a character outside the Basic Multilingual Plane', () => {
    const s = '😀'.repeat(10);
    assert.equal(middleEllipsis(s, 5), '😀…😀😀😀');
  });
});

describe('grouping by prefix', () => {
  test('splits on the first / or .', () => {
    assert.equal(paramGroup('callbacks/model_checkpoint/dirpath'), 'callbacks');
    assert.equal(paramGroup('model.optimizer.lr'), 'model');
    assert.equal(paramGroup('seed'), '');
    assert.equal(paramGroup('.hidden'), '');
  });
  test('groups keep first-appearance order; lone prefixes and plain keys go to the ungrouped group first', () => {
    const keys = ['callbacks/a', 'seed', 'model.lr', 'callbacks/b', 'model.wd', 'data/dir'];
    const g = groupParams(keys.map((key) => ({ key })));
    assert.deepEqual(
      g.map((x) => [x.name, x.params.map((p) => p.key)]),
      [
        ['', ['seed', 'data/dir']],
        ['callbacks', ['callbacks/a', 'callbacks/b']],
        ['model', ['model.lr', 'model.wd']],
      ],
    );
  });
});

describe('default parallel axes', () => {
  const metric = [0.9, 0.8, 0.7, 0.6, 0.5];
  const col = (key: string, values: ParamColumn['values']): ParamColumn => ({
    key,
    values,
    differs: new Set(values.map(String)).size > 1,
  });
  test('numeric params that vary, most correlated first, at most max', () => {
    const params = [
      col('trainer/max_epochs', [10, 10, 10, 10, 10]),
      col('noise', [3, 1, 5, 2, 4]),
      col('model/lr', [1, 2, 3, 4, 5]),
      col('model/dropout', [0.1, 0.2, 0.3, 0.5, 0.4]),
      col('ckpt', ['/a/1', '/a/2', '/a/3', '/a/4', '/a/5']),
      // Ten more that vary, each ordering the runs differently (and none exactly reversed).
      ...[
        [1, 3, 0, 4, 2],
        [2, 0, 4, 1, 3],
        [3, 1, 4, 0, 2],
        [0, 2, 4, 1, 3],
        [4, 0, 3, 1, 2],
        [1, 4, 2, 0, 3],
        [2, 4, 0, 3, 1],
        [3, 0, 2, 4, 1],
        [0, 3, 1, 4, 2],
        [4, 2, 0, 3, 1],
      ].map((v, i) => col(`extra${i}`, v)),
    ];
    const axes = defaultAxes(params, metric, 8);
    assert.equal(axes.length, 8);
    assert.deepEqual(axes.slice(0, 2), ['model/lr', 'model/dropout']);
    assert.ok(!axes.includes('trainer/max_epochs') && !axes.includes('ckpt'));
  });
  test('leaves out a param that orders the runs exactly as one already chosen (its twin)', () => {
    const params = [
      col('hydra/job/num', [0, 1, 2, 3, 4]),
      col('hydra/sweep/subdir', [0, 1, 2, 3, 4]),
      col('model/params/total', [100, 200, 300, 400, 500]),
      col('reversed', [5, 4, 3, 2, 1]),
      col('model/dropout', [0.1, 0.2, 0.3, 0.5, 0.4]),
    ];
    assert.deepEqual(defaultAxes(params, metric, 8), ['hydra/job/num', 'model/dropout']);
  });
  test('falls back to text params with few distinct values when fewer than 2 numeric params vary', () => {
    const axes = defaultAxes(mlflowDiffusers.params, [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(axes, ['batch_size', 'model']);
    assert.deepEqual(defaultAxes([col('ckpt', ['/1', '/2', '/3', '/4', '/5'])], metric), []);
  });
});
