import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import { evaluationFile, readEvaluation } from '../../core/eval/evaluate';
import { gateSnapshot } from '../../core/eval/view';
import type { GateResult } from '../../core/gate/gate';
import { judgeCandidate, gateMarkdown, loadPolicy } from '../../core/gate/gate';
import { Registry } from '../../core/store/registry';
import type { Store } from '../../core/store/store';
import { assertNever } from '../../protocol/common';
import type { KnownTypes } from '../../protocol/common';
import type { GateFromWebview, GateToWebview, GateViewState } from '../../protocol/gate';
import { ARTIFACTS_DIR } from '../../core/store/runFile';
import { Commands } from '../ids';
import type { ExtensionSettings } from '../settings';
import type { WorkspaceModel } from '../workspace/workspaceModel';
import { baselineChoices } from './baselineChoices';
import { parseRef } from './runRefs';
import { HostedPanel, PanelSlot } from './webviewHost';

export const GATE_VIEW_TYPE = 'runlens.gate';

const KNOWN: KnownTypes<GateFromWebview> = {
  ready: true,
  copyMarkdown: true,
  pickBaseline: true,
  evaluateCandidate: true,
  rendered: true,
};

export interface GateRendered {
  verdict: 'pass' | 'fail' | 'incomplete';
  rows: number;
  charts: number;
}

function mtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Let the user choose a baseline for a candidate run: another run of the same store, or a
 * registered model's stage or version. Returns RUN or MODEL@STAGE / MODEL@vN, undefined if cancelled.
 */
