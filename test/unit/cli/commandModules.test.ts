import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { COMMAND_MODULES, commandOf, commandsFor } from '../../../src/cli/main';
import type { CliContext } from '../../../src/cli/context';

// The CLI loads the module of a command line's command only: the table of which module adds which
// top-level commands must say what each module really registers.

const ctx = {} as CliContext; // registering reads nothing of it

function registered(registers: ((p: Command, c: CliContext) => void)[]): string[] {
  const program = new Command('runlens').enablePositionalOptions();
  for (const r of registers) r(program, ctx);
  return program.commands.map((c) => c.name());
}

test('each command module registers exactly the top-level commands the table names', async () => {
  const seen = new Set<string>();
  for (const m of COMMAND_MODULES) {
    assert.deepEqual(registered([await m.load()]), [...m.names]);
    for (const n of m.names) {
      assert.ok(!seen.has(n), `${n} is named twice`);
      seen.add(n);
    }
  }
  assert.ok(seen.has('ls') && seen.has('run') && seen.size > 25, [...seen].join(' '));
});

test('a command line loads its command, and everything when its command is not known', async () => {
  assert.equal(commandOf(['--store', 'x/.runlens', 'ls', '--json']), 'ls');
  assert.equal(commandOf(['--store=x', 'show', 'abc']), 'show');
  assert.equal(commandOf(['--help']), undefined);
  assert.equal(commandOf([]), undefined);
  assert.deepEqual(registered(await commandsFor(['ls', '--sort', '-metrics.acc'])), [
    'ls',
    'show',
    'metrics',
    'rm',
    'restore',
  ]);
  assert.deepEqual(registered(await commandsFor(['watch', 'x'])), ['watch']);
  const all = COMMAND_MODULES.flatMap((m) => m.names);
  for (const argv of [[], ['--help'], ['--version'], ['lss'], ['help', 'ls']])
    assert.deepEqual(registered(await commandsFor(argv)), all, argv.join(' '));
});
