import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { isKnownType, messageType } from '../../protocol/common';
import type { KnownTypes } from '../../protocol/common';
import { pageHtml } from './html';

/** Options of every Runlens webview: scripts on, and only the built webview folder loadable. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
  };
}

/**
 * The page of a webview: the bundle dist/webview/<name>.js and its CSS under a CSP that allows
 * nothing else (default-src 'none', the script by nonce). No data goes into the HTML: it all
 * comes through postMessage after the `ready` handshake.
 */
export function webviewHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  name: string,
  title: string,
): string {
  const asset = (file: string) =>
    webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', file)).toString();
  return pageHtml({
    cspSource: webview.cspSource,
    nonce: randomBytes(16).toString('base64'),
    scriptUri: asset(`${name}.js`),
    styleUri: asset(`${name}.css`),
    title,
  });
}

/**
 * The host end of one webview: typed posting that waits for the webview's `ready`, and incoming
 * messages checked against the known types (an unknown one is logged and ignored).
 */
export class WebviewHost<ToWebview, FromWebview extends { type: string }> implements vscode.Disposable {
  private isReady = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly knownTypes: KnownTypes<FromWebview>,
    handler: (message: FromWebview) => void | Promise<void>,
    private readonly log: (line: string) => void,
  ) {
    this.disposables.push(
      panel.webview.onDidReceiveMessage(async (m: unknown) => {
        const type = messageType(m);
        if (!isKnownType(type, this.knownTypes)) {
          this.log(
            `${panel.viewType}: ignored a webview message of unknown type ${JSON.stringify(type ?? m)}`,
          );
          return;
        }
        if (type === 'ready') this.isReady = true;
        try {
          await handler(m as FromWebview);
        } catch (e) {
          const text = e instanceof Error ? e.message : String(e);
          this.log(`${panel.viewType}: ${type}: ${text}`);
          void vscode.window.showErrorMessage(`Runlens: ${text}`);
        }
      }),
    );
  }

  get ready(): boolean {
    return this.isReady;
  }

  /** Post when the webview listens; before `ready` the message is dropped (a snapshot follows `ready`). */
  post(message: ToWebview): void {
    if (this.isReady) void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** Save bytes where the user chooses; returns the path, or undefined when cancelled. */
export async function saveWithDialog(
  defaultName: string,
  filters: Record<string, string[]>,
  content: Uint8Array,
): Promise<string | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const uri = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, defaultName) : undefined,
    filters,
  });
  if (!uri) return undefined;
  await vscode.workspace.fs.writeFile(uri, content);
  return uri.fsPath;
}

/** A file name from a metric key ("val/loss" -> "val-loss"). */
export function safeFileName(s: string): string {
  return s.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'chart';
}

/**
 * The life of one panel object: its disposables, a debounced refresh for store changes, and an
 * event when it closes. Subclasses build their WebviewHost and push what they own to `disposables`.
 */
export abstract class OwnedPanel implements vscode.Disposable {
  protected readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(readonly panel: vscode.WebviewPanel) {
    this.disposables.push(panel.onDidDispose(() => this.dispose()));
  }

  /** Run `refresh` once, `ms` after the first of a burst of calls (store changes come in bursts). */
  protected debounce(refresh: () => void, ms = 150): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      refresh();
    }, ms);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
    this.panel.dispose();
  }
}

/**
 * A panel whose page is one of the webview bundles: the options and CSP'd page, the typed host,
 * and what the webview last reported drawing (`rendered`, for integration tests and diagnostics).
 */
export abstract class HostedPanel<
  ToWebview,
  FromWebview extends { type: string },
  Rendered = never,
> extends OwnedPanel {
  protected readonly host: WebviewHost<ToWebview, FromWebview>;
  lastRendered: Rendered | undefined;
  private readonly renderedEmitter = new vscode.EventEmitter<Rendered>();
  readonly onDidRender = this.renderedEmitter.event;

  constructor(
    panel: vscode.WebviewPanel,
    page: {
      extensionUri: vscode.Uri;
      /** dist/webview/<bundle>.js and .css */
      bundle: string;
      title: string;
      known: KnownTypes<FromWebview>;
      log: (line: string) => void;
    },
  ) {
    super(panel);
    panel.webview.options = webviewOptions(page.extensionUri);
    panel.webview.html = webviewHtml(panel.webview, page.extensionUri, page.bundle, page.title);
    this.host = new WebviewHost(panel, page.known, (m) => this.handle(m), page.log);
    this.disposables.push(this.host, this.renderedEmitter);
  }

  protected abstract handle(message: FromWebview): void | Promise<void>;

  protected rendered(r: Rendered): void {
    this.lastRendered = r;
    this.renderedEmitter.fire(r);
  }
}

/**
 * One panel of a kind at a time: `open` reuses the shown one or creates it, the serializer brings it
 * back after a reload from the state the webview saved with setState, and a closed panel is forgotten.
 */
export class PanelSlot<P extends OwnedPanel, S>
  implements vscode.Disposable, vscode.WebviewPanelSerializer<S>
{
  current: P | undefined;
  private readonly registration: vscode.Disposable;

  constructor(
    private readonly viewType: string,
    private readonly title: string,
    private readonly extensionUri: vscode.Uri,
    /** Builds the panel object over a new or restored webview panel (state: undefined when new). */
    private readonly make: (panel: vscode.WebviewPanel, state: S | undefined) => P,
  ) {
    this.registration = vscode.window.registerWebviewPanelSerializer(viewType, this);
  }

  /** Reveal the current panel after `reuse` updated it, or create one. */
  open(reuse: (p: P) => void, initial: S): P {
    if (this.current) {
      reuse(this.current);
      this.current.panel.reveal();
      return this.current;
    }
    const panel = vscode.window.createWebviewPanel(
      this.viewType,
      this.title,
      vscode.ViewColumn.Active,
      webviewOptions(this.extensionUri),
    );
    return this.adopt(this.make(panel, initial));
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: S | undefined): Promise<void> {
    this.current?.dispose();
    this.adopt(this.make(panel, state));
  }

  private adopt(p: P): P {
    this.current = p;
    p.onDidDispose(() => {
      if (this.current === p) this.current = undefined;
    });
    return p;
  }

  dispose(): void {
    this.current?.dispose();
    this.registration.dispose();
  }
}
