/** `runlens ci init`: a CI workflow and script that run the pipeline, pinned to this Runlens version. */
import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError } from '../../core/errors';
import { initCi, SCRIPT_FILE, vendoredTarball } from '../../core/pipeline/ci';
import { runlensVersion } from '../../core/version';
import type { CliContext } from '../context';

export function registerCiCommands(program: Command, ctx: CliContext): void {
  program
    .command('ci')
    .description('continuous integration')
    .command('init')
    .description(
      'write a CI workflow (GitHub Actions, or GitLab CI) and ci/runlens-pipeline.sh, pinned to this Runlens version',
    )
    .option('--provider <name>', 'github or gitlab', 'github')
    .option('--vendor', 'also write ci/runlens-<version>.tgz, the package the script installs (needs npm)')
    .option('--force', 'replace files that were edited since runlens ci init wrote them')
    .addHelpText(
      'after',
      '\nFiles written before are replaced while unedited (a hash in their header line); edited ones only with --force.',
    )
    .action((opts: CiInitOptions) => initCiFiles(opts, ctx));
}

export interface CiInitOptions {
  provider: string;
  force?: boolean;
  vendor?: boolean;
}

export function initCiFiles(opts: CiInitOptions, { io }: CliContext): void {
  if (opts.provider !== 'github' && opts.provider !== 'gitlab')
    throw new RunlensError(`unknown --provider "${opts.provider}"`, 'use github or gitlab', 'usage');
  const root = process.cwd();
  for (const f of initCi(root, { provider: opts.provider, force: opts.force, vendor: opts.vendor }))
    io.out(`${f.action.padEnd(9)} ${f.path}`);
  if (!fs.existsSync(path.join(root, vendoredTarball())))
    io.err(
      `note: ${SCRIPT_FILE} installs runlens@${runlensVersion()} from the npm registry; to pin this exact build ` +
        `without the registry, run \`runlens ci init --vendor\` and commit ${vendoredTarball()}`,
    );
}
