import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Store } from '../../../src/core/store/store';
import { cli, cliAsync, cliPath, tempDir, waitFor } from '../../helpers/tmp';

const node = process.execPath;

function workspace(): string {
  const ws = tempDir('runlens-cli-');
  fs.writeFileSync(
    path.join(ws, 'train.js'),
    `const lr = Number(JSON.parse(process.env.RUNLENS_PARAMS).lr ?? 0.1);
     for (let e = 0; e < 5; e++) console.log('epoch ' + e + ' - loss: ' + (1 / (e + 1) / lr).toFixed(4) + ' - acc: ' + (0.5 + e / 10 + lr).toFixed(4));
     process.exit(Number(process.env.EXIT_CODE ?? 0));`,
  );
  fs.writeFileSync(path.join(ws, 'data.csv'), 'a,b\n1,2\n');
  return ws;
}

function json<T>(r: { stdout: string; stderr: string; status: number | null }): T {
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

type Listed = {
  id: string;
  name: string;
  status: string;
  params: Record<string, unknown>;
  metrics: Record<string, { last: number }>;
};

describe('runlens CLI', () => {
  test('every command has --help; usage errors exit 2', () => {
    const ws = tempDir();
    for (const cmd of [
      [],
      ['run'],
      ['ls'],
      ['show'],
      ['metrics'],
      ['rm'],
      ['restore'],
      ['model'],
      ['model', 'register'],
      ['model', 'promote'],
      ['model', 'ls'],
      ['baseline'],
      ['baseline', 'set'],
      ['baseline', 'show'],
    ]) {
      const r = cli([...cmd, '--help'], { cwd: ws });
      assert.equal(r.status, 0, `${cmd.join(' ')} --help`);
      assert.match(r.stdout, new RegExp(`Usage: runlens ${cmd.join(' ')}`.trim()));
    }
    const unknown = cli(['frobnicate'], { cwd: ws });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    const badParam = cli(['run', '-p', 'lr', '--', node, '-e', '0'], { cwd: ws });
    assert.equal(badParam.status, 2);
    assert.match(badParam.stderr, /-p lr: a parameter needs the form key=value/);
    assert.ok(
      !fs.existsSync(path.join(ws, '.runlens', 'runs')) ||
        fs.readdirSync(path.join(ws, '.runlens', 'runs')).length === 0,
      'no run was created',
    );
    const noStore = cli(['ls'], { cwd: ws });
    assert.equal(noStore.status, 1);
    assert.match(noStore.stderr, /no Runlens store \(\.runlens\) in .* or above/);
  });

  test('run tracks params, inputs, output metrics and the exit code', () => {
    const ws = workspace();
    const ok = cli(
      [
        'run',
        '-e',
        'exp',
        '-n',
        'first',
        '-p',
        'lr=0.5',
        '-p',
        'opt=adam',
        '-t',
        'team=cv',
        '--input',
        'data.csv',
        '--',
        node,
        'train.js',
      ],
      { cwd: ws },
    );
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /epoch 4 - loss: 0\.4000 - acc: 1\.4000/, 'output is streamed');
    assert.match(ok.stderr, /run \w{18} finished \(exit code 0\)/);
    const failed = cli(['run', '-e', 'exp', '-n', 'second', '-p', 'lr=0.25', '--', node, 'train.js'], {
      cwd: ws,
      env: { EXIT_CODE: '3' },
    });
    assert.equal(failed.status, 3, 'the child exit code is passed on');
    const runs = json<Listed[]>(cli(['ls', '--json'], { cwd: ws }));
    assert.deepEqual(
      runs.map((r) => [r.name, r.status]),
      [
        ['second', 'failed'],
        ['first', 'finished'],
      ],
    );
    assert.deepEqual(runs[1].params, { lr: 0.5, opt: 'adam' });
    assert.equal(runs[1].metrics.loss.last, 0.4);
    const shown = json<{
      inputs: { path: string; sha256: string; size: number }[];
      tags: Record<string, string>;
      command: string[];
      script: string;
    }>(cli(['show', 'first', '--json'], { cwd: ws }));
    assert.deepEqual(shown.inputs, [
      { path: 'data.csv', size: 8, sha256: createHash('sha256').update('a,b\n1,2\n').digest('hex') },
    ]);
    assert.equal(shown.tags.team, 'cv');
    assert.equal(shown.script, 'train.js');
    const text = cli(['show', runs[1].id.slice(0, 14)], { cwd: ws });
    assert.match(text.stdout, /loss \(stdout\)\s+0\.4\s+4\s+0\.4\s+2\s+5/);
    const missing = cli(['run', '--', 'no-such-program-xyz'], { cwd: ws });
    assert.equal(missing.status, 127);
    assert.match(missing.stderr, /could not start no-such-program-xyz: ENOENT/);
  });

  test('ls filters, sorts and limits; metrics prints CSV and JSON', () => {
    const ws = workspace();
    for (const lr of [0.1, 0.2, 0.4])
      assert.equal(
        cli(['run', '-n', `lr${lr}`, '-p', `lr=${lr}`, '--', node, 'train.js'], { cwd: ws }).status,
        0,
      );
    const names = (args: string[]) =>
      json<Listed[]>(cli(['ls', '--json', ...args], { cwd: ws })).map((r) => r.name);
    assert.deepEqual(names([]), ['lr0.4', 'lr0.2', 'lr0.1']);
    assert.deepEqual(names(['--where', 'params.lr>0.15']), ['lr0.4', 'lr0.2']);
    assert.deepEqual(names(['--where', 'lr>=0.2', '--where', 'metrics.acc>1.2']), ['lr0.4']);
    assert.deepEqual(names(['--sort', 'metrics.loss']), ['lr0.4', 'lr0.2', 'lr0.1']);
    assert.deepEqual(names(['--sort', '-metrics.loss', '--limit', '1']), ['lr0.1']);
    assert.deepEqual(names(['--where', 'name~0.2']), ['lr0.2']);
    const bad = cli(['ls', '--where', 'lr>>'], { cwd: ws });
    assert.equal(bad.status, 2, 'lr>> is not read as a guess');
    assert.match(bad.stderr, /cannot read the filter at column 4: expected a value/);
    const table = cli(['ls'], { cwd: ws });
    assert.match(table.stdout, /^ID\s+NAME\s+EXPERIMENT\s+STATUS\s+STARTED\s+DURATION\s+lr\s+acc\s+loss/m);
    const csv = cli(['metrics', 'lr0.1', '--key', 'loss', '--csv'], { cwd: ws });
    assert.equal(csv.stdout.split('\n')[0], 'key,step,value,time');
    assert.deepEqual(
      csv.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',').slice(0, 3).join(',')),
      ['loss,0,10', 'loss,1,5', 'loss,2,3.3333', 'loss,3,2.5', 'loss,4,2'],
    );
    const series = json<Record<string, { steps: number[]; values: number[] }>>(
      cli(['metrics', 'lr0.1', '--json'], { cwd: ws }),
    );
    assert.deepEqual(Object.keys(series).sort(), ['acc', 'loss']);
    assert.deepEqual(series.acc.steps, [0, 1, 2, 3, 4]);
    const nokey = cli(['metrics', 'lr0.1', '--key', 'f1'], { cwd: ws });
    assert.equal(nokey.status, 1);
    assert.match(nokey.stderr, /has no metric "f1"/);
    const nosuch = cli(['show', 'zzzzzz'], { cwd: ws });
    assert.equal(nosuch.status, 1);
    assert.match(nosuch.stderr, /no run "zzzzzz"/);
  });

  test('rm is recoverable with restore', () => {
    const ws = workspace();
    cli(['run', '-n', 'doomed', '--', node, 'train.js'], { cwd: ws });
    const rm = cli(['rm', 'doomed'], { cwd: ws });
    assert.equal(rm.status, 0, rm.stderr);
    const id = /removed (\w+)/.exec(rm.stdout)![1];
    assert.deepEqual(json<Listed[]>(cli(['ls', '--json'], { cwd: ws })), []);
    assert.deepEqual(json<string[]>(cli(['ls', '--removed', '--json'], { cwd: ws })), [id]);
    assert.equal(cli(['restore', id], { cwd: ws }).status, 0);
    assert.equal(json<Listed[]>(cli(['ls', '--json'], { cwd: ws }))[0].name, 'doomed');
  });

  test('model register, promote, ls and baselines', () => {
    const ws = workspace();
    fs.writeFileSync(
      path.join(ws, 'save.js'),
      `const fs=require('fs');const d=process.env.RUNLENS_RUN_DIR+'/artifacts/model';fs.mkdirSync(d,{recursive:true});fs.writeFileSync(d+'/weights.bin','w'+process.env.V);console.log('acc=0.'+process.env.V);`,
    );
    cli(['run', '-e', 'churn', '-n', 'm1', '--', node, 'save.js'], { cwd: ws, env: { V: '8' } });
    cli(['run', '-e', 'churn', '-n', 'm2', '--', node, 'save.js'], { cwd: ws, env: { V: '9' } });
    assert.match(
      cli(['model', 'register', 'churn', '--run', 'm1'], { cwd: ws }).stdout,
      /registered churn version 1 from run \w+ \(1 files\)/,
    );
    assert.match(cli(['model', 'register', 'churn', '--run', 'm2'], { cwd: ws }).stdout, /version 2/);
    assert.equal(cli(['model', 'promote', 'churn', '1', 'production'], { cwd: ws }).status, 0);
    assert.equal(cli(['model', 'promote', 'churn', '2', 'production'], { cwd: ws }).status, 0);
    const models = json<
      {
        versions: {
          version: number;
          stage: string;
          metrics: Record<string, number>;
          files: string[];
          stageHistory: { stage: string }[];
        }[];
      }[]
    >(cli(['model', 'ls', '--json'], { cwd: ws }));
    assert.deepEqual(
      models[0].versions.map((v) => [v.version, v.stage]),
      [
        [1, 'archived'],
        [2, 'production'],
      ],
    );
    assert.deepEqual(
      models[0].versions[0].stageHistory.map((h) => h.stage),
      ['none', 'production', 'archived'],
    );
    assert.equal(models[0].versions[1].metrics.acc, 0.9);
    assert.deepEqual(models[0].versions[1].files, ['model/weights.bin']);
    const store = Store.open(path.join(ws, '.runlens'));
    assert.equal(
      fs.readFileSync(path.join(store.dir, 'registry', 'churn', 'v2', 'model', 'weights.bin'), 'utf8'),
      'w9',
    );
    const badStage = cli(['model', 'promote', 'churn', '1', 'prod'], { cwd: ws });
    assert.equal(badStage.status, 2);
    assert.match(badStage.stderr, /unknown stage "prod"/);

    assert.equal(cli(['baseline', 'set', 'churn', '--model', 'churn@production'], { cwd: ws }).status, 0);
    const shown = cli(['baseline', 'show', 'churn'], { cwd: ws });
    assert.match(shown.stdout, /churn\s+churn@production\s+\w{18}/);
    assert.equal(cli(['baseline', 'set', 'churn', '--run', 'm1'], { cwd: ws }).status, 0);
    const b = json<Record<string, { kind: string; run: string }>>(
      cli(['baseline', 'show', '--json'], { cwd: ws }),
    );
    assert.equal(b.churn.kind, 'run');
    const none = cli(['baseline', 'show', 'other'], { cwd: ws });
    assert.equal(none.status, 1);
    assert.match(none.stderr, /has no baseline/);
  });

  test('SIGINT reaches the program and marks the run killed', async () => {
    const ws = workspace();
    fs.writeFileSync(
      path.join(ws, 'wait.js'),
      `process.on('SIGINT', () => { console.log('got SIGINT'); process.exit(130); }); console.log('ready'); setInterval(() => {}, 1000);`,
    );
    const child = cliAsync(['run', '-n', 'ctrl-c', '--', node, 'wait.js'], { cwd: ws });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await waitFor('ready', () => out.includes('ready'));
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('close', r));
    assert.equal(code, 130);
    assert.match(out, /got SIGINT/);
    assert.equal(json<Listed[]>(cli(['ls', '--json'], { cwd: ws }))[0].status, 'killed');
  });

  test('a store written by a newer Runlens is refused and left as it is', () => {
    const ws = workspace();
    fs.mkdirSync(path.join(ws, '.runlens', 'runs'), { recursive: true });
    const meta = JSON.stringify({ schema: 'runlens.store', schemaVersion: 7 });
    fs.writeFileSync(path.join(ws, '.runlens', 'store.json'), meta);
    const r = cli(['run', '--', node, 'train.js'], { cwd: ws });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /written by a newer Runlens \(schema 7/);
    assert.equal(fs.readFileSync(path.join(ws, '.runlens', 'store.json'), 'utf8'), meta);
    assert.deepEqual(fs.readdirSync(path.join(ws, '.runlens', 'runs')), []);
  });

  test('a store folder that is not writable gets a clear error', () => {
    const ws = workspace();
    Store.open(path.join(ws, '.runlens'), { create: true });
    fs.chmodSync(ws, 0o755);
    fs.chmodSync(path.join(ws, '.runlens', 'runs'), 0o555);
    // Root may write anywhere: run the CLI as an unprivileged user then, from a copy of the bundle
    // that user can read (the checkout may be inside a folder only root can enter).
    const asRoot = process.getuid?.() === 0;
    const asUser = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', node] : [node];
    let cli = cliPath;
    if (asRoot) {
      const bin = tempDir('runlens-cli-bin-');
      fs.chmodSync(bin, 0o755);
      cli = path.join(bin, 'cli.js');
      fs.copyFileSync(cliPath, cli);
      fs.chmodSync(cli, 0o644);
    }
    const r = spawnSync(asUser[0], [...asUser.slice(1), cli, 'run', '--', node, 'train.js'], {
      cwd: ws,
      encoding: 'utf8',
      env: { ...process.env, RUNLENS_STORE: '' },
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      /cannot write .*\.runlens\/runs\/\w+.*EACCES \(the store folder is not writable\)/,
    );
    assert.match(r.stderr, /fix: make the folder writable/);
  });
});
