import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { computeDrift } from '../../core/drift/compute';
import type { DriftResult } from '../../core/drift/compute';
import { errorMessage } from '../../core/errors';
import { assertNever } from '../../protocol/common';
import type { KnownTypes } from '../../protocol/common';
import type {
  DriftFromWebview,
  DriftRendered,
  DriftSource,
  DriftToWebview,
  DriftViewState,
} from '../../protocol/drift';
import { HostedPanel, PanelSlot, saveWithDialog } from './webviewHost';

export const DRIFT_VIEW_TYPE = 'runlens.drift';

const KNOWN: KnownTypes<DriftFromWebview> = {
  ready: true,
  selectColumn: true,
  saveReport: true,
  refresh: true,
  rendered: true,
};

function relative(file: string): string {
  return vscode.workspace.asRelativePath(file, false);
}

/** The drift report panel: summary, columns by severity, histograms, timeline, online accuracy. */
export class DriftPanel extends HostedPanel<DriftToWebview, DriftFromWebview, DriftRendered> {
  private result: DriftResult | undefined;
  private computing: Promise<void> | undefined;
  /** The column the user last chose in the webview. */
  selected: string | undefined;

  constructor(
    panel: vscode.WebviewPanel,
    private source: DriftSource | undefined,
    extensionUri: vscode.Uri,
    private readonly log: (line: string) => void,
  ) {
    super(panel, { extensionUri, bundle: 'drift', title: 'Runlens Drift', known: KNOWN, log });
  }

  /** Show a computed result. */
  show(result: DriftResult): void {
    this.result = result;
    this.source = result.snapshot.source;
    this.send();
  }

  private send(): void {
    if (!this.result) return;
    this.panel.title = this.result.snapshot.title;
    this.host.post({ type: 'snapshot', snapshot: this.result.snapshot });
  }

  /** Compute again from the source (after a reload, or on Refresh). */
  private recompute(): Promise<void> {
    const source = this.source;
    if (!source) return Promise.resolve();
    this.computing ??= (async () => {
      const what = source.kind === 'files' ? path.basename(source.current) : path.basename(source.dir);
      this.host.post({ type: 'progress', text: `Computing the drift of ${what}…` });
      try {
        this.show(await computeDrift(source, relative));
      } catch (e) {
        this.log(`drift: ${errorMessage(e)}`);
        this.host.post({ type: 'error', text: errorMessage(e) });
      } finally {
        this.computing = undefined;
      }
    })();
    return this.computing;
  }

  protected async handle(m: DriftFromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        if (this.result) this.send();
        else if (this.source) await this.recompute();
        else
          this.host.post({
            type: 'error',
            text: 'The files of this report are gone: run "Check Data Drift..." or "Check Serving Drift" again.',
          });
        return;
      case 'refresh':
        await this.recompute();
        return;
      case 'selectColumn':
        this.selected = m.column;
        return;
      case 'saveReport': {
        if (!this.result) return;
        const s = this.result.snapshot.source;
        const base = s.kind === 'files' ? path.parse(s.current).name : path.basename(s.dir);
        const saved = await saveWithDialog(
          `drift-${base}.json`,
          { JSON: ['json'] },
          Buffer.from(JSON.stringify(this.result.report, null, 2) + '\n', 'utf8'),
        );
        if (saved) this.host.post({ type: 'notice', text: `Saved ${saved}` });
        return;
      }
      case 'rendered':
        this.rendered(m.rendered);
        return;
      default:
        assertNever(m, 'drift webview message');
    }
  }
}

function validSource(s: unknown): DriftSource | undefined {
  if (typeof s !== 'object' || s === null) return undefined;
  const o = s as Record<string, unknown>;
  if (o.kind === 'files' && typeof o.reference === 'string' && typeof o.current === 'string') {
    if (!fs.existsSync(o.reference) || !fs.existsSync(o.current)) return undefined;
    return {
      kind: 'files',
      reference: o.reference,
      current: o.current,
      ...(typeof o.by === 'string' ? { by: o.by } : {}),
    };
  }
  if (o.kind === 'serving' && typeof o.dir === 'string' && fs.existsSync(o.dir)) {
    return {
      kind: 'serving',
      dir: o.dir,
      window: o.window === 'day' ? 'day' : 'hour',
      ...(typeof o.feedback === 'string' ? { feedback: o.feedback } : {}),
    };
  }
  return undefined;
}

/** Opens, reuses and restores the drift panel; after a reload it recomputes from the saved source. */
export class DriftPanels extends PanelSlot<DriftPanel, Partial<DriftViewState>> {
  constructor(extensionUri: vscode.Uri, log: (line: string) => void) {
    super(DRIFT_VIEW_TYPE, 'Runlens Drift', extensionUri, (panel, state) => {
      const source = validSource(state?.source);
      if (state?.source && !source) log('drift: the restored report’s files are gone; nothing to recompute');
      return new DriftPanel(panel, source, extensionUri, log);
    });
  }

  show(result: DriftResult): DriftPanel {
    const panel = this.open(() => undefined, { source: result.snapshot.source });
    panel.show(result);
    return panel;
  }
}
