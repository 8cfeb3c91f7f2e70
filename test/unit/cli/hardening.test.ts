import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Store } from '../../../src/core/store/store';
import { MetricLog } from '../../../src/core/tracking/metricLog';
import { cli, tempDir } from '../../helpers/tmp';

// Any C0 control character but newline, DEL, or a C1 control character.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

function workspace(): { ws: string; store: Store } {
  const ws = tempDir('runlens-cli-hard-');
  return { ws, store: Store.open(path.join(ws, '.runlens'), { create: true }) };
}

describe('CLI: clear errors and terminal-safe output', () => {
  test('metrics RUN on an unreadable run exits non-zero and says why', () => {
    const { ws, store } = workspace();
    const run = store.createRun({ name: 'broken' });
    const log = new MetricLog(store.metricsFile(run.id));
    log.log({ loss: 1 }, 0);
    log.close();
    const file = path.join(store.runDir(run.id), 'run.json');
    fs.writeFileSync(file, '{"schemaVersion": 1, "id": ');
    const r = cli(['metrics', run.id], { cwd: ws });
    assert.notEqual(r.status, 0, r.stdout);
    assert.ok(r.stderr.includes(run.id) && /cannot be read/.test(r.stderr), r.stderr);
    assert.ok(r.stderr.includes(file), r.stderr);
  });

  test('run --metric-pattern "(" is refused before any run is created', () => {
    const { ws, store } = workspace();
    const r = cli(['run', '--metric-pattern', '(', '--', process.execPath, '-e', '0'], { cwd: ws });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /metric-pattern|pattern/);
    assert.deepEqual(fs.readdirSync(store.runsDir), []);
  });

  test('control characters in names, params and tags never reach the terminal', () => {
    const { ws, store } = workspace();
    const evil = 'evil\x1b]0;pwned\x07\x1b[2J\x9b31m\rname';
    store.createRun({
      experiment: `exp\x1b[31m`,
      name: evil,
      params: { [`k\x1b[1m`]: `v\x07`, lr: 0.1 },
      tags: { t: `x\x1b[0m` },
      status: 'finished',
    });
    for (const args of [['ls'], ['ls', '--all'], ['show', evil], ['baseline', 'show']]) {
      const r = cli(args, { cwd: ws });
      assert.ok(!CONTROL.test(r.stdout), `${args.join(' ')} stdout: ${JSON.stringify(r.stdout)}`);
      assert.ok(!CONTROL.test(r.stderr), `${args.join(' ')} stderr: ${JSON.stringify(r.stderr)}`);
    }
    const show = cli(['show', evil], { cwd: ws });
    assert.equal(show.status, 0, show.stderr);
    assert.match(show.stdout, /evil\\x1b\]0;pwned\\x07/);
    const missing = cli(['show', 'no\x1b[2Jsuch'], { cwd: ws });
    assert.notEqual(missing.status, 0);
    assert.ok(!CONTROL.test(missing.stderr), JSON.stringify(missing.stderr));
  });

  test('one huge param does not pad every ls row: long cells are truncated', () => {
    const { ws, store } = workspace();
    store.createRun({ name: 'big', params: { blob: 'x'.repeat(1_000_000) }, status: 'finished' });
    store.createRun({ name: 'small', params: { blob: 'y' }, status: 'finished' });
    const r = cli(['ls'], { cwd: ws });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines.length >= 3, true, r.stdout);
    for (const l of lines) assert.ok(l.length < 400, `line of ${l.length} characters`);
    assert.match(r.stdout, /x{10,}…/);
  });
});
