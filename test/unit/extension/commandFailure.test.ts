// The one command wrapper (src/extension/shared/commandGuard.ts) reports a handler's error once,
// in the notification and in the feature's log, with what the command was doing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunlensError } from '../../../src/core/errors';
import { failure, guardCommand } from '../../../src/extension/shared/commandGuard';
import { Commands } from '../../../src/extension/ids';

function host() {
  const errors: string[] = [];
  const logged: string[] = [];
  return {
    isTrusted: () => true,
    warn: () => assert.fail('no warning expected'),
    error: (m: string) => errors.push(m),
    log: (l: string) => logged.push(l),
    errors,
    logged,
  };
}

test('a failure names what the command was doing, then why; the wrapper reports and logs it once', async () => {
  const h = host();
  const cause = new RunlensError('no column "label" in test.csv', 'name the label column');
  const r = await guardCommand(
    Commands.importMlflow,
    async () => {
      try {
        throw cause;
      } catch (e) {
        throw failure('could not import /data/mlruns', e);
      }
    },
    h,
  )();
  assert.equal(r, undefined);
  // with the fix the CLI prints after "fix:", from the error the failure wraps
  assert.deepEqual(h.errors, [
    'Runlens: could not import /data/mlruns: no column "label" in test.csv (fix: name the label column)',
  ]);
  assert.deepEqual(h.logged, h.errors);
  assert.equal(failure('x', cause).cause, cause);
  assert.equal(failure('x', 'plain text').message, 'x: plain text');
});

test('an error without a hint is shown as it is', async () => {
  const h = host();
  await guardCommand(
    Commands.refresh,
    async () => {
      throw failure('could not refresh', new RunlensError('the store is locked'));
    },
    h,
  )();
  await guardCommand(
    Commands.refresh,
    async () => {
      throw new Error('plain');
    },
    h,
  )();
  assert.deepEqual(h.errors, ['Runlens: could not refresh: the store is locked', 'Runlens: plain']);
});

test('a handler that works is neither reported nor logged and returns its value', async () => {
  const h = host();
  assert.equal(await guardCommand(Commands.refresh, async (n: number) => n * 2, h)(21), 42);
  assert.deepEqual(h.errors, []);
  assert.deepEqual(h.logged, []);
});
