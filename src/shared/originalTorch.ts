/**
 * The original Stitch's own architecture format: `{ input_size, layers: [{ type: "linear", in, out }, …] }`,
 * PyTorch-style (lowercase `nn` names, activations as layers of their own, channels-first `input_shape`). Its
 * React frontend and its API documentation both send this; see docs/server.md ("The original Stitch's API").
 *
 * The layers are walked in order while tracking the current shape (an image `[h, w, c]` or a vector `[n]`), so
 * that implied steps become explicit layers (a flatten before a linear that follows an image, a reshape before
 * a conv2d that follows a vector) and PyTorch's integer padding becomes tfjs's `valid`/`same` where they agree.
 */
import type { SchemaError } from './protocol';
import type { LayerSpec, LayerType } from './schema/types';
import { isObject } from './isObject';

/** PyTorch activation module names (lowercase, without `_`) → tf.layers activation identifiers. */
const ACTIVATION_LAYERS: Record<string, string> = {
  relu: 'relu',
  relu6: 'relu6',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  softmax: 'softmax',
  elu: 'elu',
  selu: 'selu',
  gelu: 'gelu',
  softplus: 'softplus',
  softsign: 'softsign',
  silu: 'swish',
  swish: 'swish',
  mish: 'mish',
  hardsigmoid: 'hardSigmoid',
  // CrossEntropyLoss applies log-softmax again, and log_softmax(log_softmax(x)) = log_softmax(x): as an
  // output, log-softmax stands for the same probabilities as softmax.
  logsoftmax: 'softmax',
};
/** Layers that change nothing in a forward pass at inference. */
const IDENTITY_LAYERS = new Set(['identity']);
const STRUCTURAL = new Set([
  'linear',
  'dense',
  'conv2d',
  'conv',
  'maxpool2d',
  'maxpool',
  'avgpool2d',
  'avgpool',
  'flatten',
  'dropout',
]);

/** The lowercase type of a layer of the original format (`"linear"` when absent). */
export function torchType(layer: unknown): string {
  const type = isObject(layer) ? layer.type : undefined;
  return typeof type === 'string' ? type.toLowerCase().replace(/[\s_-]+/g, '') : type === undefined ? 'linear' : '';
}

const isTorchType = (type: string): boolean =>
  STRUCTURAL.has(type) || type in ACTIVATION_LAYERS || IDENTITY_LAYERS.has(type);
/** Keys and types only the original's own format uses (a Keras-style list never has them). */
const TORCH_KEYS = ['in', 'out', 'in_channels', 'out_channels', 'p', 'in_features', 'out_features'];
const hasTorchMarker = (layer: unknown): boolean => {
  const type = torchType(layer);
  return (
    (isObject(layer) && TORCH_KEYS.some((k) => k in layer)) ||
    type in ACTIVATION_LAYERS ||
    type === 'linear' ||
    type === 'maxpool2d'
  );
};

/**
 * The original's own format as `{ layers, … }`, or undefined for anything else: `{ layers }` whose every type
 * is one of its names, or a bare list of such layers that uses one of its own keys or names. (Keras-style
 * lists and React Flow graphs go to the Keras-style converter instead.)
 */
export function torchArchitecture(
  architecture: unknown,
): (Record<string, unknown> & { layers: unknown[] }) | undefined {
  if (Array.isArray(architecture)) {
    const all = architecture.every((layer) => isTorchType(torchType(layer)));
    return all && architecture.length > 0 && architecture.some(hasTorchMarker) ? { layers: architecture } : undefined;
  }
  if (!isObject(architecture) || !Array.isArray(architecture.layers) || architecture.nodes !== undefined)
    return undefined;
  const layers: unknown[] = architecture.layers;
  return layers.every((layer) => isTorchType(torchType(layer))) ? { ...architecture, layers } : undefined;
}

type Shape = number[];

export interface TorchConversion {
  /** Our input shape (channels last). */
  inputShape: Shape;
  layers: LayerSpec[];
}

