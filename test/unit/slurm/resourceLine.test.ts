import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatResources, parseResources } from '../../../src/core/slurm/resourceLine';
import { sbatchOptions } from '../../../src/core/slurm/script';

describe('the resource line of a launch on Slurm', () => {
  test('every key round-trips, in the order the flags are documented', () => {
    const r = {
      partition: 'gpu',
      time: '2:00:00',
      cpus: 4,
      mem: '16G',
      gpus: 2,
      gpuType: 'a100',
      account: 'proj-42',
      qos: 'high',
      extra: ['--constraint=a100', '--begin=now+60'],
    };
    const line = formatResources(r);
    assert.equal(
      line,
      'partition=gpu time=2:00:00 cpus=4 mem=16G gpus=2 gpu-type=a100 account=proj-42 qos=high sbatch=--constraint=a100 sbatch=--begin=now+60',
    );
    assert.deepEqual(parseResources(line), r);
  });

  test('values with spaces or quotes are quoted and come back whole', () => {
    const r = { extra: ['--comment=two words', '--mail-type="END"'] };
    const line = formatResources(r);
    assert.equal(line, 'sbatch="--comment=two words" sbatch="--mail-type=\\"END\\""');
    assert.deepEqual(parseResources(line), r);
    // what the batch script gets from them
    assert.deepEqual(sbatchOptions(parseResources(line)).slice(-2), [
      '--comment=two words',
      '--mail-type="END"',
    ]);
  });

  test('an empty line is no resources; unset keys are not written', () => {
    assert.deepEqual(parseResources('   '), {});
    assert.equal(formatResources({ partition: 'debug', time: undefined, extra: [] }), 'partition=debug');
  });

  test('time limits in every form Slurm takes', () => {
    for (const t of ['30', '10:00', '1:00:00', '2-12', '2-12:30:00'])
      assert.equal(parseResources(`time=${t}`).time, t);
  });

  test('bad input names the word that is wrong', () => {
    assert.throws(() => parseResources('partition=gpu gpu=1'), /"gpu=1" is not a resource: use partition=/);
    assert.throws(() => parseResources('cpus=0'), /cpus=0: cpus takes a whole number of at least 1/);
    assert.throws(() => parseResources('gpus=1.5'), /gpus=1.5: gpus takes a whole number/);
    assert.throws(() => parseResources('time=2h'), /time=2h is not a Slurm time limit/);
    assert.throws(() => parseResources('partition'), /partition has no value/);
    assert.throws(() => parseResources('mem='), /mem has no value/);
    assert.throws(() => parseResources('partition=a partition=b'), /partition is given twice/);
    assert.throws(() => parseResources('sbatch="--comment=open'), /a quote is not closed/);
    // checked by the batch script's own rules before anything is submitted
    assert.throws(() => parseResources('mem=lots'), /Slurm mem "lots" is not valid/);
    assert.throws(() => parseResources('sbatch=constraint=a100'), /is not an sbatch option/);
  });
});
