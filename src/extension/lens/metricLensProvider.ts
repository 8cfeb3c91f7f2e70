import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatAge, formatNumber } from '../../core/format';
import type { LensLanguage, LensLine } from '../../core/lens/recognize';
import { recognizeNotebookCells } from '../../core/lens/notebook';
import { languageOf, matchesKey, recognizeMetricLines } from '../../core/lens/recognize';
import { runsOfScript, scriptRows } from '../../core/lens/runs';
import { readSeries } from '../../core/store/metrics';
import { METRICS_FILE } from '../../core/store/layout';
import { readEntry } from '../../core/store/runIndex';
import { Registry } from '../../core/store/registry';
import type { RunEntry } from '../../core/store/types';
import { keyMetric, lensTitle } from '../runs/runLabels';
import { Commands } from '../ids';
import { lensHoverMarkdown } from '../shared/markdown';
import type { ExtensionSettings } from '../settings';
import type { FolderStore, WorkspaceModel } from '../workspace/workspaceModel';

interface ScriptRuns {
  folder: FolderStore;
  latest: RunEntry;
  baseline: RunEntry | undefined;
  /** The newest ten, newest first. */
  runs: RunEntry[];
}

/**
 * Lenses over training scripts: at the top, run it and the last run's status; above each line
 * that logs a metric, the metric's latest value in the latest run of this script, its best, and
 * the delta to the experiment's baseline.
 */
export class MetricLensProvider implements vscode.CodeLensProvider, vscode.HoverProvider {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.emitter.event;
  private readonly recognized = new Map<string, { version: number; lines: LensLine[] }>();
  private readonly recognizedCells = new Map<string, { version: string; cells: LensLine[][] }>();
  /** Called whenever VS Code asks for lenses (the refresh throttle waits for it). */
  onProvide: () => void = () => undefined;
  /** The experiment baselines, read once per store change instead of once per lens request. */
  private baselines = new Map<string, string | undefined>();
  /**
   * Running runs as their files were when lenses were last asked for (read from where the entry
   * had got to: only the points written since), by run id, with the metrics file's path.
   */
  private readonly live = new Map<string, { entry: RunEntry; file: string; at: number }>();

  constructor(
    private readonly model: WorkspaceModel,
    private readonly settings: ExtensionSettings,
  ) {}

  /** New metrics landed: lenses are asked again (VS Code keeps the old ones until then: no flicker). */
  refresh(): void {
    this.baselines.clear();
    this.emitter.fire();
  }

  lines(document: vscode.TextDocument): LensLine[] {
    const cell = notebookCellOf(document);
    if (cell) return this.cellLines(cell.notebook, cell.index);
    const language = languageOf(document.fileName);
    if (!language) return [];
    const key = document.uri.toString();
    const cached = this.recognized.get(key);
    if (cached?.version === document.version) return cached.lines;
    const lines = recognizeMetricLines(document.getText(), language);
    this.recognized.set(key, { version: document.version, lines });
    return lines;
  }

  /** The lens lines of a notebook's code cell `index` (counted among its code cells), from cells read together. */
  private cellLines(notebook: vscode.NotebookDocument, index: number): LensLine[] {
    return this.notebookLines(notebook)[index] ?? [];
  }

