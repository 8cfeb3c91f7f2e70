import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { before, describe, test } from 'node:test';
import type { LensLine } from '../../../src/core/lens/recognize';
import { languageOf, matchesKey, recognizeMetricLines } from '../../../src/core/lens/recognize';
import { cliPath, repoRoot } from '../../helpers/tmp';

const scripts = path.join(repoRoot, 'test', 'fixtures', 'scripts');

function L(line: number, style: LensLine['style'], keys: string[], patterns: string[] = []): LensLine {
  return { line, keys, patterns, style };
}

function lens(file: string): LensLine[] {
  const language = languageOf(file);
  assert.ok(language, file);
  return recognizeMetricLines(fs.readFileSync(path.join(scripts, file), 'utf8'), language);
}

/** Source text written indented inside the test: drops the first newline and the common indent. */
function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

const py = (text: string) => recognizeMetricLines(dedent(text), 'python');
const js = (text: string) => recognizeMetricLines(dedent(text), 'javascript');

/** What each fixture script logs: checked line by line against the scripts. */
const EXPECTED: Record<string, LensLine[]> = {
  'pytorch_mnist.py': [
    L(48, 'print', ['Loss']), // 'Train Epoch: {} [...]\tLoss: {:.6f}'.format(...) over three lines
    L(52, 'tensorboard', ['Loss/train']),
    L(72, 'print', ['loss']), // "Accuracy: {}/{}" is not a number the output reader takes
    L(74, 'tensorboard', ['Loss/test']),
    L(75, 'tensorboard', ['Accuracy/test', 'Accuracy/chance']),
    L(111, 'tensorboard', ['lr']),
  ],
  'keras_wandb.py': [
    L(35, 'wandb', ['lr', 'epoch']),
    L(41, 'wandb', ['gap/loss', 'gap/accuracy']),
    L(56, 'print', ['test_loss', 'test_accuracy']),
    L(57, 'wandb', ['test/loss', 'test/accuracy']), // run = wandb.init(...): run.log is wandb here
    L(65, 'wandb', [], ['^class_acc/(.+)$']),
    L(66, 'wandb', []), // wandb.log(per_class): the names are not in the source
  ],
  'lightning_module.py': [
    L(28, 'lightning', ['train_loss']),
    L(37, 'lightning', [], ['^(.+)_loss$']),
    L(38, 'lightning', ['hp_metric'], ['^(.+)_acc$']),
    L(55, 'lightning', ['lr']),
    L(56, 'lightning', ['epoch_time', 'grad_norm']),
    L(57, 'print', ['val_loss']),
    L(65, 'lightning', ['val_seen']),
    L(73, 'lightning', ['setup_seconds']),
  ],
  'accelerate_loop.py': [
    L(51, 'accelerate', ['train/loss', 'train/lr']),
    L(63, 'print', ['accuracy', 'f1']),
    L(64, 'accelerate', ['eval/accuracy', 'eval/f1', 'train/epoch_loss'], ['^eval/(.+)_raw$']),
  ],
  'dvclive_loop.py': [
    L(22, 'dvclive', [], ['^(.+)/loss$']),
    L(23, 'dvclive', [], ['^(.+)/acc$']),
    L(28, 'dvclive', ['lr']),
    L(32, 'dvclive', ['val/auc']),
  ],
  'mlflow_script.py': [
    L(23, 'mlflow', ['test_mse']),
    L(24, 'mlflow', ['train_loss']),
    L(28, 'mlflow', ['r2', 'mean_abs_error']),
    L(34, 'mlflow', [], ['^test_(.+)$']),
    L(36, 'mlflow', [], ['^final_(.+)$']),
    L(40, 'mlflow', ['n_features']), // MlflowClient().log_metric(run_id, key, value)
    L(41, 'print', ['rmse', 'mae']),
  ],
  'tf2_summary.py': [
    L(48, 'tf.summary', ['loss']),
    L(49, 'tf.summary', ['accuracy']),
    L(56, 'tf.summary', ['loss']),
    L(62, 'tf.summary', ['accuracy']),
    L(64, 'tf.summary', [], ['^weights/(.+)/norm$']),
    L(69, 'print', ['test_loss', 'test_accuracy']),
  ],
  'runlens_train.py': [
    L(63, 'runlens', ['train/loss', 'train/acc']),
    L(64, 'runlens', ['val/loss', 'val/acc', 'note (a, b)']),
    L(74, 'runlens', [], ['^(.+)_loss_ema$', '^(.+)/acc_pct$']),
    L(75, 'print', ['train_loss', 'val_loss', 'val_acc']),
    L(78, 'runlens', ['weight_norm', 'bias']),
    L(79, 'print', ['weight_norm']),
  ],
  'tfjs_train.ts': [
    L(58, 'runlens', ['loss', 'acc', 'val/loss', 'val/acc']),
    L(60, 'runlens', [], ['^(.+)/loss_scaled$', '^lr_(.+)$']),
    L(68, 'print', ['loss', 'val_acc']),
    L(74, 'runlens', ['weight_norm', 'layers']),
    L(75, 'print', ['weight_norm']),
  ],
};

