/**
 * The Stitch panel (metrics + chat): one webview panel, reopened by its serializer after a window reload.
 * The page is loaded and watched by a WebviewHost; the run list and the SSE relay are the RunsController's,
 * the chat is the ChatController's, and commands go through the one webview command map. `StitchPanels`
 * (one per activation, no static state) owns the open panel.
 *
 * `retainContextWhenHidden`: the charts can hold 100,000 points; keeping the page alive while its tab is
 * hidden is cheaper than replaying them on every tab switch, and the relay keeps feeding it meanwhile.
 * After a reload the page asks again (`runs/follow` with the ids it has, 0 for none) and gets everything after.
 */
import * as vscode from 'vscode';
import type { PanelHostMessage, PanelTab, PanelWebviewMessage } from '../../shared/webviewProtocol';
import { assertNever } from '../../shared/webviewProtocol';
import type { ChatService } from '../chat/chatService';
import { Disposable } from '../disposable';
import type { RunTracker } from '../runTracker';
import { activeSchemaDocument } from '../schemaDocuments';
import type { ServerController } from '../serverController';
import { runWebviewCommand } from '../webviewCommands';
import { WebviewHost } from '../webviewHost';
import { webviewOptions } from '../webviewHtml';
import { ChatController } from './chatController';
import { EvaluationController } from './evaluationController';
import { RunsController } from './runsController';
import { TestController } from './testController';

export const PANEL_VIEW_TYPE = 'stitch.panel';
const LAST_COLUMN_KEY = 'stitch.panel.lastColumn';

type Focus = Extract<PanelHostMessage, { type: 'focus' }>;

/** What the panel needs from the rest of the extension. */
export interface PanelServices {
  context: vscode.ExtensionContext;
  server: ServerController;
  tracker: RunTracker;
  chat: ChatService;
}

/** One open panel: its page, and a controller for each of its views. */
class StitchPanel extends Disposable {
  private readonly host: WebviewHost<PanelWebviewMessage, PanelHostMessage>;
  private readonly runs: RunsController;
  private readonly chat: ChatController;
  private readonly evaluation: EvaluationController;
  private readonly test: TestController;
  /** The last focus asked for, handed on if the panel is replaced. */
  lastFocus: Focus | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    services: PanelServices,
    onLoadFailed: () => void,
  ) {
    super();
    panel.iconPath = vscode.Uri.joinPath(services.context.extensionUri, 'src/extension/icons/stitch.svg');
    const post = (message: PanelHostMessage): void => this.host.post(message);
    this.runs = this.register(new RunsController(services.server, services.tracker, post));
    this.chat = this.register(new ChatController(services.chat, post));
    const client = () => services.server.ensureStarted();
    this.evaluation = new EvaluationController(client, post);
    this.test = new TestController(client, post);
    this.host = this.register(
      new WebviewHost<PanelWebviewMessage, PanelHostMessage>(panel, {
        kind: 'panel',
        title: 'Stitch',
        extensionUri: services.context.extensionUri,
        log: services.server.log,
        onReady: () => {
          this.chat.postContext();
          return this.runs.refresh(true);
        },
        onMessage: (message) => this.onMessage(message),
        onLoadFailed,
      }),
    );
    this.register(panel.onDidDispose(() => this.dispose()));
    // Remembered so that the next panel of this workspace opens where the user last had it (panelColumn).
    const remember = (): void => {
      const state = services.context.workspaceState;
      if (panel.viewColumn !== undefined) void state.update(LAST_COLUMN_KEY, panel.viewColumn); // a memento write
    };
    remember();
    this.register(panel.onDidChangeViewState(remember));
  }

  focus(focus: Focus): void {
    this.lastFocus = focus;
    this.host.post(focus);
  }

  bindChat(document: vscode.TextDocument): void {
    this.chat.bind(document);
  }

  private async onMessage(message: Exclude<PanelWebviewMessage, { type: 'ready' }>): Promise<void> {
    switch (message.type) {
      case 'runs/refresh':
        return this.runs.refresh(true);
      case 'runs/follow':
        return this.runs.follow(message.runIds, message.after);
      case 'chat/send':
        return this.chat.send(message.requestId, message.text);
      case 'chat/stop':
        return this.chat.stop(message.requestId);
      case 'chat/apply':
        return this.chat.apply(message.requestId, message.proposedSchema);
      case 'chat/clear':
        return this.chat.clear();
      case 'model/load':
        return this.evaluation.load(message.runId);
      case 'evaluation/cell':
        return this.evaluation.cell(message.runId, message.cell);
      case 'test/predict':
        return this.test.predict(message);
      case 'test/boundary':
        return this.test.boundary(message);
      case 'command':
        return runWebviewCommand(message.command, { document: this.chat.schemaDocument, runId: message.runId });
      default:
        assertNever(message, 'message from the Stitch panel');
    }
  }
}

