/** `runlens baseline`: the run or model stage new runs are judged against. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { RunlensError } from '../../core/errors';
import { getOwn } from '../../core/store/records';
import type { Stage } from '../../core/store/registry';
import { Registry, STAGES } from '../../core/store/registry';
import { formatTime, table, toJson } from '../../core/format';
import type { CliContext } from '../context';

export function registerBaselineCommands(program: Command, { io, openStore }: CliContext): void {
  const baseline = program
    .command('baseline')
    .description('the baseline of an experiment: a pinned run or a model stage');
  baseline
    .command('set')
    .description('set the baseline of an experiment')
    .argument('<experiment>', 'experiment name')
    .addOption(new Option('-r, --run <run>', 'pin a run').conflicts('model'))
    .addOption(new Option('-m, --model <name@stage>', 'follow a model stage, e.g. churn@production'))
    .action(async (experiment: string, opts) => {
      const registry = new Registry(openStore());
      let b;
      if (opts.run) b = await registry.setBaseline(experiment, { run: opts.run });
      else if (opts.model) {
        const [m, stage = 'production'] = String(opts.model).split('@');
        if (!STAGES.includes(stage as Stage))
          throw new RunlensError(`unknown stage "${stage}"`, `use one of ${STAGES.join(', ')}`, 'usage');
        b = await registry.setBaseline(experiment, { model: m, stage: stage as Stage });
      } else throw new RunlensError('baseline set needs --run RUN or --model NAME@STAGE', undefined, 'usage');
      io.out(`baseline of "${experiment}": ${b.kind === 'run' ? `run ${b.run}` : `${b.model}@${b.stage}`}`);
    });
  baseline
    .command('show')
    .description('show the baseline of one or all experiments')
    .argument('[experiment]', 'experiment name')
    .option('--json', 'print JSON')
    .action((experiment: string | undefined, opts) => {
      const registry = new Registry(openStore());
      const all = registry.readBaselines().experiments;
      const one = experiment === undefined ? undefined : getOwn(all, experiment);
      const chosen = experiment && one ? { [experiment]: one } : all;
      if (experiment && one === undefined) {
        throw new RunlensError(
          `experiment "${experiment}" has no baseline`,
          `set one with: runlens baseline set ${experiment} --run RUN`,
          'notFound',
        );
      }
      if (opts.json) {
        io.out(toJson(opts, chosen));
        return;
      }
      const rows = Object.entries(chosen).map(([e, b]) => [
        e,
        b.kind === 'run' ? `run ${b.run}` : `${b.model}@${b.stage}`,
        registry.baselineRun(e) ?? '',
        formatTime(b.setAt),
      ]);
      io.out(rows.length ? table(['EXPERIMENT', 'BASELINE', 'RUN', 'SET'], rows) : '(no baselines set)');
    });
}