describe('recognizeMetricLines on training scripts', () => {
  for (const [file, expected] of Object.entries(EXPECTED)) {
    test(file, () => {
      assert.deepEqual(lens(file), expected);
    });
  }

  test('every fixture script has its expectation', () => {
    assert.deepEqual(fs.readdirSync(scripts).sort(), Object.keys(EXPECTED).sort());
  });
});

describe('recognizeMetricLines: Python', () => {
  test('a call over several lines is reported once, at the line where it starts', () => {
    const lines = py(`
      wandb.log(
          {
              "loss": criterion(model(x), y).item(),
              "name (a, b)": len("),}{"),
              "nested": {"inner": [1, (2, 3)]},
          },
          step=step,
      )
      wandb.log({"after": 1})
    `);
    assert.deepEqual(lines, [L(1, 'wandb', ['loss', 'name (a, b)', 'nested']), L(9, 'wandb', ['after'])]);
  });

  test('calls in comments are not metric lines; # inside a string is not a comment', () => {
    const lines = py(`
      import wandb
      # wandb.log({"commented": 1})
      x = 1  # mlflow.log_metric("trailing", 1)
      url = "http://host/#anchor"; wandb.log({"hash # in string": 1})  # wandb.log({"no": 2})
    `);
    assert.deepEqual(lines, [L(4, 'wandb', ['hash # in string'])]);
  });

  test('triple-quoted strings and escaped quotes', () => {
    const lines = py(String.raw`
      DOC = """
      wandb.log({"fake": 1})
      '''still inside'''
      """
      s = 'it\'s "quoted" wandb.log({"fake2": 1})'
      wandb.log({"it\"s": 1, 'a\'b)': 2, "tab\there": 3})
      notes = '''print(f"loss: {loss}")'''
      raw = r"C:\dir\" + "  # not the end of the raw string: \" is kept
      mlflow.log_metric(r"raw\n", 1)
    `);
    assert.deepEqual(lines, [L(6, 'wandb', ['it"s', "a'b)", 'tab\there']), L(9, 'mlflow', ['raw\\n'])]);
  });

  test('f-string names become anchored patterns', () => {
    const lines = py(`
      wandb.log({
          f"{split}/loss": loss,
          f"lr": lr,
          f"{{literal}}_{k}": v,
          f"{a}_{b:>3}": 1,
          f"{d['name']}_acc": 2,
          f"{d["name"]}_f1": 3,
          f"{k}": v,
      })
    `);
    assert.deepEqual(lines, [
      L(
        1,
        'wandb',
        ['lr'],
        ['^(.+)/loss$', '^\\{literal\\}_(.+)$', '^(.+)_(.+)$', '^(.+)_acc$', '^(.+)_f1$'],
      ),
    ]);
  });

  test('names built with %, .format() and +', () => {
    const lines = py(`
      mlflow.log_metric("fold%d_auc" % fold, auc)
      mlflow.log_metric("val_{}".format(name), v)
      mlflow.log_metric("train_" + name + "_mean", v)
      mlflow.log_metric(name, v)
    `);
    assert.deepEqual(lines, [
      L(1, 'mlflow', [], ['^fold(.+)_auc$']),
      L(2, 'mlflow', [], ['^val_(.+)$']),
      L(3, 'mlflow', [], ['^train_(.+)_mean$']),
      L(4, 'mlflow', []),
    ]);
  });

  test('dict(k=v), keyword arguments and ** spreads', () => {
    const lines = py(`
      run.log(dict(loss=l, acc=a, **extra), step=3)
      wandb.log(data={"x": 1}, commit=False)
      accelerator.log(values={**{"inner": 1}, **others, "outer": 2}, step=s)
      self.log(name=f"{stage}/loss", value=v)
      writer.add_scalar(tag="t", scalar_value=1, global_step=2)
      writer.add_scalars(main_tag="m", tag_scalar_dict={"a": 1})
    `);
    assert.deepEqual(lines, [
      L(1, 'runlens', ['loss', 'acc']),
      L(2, 'wandb', ['x']),
      L(3, 'accelerate', ['inner', 'outer']),
      L(4, 'lightning', [], ['^(.+)/loss$']),
      L(5, 'tensorboard', ['t']),
      L(6, 'tensorboard', ['m/a']),
    ]);
  });

  test('each call is reported once with one style', () => {
    const lines = py(`
      import mlflow
      from dvclive import Live
      mlflow.log_metric("m", 1)
      mlflow.log_metrics({"ms": 1})
      live.log_metric("d", 1)
      SummaryWriter(log_dir).add_scalar("x", 1)
      self.writers["train"].add_scalar("y", 1)
      writer.add_scalars(f"{split}", {"a": 1})
      writer.add_scalars("main", scalars)
      tf.compat.v2.summary.scalar("tfs", 1, step=0)
      trainer.logger.log_metrics({"lm": 1})
    `);
    assert.deepEqual(lines, [
      L(3, 'mlflow', ['m']),
      L(4, 'mlflow', ['ms']),
      L(5, 'dvclive', ['d']),
      L(6, 'tensorboard', ['x']),
      L(7, 'tensorboard', ['y']),
      L(8, 'tensorboard', [], ['^(.+)/a$']),
      L(9, 'tensorboard', [], ['^main/(.+)$']),
      L(10, 'tf.summary', ['tfs']),
      L(11, 'lightning', ['lm']),
    ]);
  });

  test('run.log is wandb when the file imports wandb but not runlens', () => {
    const call = 'run.log({"loss": 1})';
    assert.equal(py(`import wandb\n${call}`)[0].style, 'wandb');
    assert.equal(py(`import runlens\nimport wandb\n${call}`)[0].style, 'runlens');
    assert.equal(py(`from runlens import init\n${call}`)[0].style, 'runlens');
    assert.equal(py(call)[0].style, 'runlens');
    assert.equal(py('import runlens\nwandb_run.log({"a": 1})')[0].style, 'wandb');
    assert.equal(py('import wandb\nwandb.run.log({"a": 1})')[0].style, 'wandb');
    assert.equal(py('# import wandb\nrun.log({"a": 1})')[0].style, 'runlens', 'a commented import');
  });

  test('definitions, other receivers and look-alikes are not metric lines', () => {
    const lines = py(`
      class Tracker:
          def log(self, metrics, step=None):
              pass
          def log_metric(self, name, value):
              pass
          def print(self, *args):
              pass
      logger.log(logging.INFO, "loss: %f", loss)
      np.log(x)
      math.log(2)
      log({"bare": 1})
      summary.scalars("x", 1)
      print("Training finished:")
      print("Done:", flush=True)
      print("status:", "ok")
      print(f"Using device: {device}")
      print(f"acc: {acc:.1f}%")
      print(f"epoch: {e} step={s}")
      print("lr", lr)
    `);
    assert.deepEqual(lines, []);
  });

  test('print lines: key: value and key=value inside string literals', () => {
    const cases: [string, string[], string[]?][] = [
      ['print(f"loss: {loss:.4f} acc={acc}")', ['loss', 'acc']],
      ['print("loss:", loss)', ['loss']],
      ['print("loss=", loss, "acc=", acc, sep="")', ['loss', 'acc']],
      ['print("epoch %d loss=%.3f val_loss=%s" % (e, l, v))', ['loss', 'val_loss']],
      ['print("loss: {:.4f}, acc: {}".format(l, a))', ['loss', 'acc']],
      ['print(f"{loss=:.4f}, {acc = }")', ['loss', 'acc']],
      ['print("loss: " + str(loss))', ['loss']],
      ['print(f"{split}_loss: {v:.3f}")', [], ['^(.+)_loss$']],
      ['print(f"status: {code:d}")', ['status']],
      ['print(f"""\n  loss: {loss}\n  acc: {acc}\n""")', ['loss', 'acc']],
      ['self.print(f"val_loss={v}")', ['val_loss']],
      ['accelerator.print(f"f1={f1}")', ['f1']],
    ];
    for (const [source, keys, patterns = []] of cases) {
      assert.deepEqual(py(source), [L(1, 'print', keys, patterns)], source);
    }
  });

  test('an unterminated call at the end of the file still reports what is written', () => {
    assert.deepEqual(py('wandb.log({"loss": 1,\n'), [L(1, 'wandb', ['loss'])]);
    assert.deepEqual(py('print(f"loss: {l}'), [L(1, 'print', ['loss'])]);
  });

  test('Windows line endings and backslash continuations', () => {
    const lines = recognizeMetricLines(
      'wandb.log({"a": 1})\r\nwandb.log(\r\n  {"b": 2})\r\nx = 1 + \\\r\n  2\r\nrunlens.log({"c": 3})\r\n',
      'python',
    );
    assert.deepEqual(lines, [L(1, 'wandb', ['a']), L(2, 'wandb', ['b']), L(6, 'runlens', ['c'])]);
  });
});

