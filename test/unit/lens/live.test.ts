// Lenses on live and imported runs: when VS Code is told that lenses changed, and which runs a
// script's lenses read when no run recorded the script (imported from MLflow).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { recognizeMetricLines } from '../../../src/core/lens/recognize';
import { runsOfScript, scriptRows } from '../../../src/core/lens/runs';
import type { RunEntry } from '../../../src/core/store/types';
import { PullThrottle } from '../../../src/extension/lens/pullThrottle';

/**
 * The clock is mocked (setTimeout and Date): the editor's scheduler, the throttle and the former
 * refresh run on the same simulated time, so a loaded machine cannot stretch one delay against
 * another. `runUntil` advances it in small steps until the condition holds.
 */
function runUntil(done: () => boolean, limitMs: number, stepMs = 10): void {
  for (let t = 0; t < limitMs && !done(); t += stepMs) mock.timers.tick(stepMs);
}

/**
 * VS Code's side, as its CodeLens contribution does it: a RunOnceScheduler with a delay (the time
 * lenses took to provide) that every change event restarts; when it runs, it asks for lenses.
 */
class EditorLenses {
  private timer: ReturnType<typeof setTimeout> | undefined;
  seen: number[] = [];
  constructor(
    private readonly delay: number,
    private readonly current: () => number,
    private readonly provided: () => void,
  ) {}
  /** The editor's text lost the focus: VS Code cancels the pending ask (onDidBlurEditorText). */
  blur(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
  onDidChange(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.provided();
      this.seen.push(this.current());
    }, this.delay);
  }
}

describe('live lenses', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  test('a store that changes every 20 ms still gets its lenses asked for while it changes', () => {
    let step = 0;
    let throttle: PullThrottle | undefined = undefined;
    const editor = new EditorLenses(
      400,
      () => step,
      () => throttle!.pulled(),
    );
    throttle = new PullThrottle(() => editor.onDidChange());
    // The former refresh (an event at most every 200 ms) against the same editor: starved.
    const old = new EditorLenses(
      400,
      () => step,
      () => undefined,
    );
    let oldTimer: ReturnType<typeof setTimeout> | undefined;
    const oldChanged = () => {
      if (oldTimer) return;
      oldTimer = setTimeout(() => {
        oldTimer = undefined;
        old.onDidChange();
      }, 200);
    };
    for (let i = 0; i < 125; i++) {
      step = i;
      throttle.changed();
      oldChanged();
      mock.timers.tick(20);
    }
    const during = editor.seen.length;
    const oldDuring = old.seen.length;
    runUntil(() => editor.seen.at(-1) === 124, 60_000);
    throttle.dispose();
    assert.equal(oldDuring, 0, 'the former refresh never let the editor ask while the run logged');
    assert.ok(during >= 2, `asked ${during} times while the run logged`);
    assert.equal(editor.seen.at(-1), 124, 'the last step is shown once the run stops');
  });

  test('an editor slow to ask (a loaded extension host) still asks while the store changes', () => {
    // VS Code's delay is the time lenses took to provide lately: 4 s was seen on a machine at load 17.
    let step = 0;
    let throttle: PullThrottle | undefined = undefined;
    const editor = new EditorLenses(
      4_000,
      () => step,
      () => throttle!.pulled(),
    );
    throttle = new PullThrottle(() => editor.onDidChange());
    for (let i = 0; i < 2_000; i++) {
      step = i;
      throttle.changed();
      mock.timers.tick(20);
    }
    const during = editor.seen.length;
    runUntil(() => editor.seen.at(-1) === 1_999, 120_000);
    throttle.dispose();
    assert.ok(during >= 5, `asked ${during} times in the 40 s the store changed`);
    assert.equal(editor.seen.at(-1), 1_999, 'the last step is shown once the run stops');
  });

  test('an ask cancelled by a blur is made up for within seconds, not a minute', () => {
    let step = 0;
    let fired = 0;
    let throttle: PullThrottle | undefined = undefined;
    const editor = new EditorLenses(
      400,
      () => step,
      () => throttle!.pulled(),
    );
    throttle = new PullThrottle(() => {
      fired++;
      editor.onDidChange();
    });
    // A run logging every 50 ms; after a few asks, a click into the chart beside the script cancels
    // the ask VS Code had pending.
    let blurredAt = 0;
    for (let i = 0; i < 400; i++) {
      step = i;
      throttle.changed();
      if (i === 40) {
        runUntil(() => fired > 0 && editor.seen.length > 0, 5_000, 1);
        throttle.changed();
        runUntil(() => fired >= 3, 5_000, 1); // an event is out: the editor's ask is pending
        editor.blur();
        blurredAt = Date.now();
      }
      mock.timers.tick(50);
      if (blurredAt && editor.seen.at(-1)! > 40) break;
    }
    const late = Date.now() - blurredAt;
    throttle.dispose();
    assert.ok(editor.seen.at(-1)! > 40, 'the editor asked again after the blur');
    assert.ok(late <= 3_000, `the editor asked again ${late} ms after the blur`);
  });

  test('a change of the editors shown announces a change that waited at once', () => {
    let fired = 0;
    const t = new PullThrottle(() => fired++, { gap: 10 });
    t.changed();
    runUntil(() => fired === 1, 1_000);
    t.changed(); // waits for an ask that a blur cancelled
    mock.timers.tick(1_000);
    assert.equal(fired, 1);
    t.editorsChanged(); // e.g. the focus went to a webview panel
    runUntil(() => fired === 2, 100);
    t.dispose();
    assert.equal(fired, 2);
  });

  test('without an editor asking, a change is still announced again later (no stuck state)', () => {
    let fired = 0;
    const t = new PullThrottle(() => fired++, { gap: 10, stale: 200 });
    t.changed();
    runUntil(() => fired === 1, 60_000);
    mock.timers.tick(50);
    t.changed();
    runUntil(() => fired === 2, 60_000);
    // nothing changed since: no further announcement, however long nobody asks
    mock.timers.tick(10_000);
    t.dispose();
    assert.equal(fired, 2);
  });
});

