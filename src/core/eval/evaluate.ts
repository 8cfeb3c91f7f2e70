import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError, errorMessage, isErrno } from '../errors';
import { formatNumber } from '../format';
import { ARTIFACTS_DIR } from '../store/runFile';
import { foldSummary } from '../store/metrics';
import type { Store } from '../store/store';
import type { MetricPoint } from '../store/types';
import { MetricLog } from '../tracking/metricLog';
import type { ClassificationMetrics } from './classification';
import {
  averagePrecision,
  binaryLogLoss,
  brier,
  calibrationCurve,
  labelMetrics,
  logLoss,
  prCurve,
  rocAuc,
  sortLabels,
} from './classification';
import { npSum } from './numeric';
import type { RegressionMetrics } from './regression';
import { regressionMetrics } from './regression';
import { FloatColumn, isMissing, openTable, parseNumber } from '../data/table';

export const EVALUATION_SCHEMA_VERSION = 1;
export const EVALUATION_FILE = 'evaluation.json';

export interface EvalOptions {
  labelColumn?: string;
  predictionColumn?: string;
  /** Binary: the positive class's probability. */
  scoreColumn?: string;
  /** Multiclass: one `<prefix><class>` column per class. */
  scorePrefix?: string;
  task?: 'classification' | 'regression';
  /** Binary: which label is positive (default: the last in sorted order, as scikit-learn's 1 of {0, 1}). */
  positiveLabel?: string;
  /** Compute every scalar metric per value (or bin) of this column. */
  sliceBy?: string;
  /** Numeric slice columns with more distinct values than this are cut into this many equal-width bins. */
  sliceBins?: number;
}

export interface EvalWarning {
  file: string;
  column?: string;
  line?: number;
  message: string;
}

export interface SliceResult {
  value: string;
  n: number;
  metrics: Record<string, number>;
}

export interface EvaluationResult {
  schemaVersion: number;
  file: string;
  task: 'binary' | 'multiclass' | 'regression';
  n: number;
  columns: { label: string; prediction: string | null; scores: string[] };
  classification?: ClassificationMetrics;
  regression?: RegressionMetrics;
  /** The scalar metrics, as logged to a run (keys prefixed with eval/). */
  metrics: Record<string, number>;
  slices?: { column: string; slices: SliceResult[] };
  warnings: EvalWarning[];
  /** Set when a model was evaluated on a data file (runlens eval --model): what predicted it, where. */
  source?: { model: string; data: string; backend: string };
}

/** What was read from a predictions file, column by column. */
export interface PredictionData {
  file: string;
  labels: string[];
  /** 1-based file line of each row. */
  lines: Uint32Array;
  predictions: string[] | null;
  /** Score columns by class (binary: one entry under the positive class when `score` is used). */
  scores: Map<string, Float64Array>;
  scoreColumns: string[];
  binaryScore: boolean;
  slice: string[] | null;
  columns: EvaluationResult['columns'];
}

const PROB_TOLERANCE = 1e-6;

