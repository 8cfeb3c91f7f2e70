import * as path from 'node:path';
import * as vscode from 'vscode';
import { parsePipeline } from '../../core/pipeline/parse';

const PIPELINE_FILE = 'runlens.yaml';
const DEBOUNCE_MS = 300;

/** Problems in runlens.yaml (syntax, unknown stages or inputs, cycles...) as diagnostics, while typing. */
export class PipelineDiagnostics implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('runlens-pipeline');
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor() {
    this.subscriptions.push(
      this.diagnostics,
      vscode.workspace.onDidOpenTextDocument((d) => this.check(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => this.diagnostics.delete(d.uri)),
    );
    for (const d of vscode.workspace.textDocuments) this.check(d);
  }

  private schedule(doc: vscode.TextDocument): void {
    if (!isPipeline(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.check(doc);
      }, DEBOUNCE_MS),
    );
  }

  check(doc: vscode.TextDocument): void {
    if (!isPipeline(doc)) return;
    const { issues } = parsePipeline(doc.getText(), doc.uri.fsPath);
    this.diagnostics.set(
      doc.uri,
      issues.map((i) => {
        // positions from the parser are 1-based
        const pos = new vscode.Position(Math.max(0, i.line - 1), Math.max(0, i.column - 1));
        const range = doc.getWordRangeAtPosition(pos, /[^\s:]+/) ?? new vscode.Range(pos, pos);
        const d = new vscode.Diagnostic(
          range,
          i.message,
          i.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
        );
        d.source = 'runlens';
        return d;
      }),
    );
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const s of this.subscriptions) s.dispose();
  }
}

function isPipeline(doc: vscode.TextDocument): boolean {
  return doc.uri.scheme === 'file' && path.basename(doc.uri.fsPath) === PIPELINE_FILE;
}