const num = (value: unknown): number | undefined => {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};
const pair = (value: unknown): number | undefined =>
  Array.isArray(value) ? (value[0] === value[1] ? num(value[0]) : undefined) : num(value);

/** `input_shape: [C, H, W]`, `input_channels`/`input_height`/`input_width`, or `input_size` (784). */
function readInput(arch: Record<string, unknown> & { layers: unknown[] }, errors: SchemaError[]): Shape {
  const given = arch.input_shape;
  if (Array.isArray(given) && given.length === 3 && given.every((d) => num(d) !== undefined && (num(d) ?? 0) > 0)) {
    const [c, h, w] = given.map((d) => num(d) ?? 0);
    return [h, w, c];
  }
  if (given !== undefined)
    errors.push({ path: 'architecture.input_shape', message: 'expected [channels, height, width], e.g. [1, 28, 28]' });
  const c = num(arch.input_channels);
  const h = num(arch.input_height);
  const w = num(arch.input_width);
  if (c !== undefined || h !== undefined || w !== undefined) {
    const side = h ?? w;
    if (side === undefined || !(side > 0)) {
      errors.push({
        path: 'architecture.input_height',
        message: 'give input_height and input_width with input_channels',
      });
      return [1];
    }
    return [h ?? side, w ?? side, c ?? 1];
  }
  // Without input_size, the first linear layer's `in` says it (else the original's default, 784 = MNIST).
  const first = arch.layers[0];
  const firstIn =
    isObject(first) && torchType(first) === 'linear'
      ? num(first.in ?? first.input_dim ?? first.in_features)
      : undefined;
  const size = arch.input_size === undefined ? (firstIn ?? 784) : num(arch.input_size);
  if (size === undefined || !Number.isInteger(size) || size < 1) {
    errors.push({
      path: 'architecture.input_size',
      message: `expected a positive whole number of input values (784 for 28×28 MNIST), got ${JSON.stringify(arch.input_size)}`,
    });
    return [1];
  }
  const side = Math.round(Math.sqrt(size));
  return side * side === size ? [side, side, 1] : [size];
}

const size = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

/** PyTorch's integer padding as tfjs padding, where the output sizes agree; undefined where they do not. */
function tfPadding(padding: unknown, kernel: number): 'valid' | 'same' | undefined {
  if (padding === undefined || padding === 'valid') return 'valid';
  if (padding === 'same') return 'same';
  const p = pair(padding);
  if (p === 0) return 'valid';
  // floor((H + 2p - k) / s) + 1 = ceil(H / s) exactly when k is odd and p = (k - 1) / 2.
  return p !== undefined && kernel % 2 === 1 && p === (kernel - 1) / 2 ? 'same' : undefined;
}

const outSize = (input: number, kernel: number, stride: number, padding: 'valid' | 'same'): number =>
  padding === 'same' ? Math.ceil(input / stride) : Math.floor((input - kernel) / stride) + 1;

/** The walk over the layers: the current shape, the layers made so far, and where problems go. */
interface Walk {
  shape: Shape;
  add(kind: string, spec: { type: LayerType; [param: string]: unknown }): void;
  /** Reports a problem at `key` of the current layer ('' for the layer itself). */
  problem(key: string, message: string): void;
}

const positiveInt = (n: number | undefined): n is number => n !== undefined && Number.isInteger(n) && n >= 1;

function linear(layer: Record<string, unknown>, walk: Walk): void {
  const out = num(layer.out ?? layer.units ?? layer.out_features);
  if (!positiveInt(out)) {
    walk.problem(
      'out',
      `expected the number of output features, a positive whole number, e.g. "out": 10; got ${JSON.stringify(layer.out ?? layer.units)}`,
    );
    return;
  }
  const given = num(layer.in ?? layer.input_dim ?? layer.in_features);
  const values = size(walk.shape);
  if (given !== undefined && given !== values) {
    // Reported, and the walk goes on with `out`, so that one mistake is not reported again downstream.
    walk.problem(
      'in',
      `is ${given} but the layer before gives ${values} values (shape [${walk.shape.join(', ')}]); set "in": ${values}`,
    );
  }
  if (walk.shape.length > 1) walk.add('flatten', { type: 'flatten' });
  walk.add('linear', { type: 'dense', units: out });
  walk.shape = [out];
}

