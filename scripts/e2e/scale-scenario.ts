// The explorer on big stores in a real VS Code (the packaged extension in code-server): for each folder
// of E2E_SCALE_FOLDERS (comma-separated paths of folders holding a .runlens store), the time until
// the Experiments view lists the first experiment's newest run, cold (the window opened and the
// Runlens view shown at once: extension host start and activation included) and settled (the window
// opened again and left until its extension host is idle, as the extension activates on the store
// at window open, then the view shown), with the extension host's memory (resident and peak). Each
// folder prints one line
//   SCALE {"folder":…,"runs":…,"coldMs":…,"openMs":…,"rssMB":…,"peakMB":…}
// that `npm run bench -- vscode` (test/bench/vscode.bench.ts) reads. Not part of npm test.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { baseUrl, lap, main, step } from './scenario';

const folders = (process.env.E2E_SCALE_FOLDERS ?? '').split(',').filter(Boolean);
if (!folders.length) {
  console.error('scale-scenario: set E2E_SCALE_FOLDERS to folders holding a .runlens store');
  process.exit(2);
}

/** The newest extension host process of this run (code-server forks one per window). */
function extensionHost(): number | undefined {
  const marker = `RUNLENS_E2E_RUN=${process.env.RUNLENS_E2E_RUN}`;
  let newest: { pid: number; start: number } | undefined;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (!cmd.includes('extensionHost')) continue;
      if (!fs.readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(marker)) continue;
      const start = Number(fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[19]);
      if (!newest || start > newest.start) newest = { pid: Number(d), start };
    } catch {
      // gone meanwhile
    }
  }
  return newest?.pid;
}

function memoryMB(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

const sidebar = (page: Page) => page.locator('.part.sidebar');

/** CPU time (ms) a process has used. */
function cpuMs(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}

/** CPU time (ms) used by the processes of this run (code-server and what it started, Chromium), this one aside. */
function runCpuMs(): number {
  const marker = `RUNLENS_E2E_RUN=${process.env.RUNLENS_E2E_RUN}`;
  let sum = 0;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(marker)) sum += cpuMs(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return sum;
}

/** Has extension host `pid` activated Runlens? (Its log, remoteexthost.log, is among its open files.) */
function runlensActivated(pid: number): boolean {
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const file = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (file.endsWith('remoteexthost.log'))
        return fs.readFileSync(file, 'utf8').includes('_doActivateExtension runlens.runlens');
    } catch {
      // closed meanwhile
    }
  }
  return false;
}

/**
 * Until the window's own extension host (not `previous`, the one of the window before) has activated
 * Runlens and the whole run (server, extension host, search and watcher processes, browser) has used
 * under 10% of a core for 2 s. On a loaded machine the workbench starts its extension host late, and
 * the workspaceContains search of a big store runs in a process of its own: a quiet extension host
 * alone did not mean a settled window.
 */
async function settled(page: Page, previous: number | undefined): Promise<void> {
  const until = Date.now() + 180_000;
  let quiet = 0;
  let last: { pid: number; cpu: number } | undefined;
  while (quiet < 4 && Date.now() < until) {
    await page.waitForTimeout(500);
    const pid = extensionHost();
    const ready = pid !== undefined && pid !== previous && runlensActivated(pid);
    const cpu = runCpuMs();
    quiet = ready && last?.pid === pid && cpu - last.cpu < 50 ? quiet + 1 : 0;
    last = pid ? { pid, cpu } : undefined;
  }
  if (quiet < 4) lap('the window did not settle in 180 s: measured anyway');
}

/**
 * Marks in the page what a person sees, on the page's clock: when the pointer went down on the
 * activity bar (window.__runlensScale.down) and the first frame drawn after a run row was first in
 * the Runlens view (…shown), free of the driver's round trips and polling.
 */
