// Loads a built webview bundle (dist/webview/<name>.js) in headless Chromium, in a page that looks
// to it like a VS Code webview: the theme's CSS variables and body class, and an acquireVsCodeApi
// that records what the webview posts and keeps its state.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { pageHtml } from '../../src/extension/panels/html';

export const repoRoot = path.resolve(__dirname, '..', '..');
const CHROMIUM = process.env.RUNLENS_CHROMIUM ?? '/usr/bin/chromium';

export type ThemeKind = 'light' | 'dark' | 'high-contrast';

/** A subset of VS Code's Light Modern, Dark Modern and Dark High Contrast theme colours, as VS Code sets them. */
export const THEMES: Record<ThemeKind, Record<string, string>> = {
  light: {
    '--vscode-font-family':
      '-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-background': '#ffffff',
    '--vscode-foreground': '#3b3b3b',
    '--vscode-descriptionForeground': '#616161',
    '--vscode-widget-border': '#e5e5e5',
    '--vscode-editorWidget-background': '#f8f8f8',
    '--vscode-editorWidget-border': '#c8c8c8',
    '--vscode-input-background': '#ffffff',
    '--vscode-input-border': '#cecece',
    '--vscode-input-foreground': '#3b3b3b',
    '--vscode-button-background': '#005fb8',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#e5e5e5',
    '--vscode-button-secondaryForeground': '#3b3b3b',
    '--vscode-button-secondaryHoverBackground': '#cccccc',
    '--vscode-focusBorder': '#005fb8',
    '--vscode-editorHoverWidget-background': '#f8f8f8',
    '--vscode-editorHoverWidget-foreground': '#3b3b3b',
    '--vscode-editorHoverWidget-border': '#c8c8c8',
    '--vscode-editorWarning-foreground': '#bf8803',
    '--vscode-textBlockQuote-background': '#f8f8f8',
    '--vscode-charts-green': '#388a34',
    '--vscode-charts-red': '#e51400',
    '--vscode-list-hoverBackground': '#f2f2f2',
  },
  dark: {
    '--vscode-font-family':
      '-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-background': '#1f1f1f',
    '--vscode-foreground': '#cccccc',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-widget-border': '#313131',
    '--vscode-editorWidget-background': '#202020',
    '--vscode-editorWidget-border': '#454545',
    '--vscode-input-background': '#313131',
    '--vscode-input-border': '#3c3c3c',
    '--vscode-input-foreground': '#cccccc',
    '--vscode-button-background': '#0078d4',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#313131',
    '--vscode-button-secondaryForeground': '#cccccc',
    '--vscode-button-secondaryHoverBackground': '#3c3c3c',
    '--vscode-focusBorder': '#0078d4',
    '--vscode-editorHoverWidget-background': '#202020',
    '--vscode-editorHoverWidget-foreground': '#cccccc',
    '--vscode-editorHoverWidget-border': '#454545',
    '--vscode-editorWarning-foreground': '#cca700',
    '--vscode-textBlockQuote-background': '#2b2b2b',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-list-hoverBackground': '#2a2d2e',
  },
  'high-contrast': {
    '--vscode-font-family':
      '-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-background': '#000000',
    '--vscode-foreground': '#ffffff',
    '--vscode-descriptionForeground': '#ffffffb3',
    '--vscode-contrastBorder': '#6fc3df',
    '--vscode-contrastActiveBorder': '#f38518',
    '--vscode-widget-border': '#6fc3df',
    '--vscode-editorWidget-background': '#0c141f',
    '--vscode-editorWidget-border': '#6fc3df',
    '--vscode-input-background': '#000000',
    '--vscode-input-border': '#6fc3df',
    '--vscode-input-foreground': '#ffffff',
    '--vscode-button-background': '#000000',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-border': '#6fc3df',
    '--vscode-button-secondaryBackground': '#000000',
    '--vscode-button-secondaryForeground': '#ffffff',
    '--vscode-button-secondaryHoverBackground': '#000000',
    '--vscode-focusBorder': '#f38518',
    '--vscode-editorHoverWidget-background': '#0c141f',
    '--vscode-editorHoverWidget-foreground': '#ffffff',
    '--vscode-editorHoverWidget-border': '#6fc3df',
    '--vscode-editorWarning-foreground': '#ff0000',
    '--vscode-textBlockQuote-background': '#000000',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-red': '#f48771',
    '--vscode-list-hoverBackground': '#000000',
  },
};

