// Loads scikit-learn's breast_cancer.csv (see data/SOURCE.md) and splits it reproducibly.
const fs = require('node:fs');
const path = require('node:path');

const MEASURES = [
  'radius',
  'texture',
  'perimeter',
  'area',
  'smoothness',
  'compactness',
  'concavity',
  'concave_points',
  'symmetry',
  'fractal_dimension',
];
const FEATURES = ['mean', 'se', 'worst'].flatMap((kind) => MEASURES.map((m) => `${m}_${kind}`));
const TARGET = 'label';
/** The label column holds 0 and 1: the index of the class in this list. */
const CLASSES = ['malignant', 'benign'];
const DATA_FILE = path.join(__dirname, 'data', 'breast_cancer.csv');

/** The data file's header must be the 30 features then the label, each row 31 numbers. */
function load(file = DATA_FILE) {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const header = lines[0].trim().split(',');
  const expected = [...FEATURES, TARGET];
  const wrong = expected.findIndex((c, i) => header[i] !== c);
  if (wrong >= 0 || header.length !== expected.length) {
    const at = wrong >= 0 ? wrong : expected.length;
    throw new Error(
      `${file}:1: column ${at + 1} is "${header[at] ?? ''}", expected "${expected[at] ?? ''}" (header: ${expected.join(',')})`,
    );
  }
  const rows = lines.slice(1).map((l) => l.split(',').map(Number));
  const bad = rows.findIndex((r) => r.length !== expected.length || r.some((v) => !Number.isFinite(v)));
  if (bad >= 0) throw new Error(`${file}:${bad + 2}: expected ${expected.length} numbers`);
  return {
    features: FEATURES,
    classes: CLASSES,
    x: rows.map((r) => r.slice(0, -1)),
    y: rows.map((r) => r[r.length - 1]),
  };
}

/** Deterministic shuffle (mulberry32) so every run with the same seed sees the same split. */
function split(data, valFraction, seed) {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = data.x.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nVal = Math.round(order.length * valFraction);
  const pick = (idx) => ({ x: idx.map((i) => data.x[i]), y: idx.map((i) => data.y[i]), index: idx });
  return { train: pick(order.slice(nVal)), val: pick(order.slice(0, nVal)) };
}

/** Mean and standard deviation of each column of the training rows. */
function scaler(x) {
  const n = x.length;
  const mean = x[0].map((_, j) => x.reduce((a, r) => a + r[j], 0) / n);
  const std = x[0].map((_, j) => Math.sqrt(x.reduce((a, r) => a + (r[j] - mean[j]) ** 2, 0) / n) || 1);
  return { mean, std, transform: (rows) => rows.map((r) => r.map((v, j) => (v - mean[j]) / std[j])) };
}

module.exports = { load, split, scaler, FEATURES, TARGET, CLASSES, DATA_FILE };
