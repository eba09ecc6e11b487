/**
 * Quick fixes for schema problems: replace an unknown type, parameter or name by the core's suggestion,
 * and give a layer without an id a fresh one.
 */
import * as vscode from 'vscode';
import { parseTree, findNodeAtLocation } from 'jsonc-parser';
import { DIAGNOSTIC_SOURCE, problemForDiagnostic } from './diagnostics';
import { SCHEMA_SELECTOR, analyzeDocument } from './schemaDocuments';

export class SchemaQuickFixes implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  static register(): vscode.Disposable {
    return vscode.languages.registerCodeActionsProvider(SCHEMA_SELECTOR, new SchemaQuickFixes(), {
      providedCodeActionKinds: SchemaQuickFixes.kinds,
    });
  }

  provideCodeActions(
    document: vscode.TextDocument,
    _range: vscode.Range,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== DIAGNOSTIC_SOURCE) continue;
      const problem = problemForDiagnostic(diagnostic);
      if (!problem) continue;
      if (problem.suggestion !== undefined) {
        const replacement = JSON.stringify(problem.suggestion);
        const action = new vscode.CodeAction(`Change to ${replacement}`, vscode.CodeActionKind.QuickFix);
        action.edit = new vscode.WorkspaceEdit();
        action.edit.replace(document.uri, diagnostic.range, replacement);
        action.diagnostics = [diagnostic];
        action.isPreferred = true;
        actions.push(action);
      } else if (problem.code === 'missing-id' && typeof problem.segments[1] === 'number') {
        const action = this.addId(document, problem.segments[1]);
        if (action) {
          action.diagnostics = [diagnostic];
          actions.push(action);
        }
      }
    }
    return actions;
  }

  /** Inserts `"id": "<type><n>", ` as the layer's first property, with an id no other layer uses. */
  private addId(document: vscode.TextDocument, index: number): vscode.CodeAction | undefined {
    const root = parseTree(document.getText());
    const layer = root && findNodeAtLocation(root, ['layers', index]);
    if (!layer || layer.type !== 'object') return undefined;
    const typeNode = findNodeAtLocation(layer, ['type']);
    const base = typeof typeNode?.value === 'string' ? typeNode.value.replace(/[^A-Za-z0-9_]/g, '') : 'layer';
    const taken = new Set(Object.keys(analyzeDocument(document).shapes));
    const layers = findNodeAtLocation(root, ['layers']);
    for (const child of layers?.children ?? []) {
      const id = findNodeAtLocation(child, ['id'])?.value;
      if (typeof id === 'string') taken.add(id);
    }
    let n = 1;
    while (taken.has(`${base}${n}`)) n++;
    const id = `${base}${n}`;
    const action = new vscode.CodeAction(`Add "id": "${id}"`, vscode.CodeActionKind.QuickFix);
    action.edit = new vscode.WorkspaceEdit();
    // Before the first property, so the layer's own spacing stays as it was.
    const first = layer.children?.[0];
    action.edit.insert(
      document.uri,
      document.positionAt(first ? first.offset : layer.offset + 1),
      `"id": ${JSON.stringify(id)}${first ? ', ' : ''}`,
    );
    action.isPreferred = true;
    return action;
  }
}
