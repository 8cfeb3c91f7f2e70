// The run query language (src/core/store/query.ts): MLflow's search syntax and Runlens's short
// forms, errors that show where reading stopped, and a property test against a reference evaluator.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  QueryError,
  isQueryText,
  checkSortFields,
  evaluate,
  parseFilter,
  parseFilters,
  parseOrderBy,
  sortBy,
  sortOrder,
} from '../../../src/core/store/query';
import type { FieldValue } from '../../../src/core/store/query';
import type { RunEntry } from '../../../src/core/store/types';

function entry(i: number, over: Partial<RunEntry> = {}): RunEntry {
  return {
    id: `run${String(i).padStart(4, '0')}`,
    experiment: 'e',
    name: `run-${i}`,
    status: 'finished',
    script: null,
    params: {},
    tags: {},
    starred: false,
    startTime: 1000 + i,
    endTime: 2000 + i,
    gitCommit: null,
    metrics: {},
    metricsBytes: 0,
    updatedAt: 0,
    ...over,
  };
}

function metric(last: number) {
  return { last, lastStep: 0, min: last, max: last, count: 1, lastTime: 0 };
}

/** The sweep of the repro: acc = i / n, opt alternating adam / sgd. */
function sweep(n: number): RunEntry[] {
  return Array.from({ length: n }, (_, i) =>
    entry(i, { params: { opt: i % 2 ? 'adam' : 'sgd', lr: i / 1000 }, metrics: { acc: metric(i / n) } }),
  );
}

const select = (runs: RunEntry[], text: string) => runs.filter((e) => evaluate(parseFilter(text), e));

