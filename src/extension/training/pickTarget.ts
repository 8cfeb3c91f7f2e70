import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import { RESOURCE_KEYS_HELP, formatResources, parseResources } from '../../core/slurm/resourceLine';
import { Slurm } from '../../core/slurm/slurm';
import type { JobResources } from '../../core/store/types';
import { targetChoices, targetKey } from './launchChoices';

/** Where a launch goes: here, or Slurm with the resources the user confirmed. */
export type PickedTarget =
  { kind: 'local'; key: string } | { kind: 'slurm'; key: string; resources: JobResources; slurm: Slurm };

/**
 * Asks where a run goes when Slurm is reachable (`sbatch` and `sinfo` on PATH): this machine or a
 * partition, then the job's resources as one editable line. Without Slurm: this machine, nothing asked.
 * Undefined when the user cancels either question.
 */
export async function pickRunTarget(options: {
  title: string;
  placeHolder: string;
  /** The target to offer first (a targetKey). */
  first: string | undefined;
  resourcesTitle: string;
  /** The resources the input starts from; the picked partition replaces theirs. */
  startResources: () => JobResources;
}): Promise<PickedTarget | undefined> {
  const slurm = new Slurm();
  if (!slurm.available()) return { kind: 'local', key: 'local' };
  const partitions = await slurm.partitions().catch((e: unknown) => ({ error: errorMessage(e) }));
  const pick = await vscode.window.showQuickPick(targetChoices(partitions, options.first), {
    title: options.title,
    placeHolder: options.placeHolder,
  });
  if (!pick) return undefined;
  const key = targetKey(pick.target);
  if (pick.target.kind === 'local') return { kind: 'local', key };
  const start: JobResources = { ...options.startResources() };
  if (pick.target.partition) start.partition = pick.target.partition;
  else delete start.partition;
  const line = await vscode.window.showInputBox({
    title: options.resourcesTitle,
    prompt: RESOURCE_KEYS_HELP,
    value: formatResources(start),
    ignoreFocusOut: true,
    validateInput: (text) => {
      try {
        parseResources(text);
        return undefined;
      } catch (e) {
        return errorMessage(e);
      }
    },
  });
  if (line === undefined) return undefined;
  return { kind: 'slurm', key, resources: parseResources(line), slurm };
}
