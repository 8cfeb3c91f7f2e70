import * as vscode from 'vscode';
import { stageRunsOf } from '../../core/pipeline/stageRuns';
import type { ExplorerNode } from '../runs/experimentsTree';
import { Commands } from '../ids';
import type { ExtensionSettings } from '../settings';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import { ComparePanels } from './comparePanel';
import { MetricsPanels } from './metricsPanel';
import { runRef } from './runRefs';
import { registerCommand } from '../shared/registerCommand';

export interface Panels {
  metrics: MetricsPanels;
  compare: ComparePanels;
}

/**
 * The chart panels, their serializers, and the commands that open them from the explorer
 * selection (runs, or every run of an experiment) or, without one, from a multi-select picker.
 */
export function registerPanels(deps: {
  model: WorkspaceModel;
  settings: ExtensionSettings;
  treeView: vscode.TreeView<ExplorerNode>;
  extensionUri: vscode.Uri;
  output: vscode.OutputChannel;
}): { panels: Panels; disposables: vscode.Disposable[] } {
  const { model, settings, treeView, extensionUri, output } = deps;
  const log = (line: string) => output.appendLine(line);
  const metrics = new MetricsPanels(model, settings, extensionUri, log);
  const compare = new ComparePanels(model, settings, extensionUri, log);

  const refsOf = (node?: ExplorerNode, nodes?: ExplorerNode[]): string[] => {
    const picked = nodes?.length ? nodes : node ? [node] : [...treeView.selection];
    const refs: string[] = [];
    for (const n of picked) {
      // VS Code hands `undefined` for a selected row whose tree was re-rendered under the click
      if (!n) continue;
      if (n.kind === 'run') refs.push(runRef(n.folder, n.id));
      else if (n.kind === 'experiment') {
        for (const e of model.byKey(n.folder)?.entries.values() ?? [])
          if (e.experiment === n.name) refs.push(runRef(n.folder, e.id));
      } else if (n.kind === 'pipelineRun') {
        // A pipeline run stands for its stage runs.
        const f = model.byKey(n.folder);
        for (const e of f ? stageRunsOf(f.entries.values(), n.experiment, n.id, f.pipelineStageRuns) : [])
          refs.push(runRef(n.folder, e.id));
      }
    }
    return [...new Set(refs)];
  };
  const pick = async (title: string, preselected: string[]): Promise<string[] | undefined> => {
    const items = model
      .allRuns()
      .sort((a, b) => b.entry.startTime - a.entry.startTime)
      .map(({ folder, entry }) => {
        const ref = runRef(folder.folder.uri.toString(), entry.id);
        return {
          label: entry.name,
          description: `${entry.experiment} · ${entry.status}`,
          detail: entry.id,
          picked: preselected.includes(ref),
          ref,
        };
      });
    if (!items.length) {
      void vscode.window.showInformationMessage('Runlens: there are no runs yet.');
      return undefined;
    }
    const chosen = await vscode.window.showQuickPick(items, {
      title,
      canPickMany: true,
      matchOnDescription: true,
    });
    return chosen?.map((c) => c.ref);
  };
  const disposables: vscode.Disposable[] = [
    metrics,
    compare,
    registerCommand(
      Commands.openMetricsChart,
      async (node?: ExplorerNode, nodes?: ExplorerNode[]) => {
        let refs = refsOf(node, nodes);
        if (!refs.length) refs = (await pick('Chart the metrics of which runs?', [])) ?? [];
        if (refs.length) metrics.show(refs);
      },
      { log },
    ),
    registerCommand(
      Commands.compareRuns,
      async (node?: ExplorerNode, nodes?: ExplorerNode[]) => {
        let refs = refsOf(node, nodes);
        if (refs.length < 2) refs = (await pick('Compare which runs? (two or more)', refs)) ?? [];
        if (refs.length) compare.show(refs);
      },
      { log },
    ),
  ];
  return { panels: { metrics, compare }, disposables };
}
