import type { PanelRun } from '../../core/charts/panelData';
import type { RunRecord } from '../../core/store/types';
import type { WorkspaceModel } from '../workspace/workspaceModel';

/** A run as the webviews name it: its id and its workspace folder (ids are unique per store). */
export function runRef(folderKey: string, id: string): string {
  return `${id}@${folderKey}`;
}

export function parseRef(ref: string): { id: string; folder: string } {
  const at = ref.indexOf('@');
  return at < 0 ? { id: ref, folder: '' } : { id: ref.slice(0, at), folder: ref.slice(at + 1) };
}

export interface ResolvedRun extends PanelRun {
  record(): RunRecord | undefined;
}

/** The shown runs that still exist, and a notice for each that does not (deleted, store gone). */
export function resolveRuns(
  model: WorkspaceModel,
  refs: string[],
): { runs: ResolvedRun[]; notices: string[] } {
  const runs: ResolvedRun[] = [];
  const notices: string[] = [];
  for (const ref of refs) {
    const { id, folder } = parseRef(ref);
    const f = model.byKey(folder);
    const entry = f?.entries.get(id);
    const store = f?.store;
    if (!entry || !store) {
      notices.push(`Run ${id} is no longer in the store (deleted or moved); it is left out.`);
      continue;
    }
    runs.push({
      ref,
      entry,
      metricsFile: store.metricsFile(id),
      record: () => {
        try {
          return store.getRun(id);
        } catch {
          return undefined;
        }
      },
    });
  }
  return { runs, notices };
}

/** Every run of the workspace, for the pickers inside the panels (newest first). */
export function allRuns(model: WorkspaceModel): PanelRun[] {
  return model
    .allRuns()
    .filter(({ folder }) => folder.store)
    .sort((a, b) => b.entry.startTime - a.entry.startTime)
    .map(({ folder, entry }) => ({
      ref: runRef(folder.folder.uri.toString(), entry.id),
      entry,
      metricsFile: folder.store!.metricsFile(entry.id),
    }));
}

/** What changes when a shown run gets new points or a new status: compared to skip idle updates. */
export function runsSignature(runs: PanelRun[]): string {
  return runs
    .map((r) => `${r.ref}:${r.entry.metricsBytes}:${r.entry.updatedAt}:${r.entry.status}:${r.entry.name}`)
    .join('|');
}