export function shotsDir(): string {
  const dir = process.env.RUNLENS_SHOTS || path.join(os.tmpdir(), 'runlens-shots');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function assertBuilt(name: string): void {
  const js = path.join(repoRoot, 'dist', 'webview', `${name}.js`);
  if (!fs.existsSync(js)) throw new Error(`${js} is missing: run node scripts/build.js first`);
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface WebviewPage {
  page: Page;
  /** Messages the webview posted, in order (JSON round-tripped as VS Code does). */
  posted(): Promise<{ type: string; [k: string]: unknown }[]>;
  /** Wait until the webview has posted `count` messages of `type`; returns the last. */
  waitFor<T = { type: string; [k: string]: unknown }>(type: string, count?: number): Promise<T>;
  /** Deliver a host message, as VS Code does (a window message event). */
  send(message: unknown): Promise<void>;
  state(): Promise<unknown>;
  /** Content-Security-Policy violations seen by the page. */
  cspViolations(): Promise<string[]>;
  consoleMessages: string[];
  errors: string[];
  close(): Promise<void>;
}

export async function openWebview(
  browser: Browser,
  name: string,
  options: { theme: ThemeKind; width?: number; height?: number; state?: unknown },
): Promise<WebviewPage> {
  assertBuilt(name);
  const dist = path.join(repoRoot, 'dist', 'webview');
  // The page the extension serves (same CSP, nonce'd scripts), on file: URLs instead of vscode-resource.
  const nonce = randomBytes(16).toString('base64');
  const html = pageHtml({
    cspSource: 'file:',
    nonce,
    scriptUri: pathToFileURL(path.join(dist, `${name}.js`)).toString(),
    styleUri: pathToFileURL(path.join(dist, `${name}.css`)).toString(),
    title: name,
    bodyAttributes: `class="vscode-${options.theme}" data-vscode-theme-kind="vscode-${options.theme}"`,
    head: `
<script nonce="${nonce}">
  for (const [k, v] of ${JSON.stringify(Object.entries(THEMES[options.theme]))}) document.documentElement.style.setProperty(k, v);
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  window.__posted = [];
  let state = ${JSON.stringify(options.state ?? null)};
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
    getState: () => state ?? undefined,
    setState: (s) => { state = JSON.parse(JSON.stringify(s)); window.__state = state; },
  });
</script>`,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-webview-'));
  const file = path.join(dir, 'index.html');
  fs.writeFileSync(file, html);
  const page = await browser.newPage({
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    colorScheme: options.theme === 'light' ? 'light' : 'dark',
  });
  const consoleMessages: string[] = [];
  const errors: string[] = [];
  page.on('console', (m) => consoleMessages.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(pathToFileURL(file).toString());
  const posted = () => page.evaluate(() => (window as unknown as { __posted: never[] }).__posted);
  return {
    page,
    posted,
    async waitFor<T>(type: string, count = 1): Promise<T> {
      const handle = await page.waitForFunction(
        ([t, n]) => {
          const list = (window as unknown as { __posted: { type: string }[] }).__posted.filter(
            (m) => m.type === t,
          );
          return list.length >= (n as number) ? list[list.length - 1] : undefined;
        },
        [type, count] as const,
        { timeout: 20_000 },
      );
      return (await handle.jsonValue()) as T;
    },
    async send(message: unknown) {
      // As JSON text: VS Code serializes messages the same way, and it is far faster than
      // Playwright's structured argument passing for large snapshots.
      await page.evaluate(
        (text) => window.dispatchEvent(new MessageEvent('message', { data: JSON.parse(text) })),
        JSON.stringify(message),
      );
    },
    state: () => page.evaluate(() => (window as unknown as { __state: unknown }).__state),
    cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
    consoleMessages,
    errors,
    async close() {
      await page.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Pixels of a canvas that differ from its top-left pixel (the painted background), and how many
 * distinct colours they have: a blank or single-colour canvas fails.
 */
export async function inkOf(
  page: Page,
  selector: string,
  index = 0,
): Promise<{ ink: number; colors: number }> {
  return page.evaluate(
    ([sel, i]) => {
      const c = document.querySelectorAll<HTMLCanvasElement>(sel as string)[i as number];
      const ctx = c.getContext('2d')!;
      const { data } = ctx.getImageData(0, 0, c.width, c.height);
      const bg = [data[0], data[1], data[2]];
      let ink = 0;
      const colors = new Set<number>();
      for (let p = 0; p < data.length; p += 4) {
        const d = Math.abs(data[p] - bg[0]) + Math.abs(data[p + 1] - bg[1]) + Math.abs(data[p + 2] - bg[2]);
        if (d > 30) {
          ink++;
          colors.add(((data[p] >> 4) << 8) | ((data[p + 1] >> 4) << 4) | (data[p + 2] >> 4));
        }
      }
      return { ink, colors: colors.size };
    },
    [selector, index] as const,
  );
}
