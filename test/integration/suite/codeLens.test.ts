// CodeLens over the fixture's train.py: the values of its last run above the line that logs them,
// in the real editor (vscode.executeCodeLensProvider asks every registered provider), and the
// lens following a run launched from the editor while it trains.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatPoint } from '../../../src/core/store/metrics';
import { Store } from '../../../src/core/store/store';
import { escapeMarkdown } from '../../../src/extension/shared/markdown';
import type { RunlensApi } from '../../../src/extension/root';
import { waitFor } from './wait';

/** How long each lens request took, from the extension host to the workbench and back (ms). */
const requestMs: number[] = [];

async function lensTitles(uri: vscode.Uri): Promise<Map<number, string[]>> {
  const t0 = Date.now();
  const lenses =
    (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ??
    [];
  requestMs.push(Date.now() - t0);
  const byLine = new Map<number, string[]>();
  for (const l of lenses) {
    const title = l.command?.title ?? '';
    byLine.set(l.range.start.line, [...(byLine.get(l.range.start.line) ?? []), title]);
  }
  return byLine;
}

/** The 0-based line of `doc` that first contains `text` (-1 when none does). */
function lineWith(doc: vscode.TextDocument, text: string): number {
  return doc
    .getText()
    .split('\n')
    .findIndex((l) => l.includes(text));
}

suite('CodeLens', () => {
  test('train.py shows its last run and the latest loss and val_acc above the log line', async () => {
    const ext = vscode.extensions.getExtension<RunlensApi>('runlens.runlens');
    assert.ok(ext);
    await ext.activate();
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    const uri = vscode.Uri.file(path.join(ws, 'train.py'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const logLine = lineWith(doc, 'runlens.log(');
    assert.ok(logLine > 0);

    // The fixture run: lr 0.3, 12 epochs; last step 11: loss = exp(-0.3 * 12), val_acc = 0.5 + 0.45 * (1 - loss).
    const loss = Math.exp(-0.3 * 12);
    const valAcc = 0.5 + 0.45 * (1 - loss);
    let titles = new Map<number, string[]>();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      titles = await lensTitles(uri);
      if ((titles.get(logLine) ?? []).some((t) => t.includes('val_acc'))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const top = titles.get(0) ?? [];
    assert.ok(
      top.some((t) => /last run fixture-run: finished/.test(t)),
      `top lens: ${JSON.stringify(top)}`,
    );
    const atLog = titles.get(logLine) ?? [];
    assert.equal(atLog.length, 2, `lenses at line ${logLine + 1}: ${JSON.stringify(atLog)}`);
    assert.match(
      atLog.find((t) => t.includes(' loss '))!,
      // two metrics on the line: the compact form, "(best)" as the last value is the best, the
      // step said once on the line
      new RegExp(`loss ${Number(loss.toPrecision(5))}( @ step 11)? \\(best\\)`),
    );
    assert.match(
      atLog.find((t) => t.includes('val_acc'))!,
      new RegExp(`val_acc ${Number(valAcc.toPrecision(5))}`),
    );
    // No lens on lines that log nothing.
    for (const line of titles.keys())
      assert.ok(line === 0 || line === logLine, `unexpected lens at line ${line + 1}`);
  });

  test('the gate policy in runlens.yaml sets the goal the lenses judge "best" by', async () => {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    const uri = vscode.Uri.file(path.join(ws, 'train.py'));
    const doc = await vscode.workspace.openTextDocument(uri);
    const logLine = lineWith(doc, 'runlens.log(');
    const lossLens = async () =>
      ((await lensTitles(uri)).get(logLine) ?? []).find((t) => t.includes(' loss ')) ?? '';
    // The fixture run's loss is exp(-0.3 * (step + 1)): smallest at step 11, largest at step 0.
    const smallest = new RegExp(`loss ${Number(Math.exp(-0.3 * 12).toPrecision(5))}( @ step 11)? \\(best\\)`);
    const largest = `best ${Number(Math.exp(-0.3).toPrecision(5))} @ step 0`;
    assert.match(await lossLens(), smallest);
    const policy = path.join(ws, 'runlens.yaml');
    assert.ok(!fs.existsSync(policy), 'the fixture workspace has no runlens.yaml');
    fs.writeFileSync(policy, 'gate:\n  metrics:\n    loss: { goal: max }\n');
    try {
      await waitFor('the loss lens to follow the policy goal', async () =>
        (await lossLens()).includes(largest),
      );
    } finally {
      fs.rmSync(policy, { force: true });
    }
    await waitFor('the loss lens to go back to the default goal', async () =>
      smallest.test(await lossLens()),
    );
  });

  test('the metric hover shows a hostile run name as text: no HTML, no link', async () => {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    const uri = vscode.Uri.file(path.join(ws, 'train.py'));
    const doc = await vscode.workspace.openTextDocument(uri);
    const logLine = lineWith(doc, 'runlens.log(');
    const col = doc.lineAt(logLine).text.indexOf('loss');
    assert.ok(col >= 0);
    const hostile = '<img src=x onerror=alert(1)>[go](command:runlens.runPipeline)';
    const store = Store.open(path.join(ws, '.runlens'));
    const run = store.createRun({
      experiment: 'hover',
      name: hostile,
      script: 'train.py',
      status: 'finished',
    });
    fs.appendFileSync(
      store.metricsFile(run.id),
      formatPoint({ key: 'loss', value: 0.5, step: 0, time: Date.now() }) + '\n',
    );
    await store.updateRun(run.id, (r) => {
      r.endTime = Date.now();
      r.summary = { loss: { last: 0.5, lastStep: 0, min: 0.5, max: 0.5, count: 1, lastTime: Date.now() } };
    });
    try {
      const hoverText = async () => {
        const hovers =
          (await vscode.commands.executeCommand<vscode.Hover[]>(
            'vscode.executeHoverProvider',
            uri,
            new vscode.Position(logLine, col + 1),
          )) ?? [];
        return hovers
          .flatMap((h) => h.contents)
          .map((c) => (typeof c === 'string' ? c : c.value))
          .join('\n');
      };
      const text = await waitFor('the hover to list the new run', async () => {
        const t = await hoverText();
        return t.includes('onerror') ? t : undefined;
      });
      assert.ok(!text.includes('<img src=x'), text);
      assert.ok(!text.includes('](command:'), text);
      assert.ok(text.includes(escapeMarkdown(hostile)), text);
    } finally {
      store.removeRun(run.id);
      fs.rmSync(path.join(store.trashDir, run.id), { recursive: true, force: true });
    }
    await waitFor('the last run lens to show the fixture run again', async () =>
      ((await lensTitles(uri)).get(0) ?? []).some((t) => /last run fixture-run/.test(t)),
    );
  });
});

/** Where the test runner writes the lenses the workbench draws (scripts/e2e/run-ext-tests.js), if it does. */
const drawnFile = process.env.RUNLENS_E2E_DRAWN_LENSES;

/** The lens changes drawn so far: the page's time (ms) and the text of each lens row. */
function drawnLenses(file: string): { time: number; lenses: string[] }[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { time: number; lenses: string[] });
}

/** Steps the live run logs, one at a time. */
const STEPS = 8;
/**
 * The lens as drawn follows each step within 2 s (issue #15); the margin above that takes in a
 * loaded machine (4.6 s was seen at load 17 on 2 cores, with the test's two busy processes). A lens
 * waiting for an ask that was cancelled is late by a minute.
 */
const DRAWN_WITHIN_MS = 2_000 + 4_000;

suite('CodeLens while a run trains', () => {
  test('the lens above the logging line follows each logged step, with the chart open and the CPUs busy', async function () {
    this.timeout(180_000);
    const ext = vscode.extensions.getExtension<RunlensApi>('runlens.runlens');
    assert.ok(ext);
    const api = await ext.activate();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const ws = folder.uri.fsPath;
    const ack = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-live-lens-'));
    const script = path.join(ws, 'live_train.js');
    // A training script that starts logging when told to, then logs one step and waits for the test
    // to have seen it (a handshake: no step is missed, however slow the machine). `require('runlens')` is the bundled client
    // every launch puts on NODE_PATH.
    fs.writeFileSync(
      script,
      [
        "const fs = require('fs');",
        "const path = require('path');",
        "const runlens = require('runlens');",
        "const run = runlens.init({ experiment: 'live-lens' });",
        'const dir = String(run.params.ack_dir);',
        'const nap = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);',
        "while (!fs.existsSync(path.join(dir, 'go'))) nap(50);",
        `for (let step = 0; step < ${STEPS}; step++) {`,
        '  const loss = 1 / (step + 2);',
        '  run.log({ live_loss: loss }, step);',
        '  run.flush();',
        "  fs.writeFileSync(path.join(dir, 'logged-' + step), String(Date.now()));",
        '  const until = Date.now() + 60000;',
        "  while (!fs.existsSync(path.join(dir, 'ack-' + step))) {",
        '    if (Date.now() > until) process.exit(3);',
        '    nap(50);',
        '  }',
        '}',
        'run.finish();',
        '',
      ].join('\n'),
    );
    // Two busy processes: the extension host and the run share the CPUs with them.
    const hogs = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    const uri = vscode.Uri.file(script);
    const store = Store.open(path.join(ws, '.runlens'));
    let runId: string | undefined;
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      const logLine = lineWith(doc, 'run.log(');
      const done = api.launcher.launch({
        entry: { label: 'live_train.js', folder, script, source: 'detected' },
        params: { ack_dir: ack },
      });
      const run = await waitFor('the launched run in the explorer', () =>
        api.model.allRuns().find((r) => r.entry.experiment === 'live-lens' && r.entry.status === 'running'),
      );
      runId = run.entry.id;
      await vscode.commands.executeCommand('runlens.openMetricsChart', {
        kind: 'run',
        folder: folder.uri.toString(),
        id: runId,
      });
      await waitFor(
        'the chart of the run to be drawn',
        () => api.panels.metrics.current?.lastRendered,
        60_000,
      );
      // The chart took the script's place: the script goes beside it, both in sight.
      await vscode.window.showTextDocument(doc, vscode.ViewColumn.Beside);
      if (drawnFile) {
        // Once the new editor drew the lenses of the run (the panel's and the editor's start are
        // not what is measured below).
        await waitFor(
          'the lens drawn at the top of the script to name the run',
          () =>
            drawnLenses(drawnFile).some((d) =>
              d.lenses.some((l) => l.includes(`last run ${run.entry.name}: running`)),
            ),
          60_000,
        );
      }
      // The run logs its first step once the chart is open (it follows the run too).
      fs.writeFileSync(path.join(ack, 'go'), '');
      const lags: string[] = [];
      const late: string[] = [];
      requestMs.length = 0;
      for (let step = 0; step < STEPS; step++) {
        const logged = path.join(ack, `logged-${step}`);
        await waitFor(`step ${step} to be logged`, () => fs.existsSync(logged), 60_000);
        const value = Number((1 / (step + 2)).toPrecision(5));
        const loggedAt = Number(fs.readFileSync(logged, 'utf8'));
        const modelAt = waitFor(
          `the explorer's model to hold step ${step}`,
          () =>
            (api.model.allRuns().find((r) => r.entry.id === runId)?.entry.metrics.live_loss?.lastStep ??
              -1) >= step && Date.now(),
          60_000,
        );
        if (step === STEPS >> 1) {
          // Halfway, once the step reached the model (its change announced, VS Code about to ask),
          // the chart beside takes the focus: the editor's text loses it, which cancels that ask.
          await modelAt;
          await vscode.commands.executeCommand('workbench.action.focusFirstEditorGroup');
        }
        const shows = `live_loss ${value} @ step ${step}`;
        if (drawnFile) {
          // What the workbench drew, as a user sees it; asking the provider here would itself make
          // the lenses be asked for.
          const drawn = await waitFor(
            `the lens drawn above line ${logLine + 1} to show step ${step}`,
            () =>
              drawnLenses(drawnFile).find(
                (d) => d.time >= loggedAt && d.lenses.some((l) => l.includes(shows)),
              ),
            60_000,
          ).catch((e: Error) => {
            throw new Error(
              `${e.message}; lenses drawn last: ${JSON.stringify(drawnLenses(drawnFile).at(-1))}`,
            );
          });
          const lag = drawn.time - loggedAt;
          lags.push(`${(await modelAt) - loggedAt}/${lag}`);
          if (lag > DRAWN_WITHIN_MS) late.push(`step ${step} drawn ${lag} ms after it was logged`);
          assert.match(
            drawn.lenses.find((l) => l.includes(shows))!,
            new RegExp(`best ${value} @ step ${step}`),
          );
        } else {
          let seen: string[] = [];
          const lens = await waitFor(
            `the lens to show step ${step}`,
            async () => {
              seen = (await lensTitles(uri)).get(logLine) ?? [];
              return seen.find((t) => t.includes(shows));
            },
            60_000,
          ).catch((e: Error) => {
            throw new Error(`${e.message}; lenses at line ${logLine + 1}: ${JSON.stringify(seen)}`);
          });
          lags.push(`${(await modelAt) - loggedAt}/${Date.now() - loggedAt}`);
          // The best so far is the latest: the loss falls at every step.
          assert.match(lens, new RegExp(`best ${value} @ step ${step}`));
        }
        fs.writeFileSync(path.join(ack, `ack-${step}`), '');
      }
      // Shown for the record, with the machine's load: the bound below is the 2 s with a margin.
      const sorted = [...requestMs].sort((a, b) => a - b);
      console.log(
        `      model/lens ${drawnFile ? 'as drawn' : 'as provided'} behind each logged step: ${lags.join(', ')} ms ` +
          `(two busy processes running; load average ${os.loadavg()[0].toFixed(1)})` +
          (sorted.length
            ? `; a lens request took ${sorted[sorted.length >> 1]} ms (median), ${sorted[sorted.length - 1]} ms (max) of ${sorted.length}`
            : ''),
      );
      assert.deepEqual(late, [], `the lens as drawn fell behind the run by more than ${DRAWN_WITHIN_MS} ms`);
      const result = await done;
      assert.equal(result?.status, 'finished');
      await waitFor('the top lens to say the run finished', async () =>
        ((await lensTitles(uri)).get(0) ?? []).some((t) => t.includes(`${run.entry.name}: finished`)),
      );
    } finally {
      for (const h of hogs) h.kill();
      fs.rmSync(script, { force: true });
      fs.rmSync(ack, { recursive: true, force: true });
      if (runId) {
        store.removeRun(runId);
        fs.rmSync(path.join(store.trashDir, runId), { recursive: true, force: true });
      }
    }
  });
});
