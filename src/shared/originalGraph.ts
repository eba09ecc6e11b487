/**
 * The original Stitch's canvas graph, as its chat ("Stitchy") sends it in `currentSchema` and expects it
 * back in `proposedSchema`, converted to and from our schema (docs/chat.md, "The original's chat format"):
 *
 *   { layers: { "<id>": { id, kind, params, position: { x, y } } }, edges: [{ id, source, target }] }
 *
 * The canvas holds one chain: an `Input`, then Convolution, Pooling, Flatten, Dense and Dropout layers, and a
 * softmax `Output`, linked by `edges` in any order (the `layers` map is in creation order, not data-flow
 * order). Conversion problems are reported at paths in the graph (`layers["conv-1"].params.kernel`,
 * `edges[2].target`), so the person who drew it can find them. This is not the original's training body:
 * that is `./original.ts`.
 */
import { isObject } from './isObject';
import type { SchemaError } from './protocol';
import type { LayerSpec, StitchSchema } from './schema/types';
import { SCHEMA_VERSION } from './schema/types';

export type GraphKind = 'Input' | 'Convolution' | 'Pooling' | 'Flatten' | 'Dense' | 'Dropout' | 'Output';

export interface GraphLayer {
  id: string;
  kind: GraphKind;
  params: Record<string, unknown>;
  position: { x: number; y: number };
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
}

export interface OriginalGraph {
  layers: Record<string, GraphLayer>;
  edges: GraphEdge[];
}

/** Where the canvas puts the chain: left to right, 300 apart, on one row. */
export const LAYOUT = { x0: 0, dx: 300, y: 200 } as const;

const KINDS: readonly GraphKind[] = ['Input', 'Convolution', 'Pooling', 'Flatten', 'Dense', 'Dropout', 'Output'];
/** The activations the canvas offers; `none` is our `linear`. */
const ACTIVATIONS = new Set(['relu', 'sigmoid', 'tanh', 'none']);

/** True for a value shaped like the canvas graph: `layers` is a map (ours is a list). */
export function isOriginalGraph(value: unknown): value is Record<string, unknown> {
  return isObject(value) && isObject(value.layers) && (value.edges === undefined || Array.isArray(value.edges));
}

/** `layers.dense1` or `layers["conv-1"]`: a JSON path to a layer of the map. */
export function layerPath(id: string, ...rest: string[]): string {
  const key = /^[A-Za-z_$][\w$]*$/.test(id) ? `.${id}` : `[${JSON.stringify(id)}]`;
  return [`layers${key}`, ...rest].join('.');
}

export interface GraphConversion {
  schema: StitchSchema;
  errors: SchemaError[];
}

/**
 * The graph as our schema: the chain from `Input` along `edges`, one layer per node. The schema is a best
 * effort when `errors` is not empty (layers off the chain are left out, unknown kinds skipped).
 */
export function graphToSchema(graph: unknown): GraphConversion {
  const errors: SchemaError[] = [];
  const schema: StitchSchema = { version: SCHEMA_VERSION, name: 'canvas', input: { shape: [] }, layers: [] };
  if (!isOriginalGraph(graph)) {
    errors.push({
      path: '',
      message:
        'expected the canvas graph { "layers": { "<id>": { "kind", "params" } }, "edges": [{ "source", "target" }] }',
    });
    return { schema, errors };
  }
  const chain = orderChain(graph, errors);
  chain.forEach((node, index) => {
    if (node.kind === 'Input') {
      const shape = inputShape(node, errors);
      if (shape) schema.input.shape = shape;
      const dataset = node.params.dataset;
      if (dataset === 'mnist' || dataset === 'fashion-mnist') schema.training = { dataset };
      return;
    }
    if (node.kind === 'Pooling' && node.params.type !== undefined && node.params.type !== 'max') {
      errors.push({
        path: layerPath(node.id, 'params', 'type'),
        message: `pooling type ${JSON.stringify(node.params.type)} is not supported; use "max"`,
      });
    }
    if (node.kind === 'Output' && index !== chain.length - 1) {
      errors.push({
        path: layerPath(node.id, 'kind'),
        message: 'the Output layer must end the chain; move the layers after it before it',
      });
    }
    schema.layers.push(toLayer(node));
  });
  const last = chain.at(-1);
  if (last && last.kind !== 'Output') {
    errors.push({
      path: layerPath(last.id),
      message: `the chain ends at "${last.id}" (${last.kind}); connect an Output layer after it`,
    });
  }
  return { schema, errors };
}

