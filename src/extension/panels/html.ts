// No vscode import: the webview tests in headless Chromium load the very same page.

/** The CSP of every Runlens webview: nothing but the bundle's own script (by nonce) and styles. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

/**
 * The page of a webview. No data goes into it: everything comes through postMessage after the
 * `ready` handshake. `head` is extra markup for tests (a stand-in for acquireVsCodeApi).
 */
export function pageHtml(p: {
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  title: string;
  head?: string;
  bodyAttributes?: string;
}): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(p.cspSource, p.nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${p.styleUri}">
<title>${escapeHtml(p.title)}</title>${p.head ?? ''}
</head>
<body${p.bodyAttributes ? ' ' + p.bodyAttributes : ''}>
<script nonce="${p.nonce}" src="${p.scriptUri}"></script>
</body>
</html>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
