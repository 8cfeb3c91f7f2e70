/**
 * The webview end of the host connection, shared by every view: the VS Code API (acquired once),
 * the view-local state saved with setState, the message loop with its known-type guard, and the
 * `ready` handshake after which the host sends complete snapshots.
 */
import { isKnownType, messageType } from '../../src/protocol/common';
import type { KnownTypes } from '../../src/protocol/common';

/** The object VS Code injects into a webview; it may be acquired only once per page. */
interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface Host<State, ToWebview extends { type: string }, FromWebview> {
  /** The state this view saved before VS Code hid or reloaded it; undefined on first open. */
  readonly saved: Partial<State> | undefined;
  post(message: FromWebview): void;
  save(state: State): void;
  /**
   * Deliver the host's messages of a known type to `receive` (others are logged and ignored), then
   * post `ready` (the host answers with a snapshot). Call once, after the page is built.
   */
  start(receive: (message: ToWebview) => void, ready: FromWebview): void;
}

let api: VsCodeApi | undefined;

/** The connection of the view `name` (the name prefixes its console warnings). */
export function connectHost<State, ToWebview extends { type: string }, FromWebview>(
  name: string,
  known: KnownTypes<ToWebview>,
): Host<State, ToWebview, FromWebview> {
  api ??= acquireVsCodeApi();
  const vscode = api;
  return {
    saved: (vscode.getState() ?? undefined) as Partial<State> | undefined,
    post: (message) => vscode.postMessage(message),
    save: (state) => vscode.setState(state),
    start(receive, ready) {
      window.addEventListener('message', (event: MessageEvent) => {
        const type = messageType(event.data);
        if (!isKnownType(type, known)) {
          console.warn(`runlens ${name}: ignored a message of unknown type`, type ?? event.data);
          return;
        }
        receive(event.data as ToWebview);
      });
      vscode.postMessage(ready);
    },
  };
}
