/**
 * The Stitch panel (metrics + chat): one webview panel, reopened by its serializer after a window reload.
 * The host lists the runs, relays each shown run's SSE stream (RunFeed: Last-Event-ID on reconnect), and
 * runs the chat through the chat service on the schema document the user is working on.
 *
 * `retainContextWhenHidden`: the charts can hold 100,000 points; keeping the page alive while its tab is
 * hidden is cheaper than replaying them on every tab switch, and the relay keeps feeding it meanwhile.
 * After a reload the page asks again (`runs/follow` with the ids it has, 0 for none) and gets everything after.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { getNodeValue, parseTree } from 'jsonc-parser';
import type { PanelCommand, PanelHostMessage, PanelWebviewMessage } from '../../shared/webviewProtocol';
import { assertNever } from '../../shared/webviewProtocol';
import { reviewProposal } from '../chat/chatService';
import { ChatRequests } from '../chat/chatRequests';
import type { StitchServices } from '../commands';
import { activeSchemaDocument, isSchemaDocument } from '../schemaDocuments';
import { RunFeed } from './runFeed';
import { webviewHtml, webviewOptions } from '../webviewHtml';

export const PANEL_VIEW_TYPE = 'stitch.panel';
/** How long a page may take to say `ready` before it is loaded again, and how many times (see `load`). */
const LOAD_TIMEOUT_MS = 5000;
const LOAD_ATTEMPTS = 3;

export class StitchPanel implements vscode.Disposable {
  /** The open panel, if any (tests and commands use it). */
  static current: StitchPanel | undefined;
  private static services: StitchServices | undefined;

  private readonly feeds = new Map<string, RunFeed>();
  private readonly chats = new ChatRequests();
  private readonly subscriptions: vscode.Disposable[] = [];
  private chatDocument: vscode.TextDocument | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private loadWatchdog: NodeJS.Timeout | undefined;
  private pendingFocus: Extract<PanelHostMessage, { type: 'focus' }> | undefined;
  /** Messages posted, for the in-host tests (`run/events` only counted). */
  eventsRelayed = 0;
  ready = false;

