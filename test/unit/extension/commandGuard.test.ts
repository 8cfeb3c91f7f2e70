// The one command wrapper of the extension (src/extension/commandGuard.ts): Workspace Trust and
// error reporting, with the real command ids.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guardCommand } from '../../../src/extension/shared/commandGuard';
import { Commands, TRUSTED_COMMANDS } from '../../../src/extension/ids';

function host(trusted: boolean) {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    isTrusted: () => trusted,
    warn: (m: string) => warnings.push(m),
    error: (m: string) => errors.push(m),
    warnings,
    errors,
  };
}

test('in Restricted Mode every command that runs workspace code is refused with a warning', async () => {
  for (const id of TRUSTED_COMMANDS) {
    const h = host(false);
    let called = false;
    const r = await guardCommand(id, () => (called = true), h)();
    assert.equal(called, false, id);
    assert.equal(r, undefined);
    assert.equal(h.warnings.length, 1);
    assert.match(h.warnings[0], /Restricted Mode/);
  }
});

test('in a trusted workspace they run, with their arguments and result', async () => {
  const h = host(true);
  const r = await guardCommand(Commands.runPipeline, async (a: number, b: string) => `${a}${b}`, h)(1, 'x');
  assert.equal(r, '1x');
  assert.deepEqual([h.warnings, h.errors], [[], []]);
});

test('read-only commands run in Restricted Mode', async () => {
  const h = host(false);
  assert.equal(await guardCommand(Commands.refresh, () => 7, h)(), 7);
  assert.deepEqual(h.warnings, []);
});

test('an error thrown by a handler is reported, sync or async', async () => {
  const h = host(true);
  await guardCommand(
    Commands.refresh,
    () => {
      throw new Error('boom');
    },
    h,
  )();
  await guardCommand(Commands.serveModel, async () => Promise.reject(new Error('no server.js in /x')), h)();
  assert.deepEqual(h.errors, ['Runlens: boom', 'Runlens: no server.js in /x']);
});
