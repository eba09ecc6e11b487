/**
 * What the visual editor shows for a document's text: layers with resolved sources, shapes and parameter
 * counts, and the schema core's problems placed on nodes and edges. Pure (text + the core's analysis in,
 * plain data out), so the webview never runs a second validation and tests need no editor.
 */
import { getNodeValue, parseTree } from 'jsonc-parser';
import type { Analysis } from '../../shared/schema';
import type { DocumentSnapshot, LayerView, ProblemView } from '../../shared/webviewProtocol';
import { sourcesOf } from './schemaEdits';
import { isObject } from '../../shared/isObject';

type Raw = Record<string, unknown>;

export function buildSnapshot(text: string, analysis: Analysis, version: number, fileName: string): DocumentSnapshot {
  // The core's value when the text parsed; jsonc-parser's recovery otherwise, so the graph keeps what it can.
  let value = analysis.value;
  if (value === undefined) {
    const root = parseTree(text);
    value = root ? getNodeValue(root) : undefined;
  }
  const raw: Raw = isObject(value) ? value : {};
  const rawLayers = Array.isArray(raw.layers) ? raw.layers.map((l) => (isObject(l) ? l : {})) : [];
  const layers = rawLayers.map((l, index): LayerView => {
    const id = typeof l.id === 'string' ? l.id : `#${index}`;
    const config: Raw = {};
    for (const [k, v] of Object.entries(l)) if (k !== 'id' && k !== 'type' && k !== 'inputs') config[k] = v;
    const shape = analysis.shapes[id];
    return {
      id,
      type: typeof l.type === 'string' ? l.type : '?',
      index,
      config,
      inputs: Array.isArray(l.inputs) ? l.inputs.map(String) : null,
      sources: sourcesOf(rawLayers, index),
      outputShape: shape?.outputShape ?? null,
      params: shape?.params ?? null,
    };
  });
  const syntax = analysis.problems.find((p) => p.code === 'json-syntax');
  const input =
    isObject(raw.input) && Array.isArray(raw.input.shape)
      ? raw.input.shape.filter((d): d is number => typeof d === 'number')
      : null;
  return {
    type: 'document',
    version,
    fileName,
    empty: text.trim() === '',
    syntaxError: syntax ? syntax.message : null,
    name: typeof raw.name === 'string' ? raw.name : '',
    inputShape: input,
    layers,
    problems: analysis.problems.map((p) => placeProblem(p, layers)),
    params: analysis.params,
    training: isObject(raw.training) ? raw.training : null,
    layout: isObject(raw.layout) ? (raw.layout as DocumentSnapshot['layout']) : null,
  };
}

/** `layers[3].kernelSize` → node `layers[3]`, key `kernelSize`; `layers[3].inputs[1]` → that edge. */
function placeProblem(p: Analysis['problems'][number], layers: readonly LayerView[]): ProblemView {
  const view: ProblemView = { path: p.path, message: p.message, severity: p.severity, code: String(p.code) };
  const [first, index, key, inputIndex] = p.segments;
  if (first !== 'layers' || typeof index !== 'number' || !layers[index]) return view;
  const layer = layers[index];
  view.layerId = layer.id;
  if (typeof key === 'string') view.key = key;
  if (key === 'inputs' && typeof inputIndex === 'number' && layer.inputs?.[inputIndex] !== undefined) {
    view.edge = { from: layer.inputs[inputIndex], to: layer.id };
  }
  return view;
}