describe('filters', () => {
  test('an AND of a metric and a quoted param is read whole (not a text comparison)', () => {
    const runs = sweep(100);
    const got = select(runs, "metrics.acc > 0.5 and params.opt = 'adam'");
    assert.equal(got.length, runs.filter((e) => e.metrics.acc.last > 0.5 && e.params.opt === 'adam').length);
    assert.equal(got.length, 25);
    assert.ok(got.every((e) => e.params.opt === 'adam'));
  });

  test("quotes delimit values: params.opt='adam' matches adam", () => {
    assert.equal(select(sweep(10), "params.opt='adam'").length, 5);
    assert.equal(select(sweep(10), 'params.opt="adam"').length, 5);
    assert.equal(select(sweep(10), 'params.opt=adam').length, 5);
  });

  test('text after a number is an error that points at it', () => {
    assert.throws(
      () => parseFilter('metrics.acc>0.5abc'),
      (e: unknown) =>
        e instanceof QueryError &&
        e.position === 15 &&
        /found "abc"/.test(e.message) &&
        /\n {17}\^$/.test(e.message),
    );
  });

  test('errors name the column where reading stopped', () => {
    const cases: [string, number, RegExp][] = [
      ['metrics.acc >', 13, /expected a value/],
      ['metrics.acc > 0.5 and', 21, /expected a field/],
      ['metrics.acc 0.5', 12, /expected an operator/],
      ["params.opt = 'adam", 13, /no closing '/],
      ['(metrics.acc > 1', 16, /expected "\)"/],
      ['params.opt IN (adam sgd)', 20, /expected "," or "\)"/],
      ['attributes.stauts = 1', 0, /not a run attribute/],
      ['metrics.acc > 0.5 params.lr < 1', 18, /expected AND, OR/],
      ['metrics.acc # 1', 12, /unexpected "#"/],
    ];
    for (const [text, pos, re] of cases) {
      assert.throws(
        () => parseFilter(text),
        (e: unknown) => e instanceof QueryError && e.position === pos && re.test(e.message),
        text,
      );
    }
  });

  test('MLflow forms: attributes, LIKE, ILIKE, IN, NOT IN, quoted keys, <>', () => {
    const runs = [
      entry(1, { status: 'finished', tags: { x: 'my-cv-run' }, metrics: { 'f1 score': metric(0.8) } }),
      entry(2, { status: 'failed', tags: { x: 'nlp' }, params: { opt: 'sgd' } }),
      entry(3, { status: 'queued', tags: { x: 'CV' }, params: { opt: 'adam' } }),
    ];
    const ids = (t: string) => select(runs, t).map((e) => e.id.slice(-1));
    assert.deepEqual(ids("attributes.status = 'FINISHED'"), ['1']);
    assert.deepEqual(ids("attributes.status = 'SCHEDULED'"), ['3']);
    assert.deepEqual(ids("tags.x LIKE '%cv%'"), ['1']);
    assert.deepEqual(ids("tags.x ILIKE '%cv%'"), ['1', '3']);
    assert.deepEqual(ids("tags.x NOT LIKE '%cv%'"), ['2', '3']);
    assert.deepEqual(ids("params.opt IN ('adam', 'sgd')"), ['2', '3']);
    assert.deepEqual(ids("params.opt NOT IN ('adam')"), ['1', '2']);
    assert.deepEqual(ids('metrics."f1 score" >= 0.8'), ['1']);
    assert.deepEqual(ids('metrics.`f1 score` >= 0.8'), ['1']);
    assert.deepEqual(ids("params.opt <> 'sgd'"), ['1', '3']);
    assert.deepEqual(ids('params.opt IS NULL'), ['1']);
    assert.deepEqual(ids("attributes.run_name = 'run-2'"), ['2']);
    assert.deepEqual(ids("status = failed OR (tags.x = CV AND NOT params.opt = 'sgd')"), ['2', '3']);
  });

  test("Runlens's short forms still read: status=finished, name~base, metrics.acc:max, bare names", () => {
    const runs = [
      entry(1, { name: 'baseline-a', params: { lr: 0.1 }, metrics: { acc: { ...metric(0.5), max: 0.9 } } }),
      entry(2, { name: 'other', status: 'failed', params: { lr: 0.01 }, metrics: { acc: metric(0.7) } }),
    ];
    const ids = (ts: string[]) =>
      runs.filter((e) => evaluate(parseFilters(ts), e)).map((e) => e.id.slice(-1));
    assert.deepEqual(ids(['status=finished']), ['1']);
    assert.deepEqual(ids(['name~BASE']), ['1']);
    assert.deepEqual(ids(['metrics.acc:max>=0.9']), ['1']);
    assert.deepEqual(ids(['lr<0.05']), ['2']);
    assert.deepEqual(ids(['acc>0.6']), ['2']);
    assert.deepEqual(ids(['params.lr>0.01', 'metrics.acc>0.1']), ['1']);
    assert.deepEqual(
      ids(["params.lr = '0.1'"]),
      ['1'],
      'a quoted number compares as a number (MLflow params are text)',
    );
  });
});

describe('sorting', () => {
  test('"metrics.acc DESC", -metrics.acc and metrics.acc:desc sort the same', () => {
    const runs = sweep(7).reverse();
    const want = [...runs].sort((a, b) => b.metrics.acc.last - a.metrics.acc.last).map((e) => e.id);
    for (const spec of ['metrics.acc DESC', '-metrics.acc', 'metrics.acc:desc', 'metrics.acc desc'])
      assert.deepEqual(
        sortBy(runs, parseOrderBy(spec)).map((e) => e.id),
        want,
        spec,
      );
  });

  test('several keys, and missing values last', () => {
    const runs = [
      entry(1, { params: { opt: 'b' }, metrics: { acc: metric(1) } }),
      entry(2, { params: { opt: 'a' }, metrics: { acc: metric(1) } }),
      entry(3, { params: { opt: 'a' } }),
      entry(4, { params: { opt: 'a' }, metrics: { acc: metric(2) } }),
    ];
    assert.deepEqual(
      sortBy(runs, parseOrderBy('params.opt ASC, metrics.acc DESC')).map((e) => e.id.slice(-1)),
      ['4', '2', '3', '1'],
    );
  });

  test('numeric keys (NaN, null, missing, infinities, -0, ties) sort as a reference stable sort', () => {
    const value = fc.oneof(
      fc.constantFrom<FieldValue>(undefined, null, NaN, Infinity, -Infinity, 0, -0, 1, -1),
      fc.double({ noNaN: false }),
      fc.integer({ min: -3, max: 3 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(value, value), { maxLength: 60 }),
        fc.boolean(),
        fc.boolean(),
        (rows, desc1, desc2) => {
          const keys = parseOrderBy(`${desc1 ? '-' : ''}metrics.a, ${desc2 ? '-' : ''}metrics.b`);
          const got = sortOrder(
            rows.length,
            keys,
            (i, f) => rows[i][f.kind === 'metric' && f.key === 'a' ? 0 : 1],
          );
          const missing = (v: FieldValue) => v === undefined || v === null || Number.isNaN(v);
          const cmp = (a: FieldValue, b: FieldValue, desc: boolean) => {
            if (missing(a) || missing(b)) return missing(a) === missing(b) ? 0 : missing(a) ? 1 : -1;
            const c = (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
            return desc ? -c : c;
          };
          const want = rows
            .map((r, i) => ({ r, i }))
            .sort((x, y) => cmp(x.r[0], y.r[0], desc1) || cmp(x.r[1], y.r[1], desc2) || x.i - y.i)
            .map((x) => x.i);
          assert.deepEqual(got, want);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('many runs: whole numeric columns sort as the comparison of values (native passes, ties, low-bit neighbours, both directions)', () => {
    let seed = 5;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const pool = [NaN, Infinity, -Infinity, 0, -0, 1e-300, -1e-300, 5e-324, 1e300, 2 ** 53, -(2 ** 31)];
    const draw = (): number => {
      const r = random();
      if (r < 0.2) return pool[Math.floor(random() * pool.length)];
      if (r < 0.5) return Math.floor(random() * 20) - 10; // many ties
      // doubles apart only in their lowest bits (the bits that carry positions in the native sort)
      if (r < 0.65) return (random() < 0.5 ? -1 : 1) * (1 + Math.floor(random() * 8192) * 2 ** -52);
      return (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
    };
    const n = 5000;
    const cols = [Float64Array.from({ length: n }, draw), Float64Array.from({ length: n }, draw)];
    const missing = (v: number) => Number.isNaN(v);
    const cmp = (a: number, b: number, desc: boolean) => {
      if (missing(a) || missing(b)) return missing(a) === missing(b) ? 0 : missing(a) ? 1 : -1;
      const c = a < b ? -1 : a > b ? 1 : 0;
      return desc ? -c : c;
    };
    for (const [d1, d2] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]) {
      const keys = parseOrderBy(`${d1 ? '-' : ''}metrics.a, ${d2 ? '-' : ''}metrics.b`);
      const pick = (f: { kind: string; key?: string }) => cols[f.kind === 'metric' && f.key === 'a' ? 0 : 1];
      const want = Array.from({ length: n }, (_, i) => i).sort(
        (x, y) => cmp(cols[0][x], cols[0][y], d1) || cmp(cols[1][x], cols[1][y], d2) || x - y,
      );
      // values one by one (the entries' path), and whole columns at once (the listing's)
      assert.deepEqual(
        sortOrder(n, keys, (i, f) => pick(f)[i]),
        want,
      );
      assert.deepEqual(
        sortOrder(n, keys, () => assert.fail('no value read one by one'), pick),
        want,
      );
      // a text key after a numeric column: the comparison path, with the column's values
      const mixed = parseOrderBy(`${d1 ? '-' : ''}metrics.a, params.s`);
      const text = Array.from({ length: n }, (_, i) => String(i % 3));
      const wantMixed = Array.from({ length: n }, (_, i) => i).sort(
        (x, y) =>
          cmp(cols[0][x], cols[0][y], d1) || (text[x] < text[y] ? -1 : text[x] > text[y] ? 1 : 0) || x - y,
      );
      assert.deepEqual(
        sortOrder(
          n,
          mixed,
          (i, f) => (f.kind === 'param' ? text[i] : assert.fail('metrics.a is read as a column')),
          (f) => (f.kind === 'metric' ? cols[0] : undefined),
        ),
        wantMixed,
      );
    }
  });

  test('an unknown sort field is an error listing the close names', () => {
    const runs = sweep(3);
    for (const spec of ['-metrics.accc', 'metrics.ac DESC', 'metric.acc2']) {
      assert.throws(
        () => checkSortFields(parseOrderBy(spec), runs, spec),
        (e: unknown) =>
          e instanceof Error &&
          /no run has it/.test(e.message) &&
          /metrics\.acc/.test(String((e as { hint?: string }).hint)),
        spec,
      );
    }
    assert.doesNotThrow(() =>
      checkSortFields(parseOrderBy('metrics.acc DESC, params.opt, -start'), runs, ''),
    );
    assert.throws(() => parseOrderBy('metrics.acc DESCENDING'), /expected ASC, DESC/);
  });
});

// ----------------------------------------------------------------------------------------------
// Property: printing a random filter (in MLflow's or Runlens's spelling), parsing it and evaluating
// it over random runs agrees with a reference evaluator of the filter as generated.

type Lit = { kind: 'num'; v: number } | { kind: 'str'; v: string };
type Cond =
  | {
      t: 'cmp';
      field: 'metrics.acc' | 'metrics.loss' | 'params.opt' | 'params.lr' | 'tags.team';
      op: string;
      lit: Lit;
    }
  | { t: 'and' | 'or'; a: Cond; b: Cond }
  | { t: 'not'; a: Cond };

const WORDS = ['adam', 'sgd', 'cv', 'nlp', 'a_b', 'x1'];
const litArb: fc.Arbitrary<Lit> = fc.oneof(
  fc
    .double({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true })
    .map((v) => ({ kind: 'num' as const, v })),
  fc.constantFrom(...WORDS).map((v) => ({ kind: 'str' as const, v })),
);
const leaf: fc.Arbitrary<Cond> = fc.record({
  t: fc.constant('cmp' as const),
  field: fc.constantFrom(
    'metrics.acc',
    'metrics.loss',
    'params.opt',
    'params.lr',
    'tags.team',
  ) as fc.Arbitrary<'metrics.acc' | 'metrics.loss' | 'params.opt' | 'params.lr' | 'tags.team'>,
  op: fc.constantFrom('=', '!=', '>', '>=', '<', '<='),
  lit: litArb,
});
const condArb: fc.Arbitrary<Cond> = fc.letrec<{ c: Cond }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ t: fc.constantFrom('and' as const, 'or' as const), a: tie('c'), b: tie('c') }),
    fc.record({ t: fc.constant('not' as const), a: tie('c') }),
  ),
})).c;

const runArb = fc.record({
  acc: fc.option(fc.double({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true }), { nil: undefined }),
  loss: fc.option(fc.constantFrom(0, 0.5, 1, Number.NaN), { nil: undefined }),
  opt: fc.option(fc.constantFrom(...WORDS, '0.5', '1e-3'), { nil: undefined }),
  lr: fc.option(
    fc.oneof(fc.double({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true }), fc.constant('x1')),
    {
      nil: undefined,
    },
  ),
  team: fc.option(fc.constantFrom(...WORDS), { nil: undefined }),
});

function print(c: Cond, style: { upper: boolean; spaces: boolean; quote: string }): string {
  const kw = (k: string) => (style.upper ? k : k.toLowerCase());
  switch (c.t) {
    case 'and':
    case 'or':
      return `(${print(c.a, style)} ${kw(c.t.toUpperCase())} ${print(c.b, style)})`;
    case 'not':
      return `${kw('NOT')} (${print(c.a, style)})`;
    case 'cmp': {
      const lit = c.lit.kind === 'num' ? String(c.lit.v) : `${style.quote}${c.lit.v}${style.quote}`;
      const sp = style.spaces ? ' ' : '';
      return `${c.field}${sp}${c.op}${sp}${lit}`;
    }
  }
}

/** The reference: the documented rules, written from the spec, independently of the parser. */
function reference(c: Cond, r: Record<string, unknown>): boolean {
  switch (c.t) {
    case 'and':
      return reference(c.a, r) && reference(c.b, r);
    case 'or':
      return reference(c.a, r) || reference(c.b, r);
    case 'not':
      return !reference(c.a, r);
    case 'cmp': {
      const v = r[c.field.split('.')[1]] as string | number | undefined;
      if (v === undefined) return c.op === '!=';
      const num = (x: unknown) =>
        typeof x === 'number'
          ? x
          : typeof x === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(x)
            ? Number(x)
            : undefined;
      const lit = c.lit.v;
      const bothNum = num(v) !== undefined && num(lit) !== undefined;
      const a = bothNum ? num(v)! : String(v);
      const b = bothNum ? num(lit)! : String(lit);
      return { '=': a === b, '!=': a !== b, '>': a > b, '>=': a >= b, '<': a < b, '<=': a <= b }[c.op]!;
    }
  }
}

test('property: parse(print(filter)) evaluates as the reference evaluator over random runs', () => {
  fc.assert(
    fc.property(
      condArb,
      fc.array(runArb, { minLength: 1, maxLength: 12 }),
      fc.record({ upper: fc.boolean(), spaces: fc.boolean(), quote: fc.constantFrom("'", '"') }),
      (cond, runs, style) => {
        const text = print(cond, style);
        const node = parseFilter(text);
        runs.forEach((r, i) => {
          const e = entry(i, {
            params: {
              ...(r.opt !== undefined ? { opt: r.opt } : {}),
              ...(r.lr !== undefined ? { lr: r.lr } : {}),
            },
            tags: r.team !== undefined ? { team: r.team } : {},
            metrics: {
              ...(r.acc !== undefined ? { acc: metric(r.acc) } : {}),
              ...(r.loss !== undefined ? { loss: metric(r.loss) } : {}),
            },
          });
          assert.equal(
            evaluate(node, e),
            reference(cond, r as Record<string, unknown>),
            `${text} on ${JSON.stringify(r)}`,
          );
        });
      },
    ),
    { numRuns: 500 },
  );
});

test("the explorer's filter box: a text with a comparison is a query, other text is searched for", () => {
  for (const q of [
    "metrics.acc > 0.5 and params.opt = 'adam'",
    'status=finished',
    "tags.x like '%cv%'",
    'name~base',
    'params.opt in (a)',
  ])
    assert.equal(isQueryText(q), true, q);
  for (const t of ['baseline', 'adam sgd', "it's", 'lr 0.1', 'like']) assert.equal(isQueryText(t), false, t);
});

type RunValues = typeof runArb extends fc.Arbitrary<infer T> ? T : never;

/** A store on disk holding runs made from runArb's values (for the Python client to read). */
async function storeOf(runs: RunValues[]): Promise<{ dir: string; entries: RunEntry[] }> {
  const path = await import('node:path');
  const { Store } = await import('../../../src/core/store/store');
  const { tempDir } = await import('../../helpers/tmp');
  const dir = path.join(tempDir(), '.runlens');
  const store = Store.open(dir, { create: true });
  for (const r of runs) {
    const run = store.createRun({
      status: 'finished',
      params: { ...(r.opt !== undefined ? { opt: r.opt } : {}), ...(r.lr !== undefined ? { lr: r.lr } : {}) },
      tags: r.team !== undefined ? { team: r.team } : {},
    });
    const summary: Record<string, ReturnType<typeof metric>> = {};
    if (r.acc !== undefined) summary.acc = metric(r.acc);
    if (r.loss !== undefined) summary.loss = metric(r.loss);
    await store.updateRun(run.id, (x) => void (x.summary = summary));
  }
  return { dir, entries: store.listRuns().entries };
}

test('property: the Python client reads every random filter as the parser here does', async () => {
  const { spawnSync } = await import('node:child_process');
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { repoRoot } = await import('../../helpers/tmp');
  const [runs] = fc.sample(fc.array(runArb, { minLength: 25, maxLength: 25 }), { numRuns: 1, seed: 20 });
  const filters = fc
    .sample(
      fc.tuple(
        condArb,
        fc.record({ upper: fc.boolean(), spaces: fc.boolean(), quote: fc.constantFrom("'", '"') }),
      ),
      { numRuns: 150, seed: 7 },
    )
    .map(([c, style]) => print(c, style));
  filters.push(
    "tags.team LIKE 'a%'",
    "params.opt IN ('adam', '0.5')",
    'params.lr IS NULL',
    'metrics.acc:max >= 0',
  );
  const { dir, entries } = await storeOf(runs);
  const want = filters.map((f) =>
    entries
      .filter((e) => evaluate(parseFilter(f), e))
      .map((e) => e.id)
      .sort(),
  );
  const filtersFile = path.join(path.dirname(dir), 'filters.json');
  fs.writeFileSync(filtersFile, JSON.stringify(filters));
  const r = spawnSync(
    'python3',
    [
      '-c',
      `import json, sys, runlens
out = []
for f in json.load(open(sys.argv[1])):
    out.append(sorted(r["run_id"] for r in runlens.search_runs(f, store=sys.argv[2], output_format="list")))
print(json.dumps(out))`,
      filtersFile,
      dir,
    ],
    { encoding: 'utf8', env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'clients', 'python') } },
  );
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as string[][];
  filters.forEach((f, i) => assert.deepEqual(got[i], want[i], f));
});