describe('lenses of imported runs', () => {
  const entry = (id: string, script: string | null, keys: string[], startTime: number) =>
    ({
      id,
      script,
      startTime,
      metrics: Object.fromEntries(keys.map((k) => [k, { last: 1 }])),
    }) as unknown as RunEntry;
  test('runs without a script that logged the most of what the file logs', () => {
    const lines = recognizeMetricLines(
      'import mlflow\nmlflow.log_metric("val_loss", v)\nmlflow.log_metric("val_f1", f)\nmlflow.log_metric("lr", lr)\n',
      'python',
    );
    const entries = [
      entry('imported-a', null, ['val_loss', 'val_f1', 'lr'], 1),
      entry('imported-b', null, ['val_loss', 'val_f1', 'lr'], 2),
      entry('other-import', null, ['lr'], 3),
      entry('other-script', 'other.py', ['val_loss', 'val_f1', 'lr'], 4),
    ];
    // no run recorded train.py: the imported runs that logged the most of its keys, newest first
    assert.deepEqual(
      runsOfScript(entries, 'train.py', lines).map((e) => e.id),
      ['imported-b', 'imported-a'],
    );
    assert.deepEqual(runsOfScript([entry('x', null, ['acc'], 1)], 'train.py', lines), []);
    // a run that recorded the script wins over imported ones
    assert.deepEqual(
      runsOfScript(entries, 'other.py', lines).map((e) => e.id),
      ['other-script'],
    );
    // the same answer from columns (what the editor holds for a store: no entry built)
    const store = {
      size: entries.length,
      script: (i: number) => entries[i].script,
      metricKeys: (i: number) => Object.keys(entries[i].metrics),
      startTime: (i: number) => entries[i].startTime,
    };
    assert.deepEqual(scriptRows(store, 'train.py', lines), [1, 0]);
  });
});
