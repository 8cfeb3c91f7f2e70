import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { batchScript, sbatchOptions, shellQuote } from '../../../src/core/slurm/script';
import {
  parseDuration,
  parseExitCode,
  parseSacct,
  parseScontrol,
  parseSinfo,
  parseSqueue,
} from '../../../src/core/slurm/slurm';
import { endFromOutput } from '../../../src/core/slurm/watcher';
import { tempDir } from '../../helpers/tmp';

// Output captured from Slurm 22.05 (Debian slurm-wlm) on a single-node cluster.
const SQUEUE = `3_1|PENDING|JobArrayTaskLimit||N/A|UNLIMITED
2|RUNNING|None|vm|2026-12-02T18:24:09|1:00
3_0|RUNNING|None|vm|2026-12-02T18:24:09|365-00:00:00
`;
const SCONTROL = `JobId=4 ArrayJobId=3 ArrayTaskId=0 ArrayTaskThrottle=2 JobName=wrap UserId=root(0) GroupId=root(0) JobState=COMPLETED Reason=None Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:00:03 TimeLimit=UNLIMITED TimeMin=N/A SubmitTime=2026-12-02T18:24:08 StartTime=2026-12-02T18:24:09 EndTime=2026-12-02T18:24:12 NodeList=vm BatchHost=vm
JobId=3 ArrayJobId=3 ArrayTaskId=2-3%2 ArrayTaskThrottle=2 JobName=wrap JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0 TimeLimit=UNLIMITED StartTime=Unknown EndTime=Unknown NodeList=(null)
JobId=2 JobName=wrap JobState=TIMEOUT Reason=TimeLimit ExitCode=0:15 RunTime=00:01:04 TimeLimit=00:01:00 StartTime=2026-12-02T18:24:09 EndTime=2026-12-02T18:25:13 NodeList=vm
JobId=9 JobName=wrap JobState=FAILED Reason=NonZeroExitCode ExitCode=3:0 TimeLimit=00:05:00 StartTime=2026-12-02T18:30:00 EndTime=2026-12-02T18:30:01 NodeList=vm
`;

describe('Slurm output parsing', () => {
  test('squeue rows: array tasks one per row, pending reason, node, start and limit', () => {
    const rows = parseSqueue(SQUEUE);
    assert.deepEqual(
      rows.map((r) => [r.id, r.state, r.reason, r.node, r.timeLimit]),
      [
        ['3_1', 'PENDING', 'JobArrayTaskLimit', null, null],
        ['2', 'RUNNING', null, 'vm', 60],
        ['3_0', 'RUNNING', null, 'vm', 365 * 86400],
      ],
    );
    assert.equal(rows[0].startTime, null);
    assert.equal(rows[1].startTime, new Date('2026-12-02T18:24:09').getTime());
  });

  test('scontrol -o: tasks by ARRAY_TASK id, the unstarted remainder of an array expanded, exit codes', () => {
    const jobs = parseScontrol(SCONTROL);
    assert.deepEqual(
      jobs.map((j) => [j.id, j.state, j.reason, j.exitCode, j.timeLimit]),
      [
        ['3_0', 'COMPLETED', null, 0, null],
        ['3_2', 'PENDING', 'JobArrayTaskLimit', 0, null],
        ['3_3', 'PENDING', 'JobArrayTaskLimit', 0, null],
        ['2', 'TIMEOUT', 'TimeLimit', 128 + 15, 60],
        ['9', 'FAILED', 'NonZeroExitCode', 3, 300],
      ],
    );
    assert.equal(jobs[3].endTime, new Date('2026-12-02T18:25:13').getTime());
  });

  test('sacct: job steps skipped, "CANCELLED by N" is CANCELLED', () => {
    const rows = parseSacct(
      '12|CANCELLED by 0|None|vm|2026-12-02T18:00:00|2026-12-02T18:00:05|00:10:00|0:15\n12.batch|CANCELLED||vm|||||0:15\n13_2|OUT_OF_MEMORY|None|vm|2026-12-02T18:00:00|2026-12-02T18:00:09|UNLIMITED|0:125\n',
    );
    assert.deepEqual(
      rows.map((r) => [r.id, r.state, r.timeLimit]),
      [
        ['12', 'CANCELLED', 600],
        ['13_2', 'OUT_OF_MEMORY', null],
      ],
    );
  });

  test('sinfo partitions, durations and exit codes', () => {
    assert.deepEqual(parseSinfo('debug*|up|infinite|1\ngpu|down|2-00:00:00|4\n'), [
      { name: 'debug', isDefault: true, available: true, timeLimit: null, nodes: 1 },
      { name: 'gpu', isDefault: false, available: false, timeLimit: 2 * 86400, nodes: 4 },
    ]);
    assert.equal(parseDuration('30'), 1800);
    assert.equal(parseDuration('10:30'), 630);
    assert.equal(parseDuration('1:00:00'), 3600);
    assert.equal(parseDuration('1-12'), 86400 + 12 * 3600);
    assert.equal(parseDuration('UNLIMITED'), null);
    assert.equal(parseExitCode('0:9'), 137);
    assert.equal(parseExitCode('junk'), null);
  });
});