export async function readPredictions(file: string, o: EvalOptions = {}): Promise<PredictionData> {
  const labelCol = o.labelColumn ?? 'label';
  const predCol = o.predictionColumn ?? 'prediction';
  const scoreCol = o.scoreColumn ?? 'score';
  const prefix = o.scorePrefix ?? 'score_';
  const t = await openTable(file);
  const idx = (c: string): number => t.header.indexOf(c);
  const li = idx(labelCol);
  if (li < 0) {
    throw new RunlensError(
      `${file}: no column "${labelCol}" (the true label); columns are ${t.header.join(', ')}`,
      'name the label column with --label-column',
    );
  }
  const pi = idx(predCol);
  const si = idx(scoreCol);
  const classCols = t.header
    .map((h, i) => ({ h, i }))
    .filter(({ h, i }) => h.startsWith(prefix) && h.length > prefix.length && i !== si);
  if (pi < 0 && si < 0 && classCols.length === 0) {
    throw new RunlensError(
      `${file}: no column "${predCol}" (the prediction), "${scoreCol}" or "${prefix}<class>" (scores); columns are ${t.header.join(', ')}`,
      'name them with --prediction-column, --score-column or --score-prefix',
    );
  }
  const sliceI = o.sliceBy === undefined ? -1 : idx(o.sliceBy);
  if (o.sliceBy !== undefined && sliceI < 0) {
    throw new RunlensError(
      `${file}: no column "${o.sliceBy}" to slice by; columns are ${t.header.join(', ')}`,
    );
  }
  const scoreIdx = si >= 0 ? [si] : classCols.map((c) => c.i);
  const scoreCols = scoreIdx.map(() => new FloatColumn());
  const labels: string[] = [];
  const lines: number[] = [];
  const preds: string[] | null = pi >= 0 ? [] : null;
  const slice: string[] | null = sliceI >= 0 ? [] : null;
  for await (const { cells, line } of t.rows) {
    const label = cells[li].trim();
    if (isMissing(label))
      throw new RunlensError(`${file}:${line}: column "${labelCol}" is empty (row ${labels.length + 1})`);
    labels.push(label);
    lines.push(line);
    if (preds) {
      const p = cells[pi].trim();
      if (isMissing(p))
        throw new RunlensError(`${file}:${line}: column "${predCol}" is empty (row ${labels.length})`);
      preds.push(p);
    }
    for (let k = 0; k < scoreIdx.length; k++) {
      const cell = cells[scoreIdx[k]];
      const v = parseNumber(cell.trim());
      if (!Number.isFinite(v)) {
        throw new RunlensError(
          `${file}:${line}: column "${t.header[scoreIdx[k]]}" is not a number: "${cell}" (row ${labels.length})`,
        );
      }
      scoreCols[k].push(v);
    }
    if (slice) slice.push(cells[sliceI].trim());
  }
  if (labels.length === 0) throw new RunlensError(`${file} has a header but no rows`);
  const scores = new Map<string, Float64Array>();
  if (si >= 0) scores.set('', scoreCols[0].values());
  else classCols.forEach((c, k) => scores.set(c.h.slice(prefix.length), scoreCols[k].values()));
  return {
    file,
    labels,
    lines: Uint32Array.from(lines),
    predictions: preds,
    scores,
    scoreColumns: scoreIdx.map((i) => t.header[i]),
    binaryScore: si >= 0,
    slice,
    columns: {
      label: labelCol,
      prediction: pi >= 0 ? predCol : null,
      scores: scoreIdx.map((i) => t.header[i]),
    },
  };
}

function allNumeric(values: string[]): boolean {
  for (const v of values) if (Number.isNaN(Number(v)) || v.trim() === '') return false;
  return true;
}

/** Numeric labels compare as numbers ("1" and "1.0" are one class). */
function canonicalLabels(values: string[]): string[] {
  return values.map((v) => String(Number(v)));
}

function guessTask(d: PredictionData): 'classification' | 'regression' {
  if (d.scores.size > 0) return 'classification';
  if (!allNumeric(d.labels) || !d.predictions || !allNumeric(d.predictions)) return 'classification';
  const distinct = new Set(d.labels).size;
  const fractional = d.predictions.some((p) => !Number.isInteger(Number(p)));
  return fractional || distinct > 20 ? 'regression' : 'classification';
}

/** Evaluate a predictions file: every metric of its task, the curves, and slices. */
export async function evaluateFile(file: string, o: EvalOptions = {}): Promise<EvaluationResult> {
  return evaluate(await readPredictions(file, o), o);
}

