/** `runlens model`: the model registry (register, promote, list). */
import type { Command } from 'commander';
import type { Stage } from '../../core/store/registry';
import { Registry, STAGES } from '../../core/store/registry';
import { formatNumber, formatTime, table, toJson } from '../../core/format';
import type { CliContext } from '../context';
import { collect, parsePositiveInt } from '../options';

export function registerModelCommands(program: Command, { io, openStore }: CliContext): void {
  const model = program.command('model').description('the model registry: register, promote, list');
  model
    .command('register')
    .description("register a run's model files as a new version")
    .argument('<name>', 'model name')
    .requiredOption('-r, --run <run>', 'the run that produced the model')
    .option(
      '-f, --file <path>',
      'file or folder to register (default: artifacts/model, else all artifacts), repeatable',
      collect,
      [],
    )
    .option('-d, --description <text>', 'description')
    .action(async (name: string, opts) => {
      const registry = new Registry(openStore());
      const mv = await registry.register(name, opts.run, { files: opts.file, description: opts.description });
      io.out(`registered ${name} version ${mv.version} from run ${mv.sourceRun} (${mv.files.length} files)`);
    });
  model
    .command('promote')
    .description('move a version to a stage; promoting to production archives the previous one')
    .argument('<name>', 'model name')
    .argument('<version>', 'version number', parsePositiveInt)
    .argument('<stage>', `one of ${STAGES.join(', ')}`)
    .option('--keep-existing', 'do not archive the current production version')
    .action(async (name: string, version: number, stage: string, opts) => {
      const registry = new Registry(openStore());
      const mv = await registry.promote(name, version, stage as Stage, { keepExisting: opts.keepExisting });
      io.out(`${name} version ${mv.version} is now in ${mv.stage}`);
    });
  model
    .command('ls')
    .description('list registered models and their versions')
    .argument('[name]', 'only this model')
    .option('--json', 'print JSON')
    .action((name: string | undefined, opts) => {
      const registry = new Registry(openStore());
      const skipped: string[] = [];
      const models = name ? [registry.getModel(name)] : registry.listModels(skipped);
      for (const w of skipped) io.err(`warning: ${w}`);
      if (opts.json) {
        io.out(toJson(opts, models));
        return;
      }
      if (models.length === 0) {
        io.out('(no registered models: register one with `runlens model register NAME --run RUN`)');
        return;
      }
      const rows = models.flatMap((m) =>
        m.versions.map((v) => [
          m.name,
          String(v.version),
          v.stage,
          v.sourceRun,
          formatTime(v.createdAt),
          Object.entries(v.metrics)
            .slice(0, 4)
            .map(([k, x]) => `${k}=${formatNumber(x)}`)
            .join(' '),
        ]),
      );
      io.out(table(['MODEL', 'VERSION', 'STAGE', 'RUN', 'REGISTERED', 'METRICS'], rows));
    });
}
