// The feedback join for a regression model on real numbers: a naive forecast of 2012's daily bike
// rentals (the same day of 2011) logged as predictions, 2012's true counts as feedback. The expected
// MAE is computed here from the two committed CSV files.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { joinFeedback } from '../../../src/core/drift/monitor';
import { repoRoot, tempDir } from '../../helpers/tmp';

const BIKES = path.join(repoRoot, 'test', 'fixtures', 'datasets', 'bike-sharing');

function column(file: string, name: string): string[] {
  const [head, ...rows] = fs.readFileSync(path.join(BIKES, file), 'utf8').trim().split('\n');
  const i = head.split(',').indexOf(name);
  return rows.map((r) => r.split(',')[i]);
}

describe('feedback join (regression)', () => {
  const cnt2011 = column('day_2011.csv', 'cnt').map(Number);
  const cnt2012 = column('day_2012.csv', 'cnt').map(Number);
  const days2012 = column('day_2012.csv', 'dteday');
  // One request per week of 2012 (7 rows each), predicting each day as the same day of 2011.
  const logged: { id: string; window: string; predictions: number[] }[] = [];
  for (let d = 0; d + 7 <= 364; d += 7) {
    logged.push({
      id: `week-${d / 7}`,
      window: days2012[d].slice(0, 7),
      predictions: cnt2011.slice(d, d + 7),
    });
  }

  test('MAE per month window from feedback with a row column; rows past a request are unmatched', async () => {
    const lines = ['request_id,label,row'];
    logged.forEach((r, w) => {
      for (let j = 0; j < 7; j++) lines.push(`${r.id},${cnt2012[w * 7 + j]},${j}`);
    });
    lines.push('week-0,1234,7', 'week-999,10,0');
    const file = path.join(tempDir(), 'truth.csv');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const o = await joinFeedback(logged, { task: 'regression', labels: [] }, { file });
    const n = logged.length * 7;
    let sum = 0;
    const months = new Map<string, [number, number]>();
    for (let i = 0; i < n; i++) {
      const err = Math.abs(cnt2011[i] - cnt2012[i]);
      sum += err;
      const m = logged[Math.floor(i / 7)].window;
      const acc = months.get(m) ?? [0, 0];
      acc[0] += err;
      acc[1]++;
      months.set(m, acc);
    }
    assert.equal(o.metric, 'mae');
    assert.equal(o.joined, n);
    assert.equal(o.unmatchedFeedback, 2);
    assert.equal(o.unlabeledPredictions, 0);
    assert.ok(Math.abs(o.value! - sum / n) < 1e-9, `${o.value} vs ${sum / n}`);
    assert.deepEqual(
      o.windows.map((w) => [w.window, w.joined]),
      [...months.entries()].sort().map(([m, [, c]]) => [m, c]),
    );
    for (const w of o.windows) {
      const [e, c] = months.get(w.window)!;
      assert.ok(Math.abs(w.value - e / c) < 1e-9);
    }
    // 2012 rode far more than 2011: the naive forecast is off by about 2,000 rentals a day.
    assert.ok(o.value! > 1000, `MAE ${o.value}`);
  });

  test('a label that is not a number is an error naming file, line and column', async () => {
    const file = path.join(tempDir(), 'bad.csv');
    fs.writeFileSync(file, 'id,y\nweek-0,100\nweek-0,lots\n');
    await assert.rejects(
      joinFeedback(logged, { task: 'regression', labels: [] }, { file, idColumn: 'id', labelColumn: 'y' }),
      /bad\.csv, line 3: column "y" is "lots", expected a number \(the model is a regression\)/,
    );
    const noRow = path.join(tempDir(), 'norow.csv');
    fs.writeFileSync(noRow, 'request_id,label\nweek-0,1\n');
    await assert.rejects(
      joinFeedback(logged, { task: 'regression', labels: [] }, { file: noRow, rowColumn: 'idx' }),
      /norow\.csv: no column "idx"; columns are request_id, label/,
    );
  });
});