test('property: the Python client sorts as sortBy does (missing last both ways, numbers, text, mixed)', async () => {
  const { spawnSync } = await import('node:child_process');
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { repoRoot } = await import('../../helpers/tmp');
  const [runs] = fc.sample(fc.array(runArb, { minLength: 40, maxLength: 40 }), { numRuns: 1, seed: 21 });
  const fields = ['metrics.acc', 'metrics.loss', 'params.opt', 'params.lr', 'tags.team', 'start'];
  // run_id last: a total order, whatever order each side starts from
  const specs = fc
    .sample(fc.array(fc.tuple(fc.constantFrom(...fields), fc.boolean()), { minLength: 1, maxLength: 3 }), {
      numRuns: 80,
      seed: 9,
    })
    .map((keys) => [...keys.map(([f, desc]) => `${f} ${desc ? 'DESC' : 'ASC'}`), 'run_id'].join(', '));
  const { dir, entries } = await storeOf(runs);
  const want = specs.map((spec) => sortBy(entries, parseOrderBy(spec)).map((e) => e.id));
  const specsFile = path.join(path.dirname(dir), 'specs.json');
  fs.writeFileSync(specsFile, JSON.stringify(specs));
  const r = spawnSync(
    'python3',
    [
      '-c',
      `import json, sys, runlens
print(json.dumps([[r["run_id"] for r in runlens.search_runs("", order_by=s, store=sys.argv[2], output_format="list")] for s in json.load(open(sys.argv[1]))]))`,
      specsFile,
      dir,
    ],
    { encoding: 'utf8', env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'clients', 'python') } },
  );
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as string[][];
  specs.forEach((spec, i) => assert.deepEqual(got[i], want[i], spec));
});

test('nesting: a run tagged with its parent id is a child of that run when the parent is listed', async () => {
  const { PARENT_TAG, childrenOf, parentOf } = await import('../../../src/core/store/nesting');
  const p = entry(1);
  const c1 = entry(2, { tags: { [PARENT_TAG]: p.id } });
  const orphan = entry(3, { tags: { [PARENT_TAG]: 'gone0000000000000' } });
  const self = entry(4, { tags: { [PARENT_TAG]: 'run0004' } });
  const all = new Map([p, c1, orphan, self].map((e) => [e.id, e]));
  assert.equal(parentOf(c1, all), p.id);
  assert.equal(parentOf(orphan, all), undefined);
  assert.equal(parentOf(self, all), undefined);
  assert.deepEqual(
    childrenOf(p.id, all).map((e) => e.id),
    [c1.id],
  );
});
