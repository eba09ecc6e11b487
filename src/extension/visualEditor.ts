/**
 * The visual editor: a CustomTextEditor over the same `*.stitch.json` document (the document is the single
 * source of truth). The webview gets a snapshot (layers, sources, shapes, the schema core's problems) on
 * every change of the text and sends intents back; each intent becomes ONE minimal WorkspaceEdit (computed
 * with jsonc-parser's `modify`, reduced to the span that changed), so undo, save, dirty state, a split text
 * editor and git diffs just work. VS Code reopens custom editors after a reload; the webview restores its
 * view and selection from its own state (`getState`) and asks for a snapshot with `ready`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { assertNever, type EditIntent, type EditorHostMessage, type EditorWebviewMessage, type PanelCommand, type PresetInfo, type DocumentSnapshot } from '../shared/webviewProtocol';
import { buildSnapshot } from './panels/editorSnapshot';
import { revealLayer } from './panels/revealLayer';
import { applyIntentToText, minimalEdit } from './panels/schemaEdits';
import { SerialQueues } from './panels/serialQueue';
import { webviewHtml, webviewOptions } from './panels/webviewHtml';
import { analyzeDocument } from './schemaDocuments';
import type { RunTracker } from './training';

export const VISUAL_EDITOR_VIEW_TYPE = 'stitch.visualEditor';

/** What a panel command maps to. */
const COMMAND_IDS: Record<PanelCommand, string> = {
  train: 'stitch.train', cancel: 'stitch.cancelRun', showMetrics: 'stitch.showMetrics', openChat: 'stitch.openChat',
  setApiKey: 'stitch.setApiKey', showText: 'vscode.open',
};

export class VisualEditorProvider implements vscode.CustomTextEditorProvider {
  /** Open panels by document URI (tests check that one opened). */
  static readonly panels = new Map<string, vscode.WebviewPanel>();

  static register(context: vscode.ExtensionContext, tracker: RunTracker): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(VISUAL_EDITOR_VIEW_TYPE, new VisualEditorProvider(context, tracker),
      { webviewOptions: { retainContextWhenHidden: false }, supportsMultipleEditorsPerDocument: true });
  }

  private constructor(private readonly context: vscode.ExtensionContext, private readonly tracker: RunTracker) {}

  resolveCustomTextEditor(document: vscode.TextDocument, panel: vscode.WebviewPanel): void {
    const key = document.uri.toString();
    VisualEditorProvider.panels.set(key, panel);
    // Tells the graph's tab from the text's where VS Code lets a custom editor set them (newer versions).
    panel.title = `${path.basename(document.uri.path)} (graph)`;
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'src/extension/icons/stitch.svg');
    const webview = panel.webview;
    webview.options = webviewOptions(this.context.extensionUri);
    webview.html = webviewHtml(webview, this.context.extensionUri, 'editor', `Stitch: ${path.basename(document.uri.path)}`);
    const post = (message: EditorHostMessage) => void webview.postMessage(message);
    const postDocument = () => post(snapshot(document));
    const postRun = () => post(this.runBadge(document));
    // Text changes arrive per keystroke; one snapshot per animation-ish tick is plenty.
    let pending: NodeJS.Timeout | undefined;
    const subscriptions = [
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document !== document || e.contentChanges.length === 0) return;
        clearTimeout(pending);
        pending = setTimeout(postDocument, 16);
      }),
      this.tracker.onDidChange(postRun),
      webview.onDidReceiveMessage((message: EditorWebviewMessage) => {
        this.onMessage(document, message, () => {
          post({ type: 'presets', presets: presets(this.context) });
          postDocument();
          postRun();
        }).catch((err: unknown) => {
          void vscode.window.showErrorMessage(`Stitch: the visual editor failed on "${message.type}": ${(err as Error).message}`);
        });
      }),
    ];
    panel.onDidDispose(() => {
      clearTimeout(pending);
      subscriptions.forEach((s) => s.dispose());
      if (VisualEditorProvider.panels.get(key) === panel) VisualEditorProvider.panels.delete(key);
    });
  }

  private async onMessage(document: vscode.TextDocument, message: EditorWebviewMessage, ready: () => void): Promise<void> {
    switch (message.type) {
      case 'ready':
        return ready();
      case 'command': {
        const id = COMMAND_IDS[message.command];
        if (!id) return;
        if (message.command === 'showText') {
          await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside });
          return;
        }
        await vscode.commands.executeCommand(id, message.command === 'cancel' || message.command === 'showMetrics' ? undefined : document.uri);
        return;
      }
      case 'preset/apply':
        return edits.run(document.uri.toString(), () => applyPreset(this.context, document, message.name));
      case 'layer/reveal':
        return revealLayer(document, message.id);
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
        const result = await applyIntent(document, message);
        if (!result.ok) {
          void vscode.window.showWarningMessage(`Stitch: could not apply "${message.type}" to ${path.basename(document.fileName)}: ${result.error}`);
        }
        return;
      }
      default:
        return assertNever(message, 'message from the visual editor');
    }
  }

  private runBadge(document: vscode.TextDocument): EditorHostMessage {
    const name = analyzeDocument(document).schema?.name ?? path.basename(document.uri.path).replace(/\.stitch\.json$/, '');
    const run = [...this.tracker.active.values()].find((r) => r.name === name);
    if (!run) return { type: 'run', runId: null, state: null, progress: 0, message: '' };
    const epoch = run.epochs ? ` · epoch ${run.epoch}/${run.epochs}` : '';
    return { type: 'run', runId: run.runId, state: run.state, progress: run.progress, message: `${run.state}${epoch}` };
  }
}

