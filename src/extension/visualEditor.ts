/**
 * The visual editor: a CustomTextEditor over the same `*.stitch.json` document (the document is the single
 * source of truth). The webview gets the text and the analysis on every change and sends intents back;
 * each intent becomes a small WorkspaceEdit (jsonc-parser's `modify`), so undo, save, dirty state and git
 * diffs just work. This minimal version lists the layers with their shapes and can rename the schema and
 * change a layer parameter; the graph UI is a later issue.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { findNodeAtLocation, modify, parseTree } from 'jsonc-parser';
import { analyzeDocument } from './schemaDocuments';

export const VISUAL_EDITOR_VIEW_TYPE = 'stitch.visualEditor';

export interface LayerRow {
  id: string;
  type: string;
  outputShape: number[] | null;
  params: number | null;
}

/** Extension → webview. */
export type HostToWebview = { type: 'document'; name: string; layers: LayerRow[]; params: number; problems: number };

/** Webview → extension. */
export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'schema/rename'; name: string }
  | { type: 'layer/update'; id: string; key: string; value: unknown };

export class VisualEditorProvider implements vscode.CustomTextEditorProvider {
  /** Open panels by document URI (tests check that one opened). */
  static readonly panels = new Map<string, vscode.WebviewPanel>();

  static register(): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(VISUAL_EDITOR_VIEW_TYPE, new VisualEditorProvider(),
      { webviewOptions: { retainContextWhenHidden: false } });
  }

  resolveCustomTextEditor(document: vscode.TextDocument, panel: vscode.WebviewPanel): void {
    const key = document.uri.toString();
    VisualEditorProvider.panels.set(key, panel);
    panel.webview.options = { enableScripts: true, localResourceRoots: [] };
    panel.webview.html = html(panel.webview.cspSource);
    const post = () => void panel.webview.postMessage(snapshot(document));
    const subscriptions = [
      vscode.workspace.onDidChangeTextDocument((e) => e.document === document && post()),
      panel.webview.onDidReceiveMessage((message: WebviewToHost) => {
        if (message.type === 'ready') post();
        else void applyIntent(document, message).then((ok) => {
          if (!ok) void vscode.window.showWarningMessage(`Stitch: could not apply "${message.type}" to ${document.fileName}: ` +
            'the JSON has syntax errors or the layer no longer exists; fix the text first.');
        });
      }),
    ];
    panel.onDidDispose(() => {
      subscriptions.forEach((s) => s.dispose());
      if (VisualEditorProvider.panels.get(key) === panel) VisualEditorProvider.panels.delete(key);
    });
  }
}

/** What the webview shows for the document's current text. */
export function snapshot(document: vscode.TextDocument): HostToWebview {
  const analysis = analyzeDocument(document);
  const root = parseTree(document.getText());
  const layerNodes = (root && findNodeAtLocation(root, ['layers'])?.children) ?? [];
  const layers = layerNodes.map((node): LayerRow => {
    const id = String(findNodeAtLocation(node, ['id'])?.value ?? '');
    const info = analysis.shapes[id];
    return { id, type: String(findNodeAtLocation(node, ['type'])?.value ?? '?'),
      outputShape: info?.outputShape ?? null, params: info?.params ?? null };
  });
  const name = root ? findNodeAtLocation(root, ['name'])?.value : undefined;
  return { type: 'document', name: typeof name === 'string' ? name : '', layers, params: analysis.params,
    problems: analysis.problems.filter((p) => p.severity === 'error').length };
}

/** Applies one webview intent to the document as a WorkspaceEdit; false when it does not apply. */
export async function applyIntent(document: vscode.TextDocument, intent: WebviewToHost): Promise<boolean> {
  const text = document.getText();
  let jsonPath: (string | number)[];
  let value: unknown;
  switch (intent.type) {
    case 'ready':
      return true;
    case 'schema/rename':
      jsonPath = ['name'];
      value = intent.name;
      break;
    case 'layer/update': {
      const root = parseTree(text);
      const layers = (root && findNodeAtLocation(root, ['layers'])?.children) ?? [];
      const index = layers.findIndex((n) => findNodeAtLocation(n, ['id'])?.value === intent.id);
      if (index < 0 || intent.key === 'id') return false;
      jsonPath = ['layers', index, intent.key];
      value = intent.value;
      break;
    }
    default: {
      const unknown: never = intent;
      throw new Error(`unknown webview message ${JSON.stringify(unknown)}`);
    }
  }
  if (!parseTree(text)) return false;
  const edits = modify(text, jsonPath, value, { formattingOptions: { insertSpaces: true, tabSize: 2 } });
  if (edits.length === 0) return true; // already has that value
  const edit = new vscode.WorkspaceEdit();
  for (const e of edits) {
    edit.replace(document.uri, new vscode.Range(document.positionAt(e.offset), document.positionAt(e.offset + e.length)),
      e.content);
  }
  return vscode.workspace.applyEdit(edit);
}

function html(cspSource: string): string {
  const nonce = randomBytes(16).toString('base64');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 8px 16px; }
  table { border-collapse: collapse; margin-top: 12px; }
  td, th { padding: 3px 12px 3px 0; text-align: left; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  input { background: var(--vscode-input-background); color: var(--vscode-input-foreground);
    border: 1px solid var(--vscode-input-border, transparent); padding: 2px 4px; }
  .note { opacity: .7; margin-top: 16px; }
</style></head>
<body>
  <label>Name <input id="name" type="text" spellcheck="false"></label>
  <span id="summary"></span>
  <table><thead><tr><th>id</th><th>type</th><th>output shape</th><th>params</th></tr></thead><tbody id="layers"></tbody></table>
  <p class="note">The graph editor arrives in a later version. Edits here change the text document (undo works).</p>
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  const name = document.getElementById('name');
  name.addEventListener('change', () => vscode.postMessage({ type: 'schema/rename', name: name.value }));
  window.addEventListener('message', (event) => {
    const m = event.data;
    if (m.type !== 'document') return;
    if (document.activeElement !== name) name.value = m.name;
    document.getElementById('summary').textContent = m.problems > 0
      ? m.problems + ' problem(s): see the Problems panel' : m.params.toLocaleString('en-US') + ' params';
    const body = document.getElementById('layers');
    body.replaceChildren(...m.layers.map((l) => {
      const tr = document.createElement('tr');
      tr.dataset.id = l.id;
      for (const [text, cls] of [[l.id, ''], [l.type, ''], [l.outputShape ? '[' + l.outputShape.join(', ') + ']' : '?', 'shape'],
        [l.params === null ? '?' : l.params.toLocaleString('en-US'), 'num']]) {
        const td = document.createElement('td');
        td.textContent = text;
        if (cls) td.className = cls;
        tr.appendChild(td);
      }
      return tr;
    }));
  });
  vscode.postMessage({ type: 'ready' });
</script>
</body></html>`;
}
