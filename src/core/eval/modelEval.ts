import * as fs from 'node:fs';
import { RunlensError, errorMessage, isErrno } from '../errors';
import { loadPredictor } from '../model/predictor';
import type { Predictor } from '../model/predictor';
import { FieldError, applyRow } from '../model/preprocessing';
import { resolveSource } from '../serving/package';
import type { Store } from '../store/store';
import type { EvalOptions, EvaluationResult, PredictionData } from './evaluate';
import { evaluate } from './evaluate';
import { isMissing, openTable } from '../data/table';

export interface ModelEvalOptions {
  /** Column of the true value (default: the target recorded in preprocessing.json, else "label"). */
  target?: string;
  /** Compute every metric per value (or bin) of this column of the data file. */
  sliceBy?: string;
  sliceBins?: number;
  /** Rows predicted per call of the model (bounds the memory of one tensor). */
  batchSize?: number;
}

export interface ModelEvaluation {
  result: EvaluationResult;
  /** What a predictions file of the same evaluation would hold (for tests and exports). */
  data: PredictionData;
  /** The run the model came from: where the evaluation is saved by default. */
  run: string;
  modelDir: string;
  backend: string;
}

/**
 * Evaluate a model on a data file: the model's predictor (the one serving uses) predicts every row
 * in process, then the predictions are evaluated exactly as a predictions file with the columns
 * label, prediction and score (binary: p(labels[1])) or score_<class> would be.
 *
 * The true labels may be the class names of preprocessing.json or their 0-based indices (the
 * quickstart data stores 0 and 1 for its labels [malignant, benign]); indices become names.
 */
export async function evaluateModel(
  store: Store,
  modelRef: string,
  dataFile: string,
  o: ModelEvalOptions = {},
): Promise<ModelEvaluation> {
  const src = resolveSource(store, modelRef);
  const predictor = await loadPredictor(src.modelDir);
  try {
    const data = await predictFile(predictor, dataFile, o);
    const p = predictor.preprocessing;
    const options: EvalOptions = {
      task: p.task === 'regression' ? 'regression' : 'classification',
      sliceBy: o.sliceBy,
      sliceBins: o.sliceBins,
    };
    if (data.binaryScore) options.positiveLabel = p.labels[1];
    const result = evaluate(data, options);
    result.source = { model: modelRef, data: dataFile, backend: predictor.backendDescription };
    return { result, data, run: src.run.id, modelDir: src.modelDir, backend: predictor.backendDescription };
  } finally {
    predictor.dispose();
  }
}

