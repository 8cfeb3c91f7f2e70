import { Command, CommanderError } from 'commander';
import { RunlensError, errorMessage } from '../core/errors';
import { registerEvalCommands } from './commands/eval';
import { registerGateCommand } from './commands/gate';
import { registerDriftCommand } from './commands/drift';
import { registerSchemaCommands } from './commands/schema';
import { registerImportCommands } from './commands/import';
import { registerServeCommands } from './commands/serve';
import { registerStoreCommands } from './commands/store';
import { registerPipelineCommands, registerWatchCommand } from './commands/pipeline';
import { registerCiCommands } from './commands/ci';
import { registerSyncCommands } from './commands/sync';
import { registerReproduceCommand } from './commands/reproduce';
import { registerDiffCommand } from './commands/diff';
import { registerSlurmCommands } from './commands/slurm';
import { resolveStoreDir } from '../core/store/resolve';
import { Store } from '../core/store/store';
import { runlensVersion } from '../core/version';
import { termSafe } from '../core/format';
import type { CliContext, Io } from './context';
import { addPrettyOption } from './options';
import { registerRunCommand } from './commands/run';
import { registerRunsCommands } from './commands/runs';
import { registerModelCommands } from './commands/model';
import { registerBaselineCommands } from './commands/baseline';
import { registerLensCommand } from './commands/lens';

export const VERSION = runlensVersion();

const defaultIo: Io = {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  stream: async (chunks) => {
    for (const c of chunks) await new Promise((done) => process.stdout.write(c, done));
  },
};

export function buildProgram(
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
  registerRunCommand(program, ctx);
  registerRunsCommands(program, ctx);
  registerSlurmCommands(program, ctx);

  registerModelCommands(program, ctx);
  registerBaselineCommands(program, ctx);
  registerLensCommand(program, ctx);
  registerImportCommands(program, ctx);
  registerServeCommands(program, ctx);
  registerPipelineCommands(program, ctx);
  registerCiCommands(program, ctx);
  registerWatchCommand(program, ctx);
  registerEvalCommands(program, ctx);
  registerGateCommand(program, ctx);
  registerDriftCommand(program, ctx);
  registerSchemaCommands(program, ctx);
  registerSyncCommands(program, ctx);
  registerStoreCommands(program, ctx);
  registerReproduceCommand(program, ctx);
  registerDiffCommand(program, ctx);
  addPrettyOption(program);
  return program;
}

/** Run the CLI; resolves to the exit code (0 ok, 1 failure, 2 usage error, else the program's). */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
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
