// The pure parts of Register Model (src/extension/models/modelChoices.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelNameError, suggestedModelName } from '../../../src/extension/models/modelChoices';

test('a model name is letters, digits, ".", "_" and "-", starts with a letter or digit, at most 100 long', () => {
  for (const ok of ['mnist', 'mnist-cnn_v2.1', '7b', 'a'.repeat(100)])
    assert.equal(modelNameError(ok), undefined, ok);
  for (const bad of ['', '-x', '.x', 'has space', 'a/b', 'a'.repeat(101)])
    assert.match(modelNameError(bad) ?? '', /Letters, digits/, bad);
});

test('the suggested name: the model the pipeline registers from the experiment, else the one with its versions, else the experiment', () => {
  const v = (experiment: string, createdAt: number) => ({ experiment, createdAt });
  const existing = [
    { name: 'cnn', versions: [v('cifar', 1)] },
    { name: 'mnist-old', versions: [v('mnist', 1)] },
    { name: 'mnist-mlp', versions: [v('mnist', 5), v('cifar', 9)] },
  ];
  const pipeline = [{ model: 'mnist-classifier', experiment: 'mnist', stage: 'register' }];
  assert.equal(suggestedModelName({ experiment: 'mnist', existing, pipeline }), 'mnist-classifier');
  assert.equal(suggestedModelName({ experiment: 'mnist', existing }), 'mnist-mlp');
  assert.equal(suggestedModelName({ experiment: 'cifar', existing, pipeline }), 'mnist-mlp');
  // A model of another experiment is not proposed for this one.
  assert.equal(suggestedModelName({ experiment: 'mnist digits/v2', existing, pipeline }), 'mnist-digits-v2');
  assert.equal(
    modelNameError(suggestedModelName({ experiment: 'mnist digits/v2', existing: [] })),
    undefined,
  );
});