export function evaluate(d: PredictionData, o: EvalOptions = {}): EvaluationResult {
  const task = o.task ?? guessTask(d);
  const warnings: EvalWarning[] = [];
  const base = {
    schemaVersion: EVALUATION_SCHEMA_VERSION,
    file: d.file,
    n: d.labels.length,
    columns: d.columns,
  };
  if (task === 'regression') {
    const { y, p } = regressionArrays(d);
    const regression = regressionMetrics(y, p);
    const result: EvaluationResult = {
      ...base,
      task: 'regression',
      regression,
      metrics: regressionScalars(regression),
      warnings,
    };
    if (d.slice)
      result.slices = slices(d, o, (rows) =>
        regressionScalars(regressionMetrics(pick(y, rows), pick(p, rows))),
      );
    return result;
  }
  const c = classify(d, o, warnings);
  const classification = c.metrics(null);
  const result: EvaluationResult = {
    ...base,
    task: classification.task,
    classification,
    metrics: classificationScalars(classification),
    warnings,
  };
  if (d.slice) result.slices = slices(d, o, (rows) => classificationScalars(c.metrics(rows)));
  return result;
}

function pick(a: Float64Array, rows: Uint32Array): Float64Array {
  return Float64Array.from(rows, (r) => a[r]);
}

function regressionArrays(d: PredictionData): { y: Float64Array; p: Float64Array } {
  if (!d.predictions) {
    throw new RunlensError(
      `${d.file}: regression needs a "prediction" column`,
      'name it with --prediction-column',
    );
  }
  const y = new Float64Array(d.labels.length);
  const p = new Float64Array(d.labels.length);
  for (let i = 0; i < y.length; i++) {
    y[i] = parseNumber(d.labels[i]);
    p[i] = parseNumber(d.predictions[i]);
    if (!Number.isFinite(y[i]))
      throw new RunlensError(
        `${d.file}:${d.lines[i]}: column "${d.columns.label}" is not a number: "${d.labels[i]}"`,
      );
    if (!Number.isFinite(p[i]))
      throw new RunlensError(
        `${d.file}:${d.lines[i]}: column "${d.columns.prediction}" is not a number: "${d.predictions[i]}"`,
      );
  }
  return { y, p };
}

interface Classifier {
  metrics(rows: Uint32Array | null): ClassificationMetrics;
}

