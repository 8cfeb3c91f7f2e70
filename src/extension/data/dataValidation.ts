import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import type { Anomaly, ValidationReport } from '../../core/data/schema';
import { inferSchema, readSchema, validateFile, writeSchema } from '../../core/data/schema';

const DATA_FILE = /\.(csv|jsonl)$/i;
const SCHEMA_SUFFIX = '.schema.json';

/**
 * The schema a data file is checked against: `<name>.schema.json` next to it, else the one
 * `*.schema.json` of its folder (the schema of the training data, kept beside the data it guards).
 */
export function schemaFor(dataFile: string): string | undefined {
  const dir = path.dirname(dataFile);
  const own = path.join(dir, path.basename(dataFile).replace(DATA_FILE, '') + SCHEMA_SUFFIX);
  if (fs.existsSync(own)) return own;
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith(SCHEMA_SUFFIX));
  } catch {
    return undefined;
  }
  return names.length === 1 ? path.join(dir, names[0]) : undefined;
}

/**
 * Anomalies of data files as diagnostics in the Problems panel: checked when a CSV or JSONL file
 * that has a schema is opened or saved. "Infer Data Schema" writes the schema of the active file.
 */
export class DataValidation implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('runlens-data');
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor() {
    this.subscriptions.push(
      this.diagnostics,
      vscode.workspace.onDidOpenTextDocument((d) => void this.check(d.uri)),
      vscode.workspace.onDidSaveTextDocument((d) => void this.check(d.uri)),
      vscode.workspace.onDidCloseTextDocument((d) => this.diagnostics.delete(d.uri)),
    );
    for (const d of vscode.workspace.textDocuments) void this.check(d.uri);
  }

  /** Validates a file (default: the active editor's) and says the result; anomalies go to Problems. */
  async validate(uri?: vscode.Uri): Promise<void> {
    const target = uri ?? vscode.window.activeTextEditor?.document.uri;
    if (!target) throw new Error('open a CSV or JSONL data file first');
    const report = await this.check(target, true);
    if (report) {
      void vscode.window.showInformationMessage(
        report.valid
          ? `Runlens: ${path.basename(target.fsPath)} is valid against ${path.basename(report.schema)} (${report.rows} rows).`
          : `Runlens: ${report.anomalies.length} anomalies in ${path.basename(target.fsPath)}: see the Problems panel.`,
      );
    }
  }

  /** Validates one file; `explicit`: asked for by a command, so a missing schema is an error shown. */
  async check(uri: vscode.Uri, explicit = false): Promise<ValidationReport | undefined> {
    if (uri.scheme !== 'file' || !DATA_FILE.test(uri.fsPath)) {
      if (explicit) void vscode.window.showWarningMessage('Runlens: validation reads CSV and JSONL files.');
      return undefined;
    }
    const schemaFile = schemaFor(uri.fsPath);
    if (!schemaFile) {
      this.diagnostics.delete(uri);
      if (explicit)
        void vscode.window.showWarningMessage(
          `Runlens: no schema for ${path.basename(uri.fsPath)}: run "Infer Data Schema" on the training data (it writes <name>${SCHEMA_SUFFIX} beside it).`,
        );
      return undefined;
    }
    try {
      const report = await validateFile(uri.fsPath, readSchema(schemaFile), schemaFile);
      this.diagnostics.set(
        uri,
        report.anomalies.map((a) => toDiagnostic(a, uri, schemaFile)),
      );
      return report;
    } catch (e) {
      this.diagnostics.set(uri, [
        new vscode.Diagnostic(
          new vscode.Range(0, 0, 0, 0),
          `Runlens could not validate this file against ${path.basename(schemaFile)}: ${errorMessage(e)}`,
          vscode.DiagnosticSeverity.Error,
        ),
      ]);
      return undefined;
    }
  }

  async infer(uri?: vscode.Uri): Promise<void> {
    const target = uri ?? vscode.window.activeTextEditor?.document.uri;
    if (!target || !DATA_FILE.test(target.fsPath)) {
      void vscode.window.showWarningMessage('Runlens: open a CSV or JSONL data file to infer its schema.');
      return;
    }
    const out = target.fsPath.replace(DATA_FILE, '') + SCHEMA_SUFFIX;
    const schema = await inferSchema(target.fsPath);
    writeSchema(out, schema);
    const open = 'Open Schema';
    // Not awaited: the command is done when the schema is written, not when the message is closed.
    void vscode.window
      .showInformationMessage(
        `Runlens: wrote the schema of ${schema.columns.length} columns (${schema.rows} rows) to ${path.basename(out)}.`,
        open,
      )
      .then((choice) => (choice === open ? vscode.window.showTextDocument(vscode.Uri.file(out)) : undefined));
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}

function toDiagnostic(a: Anomaly, uri: vscode.Uri, schemaFile: string): vscode.Diagnostic {
  // Lines in the report are 1-based file lines; column-level anomalies point at the header.
  const line = Math.max(0, (a.examples[0]?.line ?? 1) - 1);
  const severity =
    a.kind === 'missing_column' || a.kind === 'wrong_type'
      ? vscode.DiagnosticSeverity.Error
      : vscode.DiagnosticSeverity.Warning;
  const d = new vscode.Diagnostic(
    new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER),
    `${a.message}${a.count > 1 ? ` (${a.count} rows)` : ''}`,
    severity,
  );
  d.source = `runlens (${path.basename(schemaFile)})`;
  d.code = a.kind;
  d.relatedInformation = a.examples
    .slice(1)
    .map(
      (e) =>
        new vscode.DiagnosticRelatedInformation(
          new vscode.Location(uri, new vscode.Position(Math.max(0, e.line - 1), 0)),
          `also here: ${JSON.stringify(e.value)}`,
        ),
    );
  return d;
}
