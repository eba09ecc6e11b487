/**
 * Which documents are Stitch schemas, and their analysis (validation + shape inference from the pure
 * schema core), computed once per document version and shared by diagnostics, CodeLens, inlay hints,
 * quick fixes, the visual editor and training.
 */
import * as vscode from 'vscode';
import { analyzeSchemaText } from '../shared/schema';

export type SchemaAnalysis = ReturnType<typeof analyzeSchemaText>;
export type SchemaProblem = SchemaAnalysis['problems'][number];

export const SCHEMA_SUFFIX = '.stitch.json';

/** `*.stitch.json` files, saved or untitled-with-a-name (New Architecture creates those). */
export const SCHEMA_SELECTOR: vscode.DocumentSelector = { pattern: `**/*${SCHEMA_SUFFIX}` };

export function isSchemaDocument(document: vscode.TextDocument): boolean {
  return document.uri.path.endsWith(SCHEMA_SUFFIX);
}

const cache = new WeakMap<vscode.TextDocument, { version: number; analysis: SchemaAnalysis }>();

/** The analysis of the document's current text (cached by version). */
export function analyzeDocument(document: vscode.TextDocument): SchemaAnalysis {
  const hit = cache.get(document);
  if (hit && hit.version === document.version) return hit.analysis;
  const analysis = analyzeSchemaText(document.getText());
  cache.set(document, { version: document.version, analysis });
  return analysis;
}

/** The schema document the user is looking at: the active text editor, or the active visual editor's. */
export function activeSchemaDocument(): vscode.TextDocument | undefined {
  const editor = vscode.window.activeTextEditor;
  if (editor && isSchemaDocument(editor.document)) return editor.document;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText) {
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === input.uri.toString() && isSchemaDocument(d));
  }
  return undefined;
}

/** The text range of a problem in the document (the whole first line when the core gave no range). */
export function problemRange(document: vscode.TextDocument, problem: SchemaProblem): vscode.Range {
  if (!problem.range) return document.lineAt(0).range;
  return new vscode.Range(
    document.positionAt(problem.range.offset),
    document.positionAt(problem.range.offset + problem.range.length),
  );
}

/** `1199882` → `1,199,882` (fixed locale so that tests and screenshots agree). */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export { formatShape } from '../shared/schema/shapes';

/** `[13,13,32]`; the last three dimensions of a longer shape (`[…,7,7,64]`), for hints on long lines. */
export function compactShape(shape: readonly (number | null)[]): string {
  const dims = shape.map((d) => (d === null ? '?' : String(d)));
  return `[${dims.length > 3 ? ['…', ...dims.slice(-3)].join(',') : dims.join(',')}]`;
}
