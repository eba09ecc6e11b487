/**
 * Converts the original Stitch's `POST /api/train` body (`{ architecture, hyperparams }`, sent by its Flask +
 * React Flow app) into a schema of our own (docs/schema.md), so that old clients and scripts keep working.
 *
 * The converter is tolerant: it accepts the shapes the original and its forks sent (see docs/server.md) and
 * reports what it cannot understand as schema errors with the path in the *original* body, so a caller
 * sees `architecture[2].type: unknown layer type "Conv3D"; use one of …` instead of a silent guess. The
 * result is then validated like any other schema.
 */
import type { SchemaError } from './protocol';
import type { LayerSpec, LayerType, LossName, StitchSchema, TrainingSpec } from './schema/types';
import { MODEL_INPUT_ID, SCHEMA_VERSION } from './schema/types';
import { isObject } from './isObject';
import { convertTorchArchitecture, endWithSoftmax, torchArchitecture } from './originalTorch';

export interface ConvertedBody {
  schema: StitchSchema;
  /** Problems found while converting; the schema is only a best effort when this is not empty. */
  errors: SchemaError[];
}

/** Keras class names (lowercased, without `_`/`-`) → our layer types. */
const LAYER_TYPES: Record<string, LayerType> = {
  dense: 'dense',
  output: 'dense',
  linear: 'dense',
  conv2d: 'conv2d',
  convolution2d: 'conv2d',
  conv: 'conv2d',
  depthwiseconv2d: 'depthwiseConv2d',
  separableconv2d: 'separableConv2d',
  maxpooling2d: 'maxPooling2d',
  maxpool2d: 'maxPooling2d',
  maxpool: 'maxPooling2d',
  maxpooling: 'maxPooling2d',
  averagepooling2d: 'averagePooling2d',
  avgpool2d: 'averagePooling2d',
  avgpooling2d: 'averagePooling2d',
  globalaveragepooling2d: 'globalAveragePooling2d',
  globalavgpool2d: 'globalAveragePooling2d',
  flatten: 'flatten',
  dropout: 'dropout',
  batchnormalization: 'batchNormalization',
  batchnorm: 'batchNormalization',
  activation: 'activation',
  reshape: 'reshape',
  add: 'add',
  concatenate: 'concatenate',
  concat: 'concatenate',
};
const INPUT_TYPES = new Set(['input', 'inputlayer']);

/** Input shapes of the built-in datasets, for bodies that never say what the input looks like. */
const DATASET_SHAPES: Record<string, number[]> = {
  mnist: [28, 28, 1],
  'fashion-mnist': [28, 28, 1],
  spiral: [2],
  xor: [2],
  circle: [2],
  gaussian: [2],
};

/** Keys of a layer object that are about the node, not `tf.layers` parameters. */
const NODE_KEYS = new Set([
  'id',
  'type',
  'name',
  'label',
  'layerType',
  'layer_type',
  'class_name',
  'className',
  'params',
  'config',
  'parameters',
  'data',
  'position',
  'inputs',
  'inbound',
  'input_shape',
  'inputShape',
  'shape',
  'selected',
  'dragging',
  'width',
  'height',
  'positionAbsolute',
  'sourcePosition',
  'targetPosition',
]);

