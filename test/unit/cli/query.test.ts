// `runlens ls` with MLflow's search syntax, sort errors, paging, and compact JSON output, run as
// real CLI processes over a real store.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { Store } from '../../../src/core/store/store';
import { cli, tempDir } from '../../helpers/tmp';

type Row = {
  id: string;
  name: string;
  params: Record<string, unknown>;
  metrics: Record<string, { last: number }>;
};

let ws: string;
const N = 40;

before(async () => {
  ws = tempDir();
  const store = Store.open(path.join(ws, '.runlens'), { create: true });
  for (let i = 0; i < N; i++) {
    const run = store.createRun({
      name: `r${i}`,
      status: 'finished',
      params: { opt: i % 2 ? 'adam' : 'sgd', lr: i / 100 },
      tags: { team: i % 4 === 0 ? 'cv-core' : 'nlp' },
    });
    await store.updateRun(run.id, (r) => {
      r.summary = { acc: { last: i / N, lastStep: 1, min: 0, max: i / N, count: 2, lastTime: 1 } };
      r.startTime = 1_700_000_000_000 + i;
    });
  }
});

function ls(args: string[]) {
  return cli(['ls', ...args], { cwd: ws });
}

function rows(args: string[]): Row[] {
  const r = ls([...args, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Row[];
}

describe('runlens ls', () => {
  test("MLflow's filter: metrics.acc > 0.5 and params.opt = 'adam'", () => {
    const got = rows(['-w', "metrics.acc > 0.5 and params.opt = 'adam'"]);
    assert.equal(got.length, 10); // i in 21..39, odd
    assert.ok(got.every((r) => r.params.opt === 'adam' && r.metrics.acc.last > 0.5));
    assert.equal(rows(['-w', "params.opt='adam'"]).length, N / 2);
    assert.equal(rows(['-w', "tags.team LIKE 'cv%'", '-w', 'attributes.status = "FINISHED"']).length, N / 4);
  });

  test('a filter with text left over is an error showing where, exit code 2', () => {
    const r = ls(['-w', 'metrics.acc>0.5abc']);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /column 16: expected AND, OR or the end, found "abc"/);
    assert.match(r.stderr, /\n {2}metrics\.acc>0\.5abc\n {17}\^/);
  });

  test('sort: "metrics.acc DESC" sorts; an unknown field is an error with the close names', () => {
    const got = rows(['--sort', 'metrics.acc DESC', '-l', '3']);
    assert.deepEqual(
      got.map((r) => r.name),
      ['r39', 'r38', 'r37'],
    );
    const typo = ls(['--sort', '-metrics.accc']);
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /cannot sort by "metrics.accc".*no run has it/);
    assert.match(typo.stderr, /close names: metrics\.acc/);
  });

  test('--offset and --limit page through the sorted runs', () => {
    const all = rows(['--sort', 'params.lr']).map((r) => r.name);
    const pages: string[] = [];
    for (let offset = 0; offset < N; offset += 7)
      pages.push(
        ...rows(['--sort', 'params.lr', '--offset', String(offset), '--limit', '7']).map((r) => r.name),
      );
    assert.deepEqual(pages, all);
    assert.deepEqual(rows(['--offset', String(N)]), []);
    assert.equal(ls(['--offset', '-1']).status, 2);
  });

  test('--json is compact, --pretty indents it, --jsonl prints one run a line', () => {
    const compact = ls(['--json']);
    assert.equal(compact.stdout.trim().split('\n').length, 1);
    const pretty = ls(['--json', '--pretty']);
    assert.ok(pretty.stdout.split('\n').length > N);
    assert.deepEqual(JSON.parse(pretty.stdout), JSON.parse(compact.stdout));
    const lines = ls(['--jsonl', '-w', 'params.lr < 0.05']).stdout.trim().split('\n');
    assert.equal(lines.length, 5);
    assert.ok(lines.every((l) => ((JSON.parse(l) as Row).params.lr as number) < 0.05));
    const show = cli(['show', 'r1', '--json'], { cwd: ws });
    assert.equal(show.stdout.trim().split('\n').length, 1);
  });
});
