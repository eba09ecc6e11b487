/**
 * Selecting a node in the visual editor shows its layer in the text: every visible text editor of the
 * document scrolls to the layer's object (centred if it was out of view) and selects its first line,
 * without taking the focus from the graph.
 */
import { findNodeAtLocation, getNodeValue, parseTree } from 'jsonc-parser';
import * as vscode from 'vscode';

export function revealLayer(document: vscode.TextDocument, layerId: string): void {
  const editors = vscode.window.visibleTextEditors.filter((e) => e.document === document);
  if (editors.length === 0) return;
  const layers = findNodeAtLocation(parseTree(document.getText()) ?? { type: 'null', offset: 0, length: 0 }, [
    'layers',
  ]);
  const node = layers?.children?.find((child) => {
    const value: unknown = getNodeValue(child);
    return typeof value === 'object' && value !== null && (value as { id?: unknown }).id === layerId;
  });
  if (!node) return;
  const start = document.positionAt(node.offset);
  const range = new vscode.Range(start, document.positionAt(node.offset + node.length));
  for (const editor of editors) {
    editor.selection = new vscode.Selection(start, document.lineAt(start.line).range.end);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }
}
