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

/** Until the newest extension host has used under 5% of a core for 2 s (started and activated). */
async function settled(page: Page): Promise<void> {
  const until = Date.now() + 120_000;
  let quiet = 0;
  let last: { pid: number; cpu: number } | undefined;
  while (quiet < 4 && Date.now() < until) {
    await page.waitForTimeout(500);
    const pid = extensionHost();
    const cpu = pid ? cpuMs(pid) : NaN;
    quiet = pid && last?.pid === pid && cpu - last.cpu < 25 ? quiet + 1 : 0;
    last = pid ? { pid, cpu } : undefined;
  }
}

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
    await page.goto(url);
    await item.waitFor({ timeout: 60_000 });
    await settled(page);
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
    await page.waitForTimeout(1000); // the extension host settles (its peak is kept anyway)
    const pid = extensionHost();
    const mem = pid ? memoryMB(pid) : { rss: NaN, peak: NaN };
    lap(`${runs} runs: cold (window opened, view shown at once) ${coldMs} ms`);
    lap(
      `${runs} runs: views registered after ${activatedMs} ms, first experiment after ${experimentMs} ms (${collapsed ? 'collapsed' : 'expanded'}), extension host pid ${pid}`,
    );
    lap(
      `${runs} runs: explorer open in ${openMs} ms, extension host ${mem.rss.toFixed(0)} MB (peak ${mem.peak.toFixed(0)} MB)`,
    );
    console.log(
      `SCALE ${JSON.stringify({ folder, runs, coldMs, activatedMs, openMs, rssMB: mem.rss, peakMB: mem.peak })}`,
    );
  });
}

main();
