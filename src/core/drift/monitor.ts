import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DriftReport } from './drift';
import { detectDrift } from './drift';
import { RunlensError } from '../errors';
import { isMissing, openTable, parseNumber } from '../data/table';
import type { PackageManifest } from '../serving/manifest';
import { readManifest } from '../serving/serve';
import { csvCell } from '../format';

export type MonitorWindow = 'hour' | 'day';

/** Where the true outcomes of served requests are: CSV or JSONL with a request id and a label per row. */
export interface FeedbackOptions {
  file: string;
  /** Column holding the request id (the server's x-request-id); default "request_id". */
  idColumn?: string;
  /** Column holding the true label (classification) or value (regression); default "label". */
  labelColumn?: string;
  /**
   * Column holding the row's index within a request of several rows; default "row" when the file
   * has one. Without it, a request id's n-th feedback line labels that request's n-th row.
   */
  rowColumn?: string;
}

export interface OnlineWindow {
  window: string;
  /** Prediction rows with feedback in this window. */
  joined: number;
  /** Accuracy (classification) or mean absolute error (regression) of those rows. */
  value: number;
}

/** Predictions checked against feedback: the model's accuracy (or MAE) on live traffic. */
export interface OnlineAccuracy {
  metric: 'accuracy' | 'mae';
  task: PackageManifest['task'];
  file: string;
  /** Feedback rows read. */
  feedbackRows: number;
  /** Logged prediction rows that got a label. */
  joined: number;
  /** Feedback rows that label no logged prediction: sampled out, rotated away, wrong ids or rows. */
  unmatchedFeedback: number;
  /** Logged prediction rows that have no feedback (yet). */
  unlabeledPredictions: number;
  /** Feedback rows for a request row labelled again later: the last one counts. */
  duplicateFeedback: number;
  /** Over every joined row; null when nothing joined. */
  value: number | null;
  /** Per time window of the prediction, oldest first. */
  windows: OnlineWindow[];
  warnings: string[];
}

/**
 * How far each prediction log was read: the bytes of its complete lines, by the log's identity (a
 * hash of its first line, which stays with the file when it is rotated to predictions.jsonl.1, .2, …).
 * A log only grows at its end, so a position marks exactly the requests read, whatever their times.
 */
export type LogPosition = Record<string, number>;

export interface MonitorResult {
  report: DriftReport;
  /** Logged predictions read, from these files (rotated ones included). */
  requests: number;
  files: string[];
  skippedLines: number;
  /** Where the read ended in each log: pass it as `after` to read only the requests logged since. */
  position: LogPosition;
  /** With `feedback`: accuracy or MAE of the logged predictions against the true labels. */
  online?: OnlineAccuracy;
}

/** predictions.jsonl and its rotations (.1 is the newest rotated), oldest first. */
export function predictionLogFiles(logDir: string): string[] {
  const base = path.join(logDir, 'predictions.jsonl');
  const rotated = fs
    .readdirSync(logDir)
    .map((n) => /^predictions\.jsonl\.(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1]))
    .map((m) => path.join(logDir, m[0]));
  return [...rotated, ...(fs.existsSync(base) ? [base] : [])];
}

/** One logged request as the server wrote it (src/core/serving/server.ts). */
interface LoggedRequest {
  time?: number;
  id?: string;
  inputs?: Record<string, unknown>[];
  predictions?: (string | number)[];
}

function windowOf(time: number | undefined, window: MonitorWindow | undefined): string {
  return new Date(time ?? 0).toISOString().slice(0, window === 'day' ? 10 : 13);
}

/**
 * Drift of the logged request rows against the training data kept in the package (reference.csv),
 * over all requests and per time window (the drift engine's timeline); with `feedback`, also the
 * accuracy of the logged predictions against the true labels, per window.
 */
