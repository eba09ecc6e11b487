/**
 * The visual editor's intents as text edits of the schema document: pure functions over the text (no
 * `vscode`), so they are unit-tested without an editor. Each intent is a few jsonc-parser `modify` calls
 * applied in turn; `minimalEdit` then reduces before/after to the one span that changed, which the host
 * applies as a single WorkspaceEdit (one undo step, a small git diff, comments and formatting elsewhere kept).
 */
import {
  findNodeAtLocation,
  getNodeValue,
  parseTree,
  printParseErrorCode,
  type FormattingOptions,
  type ParseError,
  type JSONPath,
  type Node,
} from 'jsonc-parser';
import { detectFormatting, indentOf, setJsonValue, spaceOut } from '../../shared/jsonText';
import { LAYERS, isLayerType } from '../../shared/schema';
import { MODEL_INPUT_ID } from '../../shared/schema/types';
import type { EditIntent } from '../../shared/webviewProtocol';

export { minimalEdit, type TextEdit } from '../../shared/jsonText';

export type EditResult = { ok: true; text: string } | { ok: false; error: string };

type RawLayer = Record<string, unknown>;

/**
 * What an empty file becomes on the first edit from the visual editor: a model on MNIST-shaped input, so
 * that a palette click on a new file starts a trainable schema.
 */
export function starterText(name: string): string {
  return `${JSON.stringify(
    {
      version: 1,
      name,
      input: { shape: [28, 28, 1] },
      layers: [],
      training: {
        dataset: 'mnist',
        epochs: 3,
        batchSize: 64,
        optimizer: { type: 'adam', learningRate: 0.001 },
        loss: 'categoricalCrossentropy',
        maxSamples: 10000,
      },
    },
    null,
    2,
  )}\n`;
}

/** The text after `intent`, or why it cannot apply (a message for a person). `name` names an empty file's model. */
export function applyIntentToText(original: string, intent: EditIntent, name = 'model'): EditResult {
  if (intent.type === 'batch') return applyBatch(original, intent.intents, name);
  const text = original.trim() === '' ? starterText(name) : original;
  // parseTree recovers a tree from broken text, and an edit placed by it lands in the wrong spot (after the
  // root's `}`, say): the text is fixed first, as the editor's banner says. Comments and trailing commas are fine.
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true });
  if (errors.length > 0) {
    const line = text.slice(0, errors[0].offset).split('\n').length;
    return fail(
      `the file has a JSON syntax error (${printParseErrorCode(errors[0].error)} on line ${line}); fix the text first (see the Problems panel)`,
    );
  }
  if (!root || root.type !== 'object')
    return fail('the file is not a JSON object; fix the text first (see the Problems panel)');
  const layersNode = findNodeAtLocation(root, ['layers']);
  const layers: RawLayer[] = layersNode?.type === 'array' ? (getNodeValue(layersNode) as unknown[]).map(asObject) : [];
  const ids = layers.map((l) => (typeof l.id === 'string' ? l.id : ''));
  const context: IntentContext = {
    doc: new Doc(text),
    root,
    hasLayers: layersNode !== undefined,
    layers,
    ids,
    indexOf: (id) => ids.indexOf(id),
  };
  return (HANDLERS[intent.type] as IntentHandler<EditIntent>)(intent, context);
}

/** What every intent handler reads: the document being edited and its layers as they were before the intent. */
interface IntentContext {
  doc: Doc;
  root: Node;
  /** Whether the document has a `layers` array at all. */
  hasLayers: boolean;
  layers: RawLayer[];
  ids: string[];
  indexOf(id: string): number;
}

type IntentHandler<I extends EditIntent> = (intent: I, context: IntentContext) => EditResult;
type SingleIntent = Exclude<EditIntent, { type: 'batch' }>;

/** One handler per intent type; a new intent type is a type error here until it has one. */
const HANDLERS: { readonly [T in SingleIntent['type']]: IntentHandler<Extract<SingleIntent, { type: T }>> } = {
  'schema/rename': (intent, { doc }) => doc.set(['name'], intent.name).done(),
  'schema/inputShape': (intent, { doc }) => doc.set(['input', 'shape'], intent.shape).done(),
  'layer/add': addLayer,
  'layer/update': (intent, { doc, indexOf }) => {
    const i = indexOf(intent.id);
    if (i < 0) return fail(`there is no layer "${intent.id}"`);
    if (intent.key === 'id' || intent.key === 'inputs')
      return fail(`"${intent.key}" is changed by renaming or connecting, not as a parameter`);
    return doc.set(['layers', i, intent.key], intent.value).done();
  },
  'layer/rename': renameLayer,
  'layer/delete': deleteLayers,
  'layer/duplicate': duplicateLayers,
  'edge/connect': connect,
  'edge/disconnect': (intent, { doc, layers, indexOf }) => {
    const to = indexOf(intent.to);
    if (to < 0) return fail(`there is no layer "${intent.to}"`);
    const current = sourcesOf(layers, to);
    if (!current.includes(intent.from)) return doc.done();
    return doc
      .set(
        ['layers', to, 'inputs'],
        current.filter((s) => s !== intent.from),
      )
      .done();
  },
  'layout/set': (intent, { doc, root }) => {
    if (!findNodeAtLocation(root, ['layout'])) return doc.set(['layout'], roundAll(intent.positions)).done();
    for (const [id, p] of Object.entries(intent.positions)) doc.set(['layout', id], round(p));
    return doc.done();
  },
  'training/update': (intent, { doc }) => doc.set(['training', ...intent.path], intent.value).done(),
};