interface Node {
  id: string;
  kind: GraphKind;
  params: Record<string, unknown>;
}

/** The nodes in data-flow order: from the one Input along the edges, refusing branches and cycles. */
function orderChain(graph: Record<string, unknown>, errors: SchemaError[]): Node[] {
  const nodes = new Map<string, Node>();
  for (const [id, value] of Object.entries(graph.layers as Record<string, unknown>)) {
    const node = readNode(id, value, errors);
    if (node) nodes.set(id, node);
  }
  const next = new Map<string, string>();
  const hasSource = new Set<string>();
  const edges = Array.isArray(graph.edges) ? (graph.edges as unknown[]) : [];
  edges.forEach((edge, i) => {
    const link = readEdge(edge, i, graph.layers as Record<string, unknown>, errors);
    if (!link) return;
    const { source, target } = link;
    if (nodes.get(target)?.kind === 'Input') {
      errors.push({ path: `edges[${i}].target`, message: `"${target}" is the Input layer; nothing can feed it` });
    } else if (next.has(source)) {
      errors.push({
        path: `edges[${i}]`,
        message: `"${source}" already feeds "${next.get(source) ?? ''}"; the canvas is one chain without branches, so remove one of the two edges`,
      });
    } else if (hasSource.has(target)) {
      errors.push({
        path: `edges[${i}]`,
        message: `"${target}" is already fed by another layer; the canvas is one chain without merges, so remove one of the two edges`,
      });
    } else {
      next.set(source, target);
      hasSource.add(target);
    }
  });

  const inputs = [...nodes.values()].filter((n) => n.kind === 'Input');
  if (inputs.length !== 1) {
    const path = inputs.length === 0 ? 'layers' : layerPath(inputs[1].id, 'kind');
    errors.push({
      path,
      message:
        inputs.length === 0
          ? 'the canvas has no Input layer; add one and connect the chain to it'
          : 'the canvas has more than one Input layer; keep one',
    });
    if (inputs.length === 0) return [];
  }
  const chain: Node[] = [];
  const seen = new Set<string>();
  for (let id: string | undefined = inputs[0].id; id !== undefined; id = next.get(id)) {
    const node = nodes.get(id);
    if (!node) break; // an unreadable node, already reported
    if (seen.has(id)) {
      errors.push({ path: layerPath(id), message: `the edges loop back to "${id}"; remove one edge of the cycle` });
      break;
    }
    seen.add(id);
    chain.push(node);
  }
  for (const node of nodes.values()) {
    if (!seen.has(node.id))
      errors.push({
        path: layerPath(node.id),
        message: `"${node.id}" is not connected to the chain from the Input layer; connect it or remove it`,
      });
  }
  return chain;
}

function readNode(id: string, value: unknown, errors: SchemaError[]): Node | undefined {
  if (!isObject(value)) {
    errors.push({
      path: layerPath(id),
      message: 'each layer must be an object like { "kind": "Dense", "params": { "units": 64 } }',
    });
    return undefined;
  }
  const kind = value.kind;
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
    errors.push({
      path: layerPath(id, 'kind'),
      message: `unknown kind ${JSON.stringify(kind)}; use one of ${KINDS.join(', ')}`,
    });
    return undefined;
  }
  if (value.params !== undefined && !isObject(value.params)) {
    errors.push({ path: layerPath(id, 'params'), message: 'params must be an object' });
  }
  return { id, kind: kind as GraphKind, params: isObject(value.params) ? value.params : {} };
}

function readEdge(
  edge: unknown,
  i: number,
  layers: Record<string, unknown>,
  errors: SchemaError[],
): { source: string; target: string } | undefined {
  if (!isObject(edge)) {
    errors.push({ path: `edges[${i}]`, message: 'each edge must be an object { "id", "source", "target" }' });
    return undefined;
  }
  for (const end of ['source', 'target'] as const) {
    const id = edge[end];
    if (typeof id !== 'string' || !Object.hasOwn(layers, id)) {
      errors.push({
        path: `edges[${i}].${end}`,
        message: `${JSON.stringify(id)} is not a layer of the canvas; name an existing layer id`,
      });
      return undefined;
    }
  }
  const { source, target } = edge as { source: string; target: string };
  if (source === target) {
    errors.push({ path: `edges[${i}]`, message: `the edge connects "${source}" to itself; remove it` });
    return undefined;
  }
  return { source, target };
}