export async function monitorPackage(
  dir: string,
  o: {
    logDir?: string;
    window?: MonitorWindow;
    feedback?: FeedbackOptions;
    /** Only requests logged after this position (a previous result's `position`). */
    after?: LogPosition;
  } = {},
): Promise<MonitorResult> {
  const m = readManifest(dir);
  if (!m.reference) {
    throw new RunlensError(
      `${dir} has no reference data (reference.csv)`,
      'package a run that records its data file as an input',
      'notFound',
    );
  }
  const logDir = path.resolve(dir, o.logDir ?? 'logs');
  const files = fs.existsSync(logDir) ? predictionLogFiles(logDir) : [];
  const features = m.inputSchema.map((f) => f.name);
  const lines = [[...features, 'window'].join(',')];
  const logged: { id: string; window: string; predictions: (string | number)[] }[] = [];
  let skippedLines = 0;
  const position: LogPosition = {};
  for (const f of files) {
    const buf = fs.readFileSync(f);
    // The position stops at the last newline: a line still being written is read whole next time.
    const end = buf.lastIndexOf(0x0a) + 1;
    let from = 0;
    if (end > 0) {
      const key = createHash('sha256')
        .update(buf.subarray(0, buf.indexOf(0x0a)))
        .digest('hex')
        .slice(0, 32);
      const was = o.after?.[key];
      // Past the end: not the file that was read (rewritten, not appended to): read it all.
      if (was !== undefined && was <= end) from = was;
      position[key] = end;
    }
    for (const line of buf.subarray(from).toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      let rec: LoggedRequest;
      try {
        rec = JSON.parse(line);
      } catch {
        skippedLines++;
        continue;
      }
      const window = windowOf(rec.time, o.window);
      for (const row of rec.inputs ?? [])
        lines.push([...features.map((c) => csvCell(row[c])), window].join(','));
      if (o.feedback && rec.id !== undefined)
        logged.push({ id: String(rec.id), window, predictions: rec.predictions ?? [] });
    }
  }
  if (lines.length === 1) {
    throw new RunlensError(
      `no logged predictions in ${logDir}${o.after ? ' after the ones already read' : ''}`,
      'serve the package and send requests first (RUNLENS_LOG_SAMPLE > 0)',
      'notFound',
    );
  }
  const online = o.feedback ? await joinFeedback(logged, m, o.feedback) : undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-monitor-'));
  try {
    const current = path.join(tmp, 'requests.csv');
    fs.writeFileSync(current, lines.join('\n') + '\n');
    const report = await detectDrift(path.join(dir, m.reference.file), current, {
      columns: features,
      by: 'window',
    });
    return {
      report,
      requests: lines.length - 1,
      files,
      skippedLines,
      position,
      ...(online ? { online } : {}),
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** A feedback label as one of the model's labels: the name itself, or its index in the label list. */
function labelName(cell: string, labels: string[]): { name: string; known: boolean } {
  const t = cell.trim();
  if (labels.includes(t)) return { name: t, known: true };
  const n = t === '' ? NaN : Number(t);
  if (Number.isInteger(n) && n >= 0 && n < labels.length) return { name: labels[n], known: true };
  return { name: t, known: false };
}

/** Join feedback rows to logged prediction rows by request id (and row), then score them per window. */
export async function joinFeedback(
  logged: { id: string; window: string; predictions: (string | number)[] }[],
  m: Pick<PackageManifest, 'task' | 'labels'>,
  fb: FeedbackOptions,
): Promise<OnlineAccuracy> {
  const t = await openTable(fb.file);
  const idColumn = fb.idColumn ?? 'request_id';
  const labelColumn = fb.labelColumn ?? 'label';
  const columns = t.header.join(', ');
  const idIdx = t.header.indexOf(idColumn);
  const labelIdx = t.header.indexOf(labelColumn);
  for (const [flag, name, idx] of [
    ['--id-column', idColumn, idIdx],
    ['--label-column', labelColumn, labelIdx],
  ] as const) {
    if (idx < 0)
      throw new RunlensError(
        `${fb.file}: no column "${name}"; columns are ${columns}`,
        `name the column with ${flag}`,
        'usage',
      );
  }
  const rowColumn = fb.rowColumn ?? (t.header.includes('row') ? 'row' : undefined);
  const rowIdx = rowColumn === undefined ? -1 : t.header.indexOf(rowColumn);
  if (rowColumn !== undefined && rowIdx < 0)
    throw new RunlensError(
      `${fb.file}: no column "${rowColumn}"; columns are ${columns}`,
      undefined,
      'usage',
    );
  const regression = m.task === 'regression';
  type Label = { label: string; line: number; row: number };
  // Feedback lines by request id, in file order.
  const byId = new Map<string, Label[]>();
  let feedbackRows = 0;
  for await (const r of t.rows) {
    feedbackRows++;
    const id = (r.cells[idIdx] ?? '').trim();
    const label = r.cells[labelIdx] ?? '';
    if (id === '' || isMissing(label)) {
      throw new RunlensError(
        `${fb.file}, line ${r.line}: column "${id === '' ? idColumn : labelColumn}" is empty`,
        undefined,
        'usage',
      );
    }
    let row = -1;
    if (rowIdx >= 0) {
      row = Number(r.cells[rowIdx]);
      if (r.cells[rowIdx]?.trim() === '' || !Number.isInteger(row) || row < 0)
        throw new RunlensError(
          `${fb.file}, line ${r.line}: column "${rowColumn}" is "${r.cells[rowIdx]}", expected a row index 0, 1, …`,
          undefined,
          'usage',
        );
    }
    if (regression && Number.isNaN(parseNumber(label.trim())))
      throw new RunlensError(
        `${fb.file}, line ${r.line}: column "${labelColumn}" is "${label}", expected a number (the model is a regression)`,
        undefined,
        'usage',
      );
    const list = byId.get(id);
    if (list) list.push({ label, line: r.line, row });
    else byId.set(id, [{ label, line: r.line, row }]);
  }
  const perWindow = new Map<string, { joined: number; sum: number }>();
  const warnings: string[] = [];
  let unknownLabels = 0;
  let joined = 0;
  let sum = 0;
  let unlabeledPredictions = 0;
  let duplicateFeedback = 0;
  const usedIds = new Set<string>();
  for (const rec of logged) {
    const lines = byId.get(rec.id);
    const k = rec.predictions.length;
    // The label of each row: by the row column, else the request's last k lines in order (a later
    // line corrects an earlier one); lines past the request's rows are unmatched.
    const labels = new Array<Label | undefined>(k);
    if (lines && !usedIds.has(rec.id)) {
      usedIds.add(rec.id);
      if (rowIdx >= 0) {
        for (const l of lines) {
          if (l.row >= k) continue;
          if (labels[l.row]) duplicateFeedback++;
          labels[l.row] = l;
        }
      } else {
        const last = lines.slice(-k);
        last.forEach((l, j) => (labels[j] = l));
        duplicateFeedback += lines.length - last.length;
      }
    }
    rec.predictions.forEach((pred, row) => {
      const t = labels[row];
      if (!t) {
        unlabeledPredictions++;
        return;
      }
      let score: number;
      if (regression) {
        score = Math.abs(Number(pred) - parseNumber(t.label.trim()));
      } else {
        const { name, known } = labelName(t.label, m.labels);
        if (!known) {
          unknownLabels++;
          if (unknownLabels === 1)
            warnings.push(
              `${fb.file}, line ${t.line}: label "${t.label}" is not one of the model's labels (${m.labels.join(', ')}); counted as wrong`,
            );
        }
        score = name === String(pred) ? 1 : 0;
      }
      joined++;
      sum += score;
      const w = perWindow.get(rec.window) ?? { joined: 0, sum: 0 };
      w.joined++;
      w.sum += score;
      perWindow.set(rec.window, w);
    });
  }
  // Every feedback line either labels a prediction, is corrected by a later one, or matches nothing.
  const unmatchedFeedback = feedbackRows - joined - duplicateFeedback;
  if (unknownLabels > 1) warnings.push(`${unknownLabels} feedback labels are not among the model's labels`);
  return {
    metric: regression ? 'mae' : 'accuracy',
    task: m.task,
    file: fb.file,
    feedbackRows,
    joined,
    unmatchedFeedback,
    unlabeledPredictions,
    duplicateFeedback,
    value: joined ? sum / joined : null,
    windows: [...perWindow.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([window, w]) => ({ window, joined: w.joined, value: w.sum / w.joined })),
    warnings,
  };
}