/** `kernel_size` → `kernelSize`. */
export function camelCase(key: string): string {
  return key.replace(/[_-]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Form fields often arrive as text: `"128"` → 128, `"(3, 3)"`/`"3,3"` → [3, 3]; other values unchanged. */
function coerce(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(text)) return Number(text);
  const tuple = /^[([]?\s*(\d+(?:\s*[,x]\s*\d+)+)\s*[)\]]?$/i.exec(text);
  if (tuple) return tuple[1].split(/\s*[,x]\s*/i).map(Number);
  return value;
}

function datasetName(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const key = raw
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-');
  return key === 'fashionmnist' ? 'fashion-mnist' : key;
}

/** The layer's type name, wherever this particular client put it. */
function rawType(node: Record<string, unknown>): unknown {
  const data = isObject(node.data) ? node.data : {};
  return (
    data.layerType ??
    data.layer_type ??
    data.type ??
    node.layerType ??
    node.layer_type ??
    node.class_name ??
    node.className ??
    (node.type === 'default' || node.type === 'custom' ? data.label : node.type) ??
    data.label
  );
}

/** The layer's parameters: the object itself, `params`/`config`/`parameters`, or React Flow's `data`. */
function rawParams(node: Record<string, unknown>): Record<string, unknown> {
  const data = isObject(node.data) ? node.data : undefined;
  const sources = [node, data, node.params, node.config, node.parameters, data?.params, data?.config, data?.parameters];
  const out: Record<string, unknown> = {};
  for (const source of sources) {
    if (!isObject(source)) continue;
    for (const [key, value] of Object.entries(source)) {
      if (NODE_KEYS.has(key) || isObject(value)) continue;
      out[camelCase(key)] = coerce(value);
    }
  }
  return out;
}

function rawInputShape(node: Record<string, unknown>): unknown {
  const data = isObject(node.data) ? node.data : {};
  for (const source of [node, data, node.params, node.config, data.params, data.config]) {
    if (!isObject(source)) continue;
    const shape = source.input_shape ?? source.inputShape ?? source.shape ?? source.batch_input_shape;
    if (shape !== undefined) return coerce(shape);
  }
  return undefined;
}

interface Node {
  key: string;
  path: string;
  value: Record<string, unknown>;
}

/** Layers in order, with their sources: a plain list, `{ layers }`, or React Flow `{ nodes, edges }`. */
function readArchitecture(
  architecture: unknown,
  errors: SchemaError[],
): { nodes: Node[]; sources: Map<string, string[]> | null } {
  const list = Array.isArray(architecture)
    ? architecture
    : isObject(architecture)
      ? (architecture.layers ?? architecture.nodes)
      : undefined;
  const base = Array.isArray(architecture)
    ? 'architecture'
    : isObject(architecture) && architecture.layers
      ? 'architecture.layers'
      : 'architecture.nodes';
  if (!Array.isArray(list) || list.length === 0) {
    errors.push({
      path: 'architecture',
      message: 'expected a non-empty list of layers, or { nodes, edges } as the visual editor sends',
    });
    return { nodes: [], sources: null };
  }
  const nodes: Node[] = [];
  list.forEach((value, i) => {
    const path = `${base}[${i}]`;
    if (!isObject(value))
      errors.push({ path, message: 'each layer must be an object like { "type": "Dense", "units": 10 }' });
    else nodes.push({ key: String(value.id ?? `layer${i + 1}`), path, value });
  });
  const edges = isObject(architecture) ? architecture.edges : undefined;
  if (!Array.isArray(edges)) return { nodes, sources: null };
  const sources = new Map<string, string[]>();
  edges.forEach((edge, i) => {
    if (!isObject(edge) || edge.source === undefined || edge.target === undefined) {
      errors.push({ path: `architecture.edges[${i}]`, message: 'each edge needs "source" and "target" node ids' });
      return;
    }
    const target = String(edge.target);
    sources.set(target, [...(sources.get(target) ?? []), String(edge.source)]);
  });
  return { nodes: orderNodes(nodes, sources, errors), sources };
}

/** Topological order of a node graph (React Flow keeps nodes in creation order, not data-flow order). */
function orderNodes(nodes: Node[], sources: Map<string, string[]>, errors: SchemaError[]): Node[] {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const ordered: Node[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (node: Node): void => {
    if (state.get(node.key) === 'done') return;
    if (state.get(node.key) === 'visiting') {
      errors.push({
        path: node.path,
        message: `the edges form a cycle through node "${node.key}"; remove one edge of the cycle`,
      });
      return;
    }
    state.set(node.key, 'visiting');
    for (const source of sources.get(node.key) ?? []) {
      const from = byKey.get(source);
      if (from) visit(from);
      else errors.push({ path: node.path, message: `an edge comes from node "${source}", which does not exist` });
    }
    state.set(node.key, 'done');
    ordered.push(node);
  };
  nodes.forEach(visit);
  return ordered;
}

/** The original's loss names → ours. */
const LOSSES: Record<string, LossName> = {
  crossentropy: 'categoricalCrossentropy',
  categoricalcrossentropy: 'categoricalCrossentropy',
  ce: 'categoricalCrossentropy',
  nll: 'categoricalCrossentropy',
  nllloss: 'categoricalCrossentropy',
  crossentropyloss: 'categoricalCrossentropy',
  sparsecategoricalcrossentropy: 'sparseCategoricalCrossentropy',
  binarycrossentropy: 'binaryCrossentropy',
  bce: 'binaryCrossentropy',
  mse: 'meanSquaredError',
  meansquarederror: 'meanSquaredError',
  mseloss: 'meanSquaredError',
  mae: 'meanAbsoluteError',
  l1: 'meanAbsoluteError',
  meanabsoluteerror: 'meanAbsoluteError',
};

/** The original's hyperparameter defaults (its API documentation), for its own architecture format. */
export const ORIGINAL_DEFAULTS = {
  epochs: 5,
  batchSize: 64,
  trainSplit: 0.9,
  shuffle: true,
  maxSamples: 4096,
} as const;

/** `optimizer`: a name, or `{ type, lr, momentum, … }`; `learning_rate`/`lr` may also sit beside it. */
function convertOptimizer(h: Record<string, unknown>): Record<string, unknown> | undefined {
  const given = isObject(h.optimizer) ? h.optimizer : { type: h.optimizer };
  const o: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) o[camelCase(key)] = coerce(value);
  const learningRate = o.learningRate ?? o.lr ?? h.learningRate ?? h.lr;
  o.epsilon ??= o.eps;
  if (o.type === undefined && learningRate === undefined && o.momentum === undefined) return undefined;
  const optimizer: Record<string, unknown> = {
    type: typeof o.type === 'string' ? o.type.toLowerCase() : (o.type ?? 'adam'),
  };
  if (learningRate !== undefined) optimizer.learningRate = learningRate;
  for (const key of ['momentum', 'beta1', 'beta2', 'epsilon', 'rho', 'decay', 'centered']) {
    // momentum 0 is plain SGD, the same as leaving it out (and adam has none).
    if (o[key] !== undefined && !(key === 'momentum' && o[key] === 0)) optimizer[key] = o[key];
  }
  if (isObject(h.optimizer) && Array.isArray(o.betas)) [optimizer.beta1, optimizer.beta2] = o.betas as unknown[];
  return optimizer;
}

function convertTraining(hyperparams: unknown, errors: SchemaError[], originalFormat: boolean): TrainingSpec {
  if (hyperparams !== undefined && hyperparams !== null && !isObject(hyperparams)) {
    errors.push({
      path: 'hyperparams',
      message: 'expected an object like { "epochs": 5, "batch_size": 64, "optimizer": { "type": "sgd", "lr": 0.1 } }',
    });
  }
  const h: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(isObject(hyperparams) ? hyperparams : {})) {
    if (value !== null) h[camelCase(key)] = isObject(value) ? value : coerce(value);
  }
  const training: Record<string, unknown> = { dataset: datasetName(h.dataset ?? 'mnist') };
  if (originalFormat) {
    training.epochs = ORIGINAL_DEFAULTS.epochs;
    training.batchSize = ORIGINAL_DEFAULTS.batchSize;
    training.maxSamples = ORIGINAL_DEFAULTS.maxSamples;
    training.validationSplit = validationOf(ORIGINAL_DEFAULTS.trainSplit);
    training.shuffle = ORIGINAL_DEFAULTS.shuffle;
  }
  for (const key of ['epochs', 'batchSize', 'validationSplit', 'maxSamples', 'testSamples', 'seed', 'shuffle']) {
    if (h[key] !== undefined) training[key] = h[key];
  }
  if (h.trainSplit !== undefined) {
    const split = h.trainSplit;
    if (typeof split !== 'number' || !(split > 0) || split > 1) {
      errors.push({
        path: 'hyperparams.train_split',
        message: `expected the fraction of samples to train on, in (0, 1], e.g. 0.9 (10% validation); got ${JSON.stringify(split)}`,
      });
    } else training.validationSplit = validationOf(split);
  }
  if (h.loss !== undefined) {
    const key = typeof h.loss === 'string' ? h.loss.toLowerCase().replace(/[\s_-]+/g, '') : '';
    const loss = LOSSES[key];
    if (loss) training.loss = loss;
    else
      errors.push({
        path: 'hyperparams.loss',
        message: `unknown loss ${JSON.stringify(h.loss)}; use "cross_entropy" (or mse, mae, binary_cross_entropy)`,
      });
  }
  const optimizer = convertOptimizer(h);
  if (optimizer) training.optimizer = optimizer;
  return training as unknown as TrainingSpec;
}

