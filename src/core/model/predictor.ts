/**
 * Predictions from a saved TensorFlow.js layers model, the same code in evaluation, in
 * `runlens serve`'s smoke test and inside the packaged server (so they cannot disagree).
 *
 * Stable API:
 *   const p = await loadPredictor(modelDir)      // model.json + weight files (+ preprocessing.json)
 *   p.backend                                     // 'tensorflow' | 'wasm' | 'cpu', the backend that ran
 *   p.preprocessing                               // see ./preprocessing.ts
 *   p.predict(rows)                               // rows: Record<string, unknown>[] of raw feature values
 *     -> { predictions, scores, labels }
 *        predictions[i]: the label name (classification) or the value (regression)
 *        scores[i]:      the model's outputs for row i (a binary sigmoid model: [p(labels[1])])
 *        labels:         the output labels from training (empty for regression)
 *   p.dispose()
 * Bad rows throw FieldError (from ./preprocessing) naming the row and feature.
 *
 * The model is read with a custom IOHandler over plain files, so tfjs-node is not needed; the
 * backend is whatever src/core/tfjs/backend.ts loads (tfjs-node, else WebAssembly, else CPU).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { io, LayersModel, Tensor } from '@tensorflow/tfjs';
import { RunlensError } from '../errors';
import type { BackendName } from '../tfjs/backend';
import { describeBackend, loadTf } from '../tfjs/backend';
import type { Preprocessing } from './preprocessing';
import { applyRows, inputWidth, PREPROCESSING_FILE, readPreprocessing } from './preprocessing';

export const MODEL_FILE = 'model.json';

export interface PredictResult {
  predictions: (string | number)[];
  scores: number[][];
  labels: string[];
}

export interface Predictor {
  backend: BackendName;
  backendDescription: string;
  preprocessing: Preprocessing;
  predict(rows: Record<string, unknown>[]): PredictResult;
  /** Already preprocessed input rows to the model's outputs. */
  predictMatrix(x: number[][]): number[][];
  dispose(): void;
}

/** The preprocessing.json that goes with a model folder: inside it, else next to it. */
export function findPreprocessing(modelDir: string): string {
  for (const f of [
    path.join(modelDir, PREPROCESSING_FILE),
    path.join(path.dirname(modelDir), PREPROCESSING_FILE),
  ]) {
    if (fs.existsSync(f)) return f;
  }
  throw new RunlensError(
    `no ${PREPROCESSING_FILE} in ${modelDir} or its parent folder`,
    'save the preprocessing recorded at training time next to model.json (see examples/quickstart/train.js)',
    'notFound',
  );
}

/** An IOHandler reading model.json and its weight shards from disk (what tfjs-node's file:// does). */
export function fileModelHandler(modelDir: string): io.IOHandler {
  return {
    load: async () => {
      const file = path.join(modelDir, MODEL_FILE);
      if (!fs.existsSync(file)) {
        throw new RunlensError(
          `no ${MODEL_FILE} in ${modelDir}`,
          'save the model with model.save() into this folder',
          'notFound',
        );
      }
      let json: {
        modelTopology: object;
        weightsManifest?: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
        format?: string;
        generatedBy?: string;
        convertedBy?: string | null;
        trainingConfig?: io.TrainingConfig;
      };
      try {
        json = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (e) {
        throw new RunlensError(
          `${file}: not valid JSON (${e instanceof Error ? e.message : String(e)})`,
          undefined,
          'data',
        );
      }
      const weightSpecs: io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of json.weightsManifest ?? []) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) buffers.push(fs.readFileSync(path.join(modelDir, p)));
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        trainingConfig: json.trainingConfig,
      };
    },
  };
}

export async function loadPredictor(
  modelDir: string,
  options: { preprocessingFile?: string } = {},
): Promise<Predictor> {
  const preprocessing = readPreprocessing(options.preprocessingFile ?? findPreprocessing(modelDir));
  const loaded = await loadTf();
  const { tf } = loaded;
  const model: LayersModel = await tf.loadLayersModel(fileModelHandler(modelDir));
  const width = inputWidth(preprocessing);
  const declared = model.inputs[0]?.shape?.[1];
  if (typeof declared === 'number' && declared !== width) {
    model.dispose();
    throw new RunlensError(
      `${modelDir}: the model takes ${declared} inputs but ${PREPROCESSING_FILE} describes ${width}`,
      'the preprocessing must be the one the model was trained with',
      'data',
    );
  }
  const predictMatrix = (x: number[][]): number[][] => {
    if (x.length === 0) return [];
    const out = tf.tidy(() => {
      const y = model.predict(tf.tensor2d(x, [x.length, width])) as Tensor;
      return { data: y.dataSync(), cols: y.shape[1] ?? 1 };
    });
    const rows: number[][] = [];
    for (let i = 0; i < x.length; i++)
      rows.push(Array.from(out.data.subarray(i * out.cols, (i + 1) * out.cols)));
    return rows;
  };
  const labels = preprocessing.labels;
  const decide = (s: number[]): string | number => {
    if (preprocessing.task === 'regression' || labels.length === 0) return s[0];
    if (s.length === 1) return labels[s[0] >= 0.5 ? 1 : 0];
    let best = 0;
    for (let j = 1; j < s.length; j++) if (s[j] > s[best]) best = j;
    return labels[best] ?? best;
  };
  return {
    backend: loaded.backend,
    backendDescription: describeBackend(loaded),
    preprocessing,
    predictMatrix,
    predict(rows) {
      const scores = predictMatrix(applyRows(preprocessing, rows));
      return { predictions: scores.map(decide), scores, labels };
    },
    dispose: () => model.dispose(),
  };
}
