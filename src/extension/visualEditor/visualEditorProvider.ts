/**
 * The visual editor: a CustomTextEditor over the same `*.stitch.json` document (the document is the single
 * source of truth). One VisualEditorView per open editor: the webview gets a snapshot (layers, sources,
 * shapes, the schema core's problems) on every change of the text and sends intents back, each applied as
 * one minimal WorkspaceEdit (documentEdits.ts). VS Code reopens custom editors after a reload; the webview
 * restores its view and selection from its own state (`getState`) and asks for a snapshot with `ready`.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { revealLayer } from './revealLayer';
import { assertNever, type EditorHostMessage, type EditorWebviewMessage } from '../../shared/webviewProtocol';
import { Disposable } from '../disposable';
import type { RunTracker } from '../runTracker';
import { analyzeDocument } from '../schemaDocuments';
import { runWebviewCommand } from '../webviewCommands';
import { WebviewHost } from '../webviewHost';
import { applyIntent, applyPreset, presets, schemaName, snapshot } from './documentEdits';

export const VISUAL_EDITOR_VIEW_TYPE = 'stitch.visualEditor';

/** Text changes arrive per keystroke; one snapshot per animation-ish tick is plenty. */
const SNAPSHOT_DELAY_MS = 16;

export class VisualEditorProvider implements vscode.CustomTextEditorProvider {
  static register(
    context: vscode.ExtensionContext,
    tracker: RunTracker,
    log: vscode.LogOutputChannel,
  ): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(
      VISUAL_EDITOR_VIEW_TYPE,
      new VisualEditorProvider(context, tracker, log),
      { webviewOptions: { retainContextWhenHidden: false }, supportsMultipleEditorsPerDocument: true },
    );
  }

  private constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly tracker: RunTracker,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  resolveCustomTextEditor(document: vscode.TextDocument, panel: vscode.WebviewPanel): void {
    // The view disposes itself with its panel.
    new VisualEditorView(document, panel, this.context, this.tracker, this.log);
  }
}

/** One open visual editor: its page (through WebviewHost) and the document it edits. */
class VisualEditorView extends Disposable {
  private readonly host: WebviewHost<EditorWebviewMessage, EditorHostMessage>;
  private pendingSnapshot: { clear(): void } | undefined;

  constructor(
    private readonly document: vscode.TextDocument,
    panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly tracker: RunTracker,
    log: vscode.LogOutputChannel,
  ) {
    super();
    // Tells the graph's tab from the text's where VS Code lets a custom editor set them (newer versions).
    panel.title = `${path.basename(document.uri.path)} (graph)`;
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'src/extension/icons/stitch.svg');
    this.host = this.register(
      new WebviewHost<EditorWebviewMessage, EditorHostMessage>(panel, {
        kind: 'editor',
        title: `Stitch: ${path.basename(document.uri.path)}`,
        extensionUri: context.extensionUri,
        log,
        onReady: () => this.postAll(),
        onMessage: (message) => this.onMessage(message),
        onError: (error, message) => {
          void vscode.window.showErrorMessage(
            `Stitch: the visual editor failed on "${message.type}": ${error.message}`,
          );
        },
      }),
    );
    this.register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document !== document || e.contentChanges.length === 0) return;
        this.pendingSnapshot?.clear();
        this.pendingSnapshot = this.timer(SNAPSHOT_DELAY_MS, () => this.host.post(snapshot(document)));
      }),
    );
    this.register(tracker.onDidChange(() => this.host.post(this.runBadge())));
    this.register(panel.onDidDispose(() => this.dispose()));
  }

  private postAll(): void {
    this.host.post({ type: 'presets', presets: presets(this.context) });
    this.host.post(snapshot(this.document));
    this.host.post(this.runBadge());
  }

  private async onMessage(message: Exclude<EditorWebviewMessage, { type: 'ready' }>): Promise<void> {
    switch (message.type) {
      case 'command':
        return runWebviewCommand(message.command, { document: this.document });
      case 'preset/apply':
        return applyPreset(this.context, this.document, message.name);
      case 'layer/reveal':
        return revealLayer(this.document, message.id);
      case 'schema/rename':
      case 'schema/inputShape':
      case 'layer/add':
      case 'layer/update':
      case 'layer/rename':
      case 'layer/delete':
      case 'layer/duplicate':
      case 'edge/connect':
      case 'edge/disconnect':
      case 'layout/set':
      case 'training/update':
      case 'batch': {
        const result = await applyIntent(this.document, message);
        if (!result.ok) {
          void vscode.window.showWarningMessage(
            `Stitch: could not apply "${message.type}" to ${path.basename(this.document.fileName)}: ${result.error}`,
          );
        }
        return;
      }
      default:
        return assertNever(message, 'message from the visual editor');
    }
  }

  private runBadge(): EditorHostMessage {
    const name = analyzeDocument(this.document).schema?.name ?? schemaName(this.document);
    const run = [...this.tracker.active.values()].find((r) => r.name === name);
    if (!run) return { type: 'run', runId: null, state: null, progress: 0, message: '' };
    const epoch = run.epochs ? ` · epoch ${run.epoch}/${run.epochs}` : '';
    return { type: 'run', runId: run.runId, state: run.state, progress: run.progress, message: `${run.state}${epoch}` };
  }
}