describe('batch scripts', () => {
  test('resources become #SBATCH lines; an array task picks its run by SLURM_ARRAY_TASK_ID', () => {
    const script = batchScript({
      resources: {
        partition: 'gpu',
        time: '2:00:00',
        cpus: 4,
        mem: '16G',
        gpus: 2,
        gpuType: 'a100',
        account: 'lab',
        qos: 'high',
        extra: ['#SBATCH --constraint=ib', '--exclusive'],
      },
      array: { throttle: 2 },
      runner: ['/opt/node dir/node', '/x/cli.js', '--store', '/shared/ws/.runlens'],
      runnerArgs: ['--metric-pattern', "(?<key>\\w+)='(?<value>\\d+)"],
      env: { ELECTRON_RUN_AS_NODE: '1' },
      runIds: ['a1', 'b2', 'c3'],
    });
    const lines = script.split('\n');
    assert.equal(lines[0], '#!/bin/bash');
    for (const want of [
      '#SBATCH --partition=gpu',
      '#SBATCH --time=2:00:00',
      '#SBATCH --cpus-per-task=4',
      '#SBATCH --mem=16G',
      '#SBATCH --gres=gpu:a100:2',
      '#SBATCH --account=lab',
      '#SBATCH --qos=high',
      '#SBATCH --constraint=ib',
      '#SBATCH --exclusive',
      '#SBATCH --array=0-2%2',
      'export ELECTRON_RUN_AS_NODE=1',
      'runs=(a1 b2 c3)',
    ])
      assert.ok(lines.includes(want), `${want} in\n${script}`);
    assert.match(
      script,
      /exec '\/opt\/node dir\/node' \/x\/cli.js --store \/shared\/ws\/.runlens job-task --run "\$\{runs\[\$SLURM_ARRAY_TASK_ID\]\}" --metric-pattern '.*'\\''.*'/,
    );
  });

  test('values that would break the script are refused, naming the field', () => {
    assert.throws(() => sbatchOptions({ partition: 'a\n#SBATCH --x' }), /Slurm partition ".*" is not valid/);
    assert.throws(() => sbatchOptions({ time: 'soon' }), /Slurm time "soon" is not valid/);
    assert.throws(() => sbatchOptions({ gpus: 0 }), /Slurm gpus must be a whole number of at least 1, not 0/);
    assert.throws(() => sbatchOptions({ extra: ['constraint=a100'] }), /not an sbatch option/);
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });

  test('the end slurmstepd wrote into output.log, for a job the scheduler has forgotten', () => {
    const dir = tempDir();
    const log = path.join(dir, 'output.log');
    const cases: [string, string | undefined][] = [
      [
        'epoch 1\nslurmstepd-vm: error: *** JOB 12 ON vm CANCELLED AT 2026-12-02T18:25:13 DUE TO TIME LIMIT ***\n',
        'TIMEOUT',
      ],
      [
        'slurmstepd: error: *** JOB 12 ON n1 CANCELLED AT 2026-12-02T18:25:13 DUE TO PREEMPTION ***\n',
        'PREEMPTED',
      ],
      ['slurmstepd-vm: error: *** JOB 1 ON vm CANCELLED AT 2026-12-02T18:23:10 ***\n', 'CANCELLED'],
      ['slurmstepd: error: Detected 1 oom_kill event in StepId=5.batch.\n', 'OUT_OF_MEMORY'],
      ['epoch 1\n', undefined],
    ];
    for (const [text, want] of cases) {
      fs.writeFileSync(log, text);
      assert.equal(endFromOutput(dir), want, text);
    }
  });
});