  static register(services: StitchServices): vscode.Disposable {
    StitchPanel.services = services;
    return vscode.Disposable.from(
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel) => {
          StitchPanel.current?.panel.dispose();
          StitchPanel.current = new StitchPanel(panel, services);
        },
      }),
      { dispose: () => StitchPanel.current?.panel.dispose() },
    );
  }

  /** Opens (or reveals) the panel on a tab; `runId` selects that run in the metrics. */
  static show(tab: 'metrics' | 'chat', runId?: string): StitchPanel {
    const services = StitchPanel.services;
    if (!services) throw new Error('the Stitch panel is not registered (the extension did not activate)');
    const document = activeSchemaDocument();
    if (!StitchPanel.current) {
      StitchPanel.current = StitchPanel.create(services, vscode.ViewColumn.Beside, false);
    } else {
      StitchPanel.current.panel.reveal(undefined, false);
    }
    const current = StitchPanel.current;
    if (document) current.bindChat(document);
    current.focus({ type: 'focus', tab, runId });
    return current;
  }

  private static create(services: StitchServices, viewColumn: vscode.ViewColumn, preserveFocus: boolean, replacement = false): StitchPanel {
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, 'Stitch', { viewColumn, preserveFocus },
      { ...webviewOptions(services.context.extensionUri), retainContextWhenHidden: true });
    return new StitchPanel(panel, services, replacement);
  }

  /** `replacement`: this panel replaced one whose page never loaded (it is not replaced in turn). */
  private constructor(readonly panel: vscode.WebviewPanel, private readonly services: StitchServices, private readonly replacement = false) {
    panel.webview.options = webviewOptions(services.context.extensionUri);
    this.load(0);
    panel.iconPath = vscode.Uri.joinPath(services.context.extensionUri, 'src/extension/icons/stitch.svg');
    this.chatDocument = activeSchemaDocument();
    this.subscriptions.push(
      panel.webview.onDidReceiveMessage((m: PanelWebviewMessage) => void this.onMessage(m).catch((err: Error) =>
        services.server.log.error(`panel: ${err.message}`))),
      services.tracker.onDidChange(() => this.scheduleRefresh()),
      services.server.onDidChangeState(() => this.scheduleRefresh()),
      vscode.window.onDidChangeActiveTextEditor((e) => e && isSchemaDocument(e.document) && this.bindChat(e.document)),
      vscode.workspace.onDidChangeTextDocument((e) => e.document === this.chatDocument && this.postChatContext()),
    );
    panel.onDidDispose(() => this.dispose());
  }

  /**
   * Sets the page, and sets it again while it does not say `ready`. In code-server every webview shares one
   * service-worker scope and each one registers the worker under its own URL, so when two webviews start at
   * once (a window reload restores the visual editor and this panel together) the worker is replaced while
   * the first page's script request is in flight: that request is held by the replaced worker and never
   * answered, and the page stays blank. New HTML makes VS Code load the page in a fresh frame, whose requests
   * go to the worker now in charge. Sometimes the outer frame itself never gets its worker and ignores new
   * HTML: the last attempt replaces the panel (same column), which gives it a new frame. A page that loads
   * normally says `ready` within a second.
   */
  private load(attempt: number): void {
    this.panel.webview.html = webviewHtml(this.panel.webview, this.services.context.extensionUri, 'panel', 'Stitch');
    this.watchLoad(attempt);
  }

  private watchLoad(attempt: number): void {
    this.loadWatchdog = setTimeout(() => {
      if (this.ready) return;
      // A hidden panel's page may wait for its tab to be shown: keep waiting without counting it.
      if (!this.panel.visible) return this.watchLoad(attempt);
      const log = this.services.server.log;
      if (attempt + 1 < LOAD_ATTEMPTS) {
        log.warn(`panel: the page did not load within ${LOAD_TIMEOUT_MS / 1000} s; loading it again (${attempt + 1}/${LOAD_ATTEMPTS})`);
        return this.load(attempt + 1);
      }
      if (StitchPanel.current !== this) return;
      if (this.replacement) {
        log.error('panel: the page did not load in a new panel either; close the Stitch tab and run "Stitch: Show Training Metrics"');
        return;
      }
      log.warn(`panel: the page did not load within ${LOAD_TIMEOUT_MS / 1000} s; replacing the panel (${attempt + 1}/${LOAD_ATTEMPTS})`);
      const column = this.panel.viewColumn ?? vscode.ViewColumn.Beside;
      const focus = this.pendingFocus;
      this.panel.dispose();
      const next = StitchPanel.create(this.services, column, true, true);
      StitchPanel.current = next;
      if (focus) next.focus(focus);
    }, LOAD_TIMEOUT_MS);
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    clearTimeout(this.loadWatchdog);
    for (const feed of this.feeds.values()) feed.dispose();
    this.chats.stopAll();
    this.subscriptions.forEach((s) => s.dispose());
    if (StitchPanel.current === this) StitchPanel.current = undefined;
  }

  post(message: PanelHostMessage): void {
    if (message.type === 'run/events') this.eventsRelayed += message.events.length;
    void this.panel.webview.postMessage(message);
  }

  /** A page that is still loading would drop the message: it is kept and sent when the page says `ready`. */
  private focus(message: Extract<PanelHostMessage, { type: 'focus' }>): void {
    if (this.ready) this.post(message);
    else this.pendingFocus = message;
  }

  /** The chat talks about this document from now on. */
  bindChat(document: vscode.TextDocument): void {
    this.chatDocument = document;
    this.postChatContext();
  }

  private postChatContext(): void {
    const d = this.chatDocument;
    const root = d ? parseTree(d.getText()) : undefined;
    this.post({ type: 'chat/context', fileName: d ? path.basename(d.uri.path) : null, schema: root ? getNodeValue(root) : null });
  }

  private scheduleRefresh(): void {
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refreshRuns(false);
    }, 1000);
  }

  /** Lists the runs; starts the server only when asked to (opening the panel, the refresh button). */
  private async refreshRuns(start: boolean): Promise<void> {
    const server = this.services.server;
    const client = start ? await server.ensureStarted().catch(() => undefined) : server.readyClient;
    const runs = client ? await client.runs().catch(() => []) : [];
    this.post({ type: 'runs', runs, serverState: server.state.kind });
  }

  private async onMessage(message: PanelWebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        clearTimeout(this.loadWatchdog);
        if (this.pendingFocus) this.post(this.pendingFocus);
        this.pendingFocus = undefined;
        this.postChatContext();
        return this.refreshRuns(true);
      case 'runs/refresh':
        return this.refreshRuns(true);
      case 'runs/follow':
        return this.follow(message.runIds, message.after);
      case 'chat/send':
        return this.sendChat(message.requestId, message.text);
      case 'chat/stop':
        this.chats.stop(message.requestId);
        return;
      case 'chat/apply':
        return this.applyProposal(message.requestId, message.proposedSchema);
      case 'chat/clear':
        if (this.chatDocument) {
          this.chats.stopDocument(this.chatDocument.uri.toString());
          this.services.chat.clearHistory(this.chatDocument.uri);
        }
        return;
      case 'command':
        return this.runCommand(message.command, message.runId);
      default:
        assertNever(message, 'message from the Stitch panel');
    }
  }

  /** Follows exactly these runs; a run whose webview copy is behind (e.g. after a reload) restarts after it. */
  private follow(runIds: string[], after: Record<string, number>): void {
    for (const [runId, feed] of this.feeds) {
      if (!runIds.includes(runId)) {
        feed.dispose();
        this.feeds.delete(runId);
      }
    }
    for (const runId of runIds) {
      const have = after[runId] ?? 0;
      const feed = this.feeds.get(runId);
      if (feed && feed.lastEventId <= have) continue;
      feed?.dispose();
      this.feeds.set(runId, new RunFeed(runId, {
        after: have,
        client: () => this.services.server.ensureStarted(),
        onEvents: (events) => this.post({ type: 'run/events', runId, events }),
        onStatus: (status, msg) => this.post({ type: 'run/stream', runId, status, message: msg }),
      }));
    }
  }

  private async sendChat(requestId: number, text: string): Promise<void> {
    const document = this.chatDocument ?? activeSchemaDocument();
    if (!document) {
      return this.post({ type: 'chat/event', requestId, event: { type: 'error', error: 'Open a *.stitch.json file first: the chat works on that schema.' } });
    }
    const abort = this.chats.start(requestId, document.uri.toString());
    try {
      for await (const event of this.services.chat.send(document, text, abort.signal)) {
        this.post({ type: 'chat/event', requestId, event });
      }
    } finally {
      this.chats.finish(requestId, abort);
    }
  }

  /** Applies a proposal to the file its request was about, not to whichever schema is active now. */
  private async applyProposal(requestId: number, proposedSchema: unknown): Promise<void> {
    const failed = (message: string): void => this.post({ type: 'chat/applied', requestId, outcome: 'failed', message });
    const uri = this.chats.documentOf(requestId);
    if (!uri) return failed('This proposal is from an earlier session of the panel; ask again to get one for the current file.');
    if (typeof proposedSchema !== 'object' || proposedSchema === null || Array.isArray(proposedSchema)) {
      return failed('The proposal is not a schema (the model\'s JSON could not be read); ask again.');
    }
    try {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
      const outcome = await reviewProposal(document, proposedSchema);
      this.post({ type: 'chat/applied', requestId, outcome });
    } catch (err) {
      failed((err as Error).message);
    }
  }

  private async runCommand(command: PanelCommand, runId?: string): Promise<void> {
    switch (command) {
      case 'cancel':
        await vscode.commands.executeCommand('stitch.cancelRun', runId);
        return;
      case 'setApiKey':
        await vscode.commands.executeCommand('stitch.setApiKey');
        return;
      case 'train':
      case 'showMetrics':
      case 'openChat':
      case 'showText':
        if (this.chatDocument && command === 'train') await vscode.commands.executeCommand('stitch.train', this.chatDocument.uri);
        return;
      default:
        assertNever(command, 'panel command');
    }
  }
}