/** Several intents in order, each on the text the previous one left; the first that fails stops them all. */
function applyBatch(original: string, intents: EditIntent[], name: string): EditResult {
  let current = original;
  for (const part of intents) {
    const result = applyIntentToText(current, part, name);
    if (!result.ok) return result;
    current = result.text;
  }
  return { ok: true, text: current };
}

function addLayer(
  intent: Extract<EditIntent, { type: 'layer/add' }>,
  { doc, hasLayers, layers, ids, indexOf }: IntentContext,
): EditResult {
  if (!isLayerType(intent.layerType)) return fail(`"${intent.layerType}" is not a layer type`);
  const def = LAYERS[intent.layerType];
  const id = freshId(intent.layerType, ids);
  // Without a selection the layer goes before the output layer (appending after it would leave a model
  // whose output is the new layer: two errors and no Train), i.e. into the output's last incoming edge.
  const output = layers.length >= 2 && intent.afterId === undefined ? layers.length - 1 : -1;
  const edge =
    intent.intoEdge ?? (output >= 0 ? { from: sourcesOf(layers, output).at(-1) ?? '', to: ids[output] } : undefined);
  if (edge && intent.afterId === undefined) {
    const result = insertIntoEdge(doc, layers, ids, edge, { id, type: intent.layerType, ...def.example }, def.merge);
    if (!result.ok) return result;
    if (intent.position) doc.set(['layout', id], round(intent.position));
    return doc.done();
  }
  const after = intent.afterId === undefined ? layers.length - 1 : indexOf(intent.afterId);
  if (intent.afterId !== undefined && after < 0) return fail(`there is no layer "${intent.afterId}"`);
  const layer: RawLayer = { id, type: intent.layerType, ...def.example };
  // A merge layer needs two sources: the layer it follows and the one before that (when there is one).
  if (def.merge && after >= 1) layer.inputs = [ids[after - 1], ids[after]];
  if (!hasLayers) doc.set(['layers'], [layer]);
  else insertAfter(doc, after, layer);
  if (intent.position) doc.set(['layout', id], round(intent.position));
  return doc.done();
}

function renameLayer(
  intent: Extract<EditIntent, { type: 'layer/rename' }>,
  { doc, root, layers, ids, indexOf }: IntentContext,
): EditResult {
  const i = indexOf(intent.id);
  if (i < 0) return fail(`there is no layer "${intent.id}"`);
  if (!/^[A-Za-z_][\w.-]*$/.test(intent.newId) || intent.newId === MODEL_INPUT_ID) {
    return fail(`"${intent.newId}" cannot be a layer id: use letters, digits, "_", "-" or "." (and not "input")`);
  }
  if (ids.includes(intent.newId)) return fail(`another layer already has the id "${intent.newId}"`);
  doc.set(['layers', i, 'id'], intent.newId);
  layers.forEach((l, k) => {
    if (Array.isArray(l.inputs) && l.inputs.includes(intent.id)) {
      doc.set(
        ['layers', k, 'inputs'],
        l.inputs.map((s) => (s === intent.id ? intent.newId : s)),
      );
    }
  });
  const layout = layoutOf(root);
  if (layout?.[intent.id]) {
    doc.set(['layout', intent.id], undefined);
    doc.set(['layout', intent.newId], layout[intent.id]);
  }
  return doc.done();
}

