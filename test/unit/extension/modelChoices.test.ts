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

test('the suggested name is the first existing model, else the experiment made a valid name', () => {
  assert.equal(suggestedModelName(['cnn', 'mlp'], 'mnist'), 'cnn');
  assert.equal(suggestedModelName([], 'mnist digits/v2'), 'mnist-digits-v2');
  assert.equal(modelNameError(suggestedModelName([], 'mnist digits/v2')), undefined);
});