function classify(d: PredictionData, o: EvalOptions, warnings: EvalWarning[]): Classifier {
  const numeric =
    allNumeric(d.labels) &&
    (!d.predictions || allNumeric(d.predictions)) &&
    (d.binaryScore || allNumeric([...d.scores.keys()]));
  const truth = numeric ? canonicalLabels(d.labels) : d.labels;
  const scoreClasses = d.binaryScore
    ? []
    : [...d.scores.keys()].map((k) => (numeric ? String(Number(k)) : k));
  const truthSet = sortLabels(truth);
  let preds = d.predictions ? (numeric ? canonicalLabels(d.predictions) : d.predictions) : null;
  const n = truth.length;
  // Binary: the positive class is the given one, else the last of the labels in sorted order.
  let positive: string | undefined;
  if (d.binaryScore) {
    const two = sortLabels([...truthSet, ...(preds ?? [])]);
    if (two.length > 2) {
      throw new RunlensError(
        `${d.file}: column "${d.columns.scores[0]}" holds one score, but there are ${two.length} classes (${two.slice(0, 5).join(', ')}…)`,
        'write one score_<class> column per class',
      );
    }
    positive =
      o.positiveLabel !== undefined
        ? numeric
          ? String(Number(o.positiveLabel))
          : o.positiveLabel
        : two[two.length - 1];
    if (!two.includes(positive) && o.positiveLabel !== undefined) {
      throw new RunlensError(
        `${d.file}: positive label "${o.positiveLabel}" is not one of the labels (${two.join(', ')})`,
      );
    }
  }
  if (!preds) {
    if (d.binaryScore) {
      const negative = sortLabels(truthSet).find((l) => l !== positive) ?? 'negative';
      const s = d.scores.get('')!;
      preds = Array.from(s, (v) => (v >= 0.5 ? positive! : negative));
    } else {
      const cols = scoreClasses.map((c, k) => ({ c, s: d.scores.get([...d.scores.keys()][k])! }));
      preds = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let k = 1; k < cols.length; k++) if (cols[k].s[i] > cols[best].s[i]) best = k;
        preds[i] = cols[best].c;
      }
    }
  }
  const truthOnly = new Set(truthSet);
  const unseen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    if (!truthOnly.has(preds[i]) && !unseen.has(preds[i])) unseen.set(preds[i], i);
  }
  for (const [label, i] of unseen) {
    warnings.push({
      file: d.file,
      column: d.columns.prediction ?? undefined,
      line: d.lines[i],
      message: `predicted label "${label}" never occurs in column "${d.columns.label}" (first at line ${d.lines[i]})`,
    });
  }
  const labels = sortLabels([...truthSet, ...preds]);
  const index = new Map(labels.map((l, i) => [l, i]));
  const tIdx = Uint32Array.from(truth, (l) => index.get(l)!);
  const pIdx = Uint32Array.from(preds, (l) => index.get(l)!);

  // Multiclass probabilities: one column per class of the truth, in sorted order.
  let probCols: Float64Array[] | null = null;
  let probClasses: string[] = [];
  if (!d.binaryScore && d.scores.size > 0) {
    const keys = [...d.scores.keys()];
    const byClass = new Map(scoreClasses.map((c, k) => [c, d.scores.get(keys[k])!]));
    const missing = truthSet.filter((l) => !byClass.has(l));
    if (missing.length > 0) {
      const firstRow = truth.findIndex((l) => l === missing[0]);
      throw new RunlensError(
        `${d.file}:${d.lines[firstRow]}: label "${missing[0]}" has no score column "${(o.scorePrefix ?? 'score_') + missing[0]}" (score columns: ${d.columns.scores.join(', ')})`,
      );
    }
    probClasses = sortLabels(scoreClasses);
    probCols = probClasses.map((c) => byClass.get(c)!);
    checkSums(d, probCols, warnings);
  }
  const binaryScores = d.binaryScore ? d.scores.get('')! : null;
  if (binaryScores) {
    let bad = -1;
    for (let i = 0; i < n && bad < 0; i++) if (binaryScores[i] < 0 || binaryScores[i] > 1) bad = i;
    if (bad >= 0) {
      warnings.push({
        file: d.file,
        column: d.columns.scores[0],
        line: d.lines[bad],
        message: `column "${d.columns.scores[0]}" is not a probability in [0, 1] (line ${d.lines[bad]}: ${binaryScores[bad]}); log loss, Brier score and calibration are left out`,
      });
    }
  }
  const probsOk = !warnings.some(
    (w) => w.column === d.columns.scores[0] && /not a probability/.test(w.message),
  );

  return {
    metrics(rows) {
      const sel = rows ?? null;
      const t = sel ? Uint32Array.from(sel, (r) => tIdx[r]) : tIdx;
      const p = sel ? Uint32Array.from(sel, (r) => pIdx[r]) : pIdx;
      const present = sel ? sortLabels(Array.from(new Set([...t, ...p]), (i) => labels[i])) : labels;
      const remap = new Map(present.map((l, i) => [index.get(l)!, i]));
      const base = labelMetrics(
        sel ? t.map((i) => remap.get(i)!) : t,
        sel ? p.map((i) => remap.get(i)!) : p,
        present,
      );
      const m: ClassificationMetrics = {
        task: binaryScores || truthSet.length <= 2 ? 'binary' : 'multiclass',
        ...base,
      };
      if (binaryScores && positive !== undefined) {
        const s = sel ? pick(binaryScores, sel) : binaryScores;
        const pos = Uint8Array.from(sel ?? truth.keys(), (r) => (truth[r] === positive ? 1 : 0));
        m.positiveLabel = positive;
        addBinaryCurves(m, pos, s, positive, probsOk && s.every((v) => v >= 0 && v <= 1));
      } else if (probCols) {
        addMulticlassScores(m, sel, truth, probClasses, probCols);
      }
      return m;
    },
  };
}

function addBinaryCurves(
  m: ClassificationMetrics,
  pos: Uint8Array,
  s: Float64Array,
  positive: string,
  probs: boolean,
): void {
  let nPos = 0;
  for (const v of pos) nPos += v;
  if (nPos > 0 && nPos < pos.length) {
    const roc = rocAuc(pos, s);
    const pr = prCurve(pos, s);
    m.rocAuc = roc.auc;
    m.averagePrecision = averagePrecision(pr);
    m.rocCurves = { [positive]: roc.curve };
    m.prCurves = { [positive]: pr };
  }
  if (probs) {
    m.logLoss = binaryLogLoss(pos, s);
    m.brier = brier(pos, s);
    m.calibration = calibrationCurve(pos, s, 10);
  }
}