/** The extension's one Stitch panel: opened, revealed, restored after a reload, replaced if it never loads. */
export class StitchPanels extends Disposable {
  private current: StitchPanel | undefined;

  constructor(private readonly services: PanelServices) {
    super();
    this.register(
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: (panel) => {
          this.current?.panel.dispose();
          this.adopt(panel, false);
          return Promise.resolve();
        },
      }),
    );
    this.register(
      new vscode.Disposable(() => {
        this.current?.panel.dispose();
      }),
    );
  }

  /** Whether a panel is open (tests and commands use it). */
  get isOpen(): boolean {
    return this.current !== undefined;
  }

  /** Opens (or reveals) the panel on a tab; `runId` selects that run (metrics, or the run evaluated and tested). */
  show(tab: PanelTab, runId?: string): void {
    const document = activeSchemaDocument();
    if (this.current) this.current.panel.reveal(undefined, false);
    const current = this.current ?? this.create(panelColumn(this.lastColumn()), false, false);
    if (document) current.bindChat(document);
    current.focus({ type: 'focus', tab, runId });
  }

  /** The column the panel was last in (this window, across reloads). */
  private lastColumn(): vscode.ViewColumn | undefined {
    return this.services.context.workspaceState.get<vscode.ViewColumn>(LAST_COLUMN_KEY);
  }

  private create(viewColumn: vscode.ViewColumn, preserveFocus: boolean, replacement: boolean): StitchPanel {
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'Stitch',
      { viewColumn, preserveFocus },
      { ...webviewOptions(this.services.context.extensionUri), retainContextWhenHidden: true },
    );
    return this.adopt(panel, replacement);
  }

  /** `replacement`: this panel replaced one whose page never loaded (it is not replaced in turn). */
  private adopt(panel: vscode.WebviewPanel, replacement: boolean): StitchPanel {
    const view: StitchPanel = new StitchPanel(panel, this.services, () => this.replace(view, replacement));
    panel.onDidDispose(() => {
      if (this.current === view) this.current = undefined;
    });
    this.current = view;
    return view;
  }

  /**
   * Sometimes the outer frame itself never gets its service worker and ignores new HTML (webviewHost.ts):
   * a new panel in the same column gets a new frame.
   */
  private replace(view: StitchPanel, wasReplacement: boolean): void {
    const log = this.services.server.log;
    if (this.current !== view) return;
    if (wasReplacement) {
      log.error(
        'panel: the page did not load in a new panel either; close the Stitch tab and run "Stitch: Show Training Metrics"',
      );
      return;
    }
    log.warn('panel: the page did not load; replacing the panel');
    const column = view.panel.viewColumn ?? vscode.ViewColumn.Beside;
    const focus = view.lastFocus;
    view.panel.dispose();
    const next = this.create(column, true, true);
    if (focus) next.focus(focus);
  }
}

/**
 * Where a new panel opens (docs/webview.md, "Where the panel opens"): never a third column. With one column it
 * goes beside it; with two or more it reuses a column other than the active editor's: the one it was last in
 * when that still exists, else the last column (the one `Beside` would have split off from the first).
 */
export function panelColumn(lastColumn: vscode.ViewColumn | undefined): vscode.ViewColumn {
  const columns = vscode.window.tabGroups.all.map((g) => g.viewColumn);
  if (columns.length < 2) return vscode.ViewColumn.Beside;
  const active = vscode.window.tabGroups.activeTabGroup.viewColumn;
  if (lastColumn !== undefined && lastColumn !== active && columns.includes(lastColumn)) return lastColumn;
  const others = columns.filter((c) => c !== active);
  return others.at(-1) ?? vscode.ViewColumn.Beside;
}
