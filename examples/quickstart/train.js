// Trains a small neural network on the breast cancer data with TensorFlow.js, tracked by Runlens.
// Run it tracked:   runlens run -e quickstart -p lr=0.003 -- node train.js
// or alone:         node train.js   (creates a run in the nearest .runlens folder)
const fs = require('node:fs');
const path = require('node:path');
const runlens = require('runlens');
const { load, split, scaler, DATA_FILE } = require('./dataset');

async function main() {
  const defaults = JSON.parse(fs.readFileSync(path.join(__dirname, 'params.json'), 'utf8'));
  const run = runlens.init({ experiment: 'quickstart', params: defaults });
  const p = run.params;
  const { tf, backend, fallbacks } = await runlens.loadTf();
  console.log(`TensorFlow.js backend: ${backend}${fallbacks.length ? ` (${fallbacks.join('; ')})` : ''}`);
  run.setTags({ framework: 'tfjs', 'tfjs.backend': backend });
  run.logInput(DATA_FILE);

  const data = load();
  const { train, val } = split(data, Number(p.val_fraction), Number(p.seed));
  const scale = scaler(train.x);
  const xTrain = tf.tensor2d(scale.transform(train.x));
  const yTrain = tf.tensor2d(train.y, [train.y.length, 1]);
  const xVal = tf.tensor2d(scale.transform(val.x));
  const yVal = tf.tensor2d(val.y, [val.y.length, 1]);

  tf.util.seedrandom?.(String(p.seed));
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [data.features.length],
        units: Number(p.hidden),
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: Number(p.seed) }),
      }),
      tf.layers.dense({
        units: 1,
        activation: 'sigmoid',
        kernelInitializer: tf.initializers.glorotUniform({ seed: Number(p.seed) + 1 }),
      }),
    ],
  });
  model.compile({
    optimizer: tf.train.adam(Number(p.lr)),
    loss: 'binaryCrossentropy',
    metrics: ['accuracy'],
  });
  await model.fit(xTrain, yTrain, {
    epochs: Number(p.epochs),
    batchSize: Number(p.batch_size),
    validationData: [xVal, yVal],
    shuffle: false,
    verbose: 0,
    callbacks: [
      runlens.tfCallback({ run }),
      {
        onEpochEnd: (epoch, logs) =>
          console.log(
            `epoch ${epoch + 1}/${p.epochs} loss=${logs.loss.toFixed(4)} val_acc=${logs.val_acc.toFixed(4)}`,
          ),
      },
    ],
  });

  // Save the model and the preprocessing it was trained with, as artifacts of the run. The files are
  // written to a temporary folder, copied into the run by logArtifact, and the folder is removed.
  const work = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'quickstart-'));
  try {
    await saveArtifacts(run, model, data, scale, val, xVal, p, tf, work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`saved model to run ${run.id}`);
}

async function saveArtifacts(run, model, data, scale, val, xVal, p, tf, work) {
  const modelDir = path.join(work, 'model');
  fs.mkdirSync(modelDir);
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const { weightData, weightSpecs, ...topology } = artifacts;
      fs.writeFileSync(path.join(modelDir, 'weights.bin'), Buffer.from(weightData));
      const manifest = { ...topology, weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }] };
      fs.writeFileSync(path.join(modelDir, 'model.json'), JSON.stringify(manifest));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  // The format of src/core/model/preprocessing.ts: what evaluation and serving apply to raw rows.
  const preprocessing = {
    schemaVersion: 1,
    target: 'label',
    task: 'binary',
    labels: data.classes,
    features: data.features.map((name, j) => ({
      name,
      kind: 'numeric',
      mean: scale.mean[j],
      std: scale.std[j],
    })),
  };
  fs.writeFileSync(path.join(modelDir, 'preprocessing.json'), JSON.stringify(preprocessing, null, 2));
  for (const f of fs.readdirSync(modelDir)) run.logArtifact(path.join(modelDir, f), `model/${f}`);

  // The validation rows as they came (raw features and label): the rows `runlens serve` sends to the
  // served model in its smoke test, so serving is checked on exactly what was evaluated.
  const valCsv = [[...data.features, 'label'].join(',')];
  val.x.forEach((row, i) => valCsv.push([...row, val.y[i]].join(',')));
  const valFile = path.join(path.dirname(modelDir), 'validation.csv');
  fs.writeFileSync(valFile, valCsv.join('\n') + '\n');
  run.logArtifact(valFile, 'validation.csv');

  // Validation predictions for `runlens eval`: score is p(class 1).
  const scores = model.predict(xVal).dataSync();
  const csv = ['label,prediction,score'];
  val.y.forEach((y, i) => csv.push(`${y},${scores[i] >= 0.5 ? 1 : 0},${scores[i]}`));
  const predFile = path.join(path.dirname(modelDir), 'predictions.csv');
  fs.writeFileSync(predFile, csv.join('\n') + '\n');
  run.logArtifact(predFile, 'predictions.csv');
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