/** Predict every row of a data file; the result is shaped as readPredictions would return it. */
export async function predictFile(
  predictor: Predictor,
  file: string,
  o: ModelEvalOptions = {},
): Promise<PredictionData> {
  const p = predictor.preprocessing;
  const target = o.target ?? p.target ?? 'label';
  const t = await openTable(file);
  const col = (c: string): number => t.header.indexOf(c);
  const ti = col(target);
  if (ti < 0) {
    throw new RunlensError(
      `${file}: no column "${target}" (the true ${p.task === 'regression' ? 'value' : 'label'}); columns are ${t.header.join(', ')}`,
      'name the target column with --target',
      'data',
    );
  }
  const missing = p.features.filter((f) => col(f.name) < 0).map((f) => f.name);
  if (missing.length > 0) {
    throw new RunlensError(
      `${file}: the model needs column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}, which the file does not have`,
      'the data file must have the feature columns the model was trained on (see its preprocessing.json)',
      'data',
    );
  }
  const si = o.sliceBy === undefined ? -1 : col(o.sliceBy);
  if (o.sliceBy !== undefined && si < 0) {
    throw new RunlensError(
      `${file}: no column "${o.sliceBy}" to slice by; columns are ${t.header.join(', ')}`,
    );
  }
  const featureIdx = p.features.map((f) => [f.name, col(f.name)] as const);
  const regression = p.task === 'regression' || p.labels.length === 0;
  const labelSet = new Set(p.labels);

  const truth: string[] = [];
  const lines: number[] = [];
  const preds: string[] = [];
  const slice: string[] | null = si >= 0 ? [] : null;
  let scoreCols: number[][] = [];
  let batch: number[][] = [];
  const batchSize = o.batchSize ?? 2048;
  const flush = () => {
    if (batch.length === 0) return;
    const out = predictor.predictMatrix(batch);
    if (scoreCols.length === 0) scoreCols = out[0].map(() => []);
    for (const s of out) {
      s.forEach((v, j) => scoreCols[j].push(v));
      preds.push(String(decide(s)));
    }
    batch = [];
  };
  const decide = (s: number[]): string | number => {
    if (regression) return s[0];
    if (s.length === 1) return p.labels[s[0] >= 0.5 ? 1 : 0];
    let best = 0;
    for (let j = 1; j < s.length; j++) if (s[j] > s[best]) best = j;
    return p.labels[best] ?? best;
  };

  for await (const { cells, line } of t.rows) {
    const y = (cells[ti] ?? '').trim();
    if (isMissing(y))
      throw new RunlensError(`${file}:${line}: column "${target}" is empty (row ${truth.length + 1})`);
    const row: Record<string, string> = {};
    for (const [name, i] of featureIdx) {
      const v = (cells[i] ?? '').trim();
      if (isMissing(v))
        throw new RunlensError(`${file}:${line}: column "${name}" is empty (row ${truth.length + 1})`);
      row[name] = v;
    }
    try {
      batch.push(applyRow(p, row, ''));
    } catch (e) {
      if (e instanceof FieldError)
        throw new RunlensError(
          `${file}:${line}: column "${e.field.replace(/^\./, '')}": ${e.reason} (row ${truth.length + 1})`,
          undefined,
          'data',
        );
      throw e;
    }
    truth.push(y);
    lines.push(line);
    if (slice) slice.push((cells[si] ?? '').trim());
    if (batch.length >= batchSize) flush();
  }
  flush();
  if (truth.length === 0) throw new RunlensError(`${file} has a header but no rows`, undefined, 'data');

  const labels = regression ? truth : classLabels(truth, lines, p.labels, labelSet, file, target);
  const scores = new Map<string, Float64Array>();
  let scoreColumns: string[] = [];
  let binaryScore = false;
  if (!regression) {
    if (scoreCols.length === 1) {
      scores.set('', Float64Array.from(scoreCols[0]));
      scoreColumns = ['score'];
      binaryScore = true;
    } else {
      p.labels.forEach((l, j) => scores.set(l, Float64Array.from(scoreCols[j])));
      scoreColumns = p.labels.map((l) => `score_${l}`);
    }
  }
  return {
    file,
    labels,
    lines: Uint32Array.from(lines),
    predictions: preds,
    scores,
    scoreColumns,
    binaryScore,
    slice,
    columns: { label: target, prediction: 'prediction', scores: scoreColumns },
  };
}

/** True labels as class names: names stay, 0-based indices into the model's labels become names. */
function classLabels(
  truth: string[],
  lines: number[],
  names: string[],
  nameSet: Set<string>,
  file: string,
  target: string,
): string[] {
  if (truth.every((y) => nameSet.has(y))) return truth;
  const asIndex = (y: string): number => {
    const k = Number(y);
    return Number.isInteger(k) && k >= 0 && k < names.length ? k : -1;
  };
  const bad = truth.findIndex((y) => !nameSet.has(y) && asIndex(y) < 0);
  if (bad >= 0) {
    throw new RunlensError(
      `${file}:${lines[bad]}: column "${target}" holds "${truth[bad]}", which is neither one of the model's labels (${names.join(', ')}) nor an index 0-${names.length - 1} of one`,
      'pass the column of the true label with --target',
      'data',
    );
  }
  return truth.map((y) => (nameSet.has(y) ? y : names[asIndex(y)]));
}

/**
 * Whether a file holds predictions (a "prediction", "score" or "score_<class>" column) rather than
 * data for a model to predict: read from its header (CSV) or first object (JSONL) only.
 */
export function isPredictionsFile(file: string): boolean {
  let head: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(256 * 1024);
      head = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    if (isErrno(e, 'ENOENT')) throw new RunlensError(`${file}: no such file`, undefined, 'notFound');
    throw new RunlensError(`cannot read ${file}: ${errorMessage(e)}`, undefined, 'io');
  }
  const first = head.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  let columns: string[];
  if (/\.(jsonl|ndjson)$/i.test(file)) {
    try {
      columns = Object.keys(JSON.parse(first) as object);
    } catch {
      throw new RunlensError(`${file}:1: not a JSON object`, undefined, 'data');
    }
  } else columns = first.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  return columns.some((c) => c === 'prediction' || c === 'score' || /^score_./.test(c));
}