function addMulticlassScores(
  m: ClassificationMetrics,
  sel: Uint32Array | null,
  truth: string[],
  classes: string[],
  cols: Float64Array[],
): void {
  const rows = sel ?? Uint32Array.from(truth.keys());
  const n = rows.length;
  const k = classes.length;
  const present = classes.filter((c) => rows.some((r) => truth[r] === c));
  const probs = new Float64Array(n * k);
  const tIdx = new Uint32Array(n);
  const ci = new Map(classes.map((c, i) => [c, i]));
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) probs[i * k + c] = cols[c][rows[i]];
    tIdx[i] = ci.get(truth[rows[i]]) ?? 0;
  }
  m.logLoss = logLoss(tIdx, probs, k);
  m.rocCurves = {};
  m.prCurves = {};
  m.perClassAuc = {};
  const aucs: number[] = [];
  const aps: number[] = [];
  for (const c of present) {
    const col = cols[ci.get(c)!];
    const pos = Uint8Array.from(rows, (r) => (truth[r] === c ? 1 : 0));
    const s = pick(col, rows);
    if (pos.every((v) => v === 1)) continue;
    const roc = rocAuc(pos, s);
    const pr = prCurve(pos, s);
    const ap = averagePrecision(pr);
    m.rocCurves[c] = roc.curve;
    m.prCurves[c] = pr;
    m.perClassAuc[c] = { rocAuc: roc.auc, averagePrecision: ap };
    aucs.push(roc.auc);
    aps.push(ap);
  }
  if (aucs.length >= 2) {
    m.rocAuc = npSum(aucs) / aucs.length;
    m.averagePrecision = npSum(aps) / aps.length;
  }
}

function checkSums(d: PredictionData, cols: Float64Array[], warnings: EvalWarning[]): void {
  let count = 0;
  let first = -1;
  let firstSum = 0;
  for (let i = 0; i < d.labels.length; i++) {
    let s = 0;
    for (const c of cols) s += c[i];
    if (Math.abs(s - 1) > PROB_TOLERANCE) {
      if (first < 0) {
        first = i;
        firstSum = s;
      }
      count++;
    }
  }
  if (count > 0) {
    warnings.push({
      file: d.file,
      column: d.columns.scores.join(', '),
      line: d.lines[first],
      message: `class probabilities do not sum to 1 in ${count} rows (first: line ${d.lines[first]}, sum ${firstSum}); log loss renormalises them as scikit-learn does`,
    });
  }
}

function classificationScalars(m: ClassificationMetrics): Record<string, number> {
  const out: Record<string, number> = {
    'eval/accuracy': m.accuracy,
    'eval/balanced_accuracy': m.balancedAccuracy,
    'eval/precision_macro': m.macro.precision,
    'eval/recall_macro': m.macro.recall,
    'eval/f1_macro': m.macro.f1,
    'eval/precision_micro': m.micro.precision,
    'eval/recall_micro': m.micro.recall,
    'eval/f1_micro': m.micro.f1,
    'eval/precision_weighted': m.weighted.precision,
    'eval/recall_weighted': m.weighted.recall,
    'eval/f1_weighted': m.weighted.f1,
  };
  if (m.rocAuc !== undefined) out['eval/roc_auc'] = m.rocAuc;
  if (m.averagePrecision !== undefined) out['eval/average_precision'] = m.averagePrecision;
  if (m.logLoss !== undefined) out['eval/log_loss'] = m.logLoss;
  if (m.brier !== undefined) out['eval/brier'] = m.brier;
  return out;
}

function regressionScalars(m: RegressionMetrics): Record<string, number> {
  return { 'eval/mae': m.mae, 'eval/mse': m.mse, 'eval/rmse': m.rmse, 'eval/r2': m.r2, 'eval/mape': m.mape };
}

