import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import { RESOURCE_KEYS_HELP, formatResources, parseResources } from '../../core/slurm/resourceLine';
import { Slurm } from '../../core/slurm/slurm';
import type { JobResources } from '../../core/store/types';
import { targetChoices, targetKey } from './launchChoices';
import type { TargetChoice } from './launchChoices';
import type { Partition } from '../../core/slurm/slurm';

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
  const pick = await pickWhileLoading(
    options,
    slurm.partitions().catch((e: unknown) => ({ error: errorMessage(e) })),
  );
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

/**
 * The pick opens at once, busy, with this machine and the Slurm entry of the last choice while
 * `sinfo` answers (it can take seconds, or time out when the cluster is down); the partitions
 * replace the list when they come. Enter on this machine does not wait for them.
 */
function pickWhileLoading(
  options: { title: string; placeHolder: string; first: string | undefined },
  partitions: Promise<readonly Partition[] | { error: string }>,
): Promise<TargetChoice | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<TargetChoice>();
    qp.title = options.title;
    qp.placeholder = options.placeHolder;
    qp.busy = true;
    qp.items = targetChoices({ error: 'looking them up…' }, options.first);
    let done = false;
    const finish = (choice: TargetChoice | undefined) => {
      if (done) return;
      done = true;
      resolve(choice);
      qp.dispose();
    };
    const initial = targetKey(qp.items[0].target);
    void partitions.then((p) => {
      if (done) return;
      const active = qp.activeItems[0] ? targetKey(qp.activeItems[0].target) : initial;
      qp.items = targetChoices(p, options.first);
      // Where the user moved to stays active; untouched, the new list's first (the last choice) is.
      const keep = active !== initial && qp.items.find((c) => targetKey(c.target) === active);
      if (keep) qp.activeItems = [keep];
      qp.busy = false;
    });
    qp.onDidAccept(() => finish(qp.selectedItems[0] ?? qp.activeItems[0]));
    qp.onDidHide(() => finish(undefined));
    qp.show();
  });
}