export async function pickBaselineRef(
  model: WorkspaceModel,
  folderKey: string,
  candidateId: string,
): Promise<string | undefined> {
  const f = model.byKey(folderKey);
  if (!f) return undefined;
  const candidate = f.entries.get(candidateId);
  const { same, other } = baselineChoices(f.entries.values(), f.models, {
    id: candidateId,
    experiment: candidate?.experiment ?? '',
  });
  if (!same.length && !other.length) {
    void vscode.window.showInformationMessage('Runlens: there is no other run to compare with.');
    return undefined;
  }
  const separator = (label: string) => ({ label, kind: vscode.QuickPickItemKind.Separator, ref: '' });
  const items = [
    ...(same.length ? [separator(`experiment ${candidate?.experiment ?? ''}`), ...same] : []),
    ...(other.length ? [separator('other experiments'), ...other] : []),
  ];
  const chosen = await vscode.window.showQuickPick(items, {
    title: 'Compare with which baseline?',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  return chosen?.ref;
}

/** The baseline gate: a candidate run against its experiment's (or a chosen) baseline, by policy. */
export class GatePanel extends HostedPanel<GateToWebview, GateFromWebview, GateRendered> {
  private signature = '';
  lastResult: GateResult | undefined;

  constructor(
    panel: vscode.WebviewPanel,
    private candidateRef: string,
    private baselineRef: string | null,
    private readonly model: WorkspaceModel,
    private readonly settings: ExtensionSettings,
    extensionUri: vscode.Uri,
    log: (line: string) => void,
  ) {
    super(panel, { extensionUri, bundle: 'gate', title: 'Runlens Gate', known: KNOWN, log });
    this.disposables.push(
      model.onDidChange(() =>
        this.debounce(() => {
          if (this.currentSignature() !== this.signature) this.send();
        }),
      ),
    );
  }

  show(candidateRef: string, baselineRef: string | null): void {
    this.candidateRef = candidateRef;
    this.baselineRef = baselineRef;
    this.signature = '';
    this.send();
  }

  private store(): { store: Store; id: string; folder: string } | undefined {
    const { id, folder } = parseRef(this.candidateRef);
    const store = this.model.byKey(folder)?.store;
    return store ? { store, id, folder } : undefined;
  }

  /** The two runs' metrics files, evaluations, and the policy file: what the verdict depends on. */
  private currentSignature(): string {
    const s = this.store();
    if (!s) return 'gone';
    const base = this.lastResult?.baseline.run;
    const files = [s.store.metricsFile(s.id), evaluationFile(s.store, s.id)];
    if (base) files.push(s.store.metricsFile(base), evaluationFile(s.store, base));
    files.push(path.join(path.dirname(s.store.dir), 'runlens.yaml'));
    return `${this.candidateRef}|${this.baselineRef}|${files.map(mtime).join(':')}`;
  }

  private send(): void {
    if (!this.host.ready) return;
    const s = this.store();
    if (!s) {
      this.host.post({
        type: 'notice',
        text: `Run ${parseRef(this.candidateRef).id} is no longer in the store.`,
      });
      return;
    }
    try {
      const root = path.dirname(s.store.dir);
      const policy = loadPolicy(root);
      const judged = judgeCandidate(
        s.store,
        s.id,
        policy,
        this.baselineRef ?? undefined,
        this.settings.metricGoals(),
      );
      // The policy file as the workspace names it (runlens.yaml), in the panel and the copied Markdown.
      const result = judged.policy?.startsWith(root + path.sep)
        ? { ...judged, policy: judged.policy.slice(root.length + 1) }
        : judged;
      this.lastResult = result;
      this.signature = this.currentSignature();
      const read = (id: string) => {
        try {
          return readEvaluation(s.store, id);
        } catch {
          return undefined;
        }
      };
      this.panel.title = `Gate: ${result.candidate.name} ${{ pass: '✓', fail: '✗', incomplete: '…' }[result.verdict]}`;
      this.host.post({
        type: 'snapshot',
        snapshot: gateSnapshot({ candidate: this.candidateRef, baseline: this.baselineRef }, result, {
          candidate: read(result.candidate.run),
          baseline: read(result.baseline.run),
        }),
      });
    } catch (e) {
      this.signature = this.currentSignature();
      this.host.post({ type: 'notice', text: errorMessage(e) });
    }
  }

  protected async handle(m: GateFromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.send();
        return;
      case 'copyMarkdown': {
        if (!this.lastResult) return;
        await vscode.env.clipboard.writeText(gateMarkdown(this.lastResult));
        this.host.post({ type: 'notice', text: 'Copied the verdict as a Markdown table.' });
        return;
      }
      case 'pickBaseline': {
        const s = this.store();
        if (!s) return;
        const ref = await pickBaselineRef(this.model, s.folder, s.id);
        if (ref !== undefined) this.show(this.candidateRef, ref);
        return;
      }
      case 'evaluateCandidate': {
        const s = this.store();
        if (!s) return;
        // The run's own predictions when it logged them (as the pipeline's evaluate stage reads them),
        // else the command asks for a file.
        const logged = path.join(s.store.runDir(s.id), ARTIFACTS_DIR, 'predictions.csv');
        await vscode.commands.executeCommand(
          Commands.evaluateModel,
          { kind: 'run', folder: s.folder, id: s.id },
          fs.existsSync(logged) ? logged : undefined,
          { show: false },
        );
        this.send();
        return;
      }
      case 'rendered':
        this.rendered({ verdict: m.verdict, rows: m.rows, charts: m.charts });
        return;
      default:
        assertNever(m, 'gate webview message');
    }
  }
}

/** Opens, reuses and restores the gate panel; the serializer brings it back after a reload. */
export class GatePanels extends PanelSlot<GatePanel, Partial<GateViewState>> {
  constructor(
    model: WorkspaceModel,
    settings: ExtensionSettings,
    extensionUri: vscode.Uri,
    log: (line: string) => void,
  ) {
    super(GATE_VIEW_TYPE, 'Runlens Gate', extensionUri, (panel, state) => {
      const candidate = typeof state?.candidateRef === 'string' ? state.candidateRef : '';
      const baseline = typeof state?.baselineRef === 'string' ? state.baselineRef : null;
      return new GatePanel(panel, candidate, baseline, model, settings, extensionUri, log);
    });
  }

  show(candidateRef: string, baselineRef: string | null): GatePanel {
    return this.open((p) => p.show(candidateRef, baselineRef), { candidateRef, baselineRef });
  }
}

/** Whether the candidate's experiment has a baseline to default to. */
export function hasDefaultBaseline(store: Store, experiment: string): boolean {
  try {
    return new Registry(store).baselineRun(experiment) !== undefined;
  } catch {
    return false;
  }
}
