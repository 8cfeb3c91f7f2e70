/** `runlens run`: a training command as a tracked run. */
import type { Command } from 'commander';
import { addLaunchOptions, resourcesOf, runOnSlurm } from './slurm';
import { parseParam, parseTag } from '../../core/tracking/params';
import { launchRun } from '../../core/tracking/launcher';
import { isNotebook } from '../../core/lens/notebook';
import { findNotebookTools, launchNotebook } from '../../core/tracking/notebook';
import { RunlensError } from '../../core/errors';
import { formatNumber } from '../../core/format';
import type { CliContext } from '../context';
import { collect, forwardSignals } from '../options';

export function registerRunCommand(program: Command, { io, setExit, openStore }: CliContext): void {
  addLaunchOptions(
    program.command('run').description('run a training command as a tracked run (put the command after --)'),
  )
    .option('-e, --experiment <name>', 'experiment name', process.env.RUNLENS_EXPERIMENT)
    .option('-n, --name <name>', 'run name')
    .option(
      '-p, --param <key=value>',
      'a parameter, repeatable; the script reads them with runlens.init()',
      collect,
      [],
    )
    .option('-t, --tag <key=value>', 'a tag, repeatable', collect, [])
    .option(
      '-i, --input <path>',
      'a data file the run reads (its size and sha256 are recorded), repeatable',
      collect,
      [],
    )
    .option(
      '--metric-pattern <regex>',
      'regular expression with (?<key>) and (?<value>) groups for metrics printed by the program',
    )
    .option('--no-capture', 'do not read metrics from the program output')
    .option(
      '--no-system-metrics',
      'do not sample CPU, memory and GPUs as system/... metrics (also RUNLENS_SYSTEM_METRICS=0)',
    )
    .option(
      '--python <path>',
      'the Python whose papermill or nbconvert (nbclient) runs a notebook (default: python3)',
      process.env.RUNLENS_PYTHON,
    )
    .argument('<command...>', 'the program and its arguments, or one .ipynb notebook to run headless')
    .passThroughOptions()
    .addHelpText(
      'after',
      '\nExamples:\n  runlens run -e mnist -p lr=0.01 --input data/train.csv -- python train.py --epochs 5\n' +
        '  runlens run -p lr=0.01 -- notebooks/train.ipynb   (headless: papermill, else nbconvert)\n' +
        '  runlens run --on slurm --partition gpu --gpus 1 --time 2:00:00 -- python train.py',
    )
    .action(async (command: string[], opts) => {
      const params = Object.fromEntries((opts.param as string[]).map(parseParam));
      const tags = Object.fromEntries((opts.tag as string[]).map(parseTag));
      const onCluster = resourcesOf(opts) !== undefined;
      const store = openStore(true);
      const options = {
        command: command[0],
        args: command.slice(1),
        experiment: opts.experiment,
        name: opts.name,
        params,
        tags,
        inputs: opts.input,
        stdoutPattern: opts.capture === false ? (false as const) : opts.metricPattern,
        systemMetrics: opts.systemMetrics === false ? (false as const) : undefined,
      };
      // One .ipynb and nothing else: the notebook runs headless, as Run with Runlens runs it.
      const notebook = command.length === 1 && isNotebook(command[0]) ? command[0] : undefined;
      if (notebook && onCluster)
        throw new RunlensError(
          `${notebook} is a notebook: notebooks run on this machine, not on Slurm`,
          'run it without --on slurm, or export its code (jupyter nbconvert --to script) and run that',
          'usage',
        );
      if (onCluster) return runOnSlurm(store, options, opts, io, setExit);
      const launched = notebook
        ? await launchNotebook(store, {
            ...notebookOptions(options),
            notebook,
            tools: await findNotebookTools((opts.python as string | undefined) ?? 'python3'),
          })
        : await launchRun(store, options);
      io.err(
        `runlens: run ${launched.run.id} (${launched.run.name}) in experiment "${launched.run.experiment}"`,
      );
      const stopForwarding = forwardSignals(launched);
      const result = await launched.done.finally(stopForwarding);
      const metrics = Object.entries(result.run.summary ?? {})
        .map(([k, s]) => `${k}=${formatNumber(s.last)}`)
        .join(' ');
      io.err(
        `runlens: run ${result.run.id} ${result.status} (exit code ${result.exitCode})${metrics ? ': ' + metrics : ''}`,
      );
      setExit(result.exitCode);
    });
}

/** The launch options of a notebook run: its command is the notebook tool's, made by launchNotebook. */
function notebookOptions<T extends { command: string; args: string[] }>(
  options: T,
): Omit<T, 'command' | 'args'> {
  const { command: _command, args: _args, ...rest } = options;
  return rest;
}