function deleteLayers(
  intent: Extract<EditIntent, { type: 'layer/delete' }>,
  { doc, root, layers, ids, indexOf }: IntentContext,
): EditResult {
  const doomed = new Set(intent.ids.filter((id) => indexOf(id) >= 0));
  if (doomed.size === 0) return fail('none of those layers exist any more');
  // Consumers that named a deleted layer take its sources instead, so deleting from the middle of a
  // branch keeps the graph connected.
  const bypass = (id: string, seen = new Set<string>()): string[] => {
    if (!doomed.has(id) || seen.has(id)) return [id];
    seen.add(id);
    return sourcesOf(layers, indexOf(id)).flatMap((s) => bypass(s, seen));
  };
  layers.forEach((l, k) => {
    if (doomed.has(ids[k]) || !Array.isArray(l.inputs)) return;
    const inputs = l.inputs as string[];
    if (!inputs.some((s) => doomed.has(s))) return;
    doc.set(['layers', k, 'inputs'], unique(inputs.flatMap((s) => bypass(s))));
  });
  const layout = layoutOf(root);
  for (const id of doomed) if (layout?.[id]) doc.set(['layout', id], undefined);
  // Remove from the end so earlier indices stay valid.
  [...doomed]
    .map(indexOf)
    .sort((a, b) => b - a)
    .forEach((i) => doc.set(['layers', i], undefined));
  return doc.done();
}

function duplicateLayers(
  intent: Extract<EditIntent, { type: 'layer/duplicate' }>,
  { doc, root, layers, ids, indexOf }: IntentContext,
): EditResult {
  const picked = intent.ids
    .map(indexOf)
    .filter((i) => i >= 0)
    .sort((a, b) => b - a);
  if (picked.length === 0) return fail('none of those layers exist any more');
  const taken = [...ids];
  const layout = layoutOf(root);
  for (const i of picked) {
    // The copy goes between the layer and its consumers (so the original keeps feeding something): a
    // single-input copy consumes the original implicitly; a merge copy takes the original and the
    // original's last source, which have compatible shapes.
    const { inputs, ...rest } = layers[i];
    const copy: RawLayer = { ...rest, id: freshId(String(layers[i].type ?? 'layer'), taken) };
    if (isMerge(layers[i]) && Array.isArray(inputs)) copy.inputs = [ids[i], ...sourcesOf(layers, i).slice(-1)];
    taken.push(copy.id as string);
    insertAfter(
      doc,
      doc.layers().findIndex((l) => l.id === ids[i]),
      copy,
    );
    const at = layout?.[ids[i]];
    if (at) doc.set(['layout', copy.id as string], { x: at.x + 40, y: at.y + 40 });
  }
  return doc.done();
}

function connect(
  intent: Extract<EditIntent, { type: 'edge/connect' }>,
  { doc, layers, indexOf }: IntentContext,
): EditResult {
  const to = indexOf(intent.to);
  if (to < 0) return fail(`there is no layer "${intent.to}"`);
  if (intent.from !== MODEL_INPUT_ID && indexOf(intent.from) < 0) return fail(`there is no layer "${intent.from}"`);
  if (intent.from === intent.to) return fail('a layer cannot consume its own output');
  const current = sourcesOf(layers, to);
  if (current.includes(intent.from)) return doc.done();
  // A single-input layer switches to the new source; a merge layer gains one.
  return doc.set(['layers', to, 'inputs'], isMerge(layers[to]) ? [...current, intent.from] : [intent.from]).done();
}

/** Whether the layer's type merges several inputs (add, concatenate, …). */
function isMerge(layer: RawLayer): boolean {
  const type = String(layer.type);
  return isLayerType(type) && LAYERS[type].merge;
}

/**
 * Inserts `layer` right after the layer at `index` (X) and puts it between X and X's consumers: the next
 * layer, if it has no `inputs`, now consumes it implicitly, and layers that name X in `inputs` name the new
 * layer instead. Without that, a graph with explicit `inputs` (a skip connection) would leave the new layer
 * unconsumed. The new layer's own `inputs` (a merge) are left as given.
 */
function insertAfter(doc: Doc, index: number, layer: RawLayer): void {
  doc.insert(['layers', index + 1], layer);
  if (index < 0) return;
  const layers = doc.layers();
  const x = String(layers[index].id ?? '');
  layers.forEach((l, k) => {
    if (k === index + 1 || !Array.isArray(l.inputs) || !l.inputs.includes(x)) return;
    doc.set(['layers', k, 'inputs'], unique(l.inputs.map((s) => (s === x ? layer.id : s)) as string[]));
  });
}

/**
 * Inserts `layer` into the edge from → to: it goes right before `to` in the list, consumes `from` (implicitly
 * when `from` is the layer just before, else through `inputs`), and `to` consumes it instead of `from`.
 * A merge layer takes `from` and the source before it (when there is one), as when added after a layer.
 */
