import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { inferSchema, readSchema, validateFile } from '../../../src/core/data/schema';
import { repoRoot, tempDir } from '../../helpers/tmp';
import { runlens } from '../../helpers/evalCli';

const BIKES = path.join(repoRoot, 'test', 'fixtures', 'datasets', 'bike-sharing');

describe('data schema', () => {
  test('infer: types, required, ranges, categories and missing rates of real data', async () => {
    const s = await inferSchema(path.join(BIKES, 'day_2011.csv'));
    const by = Object.fromEntries(s.columns.map((c) => [c.name, c]));
    assert.equal(s.rows, 365);
    assert.equal(by.temp.type, 'numeric');
    assert.equal(by.temp.min, 0.0591304);
    assert.equal(by.temp.max, 0.849167);
    assert.equal(by.holiday.type, 'boolean');
    assert.equal(by.dteday.type, 'categorical');
    assert.equal(by.dteday.categories, undefined, 'more than 100 dates: no domain kept');
    assert.ok(s.columns.every((c) => c.required && c.missingRate === 0));
  });

  test('validate: missing and new columns, wrong types, out of range, unseen categories, missing-rate jumps', async () => {
    const dir = tempDir();
    const ref = path.join(dir, 'ref.csv');
    const rows = Array.from(
      { length: 50 },
      (_, i) => `${i},${'ab'[i % 2]},${i % 2 ? 'true' : 'false'},${i % 10 === 0 ? '' : 'x'},k`,
    );
    fs.writeFileSync(ref, 'n,cat,flag,sparse,keep\n' + rows.join('\n') + '\n');
    const schema = await inferSchema(ref);
    const cur = path.join(dir, 'cur.csv');
    fs.writeFileSync(
      cur,
      'n,cat,flag,sparse,extra\n5,a,true,x,1\nabc,b,false,,1\n70,c,maybe,,1\n,a,true,,1\n',
    );
    const r = await validateFile(cur, schema, 'schema.json');
    const got = Object.fromEntries(
      r.anomalies.map((a) => [
        `${a.kind}:${a.column}`,
        [a.count, a.examples.map((e) => `${e.line}=${e.value}`)],
      ]),
    );
    assert.deepEqual(got, {
      'new_column:extra': [1, []],
      'missing_column:keep': [1, []],
      'wrong_type:n': [1, ['3=abc']],
      'out_of_range:n': [1, ['4=70']],
      'missing_value:n': [1, ['5=']],
      'unseen_category:cat': [1, ['4=c']],
      'wrong_type:flag': [1, ['4=maybe']],
      'missing_rate_jump:sparse': [3, []],
      'missing_rate_jump:n': [1, []],
    });
    assert.equal(r.valid, false);
  });

  test('runlens schema infer and validate, with exit codes', () => {
    const cwd = tempDir();
    const out = path.join(cwd, 'schema.json');
    const inf = runlens(['schema', 'infer', path.join(BIKES, 'day_2011.csv'), '--out', out], cwd);
    assert.equal(inf.status, 0, inf.stderr);
    assert.equal(readSchema(out).columns.length, 16);
    const same = runlens(['validate', path.join(BIKES, 'day_2011.csv'), '--schema', out], cwd);
    assert.equal(same.status, 0, same.stderr);
    const next = runlens(['validate', path.join(BIKES, 'day_2012.csv'), '--schema', out], cwd);
    assert.equal(next.status, 1);
    assert.match(next.stdout, /out_of_range\s+cnt/);
    assert.match(next.stdout, /out_of_range\s+instant\s+366 .*\(line 2: "366"/);
    const bad = runlens(
      ['validate', path.join(BIKES, 'day_2012.csv'), '--schema', path.join(cwd, 'none.json')],
      cwd,
    );
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /cannot read schema .*none\.json/);
  });
});