  private notebookLines(notebook: vscode.NotebookDocument): LensLine[][] {
    const key = notebook.uri.toString();
    const code = notebook.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code);
    // Editing a cell changes that cell's document version, not always the notebook's.
    const version = `${notebook.version}:${code.map((c) => c.document.version).join(',')}`;
    const cached = this.recognizedCells.get(key);
    if (cached?.version === version) return cached.cells;
    const language = CELL_LANGUAGES.get(code[0]?.document.languageId ?? '');
    const cells = language
      ? recognizeNotebookCells(
          code.map((c) => c.document.getText()),
          language,
        )
      : [];
    this.recognizedCells.set(key, { version, cells });
    return cells;
  }

  /**
   * The runs of this script, newest first: by the script path they recorded, else (runs imported
   * from MLflow or TensorBoard record none) the runs whose metrics are the most of what this file logs.
   */
  runsOf(document: vscode.TextDocument, lines: LensLine[] = this.lines(document)): ScriptRuns | undefined {
    const cell = notebookCellOf(document);
    // A notebook's runs record the notebook; all its cells' lines find imported runs.
    const file = cell ? cell.notebook.uri : document.uri;
    const folder = this.model.folderOf(file);
    if (!folder?.store) return undefined;
    const rel = path.relative(folder.store.root, file.fsPath).split(path.sep).join('/');
    // Over the listing's columns: entries are built for the newest ten only (a sweep of the script
    // may have thousands of runs; the lenses, their chart and hover show the newest).
    const t = folder.entries;
    const logged = cell ? this.notebookLines(cell.notebook).flat() : lines;
    const runs = t.listing
      ? scriptRows(t.listing, rel, logged)
          .slice(0, 10)
          .map((i) => t.at(i))
      : runsOfScript(t.values(), rel, logged);
    if (!runs.length) return undefined;
    const latest = this.fresh(folder, runs[0]);
    runs[0] = latest;
    const cacheKey = `${folder.folder.uri.toString()}\0${latest.experiment}`;
    if (!this.baselines.has(cacheKey)) {
      let id: string | undefined;
      try {
        id = new Registry(folder.store).baselineRun(latest.experiment);
      } catch {
        id = undefined;
      }
      this.baselines.set(cacheKey, id);
    }
    const id = this.baselines.get(cacheKey);
    const baseline = id ? folder.entries.get(id) : undefined;
    return { folder, latest, baseline, runs };
  }

  /**
   * A running run as its files are now. The workspace model re-reads a run after a file event and a
   * debounce, or at its once-a-second poll: up to a second behind, more where the watcher is late.
   * Lenses are asked for seconds apart on a busy machine, so each answer says what is on disk then.
   */
  private fresh(folder: FolderStore, entry: RunEntry): RunEntry {
    const held = this.live.get(entry.id);
    if (entry.status !== 'running' || !folder.store) {
      if (held) this.live.delete(entry.id);
      return entry;
    }
    const dir = folder.store.runDir(entry.id);
    const from = held && held.entry.metricsBytes >= entry.metricsBytes ? held.entry : entry;
    try {
      const read = readEntry(dir, entry.id, from, []);
      if (read.status === 'unreadable') return entry;
      this.live.set(entry.id, { entry: read, file: path.join(dir, METRICS_FILE), at: Date.now() });
      return read;
    } catch {
      return entry;
    }
  }

  /** Whether a running run the lenses showed has written points since (a cheap size check). */
  changedOnDisk(): boolean {
    for (const [id, { entry, file, at }] of this.live) {
      // not asked for lately: no editor shows it any more
      if (Date.now() - at > LIVE_FOR_MS) {
        this.live.delete(id);
        continue;
      }
      const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
      if (size !== entry.metricsBytes) return true;
    }
    return false;
  }

  /** Whether lenses show a running run (whose files are then watched through changedOnDisk). */
  get following(): boolean {
    return this.live.size > 0;
  }

  provideCodeLenses(document: vscode.TextDocument, token: vscode.CancellationToken): vscode.CodeLens[] {
    this.onProvide();
    const lines = this.lines(document);
    const runs = this.runsOf(document, lines);
    // In a notebook, the script's lenses (run it, its last run) are above its first code cell only,
    // which itself may log nothing.
    const cell = notebookCellOf(document);
    const head = !cell || cell.index === 0;
    const logs = cell ? this.notebookLines(cell.notebook).some((l) => l.length) : lines.length > 0;
    if (!logs && !runs) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const lenses: vscode.CodeLens[] = [];
    if (head && vscode.workspace.isTrusted) {
      lenses.push(
        new vscode.CodeLens(top, {
          title: '$(play) Run with Runlens',
          command: Commands.runScript,
          arguments: [cell ? cell.notebook.uri : document.uri],
        }),
      );
    }
    const goals = this.settings.metricGoals();
    if (runs && head) {
      const { latest, folder } = runs;
      const km = keyMetric(latest, goals);
      const title = `$(beaker) last run ${latest.name}: ${latest.status} ${formatAge(latest.startTime)}${km ? ` · ${km} ${formatNumber(latest.metrics[km].last)}` : ''}`;
      lenses.push(
        new vscode.CodeLens(top, {
          title,
          command: Commands.revealRun,
          arguments: [folder.folder.uri.toString(), latest.id],
        }),
      );
    }
    // Lines without values close to each other share one lens above the first of them.
    let block: { first: LensLine; names: string[]; last: number; count: number } | undefined;
    const flush = () => {
      if (!block) return;
      const shown = block.names.slice(0, 6).join(', ') + (block.names.length > 6 ? ', …' : '');
      const where = block.count > 1 ? ` (${block.count} lines)` : '';
      lenses.push(
        new vscode.CodeLens(new vscode.Range(block.first.line - 1, 0, block.first.line - 1, 0), {
          title: `$(graph-line) ${shown || 'metrics'}: no values yet${where}`,
          command: '',
        }),
      );
      block = undefined;
    };
    for (const line of lines) {
      if (token.isCancellationRequested) return lenses;
      const range = new vscode.Range(line.line - 1, 0, line.line - 1, 0);
      const keys = runs ? Object.keys(runs.latest.metrics).filter((k) => matchesKey(line, k)) : [];
      if (!keys.length) {
        const names = [
          ...line.keys,
          ...line.patterns.map((p) => p.replace(/^\^|\$$/g, '').replace(/\(\.\+\)/g, '*')),
        ];
        if (block && line.line - block.last > 3) flush();
        block ??= { first: line, names: [], last: line.line, count: 0 };
        for (const n of names) if (!block.names.includes(n)) block.names.push(n);
        block.last = line.line;
        block.count++;
        continue;
      }
      flush();
      // Several metrics on one line share its width: each lens says less, its tooltip says all.
      const compact = keys.length > 1;
      const lineStep = runs!.latest.metrics[keys[0]].lastStep;
      keys.slice(0, 4).forEach((key, i) => {
        lenses.push(
          new vscode.CodeLens(range, {
            title: lensTitle(key, runs!.latest, runs!.baseline, goals, compact, i ? lineStep : undefined),
            tooltip: `${lensTitle(key, runs!.latest, runs!.baseline, goals).replace(/\$\([\w-]+\) ?/g, '')}\nClick to open the chart of ${key} for the last runs of this script`,
            // the chart of this script's last runs (the newest ten)
            command: Commands.openMetricsChart,
            arguments: [undefined, runNodes(runs!)],
          }),
        );
      });
    }
    flush();
    return lenses;
  }

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const line = this.lines(document).find((l) => l.line - 1 === position.line);
    const runs = line && this.runsOf(document);
    if (!line || !runs?.folder.store) return undefined;
    const key = Object.keys(runs.latest.metrics).find((k) => matchesKey(line, k));
    if (!key) return undefined;
    const shown = runs.runs
      .filter((r) => r.metrics[key])
      .slice(0, 5)
      .map((run) => ({
        name: run.name,
        last: run.metrics[key].last,
        svg: sparkline(readSeries(runs.folder.store!.metricsFile(run.id), key).series.values),
      }));
    // Names and keys come from the store (any process writes it): escaped, as the hover renders HTML.
    const md = new vscode.MarkdownString(lensHoverMarkdown(key, shown));
    md.supportHtml = true;
    return new vscode.Hover(md);
  }
}

