/**
 * In-editor insight for `*.stitch.json`: a CodeLens above `"layers"` (`▶ Train · Open Editor · N params`)
 * and each layer's output shape as an inlay hint after the layer object (`→ [13, 13, 32]`).
 */
import * as vscode from 'vscode';
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';
import { SCHEMA_SELECTOR, analyzeDocument, compactShape, formatCount, formatShape } from './schemaDocuments';

/** The `"layers"` property node and its layer objects, or undefined when the text has none. */
function layersOf(document: vscode.TextDocument): { property: Node; layers: Node[] } | undefined {
  const root = parseTree(document.getText());
  const array = root && findNodeAtLocation(root, ['layers']);
  if (!array?.parent || array.type !== 'array') return undefined;
  return { property: array.parent, layers: array.children ?? [] };
}

export class SchemaCodeLenses implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  static register(): vscode.Disposable {
    const provider = new SchemaCodeLenses();
    return vscode.Disposable.from(
      provider.changed,
      vscode.languages.registerCodeLensProvider(SCHEMA_SELECTOR, provider),
    );
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const found = layersOf(document);
    if (!found) return [];
    const range = new vscode.Range(
      document.positionAt(found.property.offset),
      document.positionAt(found.property.offset),
    );
    const analysis = analyzeDocument(document);
    // Count what the Problems panel shows for the file (every diagnostic is one of these problems, warnings too).
    const problems = analysis.problems.length;
    const errors = analysis.problems.filter((p) => p.severity === 'error').length;
    const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    const summary =
      errors > 0
        ? plural(problems, 'problem')
        : `${formatCount(analysis.params)} params${problems ? ` · ${plural(problems, 'warning')}` : ''}`;
    return [
      new vscode.CodeLens(range, {
        title: '▶ Train',
        command: 'stitch.train',
        arguments: [document.uri],
        tooltip: 'Train this schema on the Stitch server',
      }),
      new vscode.CodeLens(range, {
        title: 'Open Editor',
        command: 'stitch.openVisualEditor',
        arguments: [document.uri],
        tooltip: 'Open the visual editor beside the text',
      }),
      new vscode.CodeLens(
        range,
        errors > 0
          ? { title: summary, command: 'workbench.actions.view.problems', tooltip: 'Show the Problems panel' }
          : { title: summary, command: '', tooltip: 'Trainable parameters of the whole model' },
      ),
    ];
  }
}

export class LayerShapeHints implements vscode.InlayHintsProvider {
  static register(): vscode.Disposable {
    return vscode.languages.registerInlayHintsProvider(SCHEMA_SELECTOR, new LayerShapeHints());
  }

  provideInlayHints(document: vscode.TextDocument, range: vscode.Range): vscode.InlayHint[] {
    const found = layersOf(document);
    if (!found) return [];
    const { shapes } = analyzeDocument(document);
    const hints: vscode.InlayHint[] = [];
    for (const layer of found.layers) {
      const id = findNodeAtLocation(layer, ['id'])?.value;
      const info = typeof id === 'string' ? shapes[id] : undefined;
      if (!info) continue;
      const position = document.positionAt(layer.offset + layer.length);
      if (!range.contains(position)) continue;
      // On a long line (a one-line layer with many parameters) the hint stays short; the tooltip has it all.
      const long = document.lineAt(position.line).text.length > 100;
      const hint = new vscode.InlayHint(
        position,
        `→ ${long ? compactShape(info.outputShape) : formatShape(info.outputShape)}`,
        vscode.InlayHintKind.Type,
      );
      hint.paddingLeft = true;
      hint.tooltip = `${id}: output ${formatShape(info.outputShape)}, ${formatCount(info.params)} params`;
      hints.push(hint);
    }
    return hints;
  }
}