/** `[height, width, channels]` for an image, `[size]` for a vector. */
function inputShape(node: Node, errors: SchemaError[]): number[] | undefined {
  const { size, channels, height, width } = node.params;
  if (height !== undefined || width !== undefined) return [height, width, channels ?? 1] as number[];
  if (size !== undefined) return [size] as number[];
  errors.push({
    path: layerPath(node.id, 'params'),
    message: 'the Input layer needs "height" and "width" (and "channels") for images, or "size" for vectors',
  });
  return undefined;
}

/** One canvas node as our layer; values pass through unchanged, so the schema core checks them. */
function toLayer(node: Node): LayerSpec {
  const p = node.params;
  const activation = p.activation === 'none' ? 'linear' : p.activation;
  switch (node.kind) {
    case 'Convolution':
      return defined({
        id: node.id,
        type: 'conv2d',
        filters: p.filters,
        kernelSize: p.kernel,
        strides: p.stride,
        padding: p.padding,
        activation,
      });
    case 'Pooling':
      // The canvas offers max pooling only; its padding may be the number 0 (no padding).
      return defined({
        id: node.id,
        type: 'maxPooling2d',
        poolSize: p.pool_size,
        strides: p.stride,
        padding: p.padding === 0 ? 'valid' : p.padding,
      });
    case 'Flatten':
      return { id: node.id, type: 'flatten' };
    case 'Dense':
      return defined({ id: node.id, type: 'dense', units: p.units, activation });
    case 'Dropout':
      return defined({ id: node.id, type: 'dropout', rate: p.rate });
    case 'Output':
      return defined({ id: node.id, type: 'dense', units: p.classes, activation: activation ?? 'softmax' });
    case 'Input':
      throw new Error('the Input node is the schema input, not a layer');
  }
}

/** The layer without its undefined parameters (they would be written as absent anyway, but compare unequal). */
function defined(layer: LayerSpec): LayerSpec {
  return Object.fromEntries(Object.entries(layer).filter(([, value]) => value !== undefined)) as LayerSpec;
}

export interface SchemaToGraph {
  graph: OriginalGraph;
  /** What the canvas cannot show, at paths in our schema (`layers[2].type`); the graph is then partial. */
  errors: SchemaError[];
}

/**
 * Our schema as the canvas graph, laid out left to right. Where `previous` (the canvas the request came
 * with) has a node of the same id and kind that converts to the same layer, its params and its Input id are
 * kept as they were (the canvas may write `padding: 0` where we write "valid"), and so are its edge ids:
 * the frontend's preview then shows only what really changed.
 */