const MARK_VIEW_SHOWN = `(() => {
  const m = (window.__runlensScale = {});
  addEventListener('pointerdown', () => { m.down ??= performance.now(); }, true);
  const check = () => {
    if (m.row) return;
    const side = document.querySelector('.part.sidebar');
    if (!side || !/runlens/i.test(side.querySelector('.title-label')?.textContent ?? '')) return;
    for (const r of side.querySelectorAll('.monaco-list-row'))
      if (/run-\\d+/.test(r.textContent ?? '')) {
        m.row = performance.now();
        // the frame that draws it, then the task after it
        requestAnimationFrame(() => setTimeout(() => { m.shown = performance.now(); }, 0));
        observer.disconnect();
        return;
      }
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
})()`;

for (const [i, folder] of folders.entries()) {
  step(`explorer-${i + 1}-${path.basename(folder)}`, async (page) => {
    const runs = fs.readdirSync(path.join(folder, '.runlens', 'runs')).length;
    const url = `${baseUrl}/?folder=${encodeURIComponent(folder)}`;
    const item = page.locator('.activitybar .action-item [aria-label*="Runlens"]').first();
    const runRow = sidebar(page)
      .locator('.monaco-list-row', { hasText: /run-\d+/ })
      .first();
    // Cold: the window opened on the folder and the Runlens view shown as soon as it can be, until
    // the first experiment's newest run is listed (extension host start and activation included).
    const cold = Date.now();
    await page.goto(url);
    await item.waitFor({ timeout: 60_000 });
    await item.click();
    await runRow.waitFor({ timeout: 120_000 });
    const coldMs = Date.now() - cold;
    // Settled: the window opened again with the file explorer showing, left until its extension
    // host is idle (the extension activates at window open, on the store's store.json), then the
    // Runlens view shown.
    await page.keyboard.press('Control+Shift+E');
    await page.locator('.part.sidebar .title-label', { hasText: /explorer/i }).waitFor();
    const previous = extensionHost();
    await page.goto(url);
    await item.waitFor({ timeout: 60_000 });
    await settled(page, previous);
    await page.evaluate(MARK_VIEW_SHOWN);
    const t0 = Date.now();
    await item.click();
    // the extension's views registered (they are at once in a settled window)
    await sidebar(page)
      .locator('.pane-body', { hasText: 'There is no data provider registered' })
      .first()
      .waitFor({ state: 'detached', timeout: 120_000 });
    const activatedMs = Date.now() - t0;
    const experiment = sidebar(page)
      .locator('.monaco-list-row', { hasText: /^\s*exp\d/ })
      .first();
    await experiment.waitFor({ timeout: 120_000 });
    const experimentMs = Date.now() - t0;
    const collapsed = (await experiment.getAttribute('aria-expanded')) === 'false';
    if (collapsed) await experiment.click();
    await runRow.waitFor({ timeout: 120_000 });
    const openMs = Date.now() - t0;
    await page.waitForFunction('window.__runlensScale.shown !== undefined', undefined, { timeout: 10_000 });
    const marks = (await page.evaluate('window.__runlensScale')) as {
      down: number;
      row: number;
      shown: number;
    };
    const shownMs = Math.round(marks.shown - marks.down);
    await page.waitForTimeout(1000); // the extension host settles (its peak is kept anyway)
    const pid = extensionHost();
    const mem = pid ? memoryMB(pid) : { rss: NaN, peak: NaN };
    lap(`${runs} runs: cold (window opened, view shown at once) ${coldMs} ms`);
    lap(
      `${runs} runs: views registered after ${activatedMs} ms, first experiment after ${experimentMs} ms (${collapsed ? 'collapsed' : 'expanded'}), extension host pid ${pid}`,
    );
    lap(
      `${runs} runs: explorer open in ${openMs} ms as the driver saw it (from before its click to the row found), ${shownMs} ms in the window (pointer down to the first run row drawn, row in the page after ${Math.round(marks.row - marks.down)} ms), extension host ${mem.rss.toFixed(0)} MB (peak ${mem.peak.toFixed(0)} MB)`,
    );
    console.log(
      `SCALE ${JSON.stringify({ folder, runs, coldMs, activatedMs, openMs, shownMs, rssMB: mem.rss, peakMB: mem.peak })}`,
    );
  });
}

main();