function insertIntoEdge(
  doc: Doc,
  layers: readonly RawLayer[],
  ids: readonly string[],
  edge: { from: string; to: string },
  layer: RawLayer,
  merge: boolean,
): EditResult {
  const to = ids.indexOf(edge.to);
  if (to < 0) return fail(`there is no layer "${edge.to}"`);
  const toSources = sourcesOf(layers, to);
  if (!toSources.includes(edge.from)) return fail(`"${edge.to}" does not take its input from "${edge.from}"`);
  const from = ids.indexOf(edge.from);
  const previous = to === 0 ? MODEL_INPUT_ID : ids[to - 1];
  if (merge) layer.inputs = from >= 1 ? [sourcesOf(layers, from).at(-1) ?? ids[from - 1], edge.from] : [edge.from];
  else if (edge.from !== previous) layer.inputs = [edge.from];
  doc.insert(['layers', to], layer);
  // `to` now sits one further down; its implicit source is already the new layer.
  if (Array.isArray(layers[to].inputs)) {
    doc.set(['layers', to + 1, 'inputs'], unique(toSources.map((s) => (s === edge.from ? String(layer.id) : s))));
  }
  return { ok: true, text: '' };
}

/** A layer's sources as ids: `inputs` when written, else the previous layer (or the model input). */
export function sourcesOf(layers: readonly RawLayer[], index: number): string[] {
  const inputs = layers[index]?.inputs;
  if (Array.isArray(inputs)) return inputs.filter((s): s is string => typeof s === 'string');
  return [index === 0 ? MODEL_INPUT_ID : String(layers[index - 1].id ?? '')];
}

/** `conv2d3`: the type plus the first number no layer uses yet. */
export function freshId(type: string, taken: readonly string[]): string {
  const base = type.replace(/[^\w.-]/g, '') || 'layer';
  for (let n = 1; ; n++) if (!taken.includes(`${base}${n}`)) return `${base}${n}`;
}

/**
 * Applies edits one after another on a working copy of the text, keeping the file's own layout
 * (`setJsonValue`: one-line objects stay on one line, elsewhere the file's indentation); layers are
 * inserted as one line at the indentation of their neighbours.
 */
class Doc {
  private readonly formatting: FormattingOptions;

  constructor(private text: string) {
    this.formatting = detectFormatting(text);
  }

  set(path: JSONPath, value: unknown): this {
    this.text = setJsonValue(this.text, path, value, this.formatting);
    return this;
  }

  /** The layers as the working copy has them now (after earlier edits of this intent). */
  layers(): RawLayer[] {
    const node = findNodeAtLocation(parseTree(this.text)!, ['layers']);
    return node?.type === 'array' ? (getNodeValue(node) as unknown[]).map(asObject) : [];
  }

  /** Inserts `value` into the array at `path` (last segment = index) as one line. */
  insert(path: JSONPath, value: unknown): this {
    const index = path[path.length - 1] as number;
    const array = findNodeAtLocation(parseTree(this.text)!, path.slice(0, -1));
    const items = array?.children ?? [];
    const line = spaceOut(JSON.stringify(value));
    if (!array || array.type !== 'array') return this.set(path.slice(0, -1), [value]);
    const eol = this.formatting.eol ?? '\n';
    if (items.length === 0) {
      const indent = indentOf(this.text, array.offset);
      const unit = this.formatting.insertSpaces ? ' '.repeat(this.formatting.tabSize ?? 2) : '\t';
      this.text =
        this.text.slice(0, array.offset) +
        `[${eol}${indent}${unit}${line}${eol}${indent}]` +
        this.text.slice(array.offset + array.length);
    } else if (index > 0) {
      const before = items[Math.min(index, items.length) - 1];
      const at = before.offset + before.length;
      this.text = this.text.slice(0, at) + `,${eol}${indentOf(this.text, before.offset)}${line}` + this.text.slice(at);
    } else {
      const first = items[0];
      this.text =
        this.text.slice(0, first.offset) +
        `${line},${eol}${indentOf(this.text, first.offset)}` +
        this.text.slice(first.offset);
    }
    return this;
  }

  done(): EditResult {
    return { ok: true, text: this.text };
  }
}

function fail(error: string): EditResult {
  return { ok: false, error };
}

function asObject(value: unknown): RawLayer {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as RawLayer) : {};
}

function layoutOf(root: Node): Record<string, { x: number; y: number }> | undefined {
  const node = findNodeAtLocation(root, ['layout']);
  return node?.type === 'object' ? (getNodeValue(node) as Record<string, { x: number; y: number }>) : undefined;
}

function round(p: { x: number; y: number }): { x: number; y: number } {
  return { x: Math.round(p.x), y: Math.round(p.y) };
}

function roundAll(positions: Record<string, { x: number; y: number }>): Record<string, { x: number; y: number }> {
  return Object.fromEntries(Object.entries(positions).map(([id, p]) => [id, round(p)]));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