describe('recognizeMetricLines: JavaScript and TypeScript', () => {
  test('object keys: identifiers, quoted, shorthand, computed templates', () => {
    const lines = js(`
      run.log(
        {
          loss,
          'val/acc': a,
          "q": 1,
          [\`\${split}/loss\`]: x,
          ['p_' + k]: y,
          [key]: z,
          ...rest,
          ...{ spread: 1 },
          42: 1,
          nested: { inner: 1 },
          fn() { return { no: 1 }; },
        },
        step,
      );
    `);
    assert.deepEqual(lines, [
      L(1, 'runlens', ['loss', 'val/acc', 'q', 'spread', '42', 'nested'], ['^(.+)/loss$', '^p_(.+)$']),
    ]);
  });

  test('comments, // in strings, regular expressions and division', () => {
    const lines = js(String.raw`
      const half = total / 2; // run.log({ c1: 1 })
      /* run.log({ c2: 1 })
         runlens.log({ c3: 1 }) */
      const re = /\/\/["'(]/g; const u = 'http://x//y'; const t = ${'`'}//${'$'}{u}${'`'};
      runlens.log({ after: half / 2, ratio: (a) / (b) });
      const s = "run.log({ inString: 1 })"; const q = 'it\'s run.log({ x: 1 })';
      if (/run\.log\(/.test(src)) run.log({ afterRegex: 1 });
    `);
    assert.deepEqual(lines, [L(5, 'runlens', ['after', 'ratio']), L(7, 'runlens', ['afterRegex'])]);
  });

  test('console.log lines', () => {
    const cases: [string, string[], string[]?][] = [
      ['console.log(`loss=${x}`)', ['loss']],
      ['console.log(`epoch ${e}: loss=${l.toFixed(4)} acc: ${a}`)', ['loss', 'acc']],
      ["console.log('loss: ' + x + ' val_acc=' + y.toFixed(3))", ['loss', 'val_acc']],
      ["console.log('val_loss: %d acc=%s', v, a)", ['val_loss', 'acc']],
      ["console.log('acc:', a)", ['acc']],
      ['console.log("http://host//x loss: " + l)', ['loss']],
      ['console.log(`a ${`b ${c}`} loss: ${`${l}`}`)', ['loss']],
      ['console.log(`${split}/loss=${v}`)', [], ['^(.+)/loss$']],
    ];
    for (const [source, keys, patterns = []] of cases) {
      assert.deepEqual(js(source), [L(1, 'print', keys, patterns)], source);
    }
    assert.deepEqual(js("console.log('done:', 'ok'); console.error('loss: ' + x); print(`loss=${x}`)"), []);
  });

  test('receivers: run(), this.run, wandb, tfjs summary writers', () => {
    const lines = recognizeMetricLines(
      dedent(`
        import wandb from '@wandb/sdk';
        run().log({ a: 1 }, 3);
        this.run.log({ b: 1 } as Metrics);
        await wandb.log({ c: 1 });
        writer.scalar('d', v, step);
        logger.log({ e: 1 });
        function log(metrics: Record<string, number>) {}
      `),
      'typescript',
    );
    assert.deepEqual(lines, [
      L(2, 'wandb', ['a']),
      L(3, 'wandb', ['b']),
      L(4, 'wandb', ['c']),
      L(5, 'tf.summary', ['d']),
    ]);
  });
});