/** What the webview shows for the document's current text. */
export function snapshot(document: vscode.TextDocument): DocumentSnapshot {
  return buildSnapshot(document.getText(), analyzeDocument(document), document.version, path.basename(document.uri.path));
}

/** Edits of one document, one at a time: each intent is computed from the text the previous one left. */
const edits = new SerialQueues();

export type ApplyResult = { ok: true } | { ok: false; error: string };

/**
 * Applies one webview intent to the document as one WorkspaceEdit, after any edit of the same document
 * still in flight (from any editor of it); `error` says why it did not apply.
 */
export function applyIntent(document: vscode.TextDocument, intent: EditIntent): Promise<ApplyResult> {
  return edits.run(document.uri.toString(), async (): Promise<ApplyResult> => {
    const before = document.getText();
    const name = path.basename(document.uri.path).replace(/\.stitch\.json$/, '');
    const result = applyIntentToText(before, intent, name);
    if (!result.ok) return result;
    const edit = minimalEdit(before, result.text);
    if (!edit) return { ok: true }; // already so
    const workspaceEdit = new vscode.WorkspaceEdit();
    workspaceEdit.replace(document.uri, new vscode.Range(document.positionAt(edit.offset), document.positionAt(edit.offset + edit.length)),
      edit.content);
    if (await vscode.workspace.applyEdit(workspaceEdit)) return { ok: true };
    return { ok: false, error: 'VS Code refused the edit (the document changed at the same moment); try the action again.' };
  });
}

/** The bundled examples, offered as one-click starting points. */
function presets(context: vscode.ExtensionContext): PresetInfo[] {
  const dir = context.asAbsolutePath('examples');
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.stitch.json')).sort().map((f) => {
      let description = '';
      try {
        description = String((JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { description?: unknown }).description ?? '');
      } catch {
        // A broken example still shows, without a description.
      }
      return { name: f.replace(/\.stitch\.json$/, ''), description };
    });
  } catch {
    return [];
  }
}

/** Replaces the document with a bundled example (one undoable edit), after asking when it has layers. */
async function applyPreset(context: vscode.ExtensionContext, document: vscode.TextDocument, name: string): Promise<void> {
  const file = context.asAbsolutePath(path.join('examples', `${path.basename(name)}.stitch.json`));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    void vscode.window.showErrorMessage(`Stitch: the preset "${name}" was not found in ${path.dirname(file)}.`);
    return;
  }
  if (analyzeDocument(document).schema?.layers.length || document.getText().trim()) {
    const ok = await vscode.window.showWarningMessage(`Replace ${path.basename(document.fileName)} with the "${name}" preset? (Undo with Ctrl+Z.)`,
      { modal: true }, 'Replace');
    if (ok !== 'Replace') return;
  }
  const edit = new vscode.WorkspaceEdit();
  edit.replace(document.uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), text);
  await vscode.workspace.applyEdit(edit);
}