/** `train_split` 0.9 → `validationSplit` 0.1, without float noise (1 - 0.9 is 0.09999999999999998). */
function validationOf(trainSplit: number): number {
  return Math.round((1 - trainSplit) * 1e9) / 1e9;
}

/** Converts `{ architecture, hyperparams }` to our schema; see the module comment. */
export function convertOriginalBody(architecture: unknown, hyperparams: unknown): ConvertedBody {
  const errors: SchemaError[] = [];
  const torch = torchArchitecture(architecture);
  if (torch) {
    const training = convertTraining(hyperparams, errors, true);
    const { inputShape, layers } = convertTorchArchitecture(torch, errors);
    if (training.loss === undefined || training.loss === 'categoricalCrossentropy') endWithSoftmax(layers);
    const name = typeof torch.name === 'string' && torch.name.trim() !== '' ? torch.name.trim() : 'original-stitch';
    return { schema: { version: SCHEMA_VERSION, name, input: { shape: inputShape }, layers, training }, errors };
  }
  const training = convertTraining(hyperparams, errors, false);
  const { nodes, sources } = readArchitecture(architecture, errors);
  const ids = new Map<string, string>();
  let inputShape: unknown;
  const layers: LayerSpec[] = [];
  for (const node of nodes) {
    const name = rawType(node.value);
    const key = typeof name === 'string' ? name.toLowerCase().replace(/[\s_-]+/g, '') : '';
    inputShape ??= rawInputShape(node.value);
    if (INPUT_TYPES.has(key)) {
      ids.set(node.key, MODEL_INPUT_ID);
      continue;
    }
    const type = LAYER_TYPES[key];
    if (!type) {
      errors.push({
        path: `${node.path}.type`,
        message: `unknown layer type ${JSON.stringify(name)}; use one of Dense, Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Dropout, BatchNormalization, Activation, Reshape, Add, Concatenate`,
      });
      continue;
    }
    const id = uniqueId(node.key === MODEL_INPUT_ID ? 'input_layer' : node.key, layers);
    ids.set(node.key, id);
    layers.push({ ...rawParams(node.value), id, type });
  }
  if (sources) linkSources(layers, nodes, sources, ids);
  const datasetShape = typeof training.dataset === 'string' ? DATASET_SHAPES[training.dataset] : undefined;
  const shape = Array.isArray(inputShape) ? inputShape.filter((d) => d !== null) : datasetShape;
  if (!shape)
    errors.push({
      path: 'architecture',
      message: 'the input shape is unknown; add an Input layer with "shape" or give the first layer "input_shape"',
    });
  // The original fed MNIST to Dense layers as flat vectors: keep such bodies working with an explicit flatten.
  if (shape && shape.length > 1 && layers[0]?.type === 'dense' && !layers[0].inputs) {
    layers.unshift({ id: uniqueId('flatten_input', layers), type: 'flatten' });
  }
  const schema: StitchSchema = {
    version: SCHEMA_VERSION,
    name: 'original-stitch',
    input: { shape: (shape ?? []) as number[] },
    layers,
    training,
  };
  return { schema, errors };
}

/** Edges become `inputs` only where a layer does not simply consume the layer before it. */
function linkSources(
  layers: LayerSpec[],
  nodes: Node[],
  sources: Map<string, string[]>,
  ids: Map<string, string>,
): void {
  const layerById = new Map(layers.map((l) => [l.id, l]));
  for (const node of nodes) {
    const layer = layerById.get(ids.get(node.key) ?? '');
    if (!layer) continue;
    const from = (sources.get(node.key) ?? []).map((s) => ids.get(s)).filter((s): s is string => s !== undefined);
    const index = layers.indexOf(layer);
    const previous = index === 0 ? MODEL_INPUT_ID : layers[index - 1].id;
    if (from.length > 1 || (from.length === 1 && from[0] !== previous)) layer.inputs = from;
  }
}

function uniqueId(wanted: string, layers: LayerSpec[]): string {
  const base = wanted.replace(/[^A-Za-z0-9_-]+/g, '_') || 'layer';
  let id = base;
  for (let n = 2; layers.some((l) => l.id === id); n++) id = `${base}_${n}`;
  return id;
}
