/**
 * Hover on a layer's `"type"` value in `*.stitch.json`: what the layer does, its parameters (required ones
 * marked, defaults shown) and, from shape inference, its output shape and parameter count. The JSON
 * Schema's hover shows only the description; this one answers "what does this layer take and make".
 */
import * as vscode from 'vscode';
import { getLocation } from 'jsonc-parser';
import { LAYERS, isLayerType } from '../shared/schema/layers';
import { SCHEMA_SELECTOR, analyzeDocument, formatCount, formatShape } from './schemaDocuments';

export class LayerTypeHovers implements vscode.HoverProvider {
  static register(): vscode.Disposable {
    return vscode.languages.registerHoverProvider(SCHEMA_SELECTOR, new LayerTypeHovers());
  }

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const location = getLocation(document.getText(), document.offsetAt(position));
    const [section, index, key] = location.path;
    if (section !== 'layers' || typeof index !== 'number' || key !== 'type' || location.isAtPropertyKey)
      return undefined;
    const node = location.previousNode;
    const type = node?.value;
    if (typeof type !== 'string' || !isLayerType(type)) return undefined;
    const def = LAYERS[type];
    const analysis = analyzeDocument(document);
    const layer = (analysis.value as { layers?: { id?: unknown }[] } | undefined)?.layers?.[index];
    const shape = typeof layer?.id === 'string' ? analysis.shapes[layer.id] : undefined;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${type}**: ${def.description}\n\n`);
    if (shape)
      md.appendMarkdown(`Output \`${formatShape(shape.outputShape)}\` · ${formatCount(shape.params)} params\n\n`);
    for (const p of def.params) {
      const detail = p.required
        ? ' (required)'
        : p.default !== undefined
          ? ` (default \`${JSON.stringify(p.default)}\`)`
          : '';
      md.appendMarkdown(`- \`${p.name}\`${detail}: ${p.description}\n`);
    }
    const range = node
      ? new vscode.Range(document.positionAt(node.offset), document.positionAt(node.offset + node.length))
      : undefined;
    return new vscode.Hover(md, range);
  }
}
