/**
 * The host side of one Stitch webview (the panel or a visual editor): it owns the page (HTML and CSP,
 * webviewHtml.ts), the ready gate and the load watchdog, and hands every other message to its view's
 * controller. Both views use it, so both get the same loading behaviour (docs/webview.md).
 *
 * Ready gate: a page that is still loading drops what it is sent. Until the page says `ready`, only the
 * latest message of each type is kept (each is a state: a document snapshot, the run list, a focus), and
 * they are sent, in order, when it does.
 *
 * Watchdog: in code-server every webview shares one service-worker scope and each one registers the worker
 * under its own URL, so when two webviews start at once (a window reload restores the visual editor and the
 * panel together) the worker is replaced while the first page's script request is in flight: that request
 * is never answered, and the page stays blank. New HTML makes VS Code load the page in a fresh frame, whose
 * requests go to the worker now in charge. A page that loads normally says `ready` within a second.
 */
import * as vscode from 'vscode';
import { Disposable } from './disposable';
import { webviewHtml, webviewOptions, type WebviewKind } from './webviewHtml';

/** How long a page may take to say `ready` before it is loaded again, and how many loads in all. */
export const LOAD_TIMEOUT_MS = 5000;
export const LOAD_ATTEMPTS = 3;

export interface WebviewHostOptions<In extends { type: string }> {
  kind: WebviewKind;
  title: string;
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  /** The page said `ready` (after a load or a reload): send it what it needs. */
  onReady(message: Extract<In, { type: 'ready' }>): void | Promise<void>;
  /** Every other message of the page. */
  onMessage(message: Exclude<In, { type: 'ready' }>): void | Promise<void>;
  /** A handler failed: what to tell the person (the host has logged it). Default: nothing more. */
  onError?(error: Error, message: In): void;
  /** The page did not load after every attempt (see `loadFailure`). Default: log how to recover. */
  onLoadFailed?(): void;
}

export class WebviewHost<In extends { type: string }, Out extends { type: string }> extends Disposable {
  private ready = false;
  private readonly pending = new Map<string, Out>();
  private watchdog: { clear(): void } | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly options: WebviewHostOptions<In>,
  ) {
    super();
    panel.webview.options = webviewOptions(options.extensionUri);
    this.register(panel.webview.onDidReceiveMessage((message: In) => void this.receive(message)));
    // A closed panel's webview throws on use: the watchdog and the gate end with it.
    this.register(panel.onDidDispose(() => this.dispose()));
    this.load(0);
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Sends now when the page is ready; before that, keeps the latest message of this type for `ready`. */
  post(message: Out): void {
    if (this.isDisposed) return;
    if (!this.ready) {
      this.pending.delete(message.type); // re-inserted last: the queue keeps the order of the latest posts
      this.pending.set(message.type, message);
      return;
    }
    void this.panel.webview.postMessage(message);
  }

  private load(attempt: number): void {
    this.ready = false;
    this.panel.webview.html = webviewHtml(
      this.panel.webview,
      this.options.extensionUri,
      this.options.kind,
      this.options.title,
    );
    this.watch(attempt);
  }

  private watch(attempt: number): void {
    this.watchdog = this.timer(LOAD_TIMEOUT_MS, () => {
      if (this.ready) return;
      // A hidden page may wait for its tab to be shown: keep waiting without counting it.
      if (!this.panel.visible) return this.watch(attempt);
      const { log, kind } = this.options;
      if (attempt + 1 < LOAD_ATTEMPTS) {
        log.warn(
          `${kind}: the page did not load within ${LOAD_TIMEOUT_MS / 1000} s; loading it again (${attempt + 1}/${LOAD_ATTEMPTS})`,
        );
        return this.load(attempt + 1);
      }
      if (this.options.onLoadFailed) return this.options.onLoadFailed();
      log.error(`${kind}: the page did not load after ${LOAD_ATTEMPTS} attempts; close its tab and open it again`);
    });
  }

  private async receive(message: In): Promise<void> {
    try {
      if (isReady(message)) {
        this.ready = true;
        this.watchdog?.clear();
        const queued = [...this.pending.values()];
        this.pending.clear();
        for (const m of queued) void this.panel.webview.postMessage(m);
        await this.options.onReady(message);
      } else {
        await this.options.onMessage(message as Exclude<In, { type: 'ready' }>);
      }
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.options.log.error(`${this.options.kind}: "${message.type}" failed: ${error.message}`);
      this.options.onError?.(error, message);
    }
  }
}

function isReady<In extends { type: string }>(message: In): message is Extract<In, { type: 'ready' }> {
  return message.type === 'ready';
}
