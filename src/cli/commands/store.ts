import type { CliContext } from '../context';
import type { Command } from 'commander';
import * as path from 'node:path';
import {
  collectGarbage,
  getArtifact,
  listArtifacts,
  listExperiments,
  removeExperiment,
  renameExperiment,
  restoreExperiment,
} from '../../core/store/experiments';
import { formatTime, table, toJson } from '../../core/format';

/** `runlens experiments ...`, `runlens artifacts ...` and `runlens gc`. */
export function registerStoreCommands(program: Command, { io, openStore }: CliContext): void {
  const experiments = program
    .command('experiments')
    .description('list, rename, remove and restore experiments');
  experiments
    .command('ls')
    .description('experiments, most recent first')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean; pretty?: boolean }) => {
      const rows = listExperiments(openStore());
      if (opts.json) return io.out(toJson(opts, rows));
      io.out(
        rows.length
          ? table(
              ['EXPERIMENT', 'RUNS', 'RUNNING', 'LAST RUN'],
              rows.map((r) => [r.name, String(r.runs), String(r.running), formatTime(r.lastStart)]),
            )
          : '(no experiments yet)',
      );
    });
  experiments
    .command('rename')
    .description('rename an experiment (every run of it)')
    .argument('<name>', 'current name')
    .argument('<new-name>', 'new name')
    .action(async (name: string, to: string) => {
      const n = await renameExperiment(openStore(), name, to);
      io.out(`renamed "${name}" to "${to}" (${n} runs)`);
    });
  experiments
    .command('rm')
    .description("move an experiment's runs to the trash (`experiments restore` brings them back)")
    .argument('<name>', 'experiment name')
    .action((name: string) => {
      const ids = removeExperiment(openStore(), name);
      io.out(`removed "${name}" (${ids.length} runs; restore with: runlens experiments restore ${name})`);
    });
  experiments
    .command('restore')
    .description('bring back a removed experiment')
    .argument('<name>', 'experiment name')
    .action(async (name: string) => {
      const ids = await restoreExperiment(openStore(), name);
      io.out(`restored "${name}" (${ids.length} runs)`);
    });

  const artifacts = program.command('artifacts').description("list and copy out a run's artifacts");
  artifacts
    .command('ls')
    .description("the files of a run's artifacts/ (or of one folder of it)")
    .argument('<run>', 'run id, unique id prefix/suffix, or name')
    .argument('[path]', 'a folder or file inside artifacts/')
    .option('--json', 'print JSON')
    .action((ref: string, sub: string | undefined, opts: { json?: boolean; pretty?: boolean }) => {
      const files = listArtifacts(openStore(), ref, sub);
      if (opts.json) return io.out(toJson(opts, files));
      io.out(
        files.length
          ? table(
              ['PATH', 'BYTES'],
              files.map((f) => [f.path, String(f.bytes)]),
            )
          : '(no artifacts)',
      );
    });
  artifacts
    .command('get')
    .description('copy an artifact (file or folder) out of a run')
    .argument('<run>', 'run id, unique id prefix/suffix, or name')
    .argument('<path>', 'a file or folder inside artifacts/')
    .option('-o, --out <dest>', 'where to copy it (default: its name in the working directory)')
    .action((ref: string, sub: string, opts: { out?: string }) => {
      const dest = path.resolve(opts.out ?? path.basename(sub));
      io.out(`copied ${sub} to ${getArtifact(openStore(), ref, sub, dest)}`);
    });

  program
    .command('gc')
    .description('delete removed runs and experiments for good (empty the trash)')
    .option('-n, --dry-run', 'only list what would be deleted')
    .action((opts: { dryRun?: boolean }) => {
      const items = collectGarbage(openStore(), opts.dryRun === true);
      const bytes = items.reduce((s, i) => s + i.bytes, 0);
      for (const i of items) io.out(`${opts.dryRun ? 'would delete' : 'deleted'} ${i.id} (${i.bytes} bytes)`);
      io.out(
        items.length
          ? `${opts.dryRun ? 'would free' : 'freed'} ${bytes} bytes in ${items.length} runs`
          : '(the trash is empty)',
      );
    });
}