/** kernel_size, stride and padding of a conv or pool layer, checked; undefined after reporting a problem. */
function window(
  layer: Record<string, unknown>,
  walk: Walk,
  defaultKernel: number,
  defaultStride: number | undefined,
): { kernel: number; stride: number; padding: 'valid' | 'same' } | undefined {
  const kernel = pair(layer.kernel_size ?? layer.kernel ?? layer.pool_size ?? defaultKernel);
  const stride = pair(layer.stride ?? defaultStride ?? kernel);
  if (!positiveInt(kernel)) {
    walk.problem('kernel_size', `expected a square window size, e.g. "kernel_size": ${defaultKernel}`);
    return undefined;
  }
  if (!positiveInt(stride)) {
    walk.problem('stride', 'expected a positive whole number, e.g. "stride": 1');
    return undefined;
  }
  const padding = tfPadding(layer.padding, kernel);
  if (!padding) {
    const same = kernel % 2 === 1 ? `${(kernel - 1) / 2}, ` : '';
    walk.problem(
      'padding',
      `${JSON.stringify(layer.padding)} has no TensorFlow.js equivalent for kernel_size ${kernel}; use 0, ${same}"valid" or "same"`,
    );
    return undefined;
  }
  return { kernel, stride, padding };
}

/** The output height and width of a window over the current image; undefined after reporting a problem. */
function windowOutput(
  walk: Walk,
  kernel: number,
  stride: number,
  padding: 'valid' | 'same',
): [number, number] | undefined {
  const [h, w] = [outSize(walk.shape[0], kernel, stride, padding), outSize(walk.shape[1], kernel, stride, padding)];
  if (h >= 1 && w >= 1) return [h, w];
  walk.problem(
    'kernel_size',
    `${kernel} is larger than the ${walk.shape[0]}×${walk.shape[1]} image; use a smaller one or "padding": "same"`,
  );
  return undefined;
}

function conv2d(layer: Record<string, unknown>, walk: Walk): void {
  const filters = num(layer.out_channels ?? layer.filters);
  if (!positiveInt(filters)) {
    walk.problem('out_channels', 'expected the number of filters, e.g. "out_channels": 32');
    return;
  }
  const win = window(layer, walk, 3, 1);
  if (!win) return;
  const inChannels = num(layer.in_channels);
  if (walk.shape.length === 1) {
    // A vector before a convolution: the original reshaped it to a square image.
    const c = inChannels ?? 1;
    const side = Math.round(Math.sqrt(walk.shape[0] / c));
    if (side * side * c !== walk.shape[0]) {
      walk.problem(
        '',
        `a conv2d after ${walk.shape[0]} values needs a square image; give the architecture "input_shape": [C, H, W]`,
      );
      return;
    }
    walk.shape = [side, side, c];
    walk.add('reshape', { type: 'reshape', targetShape: walk.shape });
  } else if (inChannels !== undefined && inChannels !== walk.shape[2]) {
    walk.problem(
      'in_channels',
      `is ${inChannels} but the layer before gives ${walk.shape[2]} channels; set "in_channels": ${walk.shape[2]}`,
    );
    return;
  }
  const out = windowOutput(walk, win.kernel, win.stride, win.padding);
  if (!out) return;
  walk.add('conv2d', { type: 'conv2d', filters, kernelSize: win.kernel, strides: win.stride, padding: win.padding });
  walk.shape = [...out, filters];
}