export function schemaToGraph(schema: Record<string, unknown>, previous?: unknown): SchemaToGraph {
  const errors: SchemaError[] = [];
  const before = new Map<string, Node>();
  let previousInput: Node | undefined;
  if (isOriginalGraph(previous)) {
    for (const [id, value] of Object.entries(previous.layers as Record<string, unknown>)) {
      const node = readNode(id, value, []);
      if (node) before.set(id, node);
      if (node?.kind === 'Input') previousInput ??= node;
    }
  }
  const nodes: Node[] = [];
  const shape = isObject(schema.input) ? schema.input.shape : undefined;
  const input = inputNode(shape, previousInput?.id ?? 'input', errors);
  if (input) nodes.push(keepPrevious(input, previousInput));

  const layers = Array.isArray(schema.layers) ? (schema.layers as unknown[]) : [];
  if (layers.length === 0) errors.push({ path: 'layers', message: 'the canvas needs at least an Output layer' });
  layers.forEach((value, i) => {
    if (!isObject(value)) {
      errors.push({ path: `layers[${i}]`, message: 'each layer must be an object' });
      return;
    }
    const node = toNode(value, i, i === layers.length - 1, errors);
    if (!node) return;
    const from = value.inputs;
    const expected = i === 0 ? 'input' : (layers[i - 1] as { id?: unknown }).id;
    if (from !== undefined && !(Array.isArray(from) && from.length === 1 && from[0] === expected)) {
      errors.push({
        path: `layers[${i}].inputs`,
        message: 'the canvas is one chain: each layer takes the layer before it, so leave "inputs" out',
      });
    }
    nodes.push(keepPrevious(node, before.get(node.id)));
  });

  const graph: OriginalGraph = { layers: {}, edges: [] };
  const edgeIds = new Map<string, string>();
  if (isOriginalGraph(previous) && Array.isArray(previous.edges)) {
    for (const edge of previous.edges as unknown[]) {
      if (isObject(edge) && typeof edge.id === 'string')
        edgeIds.set(`${String(edge.source)}\n${String(edge.target)}`, edge.id);
    }
  }
  nodes.forEach((node, i) => {
    const layer: GraphLayer = {
      id: node.id,
      kind: node.kind,
      params: node.params,
      position: { x: LAYOUT.x0 + i * LAYOUT.dx, y: LAYOUT.y },
    };
    // Defined, not assigned: an id such as "__proto__" must stay a key of the map.
    Object.defineProperty(graph.layers, node.id, {
      value: layer,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    if (i === 0) return;
    const source = nodes[i - 1].id;
    graph.edges.push({ id: edgeIds.get(`${source}\n${node.id}`) ?? `${source}->${node.id}`, source, target: node.id });
  });
  return { graph, errors };
}

function inputNode(shape: unknown, id: string, errors: SchemaError[]): Node | undefined {
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number')) {
    errors.push({ path: 'input.shape', message: 'expected the input shape as a list of numbers' });
    return undefined;
  }
  const dims = shape;
  if (dims.length === 1) return { id, kind: 'Input', params: { size: dims[0] } };
  if (dims.length === 3)
    return {
      id,
      kind: 'Input',
      params: { size: dims[0] * dims[1] * dims[2], channels: dims[2], height: dims[0], width: dims[1] },
    };
  errors.push({
    path: 'input.shape',
    message: 'the canvas Input takes [height, width, channels] (images) or [size] (vectors)',
  });
  return undefined;
}

/** One of our layers as a canvas node, or undefined (with an error) where the canvas has no such layer. */
function toNode(layer: Record<string, unknown>, i: number, last: boolean, errors: SchemaError[]): Node | undefined {
  const id = typeof layer.id === 'string' ? layer.id : `layer${i + 1}`;
  const at = (key: string): string => `layers[${i}].${key}`;
  const activation = (): unknown => {
    const value = layer.activation ?? 'linear';
    if (value === 'linear') return 'none';
    if (typeof value === 'string' && ACTIVATIONS.has(value)) return value;
    errors.push({
      path: at('activation'),
      message: `the canvas offers the activations relu, sigmoid, tanh and none (linear), not ${JSON.stringify(value)}`,
    });
    return value;
  };
  const single = (key: string, fallback?: unknown): unknown => {
    const value = layer[key] ?? fallback;
    if (!Array.isArray(value)) return value;
    if (value.length === 2 && value[0] === value[1]) return value[0];
    errors.push({ path: at(key), message: 'the canvas takes one number for both sides; use a square size' });
    return value[0];
  };
  if (last && layer.type !== 'dense') {
    errors.push({
      path: `layers[${i}]`,
      message: 'the canvas ends in an Output layer: make the last layer dense with activation softmax',
    });
  }
  switch (layer.type) {
    case 'conv2d':
      return {
        id,
        kind: 'Convolution',
        params: {
          filters: layer.filters,
          kernel: single('kernelSize'),
          stride: single('strides', 1),
          padding: layer.padding ?? 'valid',
          activation: activation(),
        },
      };
    case 'maxPooling2d': {
      const poolSize = single('poolSize', 2);
      return {
        id,
        kind: 'Pooling',
        params: {
          type: 'max',
          pool_size: poolSize,
          stride: single('strides', poolSize),
          padding: layer.padding ?? 'valid',
        },
      };
    }
    case 'flatten':
      return { id, kind: 'Flatten', params: {} };
    case 'dropout':
      return { id, kind: 'Dropout', params: { rate: layer.rate } };
    case 'dense':
      if (!last) return { id, kind: 'Dense', params: { units: layer.units, activation: activation() } };
      if (layer.activation !== 'softmax')
        errors.push({
          path: at('activation'),
          message: 'the canvas Output layer is a softmax classifier; use activation "softmax"',
        });
      return { id, kind: 'Output', params: { classes: layer.units, activation: 'softmax' } };
    default:
      errors.push({
        path: at('type'),
        message: `${JSON.stringify(layer.type)} has no layer on the original canvas; use conv2d, maxPooling2d, flatten, dense or dropout`,
      });
      return undefined;
  }
}

/** The previous node's params when they mean the same layer (same kind, same converted parameters). */
function keepPrevious(node: Node, previous: Node | undefined): Node {
  if (previous?.kind !== node.kind) return node;
  const same =
    node.kind === 'Input'
      ? canonical(inputShape(previous, [])) === canonical(inputShape(node, []))
      : canonical(toLayer(previous)) === canonical(toLayer(node));
  return same ? { ...node, params: previous.params } : node;
}

/** JSON with sorted keys, to compare two parameter objects. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isObject(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}
