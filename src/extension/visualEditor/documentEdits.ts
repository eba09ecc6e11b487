/**
 * The visual editor's edits of its document: each intent becomes ONE minimal WorkspaceEdit (computed by the
 * pure schemaEdits.ts, reduced to the span that changed), one document at a time, so undo, save, dirty state,
 * a split text editor and git diffs just work; and the bundled examples offered as presets.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DocumentSnapshot, EditIntent, PresetInfo } from '../../shared/webviewProtocol';
import { analyzeDocument } from '../schemaDocuments';
import { buildSnapshot } from './editorSnapshot';
import { applyIntentToText, minimalEdit } from './schemaEdits';
import { SerialQueues } from './serialQueue';

/** What the webview shows for the document's current text. */
export function snapshot(document: vscode.TextDocument): DocumentSnapshot {
  return buildSnapshot(
    document.getText(),
    analyzeDocument(document),
    document.version,
    path.basename(document.uri.path),
  );
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
    const result = applyIntentToText(before, intent, schemaName(document));
    if (!result.ok) return result;
    const edit = minimalEdit(before, result.text);
    if (!edit) return { ok: true }; // already so
    const range = new vscode.Range(document.positionAt(edit.offset), document.positionAt(edit.offset + edit.length));
    const workspaceEdit = new vscode.WorkspaceEdit();
    workspaceEdit.replace(document.uri, range, edit.content);
    if (await vscode.workspace.applyEdit(workspaceEdit)) return { ok: true };
    return {
      ok: false,
      error: 'VS Code refused the edit (the document changed at the same moment); try the action again.',
    };
  });
}

/** The file name without `.stitch.json`: the schema's name when it has none. */
export function schemaName(document: vscode.TextDocument): string {
  return path.basename(document.uri.path).replace(/\.stitch\.json$/, '');
}

/** The bundled examples, offered as one-click starting points. */
export function presets(context: vscode.ExtensionContext): PresetInfo[] {
  const dir = context.asAbsolutePath('examples');
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.stitch.json'))
      .sort();
  } catch {
    return []; // a build without examples offers none
  }
  return files.map((f) => ({ name: f.replace(/\.stitch\.json$/, ''), description: describe(path.join(dir, f)) }));
}

function describe(file: string): string {
  try {
    return String((JSON.parse(readFileSync(file, 'utf8')) as { description?: unknown }).description ?? '');
  } catch {
    return ''; // a broken example still shows, without a description
  }
}

/** Replaces the document with a bundled example (one undoable edit), after asking when it has layers. */
export function applyPreset(
  context: vscode.ExtensionContext,
  document: vscode.TextDocument,
  name: string,
): Promise<void> {
  return edits.run(document.uri.toString(), async () => {
    const file = context.asAbsolutePath(path.join('examples', `${path.basename(name)}.stitch.json`));
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      void vscode.window.showErrorMessage(`Stitch: the preset "${name}" was not found in ${path.dirname(file)}.`);
      return;
    }
    if (analyzeDocument(document).schema?.layers.length || document.getText().trim()) {
      const ok = await vscode.window.showWarningMessage(
        `Replace ${path.basename(document.fileName)} with the "${name}" preset? (Undo with Ctrl+Z.)`,
        { modal: true },
        'Replace',
      );
      if (ok !== 'Replace') return;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(
      document.uri,
      new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)),
      text,
    );
    if (!(await vscode.workspace.applyEdit(edit)))
      void vscode.window.showWarningMessage(
        `Stitch: the "${name}" preset was not applied: VS Code refused the edit (the file is read-only, or changed at the same moment).`,
      );
  });
}
