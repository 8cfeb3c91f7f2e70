import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkSync } from 'recheck';
import {
  DEFAULT_STDOUT_PATTERN,
  MAX_PARSED_LINE,
  StdoutMetricParser,
  compileStdoutPattern,
} from '../../../src/core/tracking/stdoutMetrics';

// Output lines as the programs print them. Keras 2.x `fit(verbose=2)` and `verbose=1` end-of-epoch
// lines; the PyTorch examples' mnist/main.py; Hugging Face Trainer's log dicts; Lightning's bar.
const KERAS_V2 =
  '1875/1875 - 3s - loss: 0.2985 - accuracy: 0.9140 - val_loss: 0.1504 - val_accuracy: 0.9554 - 3s/epoch - 2ms/step';
const KERAS_V1 =
  '1875/1875 [==============================] - 5s 2ms/step - loss: 0.2620 - accuracy: 0.9247 - val_loss: 0.1370 - val_accuracy: 0.9597';
const TORCH_TRAIN = 'Train Epoch: 1 [640/60000 (1%)]\tLoss: 1.731120';
const TORCH_TEST = 'Test set: Average loss: 0.0497, Accuracy: 9838/10000 (98%)';
const HF = "{'loss': 0.4812, 'learning_rate': 4.5e-05, 'epoch': 0.33}";
const LIGHTNING = 'Epoch 0: 100%|██████████| 1875/1875 [00:15<00:00, 120.51it/s, v_num=0, train_loss=0.123]';

describe('metrics printed by unmodified scripts', () => {
  test('Keras epoch lines', () => {
    const p = new StdoutMetricParser();
    assert.deepEqual(p.parseLine(KERAS_V2), [
      { key: 'loss', value: 0.2985, step: 0 },
      { key: 'accuracy', value: 0.914, step: 0 },
      { key: 'val_loss', value: 0.1504, step: 0 },
      { key: 'val_accuracy', value: 0.9554, step: 0 },
    ]);
    assert.deepEqual(
      p.parseLine(KERAS_V1).map((x) => [x.key, x.value, x.step]),
      [
        ['loss', 0.262, 1],
        ['accuracy', 0.9247, 1],
        ['val_loss', 0.137, 1],
        ['val_accuracy', 0.9597, 1],
      ],
    );
  });

  test('PyTorch example lines: counts like 9838/10000 and percentages are not values', () => {
    const p = new StdoutMetricParser();
    assert.deepEqual(p.parseLine(TORCH_TRAIN), [{ key: 'Loss', value: 1.73112, step: 0 }]);
    assert.deepEqual(p.parseLine(TORCH_TEST), [{ key: 'loss', value: 0.0497, step: 0 }]);
  });

  test('quoted keys (Hugging Face) and Lightning progress bars', () => {
    const p = new StdoutMetricParser();
    assert.deepEqual(p.parseLine(HF), [
      { key: 'loss', value: 0.4812, step: 0 },
      { key: 'learning_rate', value: 4.5e-5, step: 0 },
    ]);
    assert.deepEqual(p.parseLine(LIGHTNING), [{ key: 'train_loss', value: 0.123, step: 0 }]);
  });

  test('step= on the line sets the step; nan and inf are kept', () => {
    const p = new StdoutMetricParser();
    assert.deepEqual(p.parseLine('step=120 loss=nan grad_norm=inf lr=-1e-3'), [
      { key: 'loss', value: NaN, step: 120 },
      { key: 'grad_norm', value: Infinity, step: 120 },
      { key: 'lr', value: -0.001, step: 120 },
    ]);
  });

  test('times, URLs and words are not metrics', () => {
    const p = new StdoutMetricParser();
    assert.deepEqual(
      p.parseLine('Started at 12:30:01, see http://localhost:8080/x, ETA: 0s, mode: train'),
      [],
    );
  });

  test('a custom pattern needs key and value groups', () => {
    const p = new StdoutMetricParser(String.raw`METRIC (?<key>\w+) (?<value>[\d.]+)`);
    assert.deepEqual(p.parseLine('METRIC f1 0.75 and loss=3'), [{ key: 'f1', value: 0.75, step: 0 }]);
    assert.throws(() => compileStdoutPattern('(?<key>\\w+)'), /needs the named groups/);
    assert.throws(() => compileStdoutPattern('(?<key>[)'), /invalid metric pattern/);
  });

  test('keys with slashes and dots are whole keys', () => {
    const p = new StdoutMetricParser();
    assert.deepEqual(p.parseLine('train/loss=0.5 val.acc: 0.75 1/x=3'), [
      { key: 'train/loss', value: 0.5, step: 0 },
      { key: 'val.acc', value: 0.75, step: 0 },
    ]);
  });
});

describe('bounded work per output line', () => {
  test('the default pattern has no polynomial backtracking (recheck finds no attack string)', () => {
    // recheck (a ReDoS checker) found `A/A/A/...` for the former pattern: every `a` after a `/` was
    // a start from which the lazy key scanned to the end of the line, 22 s for an 80 KB line.
    const r = checkSync(DEFAULT_STDOUT_PATTERN, 'g', { backend: 'pure', timeout: 60_000 } as Parameters<
      typeof checkSync
    >[2]);
    assert.equal(r.status, 'safe', JSON.stringify(r.status === 'vulnerable' ? r.attack.pattern : r));
  });

  test('lines made of key characters and separators are parsed, metrics at their start found', () => {
    const p = new StdoutMetricParser();
    for (const filler of ['a/', 'a.', 'a-', "a'", 'a ', 'a:', 'a=', '1', 'x=1', ' ']) {
      const line = 'loss=0.5 ' + filler.repeat(Math.ceil(80_000 / filler.length));
      const got = p.parseLine(line).filter((x) => x.key === 'loss');
      assert.deepEqual(
        got.map((x) => x.value),
        [0.5],
        `filler ${JSON.stringify(filler)}`,
      );
    }
  });

  test(`only the first ${MAX_PARSED_LINE} characters of a line are searched`, () => {
    const p = new StdoutMetricParser();
    const pad = ' '.repeat(MAX_PARSED_LINE - 'loss=1'.length);
    assert.deepEqual(
      p.parseLine(pad + 'loss=1').map((x) => x.key),
      ['loss'],
    );
    assert.deepEqual(p.parseLine(' '.repeat(MAX_PARSED_LINE) + 'acc=1'), []);
  });
});
