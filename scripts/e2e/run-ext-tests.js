// Runs an extension's mocha tests inside code-server's Node (remote) extension host, the way
// @vscode/test-web does it for web extension hosts: the workbench is opened with a `payload` URL
// parameter carrying extensionDevelopmentPath and extensionTestsPath (honoured only when code-server
// runs with --vscode-option enable-smoke-test-driver), and calls window.codeAutomationExit(code, logs)
// when the test module's run() settles. The workbench also forwards its console, which includes the
// extension host's console and so mocha's reporter, to window.codeAutomationLog.
//
// usage: node run-ext-tests.js <baseUrl> <extensionDevelopmentPath> <extensionTestsPath without .js> <folder> [timeoutSec]
// env:   E2E_CHROMIUM (default: chromium on PATH), E2E_LOG_DIR (write the returned logs and a
//        screenshot on failure there), E2E_VERBOSE=1 (print every workbench log line),
//        RUNLENS_E2E_DRAWN_LENSES (append the CodeLens text the workbench draws there, see drawnLenses)
// exit:  0 tests passed, 1 tests failed or timed out, 2 harness error
const { chromium } = require('playwright-core');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');

const [baseUrl, devPath, testsPath, folder, timeoutSec = '300'] = process.argv.slice(2);
if (!folder) {
  console.error(
    'usage: node run-ext-tests.js <baseUrl> <extensionDevelopmentPath> <extensionTestsPath> <folder> [timeoutSec]',
  );
  process.exit(2);
}

/** E2E_CHROMIUM, else the first chromium on PATH. */
function chromiumPath() {
  if (process.env.E2E_CHROMIUM) return process.env.E2E_CHROMIUM;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const p = path.join(dir, name);
      if (fs.existsSync(p)) return p;
    }
  }
  throw new Error('no chromium on PATH: run scripts/e2e/install-tools.sh or set E2E_CHROMIUM');
}

// Lines the workbench logs on every start in an offline sandbox; E2E_VERBOSE=1 shows them.
const NOISE =
  /ENOTFOUND|EAI_AGAIN|authentication provider|connection token|Creating a socket|grace time|AccountPolicyGate|AgentHost|Service Worker|builtin extensions cache/i;

// code-server's remote authority is the page's host: a path on the server becomes a remote URI.
const authority = new URL(baseUrl).host;
const remote = (p) => `vscode-remote://${authority}${p}`;
const payload = [
  ['extensionDevelopmentPath', remote(devPath)],
  ['extensionTestsPath', remote(testsPath)],
];
const url = `${baseUrl}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

/**
 * The CodeLens text as the workbench draws it, for tests that hold what a user sees rather than what
 * the provider answers: each time the lenses shown change, one JSON line {time, lenses} (the page's
 * clock in ms; one string per lens row, its lenses joined by " | ") is appended to `file`. A
 * MutationObserver sees the change in the task that makes it.
 */
async function drawnLenses(page, file) {
  await page.exposeFunction('runlensDrawnLenses', (time, lenses) =>
    fs.appendFileSync(file, JSON.stringify({ time, lenses }) + '\n'),
  );
  // A string: the page runs it as it is.
  await page.addInitScript(`(() => {
    let last = '';
    const inLens = (n) => {
      const el = n && (n.nodeType === 1 ? n : n.parentElement);
      return !!el && (!!el.closest('.codelens-decoration') || !!el.querySelector?.('.codelens-decoration'));
    };
    const report = () => {
      const lenses = [...document.querySelectorAll('.codelens-decoration')]
        .filter((d) => d.offsetParent !== null)
        .map((d) => (d.textContent || '').replace(/\\s+/g, ' ').trim());
      const text = JSON.stringify(lenses);
      if (text === last) return;
      last = text;
      window.runlensDrawnLenses(Date.now(), lenses);
    };
    const observer = new MutationObserver((records) => {
      if (records.some((r) => inLens(r.target) || [...r.addedNodes, ...r.removedNodes].some(inLens))) report();
    });
    const start = () => observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    if (document.body) start();
    else document.addEventListener('DOMContentLoaded', start);
  })()`);
}

async function main() {
  const t0 = Date.now();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    let finish;
    const done = new Promise((resolve) => (finish = resolve));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const line = util.format(...(Array.isArray(args) ? args : [args]));
      if (process.env.E2E_VERBOSE || !NOISE.test(line))
        console.log(type === 'error' ? `[error] ${line}` : line);
    });
    await page.exposeFunction('codeAutomationExit', (code, logs) => finish({ code, logs }));
    page.on('crash', () => finish({ code: 'page crashed' }));
    if (process.env.RUNLENS_E2E_DRAWN_LENSES) await drawnLenses(page, process.env.RUNLENS_E2E_DRAWN_LENSES);
    page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));

    await page.goto(url);
    const timer = setTimeout(
      () => finish({ code: `timeout after ${timeoutSec} s` }),
      Number(timeoutSec) * 1000,
    );
    const { code, logs } = await done;
    clearTimeout(timer);

    const logDir = process.env.E2E_LOG_DIR;
    if (logDir) {
      for (const l of logs || []) {
        const out = path.join(logDir, l.relativePath);
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.writeFileSync(out, l.contents);
      }
      if (code !== 0) {
        fs.mkdirSync(logDir, { recursive: true });
        await page.screenshot({ path: path.join(logDir, 'failure.png') }).catch(() => {});
      }
    }
    console.log(`run-ext-tests: exit code ${code} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return code === 0 ? 0 : 1;
  } finally {
    await context.close().catch(() => {});
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
    } catch {
      // Chromium still writing (interrupted run): the profile is in the run's TMPDIR, removed with it
    }
  }
}

main().then(
  (status) => process.exit(status),
  (e) => {
    console.error('run-ext-tests:', e);
    process.exit(2);
  },
);
