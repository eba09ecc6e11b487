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
import { webviewHtml, webviewOptions } from './webviewHtml';

export const PANEL_VIEW_TYPE = 'stitch.panel';

export class StitchPanel implements vscode.Disposable {
  /** The open panel, if any (tests and commands use it). */
  static current: StitchPanel | undefined;
  private static services: StitchServices | undefined;

  private readonly feeds = new Map<string, RunFeed>();
  private readonly chats = new ChatRequests();
  private readonly subscriptions: vscode.Disposable[] = [];
  private chatDocument: vscode.TextDocument | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
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
      const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, 'Stitch', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
        { ...webviewOptions(services.context.extensionUri), retainContextWhenHidden: true });
      StitchPanel.current = new StitchPanel(panel, services);
    } else {
      StitchPanel.current.panel.reveal(undefined, false);
    }
    const current = StitchPanel.current;
    if (document) current.bindChat(document);
    current.post({ type: 'focus', tab, runId });
    return current;
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly services: StitchServices) {
    panel.webview.options = webviewOptions(services.context.extensionUri);
    panel.webview.html = webviewHtml(panel.webview, services.context.extensionUri, 'panel', 'Stitch');
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

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const feed of this.feeds.values()) feed.dispose();
    this.chats.stopAll();
    this.subscriptions.forEach((s) => s.dispose());
    if (StitchPanel.current === this) StitchPanel.current = undefined;
  }

  post(message: PanelHostMessage): void {
    if (message.type === 'run/events') this.eventsRelayed += message.events.length;
    void this.panel.webview.postMessage(message);
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