describe('languageOf and matchesKey', () => {
  test('languageOf maps extensions', () => {
    for (const [file, language] of [
      ['train.py', 'python'],
      ['a/b/train.js', 'javascript'],
      ['x.mjs', 'javascript'],
      ['x.cjs', 'javascript'],
      ['App.jsx', 'javascript'],
      ['train.ts', 'typescript'],
      ['x.mts', 'typescript'],
      ['x.cts', 'typescript'],
      ['View.tsx', 'typescript'],
      ['TRAIN.PY', 'python'],
      ['notes.md', undefined],
      ['Makefile', undefined],
      ['train.py.bak', undefined],
    ] as const) {
      assert.equal(languageOf(file), language, file);
    }
  });

  test('matchesKey uses the literal keys and the patterns', () => {
    const line = L(1, 'wandb', ['loss', 'a.b'], ['^(.+)/loss$', '^fold(.+)_auc$']);
    assert.ok(matchesKey(line, 'loss'));
    assert.ok(matchesKey(line, 'a.b'));
    assert.ok(!matchesKey(line, 'aXb'), 'a literal key is not a pattern');
    assert.ok(matchesKey(line, 'train/loss'));
    assert.ok(matchesKey(line, 'val/x/loss'));
    assert.ok(!matchesKey(line, '/loss'));
    assert.ok(!matchesKey(line, 'train/loss2'));
    assert.ok(matchesKey(line, 'fold3_auc'));
    assert.ok(!matchesKey(L(1, 'print', [], ['(unbalanced']), 'x'), 'a bad pattern matches nothing');
    const [f] = lens('dvclive_loop.py');
    assert.ok(matchesKey(f, 'val/loss') && !matchesKey(f, 'val/acc'));
  });
});

