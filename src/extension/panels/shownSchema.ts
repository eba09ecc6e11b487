/**
 * The schema document on screen when no editor is active: after a window reload the restored Stitch panel has
 * the focus, and the schema editor beside it (text or visual) is the one the chat is about.
 *
 * Only `vscode` here (schemaDocuments.ts pulls in the schema core and jsonc-parser), so that the in-host
 * tests can import it (test/extension/suite/panelPlacement.test.ts).
 */
import * as vscode from 'vscode';

/** schemaDocuments.ts's SCHEMA_SUFFIX test, repeated for the reason above. */
const isSchema = (document: vscode.TextDocument): boolean => document.uri.path.endsWith('.stitch.json');

/**
 * The schema document of an editor on screen (text or visual) when none is active: after a window reload
 * the restored panel has the focus, and the schema beside it is what the user means. Visible text editors
 * first, then the active tab of each editor group (a visual editor is a custom editor, not a text editor).
 */
export function visibleSchemaDocument(): vscode.TextDocument | undefined {
  const text = vscode.window.visibleTextEditors.find((e) => isSchema(e.document));
  if (text) return text.document;
  const shown = new Set(shownSchemaUris().map((u) => u.toString()));
  return vscode.workspace.textDocuments.find((d) => shown.has(d.uri.toString()) && isSchema(d));
}

/** Like visibleSchemaDocument, and opens the document of a restored tab that is not loaded yet. */
export async function shownSchemaDocument(): Promise<vscode.TextDocument | undefined> {
  const loaded = visibleSchemaDocument();
  if (loaded) return loaded;
  for (const uri of shownSchemaUris()) {
    const document = await vscode.workspace.openTextDocument(uri).then(
      (d) => d,
      () => undefined, // deleted since the tab was restored: try the next one
    );
    if (document && isSchema(document)) return document;
  }
  return undefined;
}

function shownSchemaUris(): vscode.Uri[] {
  return vscode.window.tabGroups.all
    .map((g) => g.activeTab?.input)
    .filter((i) => i instanceof vscode.TabInputCustom || i instanceof vscode.TabInputText)
    .map((i) => i.uri)
    .filter((u) => u.path.endsWith('.stitch.json'));
}
