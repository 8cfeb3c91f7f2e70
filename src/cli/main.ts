import { Command, CommanderError } from 'commander';
import { RunlensError, errorMessage } from '../core/errors';
import { resolveStoreDir } from '../core/store/resolve';
import { Store } from '../core/store/store';
import { runlensVersion } from '../core/version';
import { termSafe } from '../core/format';
import type { CliContext, Io } from './context';
import { addPrettyOption } from './options';

export const VERSION = runlensVersion();

type Register = (program: Command, ctx: CliContext) => void;

/**
 * The modules of the commands, in the order `runlens --help` lists them: the top-level commands each
 * adds and how to load it. A command line loads the module of its command only, and with it only the
 * libraries that command uses (the YAML parser, protobuf, cron, CSV and SQLite readers are not loaded
 * to list runs); help, a bare `runlens` and an unknown command load them all.
 */
export const COMMAND_MODULES: readonly { names: readonly string[]; load: () => Promise<Register> }[] = [
  { names: ['run'], load: async () => (await import('./commands/run')).registerRunCommand },
  {
    names: ['ls', 'show', 'metrics', 'rm', 'restore'],
    load: async () => (await import('./commands/runs')).registerRunsCommands,
  },
  {
    names: ['sweep', 'cancel', 'job-task'],
    load: async () => (await import('./commands/slurm')).registerSlurmCommands,
  },
  { names: ['model'], load: async () => (await import('./commands/model')).registerModelCommands },
  { names: ['baseline'], load: async () => (await import('./commands/baseline')).registerBaselineCommands },
  { names: ['lens'], load: async () => (await import('./commands/lens')).registerLensCommand },
  {
    names: ['import', 'export'],
    load: async () => (await import('./commands/import')).registerImportCommands,
  },
  {
    names: ['package', 'serve', 'monitor'],
    load: async () => (await import('./commands/serve')).registerServeCommands,
  },
  { names: ['pipeline'], load: async () => (await import('./commands/pipeline')).registerPipelineCommands },
  { names: ['ci'], load: async () => (await import('./commands/ci')).registerCiCommands },
  { names: ['watch'], load: async () => (await import('./commands/pipeline')).registerWatchCommand },
  { names: ['eval'], load: async () => (await import('./commands/eval')).registerEvalCommands },
  { names: ['compare'], load: async () => (await import('./commands/gate')).registerGateCommand },
  { names: ['drift'], load: async () => (await import('./commands/drift')).registerDriftCommand },
  {
    names: ['schema', 'validate'],
    load: async () => (await import('./commands/schema')).registerSchemaCommands,
  },
  { names: ['sync'], load: async () => (await import('./commands/sync')).registerSyncCommands },
  {
    names: ['experiments', 'artifacts', 'gc'],
    load: async () => (await import('./commands/store')).registerStoreCommands,
  },
  { names: ['reproduce'], load: async () => (await import('./commands/reproduce')).registerReproduceCommand },
  { names: ['diff'], load: async () => (await import('./commands/diff')).registerDiffCommand },
];

/** The command a command line runs (its first word after the program's own options), if any. */
export function commandOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--store') i++;
    else if (a === '--') return undefined;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** The registering functions of the modules a command line needs (all of them unless its command is known). */
export async function commandsFor(argv: readonly string[]): Promise<Register[]> {
  const name = commandOf(argv);
  const known = COMMAND_MODULES.filter((m) => name !== undefined && m.names.includes(name));
  return Promise.all((known.length ? known : COMMAND_MODULES).map((m) => m.load()));
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  stream: async (chunks) => {
    for (const c of chunks) await new Promise((done) => process.stdout.write(c, done));
  },
};

/** The program with the commands of `registers` (see commandsFor). */
export function buildProgram(
  registers: readonly Register[],
  io: Io = defaultIo,
  setExit: (code: number) => void = (c) => (process.exitCode = c),
): Command {
  const program = new Command('runlens');
  program
    .description('Track, compare and validate ML training runs. The store is .runlens/ in your workspace.')
    .version(VERSION)
    .option(
      '--store <dir>',
      'the store folder itself, e.g. path/to/.runlens (default: $RUNLENS_STORE, else the nearest .runlens at or above the working directory)',
    )
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();

  const openStore = (create = false): Store => {
    const { dir, source } = resolveStoreDir({
      explicit: program.opts().store as string | undefined,
      cwd: process.cwd(),
    });
    if (source === 'default' && !create) {
      throw new RunlensError(
        `no Runlens store (.runlens) in ${process.cwd()} or above`,
        'start a tracked run with `runlens run -- python train.py`, or pass --store',
        'notFound',
      );
    }
    return Store.open(dir, { create });
  };

  const ctx: CliContext = { io, setExit, openStore };
  for (const register of registers) register(program, ctx);
  addPrettyOption(program);
  return program;
}

/** Run the CLI; resolves to the exit code (0 ok, 1 failure, 2 usage error, else the program's). */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let code = 0;
  const program = buildProgram(await commandsFor(argv), io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      )
        return 0;
      return 2;
    }
    if (e instanceof RunlensError) {
      io.err(`runlens: error: ${termSafe(e.message)}`);
      if (e.hint) io.err(`  fix: ${termSafe(e.hint)}`);
      return e.kind === 'usage' ? 2 : 1;
    }
    io.err(`runlens: error: ${termSafe(errorMessage(e))}`);
    return 1;
  }
}