describe('speed', () => {
  /** A 2,000-line script with 300 logging calls of mixed styles between ordinary code. */
  function generatedScript(): { source: string; calls: number } {
    const calls = [
      (i: number) => [`wandb.log({"loss": loss_${i}, f"{split}/acc": acc}, step=${i})`],
      (i: number) => [`mlflow.log_metric("metric_${i}", value, step=step)`],
      (i: number) => [`writer.add_scalar("Loss/train_${i}", loss.item(), global_step)`],
      (i: number) => [`self.log("train_loss_${i}", loss, prog_bar=True)`],
      (i: number) => [`print(f"epoch {epoch} loss: {loss:.4f} acc={acc:.3f} (call ${i})")`],
      (i: number) => [`tf.summary.scalar('acc_${i}', acc, step=epoch)`],
      (i: number) => [
        'accelerator.log(',
        '    {',
        `        "train/loss_${i}": loss.item(),  # comment with "quotes" and (parens`,
        '        "train/lr": scheduler.get_last_lr()[0],',
        '    },',
        '    step=step,',
        ')',
      ],
      (i: number) => [`live.log_metric(f"{split}/loss_${i}", value)`],
      (i: number) => [`run.log(dict(loss=loss, step_${i}=float(x)))`],
      (i: number) => ['mlflow.log_metrics({', `    "r2_${i}": r2, "mae": mae,`, '})'],
    ];
    const filler = [
      '    x = model(batch["input"])  # forward (with a comment)',
      '    loss = criterion(x, batch["target"]) / len(batch)',
      '    """A docstring that mentions wandb.log({"fake": 1}) and print(f"loss: {x}")."""',
      '    optimizer.zero_grad(); loss.backward(); optimizer.step()',
      "    name = 'a string with # and // and ) inside'",
      '    # writer.add_scalar("commented", 1)',
    ];
    const lines = ['import wandb', 'import mlflow', ''];
    let n = 0;
    while (lines.length < 2000) {
      if (n < 300 && lines.length % 6 === 0) {
        lines.push(...calls[n % calls.length](n).map((l) => '    ' + l));
        n++;
      } else lines.push(filler[lines.length % filler.length]);
    }
    return { source: lines.slice(0, 2000).join('\n'), calls: n };
  }

  test('a 2,000-line script with ~300 logging calls', (t) => {
    const { source, calls } = generatedScript();
    assert.equal(source.split('\n').length, 2000);
    const first = performance.now();
    const found = recognizeMetricLines(source, 'python'); // the first time this process sees it
    const firstMs = performance.now() - first;
    assert.equal(found.length, calls);
    assert.equal(calls, 300);
    for (let i = 0; i < 20; i++) recognizeMetricLines(source, 'python'); // warm up
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      recognizeMetricLines(source, 'python');
      times.push(performance.now() - t0);
    }
    const cpu = process.cpuUsage(cpu0);
    times.sort((a, b) => a - b);
    const message =
      `recognizeMetricLines: 2,000 lines (${(source.length / 1024).toFixed(0)} KiB), ${found.length} calls: ` +
      `wall median ${times[25].toFixed(2)} ms, min ${times[0].toFixed(2)} ms; ` +
      `CPU ${((cpu.user + cpu.system) / 1000 / 50).toFixed(2)} ms per run; first call ${firstMs.toFixed(2)} ms`;
    t.diagnostic(message);
    console.log(message);
  });
});