/** How long a running run is watched for new points after lenses last showed it (ms). */
const LIVE_FOR_MS = 60_000;

/** The kernel languages whose cells Runlens reads (by the cells' language id). */
const CELL_LANGUAGES = new Map<string, LensLanguage>([
  ['python', 'python'],
  ['javascript', 'javascript'],
  ['typescript', 'typescript'],
]);

/** The notebook of a cell's document and the cell's index among the notebook's code cells. */
export function notebookCellOf(
  document: vscode.TextDocument,
): { notebook: vscode.NotebookDocument; index: number } | undefined {
  if (document.uri.scheme !== 'vscode-notebook-cell') return undefined;
  for (const notebook of vscode.workspace.notebookDocuments) {
    const code = notebook.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code);
    const index = code.findIndex((c) => c.document.uri.toString() === document.uri.toString());
    if (index >= 0) return { notebook, index };
  }
  return undefined;
}

function runNodes(runs: ScriptRuns): { kind: 'run'; folder: string; id: string }[] {
  const folder = runs.folder.folder.uri.toString();
  return runs.runs.slice(0, 10).map((r) => ({ kind: 'run' as const, folder, id: r.id }));
}

/** A tiny line chart as SVG (values downsampled to at most 120 points, NaN skipped). */
export function sparkline(values: number[], width = 160, height = 32): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length < 2)
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"/>`;
  const step = Math.max(1, Math.ceil(values.length / 120));
  const pts = values.filter((_, i) => i % step === 0 || i === values.length - 1);
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const y = (v: number) => (max === min ? height / 2 : height - 2 - ((v - min) / (max - min)) * (height - 4));
  const d = pts
    .map((v, i) =>
      Number.isFinite(v)
        ? `${i === 0 ? 'M' : 'L'}${((i / (pts.length - 1)) * (width - 2) + 1).toFixed(1)},${y(v).toFixed(1)}`
        : '',
    )
    .filter(Boolean)
    .join(' ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><path d="${d}" fill="none" stroke="#3794ff" stroke-width="1.5"/></svg>`;
}