function pool(layer: Record<string, unknown>, walk: Walk, max: boolean): void {
  const win = window(layer, walk, 2, undefined);
  if (!win) return;
  if (walk.shape.length !== 3) {
    walk.problem(
      '',
      'pooling needs an image; put it after a conv2d, or give the architecture "input_shape": [C, H, W]',
    );
    return;
  }
  const out = windowOutput(walk, win.kernel, win.stride, win.padding);
  if (!out) return;
  walk.add(max ? 'maxpool' : 'avgpool', {
    type: max ? 'maxPooling2d' : 'averagePooling2d',
    poolSize: win.kernel,
    strides: win.stride,
    padding: win.padding,
  });
  walk.shape = [...out, walk.shape[2]];
}

function convertLayer(raw: unknown, walk: Walk): void {
  const type = torchType(raw);
  if (!isObject(raw)) {
    walk.problem('', 'each layer must be an object like { "type": "linear", "in": 784, "out": 10 }');
    return;
  }
  if (type in ACTIVATION_LAYERS) {
    walk.add('activation', { type: 'activation', activation: ACTIVATION_LAYERS[type] });
    return;
  }
  if (IDENTITY_LAYERS.has(type)) return;
  if (type === 'linear' || type === 'dense') {
    linear(raw, walk);
    return;
  }
  if (type === 'conv2d' || type === 'conv') {
    conv2d(raw, walk);
    return;
  }
  if (['maxpool2d', 'maxpool', 'avgpool2d', 'avgpool'].includes(type)) {
    pool(raw, walk, type.startsWith('max'));
    return;
  }
  if (type === 'flatten') {
    // PyTorch's Flatten of a vector changes nothing; ours would be an error, so it is left out.
    if (walk.shape.length > 1) walk.add('flatten', { type: 'flatten' });
    walk.shape = [size(walk.shape)];
    return;
  }
  if (type === 'dropout') {
    const p = num(raw.p ?? raw.rate ?? 0.5);
    if (p === undefined || p < 0 || p >= 1) {
      walk.problem('p', `expected a probability in [0, 1), e.g. "p": 0.5; got ${JSON.stringify(raw.p)}`);
      return;
    }
    walk.add('dropout', { type: 'dropout', rate: p });
    return;
  }
  walk.problem(
    'type',
    `unknown layer type ${JSON.stringify(raw.type)}; use linear, conv2d, maxpool2d, avgpool2d, flatten, dropout or an activation (${Object.keys(ACTIVATION_LAYERS).join(', ')})`,
  );
}

/** Converts the layers; problems are reported at their path in the original body. */
export function convertTorchArchitecture(
  arch: Record<string, unknown> & { layers: unknown[] },
  errors: SchemaError[],
): TorchConversion {
  const inputShape = readInput(arch, errors);
  const layers: LayerSpec[] = [];
  const counts = new Map<string, number>();
  let at = '';
  const walk: Walk = {
    shape: inputShape,
    add(kind, spec) {
      const n = (counts.get(kind) ?? 0) + 1;
      counts.set(kind, n);
      layers.push({ id: `${kind}${n}`, ...spec });
    },
    problem(key, message) {
      errors.push({ path: key ? `${at}.${key}` : at, message });
    },
  };
  arch.layers.forEach((raw, i) => {
    at = `architecture.layers[${i}]`;
    convertLayer(raw, walk);
  });
  if (layers.length === 0 && errors.length === 0)
    errors.push({
      path: 'architecture.layers',
      message: 'expected at least one layer, e.g. { "type": "linear", "in": 784, "out": 10 }',
    });
  return { inputShape, layers };
}

/**
 * The original trained with PyTorch's CrossEntropyLoss, which takes logits. Ours takes probabilities, so a
 * network that does not end in softmax gets one: the same model, the same loss, the same predictions.
 */
export function endWithSoftmax(layers: LayerSpec[]): void {
  const last = layers.at(-1);
  if (!last) return;
  const softmaxLast = (last.type === 'activation' || last.type === 'dense') && last.activation === 'softmax';
  if (!softmaxLast) layers.push({ id: 'softmax_output', type: 'activation', activation: 'softmax' });
}