const SLICE_VALUES = 20;

function slices(
  d: PredictionData,
  o: EvalOptions,
  metricsOf: (rows: Uint32Array) => Record<string, number>,
): EvaluationResult['slices'] {
  const col = d.slice!;
  const distinct = new Set(col);
  const groups = new Map<string, number[]>();
  const numeric = col.every((v) => !isMissing(v) && Number.isFinite(Number(v)));
  if (numeric && distinct.size > SLICE_VALUES) {
    const bins = o.sliceBins ?? 5;
    const v = col.map(Number);
    let lo = Infinity,
      hi = -Infinity;
    for (const x of v) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    const w = (hi - lo) / bins;
    const names = Array.from(
      { length: bins },
      (_, b) =>
        `[${formatNumber(lo + b * w)}, ${formatNumber(b === bins - 1 ? hi : lo + (b + 1) * w)}${b === bins - 1 ? ']' : ')'}`,
    );
    v.forEach((x, i) => {
      const b = Math.min(bins - 1, Math.floor((x - lo) / w));
      const key = names[b];
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push(i);
    });
  } else {
    col.forEach((x, i) => {
      const key = isMissing(x) ? '(missing)' : x;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push(i);
    });
  }
  const out: SliceResult[] = [];
  for (const [value, rows] of groups)
    out.push({ value, n: rows.length, metrics: metricsOf(Uint32Array.from(rows)) });
  return {
    column: o.sliceBy!,
    slices: out.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)),
  };
}

/**
 * Keep an evaluation with a run: artifacts/evaluation.json, and its scalar metrics appended to the
 * run's metrics (one step after the last one logged), so the compare table and the gate see them.
 */
export async function saveEvaluation(
  store: Store,
  runRef: string,
  result: EvaluationResult,
): Promise<string> {
  const run = store.getRun(runRef);
  const rel = store.addArtifact(run.id, EVALUATION_FILE, JSON.stringify(result, null, 1) + '\n');
  const step = Math.max(-1, ...Object.values(run.summary ?? {}).map((s) => s.lastStep)) + 1;
  const log = new MetricLog(store.metricsFile(run.id));
  const finite = Object.fromEntries(Object.entries(result.metrics).filter(([, v]) => Number.isFinite(v)));
  log.log(finite, step);
  log.close();
  const time = Date.now();
  await store.updateRun(run.id, (r) => {
    if (!r.summary) return;
    for (const [key, value] of Object.entries(finite)) {
      const p: MetricPoint = { key, value, step, time };
      foldSummary(r.summary, p);
    }
  });
  return rel;
}

/** The file a run's evaluation is kept in (it may not exist). */
export function evaluationFile(store: Store, runId: string): string {
  return path.join(store.runDir(runId), ARTIFACTS_DIR, EVALUATION_FILE);
}

/** A run's saved evaluation, or undefined when it has none; a damaged file is an error naming it. */
export function readEvaluation(store: Store, runId: string): EvaluationResult | undefined {
  const file = evaluationFile(store, runId);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw new RunlensError(`cannot read ${file}: ${errorMessage(e)}`, undefined, 'io');
  }
  let r: EvaluationResult;
  try {
    r = JSON.parse(text) as EvaluationResult;
  } catch (e) {
    throw new RunlensError(`${file}: not valid JSON (${errorMessage(e)})`, undefined, 'data');
  }
  if (typeof r !== 'object' || r === null || typeof r.metrics !== 'object' || typeof r.task !== 'string')
    throw new RunlensError(`${file}: not an evaluation (no task or metrics)`, undefined, 'data');
  if (typeof r.schemaVersion !== 'number' || r.schemaVersion > EVALUATION_SCHEMA_VERSION)
    throw new RunlensError(
      `${file}: evaluation schema version ${String(r.schemaVersion)} is newer than this Runlens reads (${EVALUATION_SCHEMA_VERSION})`,
      'update Runlens',
      'data',
    );
  return r;
}