describe('runlens lens (built CLI)', () => {
  before(() => {
    const build = spawnSync(process.execPath, ['scripts/build.js'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
  });

  const run = (...args: string[]) =>
    spawnSync(process.execPath, [cliPath, 'lens', ...args], { cwd: repoRoot, encoding: 'utf8' });

  test('--json prints [{ line, keys, patterns, style }]', () => {
    for (const file of ['mlflow_script.py', 'tfjs_train.ts']) {
      const r = run(path.join(scripts, file), '--json');
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), EXPECTED[file]);
      assert.deepEqual(Object.keys(JSON.parse(r.stdout)[0]), ['line', 'keys', 'patterns', 'style']);
    }
  });

  test('a readable table by default', () => {
    const r = run(path.join('test', 'fixtures', 'scripts', 'dvclive_loop.py'));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), [
      'LINE  STYLE    KEYS',
      '  22  dvclive  /^(.+)/loss$/',
      '  23  dvclive  /^(.+)/acc$/',
      '  28  dvclive  lr',
      '  32  dvclive  val/auc',
    ]);
  });

  test('a notebook: its lines by cell, cells counted over all cells as the notebook editor does', () => {
    const nb = path.join('test', 'fixtures', 'workspace', 'notebooks', 'train.ipynb');
    const r = run(nb);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), [
      'CELL  LINE  STYLE    KEYS',
      '   4     4  runlens  loss, val_acc',
      '   6     1  print    train_time',
    ]);
    const json = run(nb, '--json');
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), [
      { cell: 4, line: 4, keys: ['loss', 'val_acc'], patterns: [], style: 'runlens' },
      { cell: 6, line: 1, keys: ['train_time'], patterns: [], style: 'print' },
    ]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-lens-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'r.ipynb'),
        JSON.stringify({ cells: [], metadata: { kernelspec: { language: 'R' } } }),
      );
      const r2 = run(path.join(dir, 'r.ipynb'));
      assert.equal(r2.status, 2);
      assert.match(r2.stderr, /r\.ipynb: a notebook of a kernel language Runlens does not read/);
      fs.writeFileSync(path.join(dir, 'bad.ipynb'), '{"cells": [');
      const bad = run(path.join(dir, 'bad.ipynb'));
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /bad\.ipynb: not a Jupyter notebook \(invalid JSON/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('usage errors exit 2; a missing file is named', () => {
    const unknown = run('README.md');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /runlens: error: README\.md: not a script Runlens reads/);
    assert.match(unknown.stderr, /fix: give a \.py, \.js/);
    const noArg = run();
    assert.equal(noArg.status, 2);
    assert.match(noArg.stderr, /missing required argument 'file'/);
    const missing = run('no/such/train.py');
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /runlens: error: no\/such\/train\.py: no such file/);
    const help = spawnSync(process.execPath, [cliPath, 'lens', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Usage: runlens lens/);
  });
});
