/**
 * The layer registry: for every layer type, its `tf.layers` parameters (config names, kinds, tf.layers
 * defaults, bounds, enum values, descriptions), how many inputs it takes, and its shape inference.
 * Validation, the JSON Schema, the chat prompt and the webview palette/inspector all read this table.
 */
import type { LayerSpec, LayerType } from './types';
import type { ParamDef } from './params';
import { INFERERS, type Inferer } from './shapes';

/** tf.layers activation identifiers (tfjs 4.x). */
export const ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'softmax',
  'softplus',
  'softsign',
  'swish',
  'mish',
  'gelu',
] as const;

/** tf.layers initializer identifiers that need no further configuration. */
export const INITIALIZERS = [
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'leCunUniform',
  'leCunNormal',
  'randomUniform',
  'randomNormal',
  'truncatedNormal',
  'varianceScaling',
  'zeros',
  'ones',
] as const;

export const PADDINGS = ['valid', 'same'] as const;

export type LayerCategory =
  'core' | 'convolution' | 'pooling' | 'regularization' | 'normalization' | 'reshape' | 'merge';

export interface LayerDef {
  type: LayerType;
  /** The `tf.layers` factory that builds it, e.g. `conv2d` for `tf.layers.conv2d`. */
  factory: string;
  category: LayerCategory;
  description: string;
  params: readonly ParamDef[];
  /** Merge layers take two or more inputs (named in `inputs`); every other layer takes exactly one. */
  merge: boolean;
  /** Parameters for a freshly added layer (palette, completion snippets, chat examples). */
  example: Readonly<Record<string, unknown>>;
  infer: Inferer;
}

// Parameters shared by several layer types. Defaults are tf.layers' own.
const activation = (fallback: string): ParamDef => ({
  name: 'activation',
  kind: 'enum',
  values: ACTIVATIONS,
  default: fallback,
  description: 'Activation function applied to the output.',
});
const useBias: ParamDef = {
  name: 'useBias',
  kind: 'bool',
  default: true,
  description: 'Whether the layer adds a bias vector.',
};
const initializer = (name: string, fallback: string, what: string): ParamDef => ({
  name,
  kind: 'enum',
  values: INITIALIZERS,
  default: fallback,
  description: `Initializer for ${what}.`,
});
/**
 * A size or count of at least 1 (window sizes, strides, filters): one shape of definition shared by the
 * convolution and pooling parameters, with either a tf.layers default or `required`.
 */
const positive = (
  name: string,
  kind: 'int' | 'intOrPair',
  fallback: number | 'required',
  description: string,
): ParamDef => ({
  name,
  kind,
  ...(fallback === 'required' ? { required: true } : { default: fallback }),
  min: 1,
  description,
});
const kernelSize = positive(
  'kernelSize',
  'intOrPair',
  'required',
  'Size of the convolution window: n for n×n, or [rows, cols].',
);
const strides = positive('strides', 'intOrPair', 1, 'Step of the window: n, or [rows, cols].');
const padding: ParamDef = {
  name: 'padding',
  kind: 'enum',
  values: PADDINGS,
  default: 'valid',
  description: '"valid": no padding, the output shrinks; "same": pad so that output = ceil(input / strides).',
};
const dilationRate = positive(
  'dilationRate',
  'intOrPair',
  1,
  'Spacing between kernel taps (atrous convolution); cannot be combined with strides > 1.',
);
const depthMultiplier = positive(
  'depthMultiplier',
  'int',
  1,
  'Output channels per input channel of the depthwise step.',
);
const filters = positive('filters', 'int', 'required', 'Number of output channels (filters).');
const poolSize = positive('poolSize', 'intOrPair', 2, 'Size of the pooling window: n for n×n, or [rows, cols].');
const poolStrides: ParamDef = {
  name: 'strides',
  kind: 'intOrPair',
  min: 1,
  defaultNote: 'poolSize',
  description: 'Step of the pooling window; defaults to poolSize.',
};
const axis = (what: string): ParamDef => ({
  name: 'axis',
  kind: 'int',
  default: -1,
  description: `Axis ${what} (counting the batch as axis 0; -1 is the last axis).`,
});

const pool = (type: 'maxPooling2d' | 'averagePooling2d', what: string): LayerDef => ({
  type,
  factory: type,
  category: 'pooling',
  merge: false,
  description: `Downsamples each channel by taking the ${what} over poolSize windows.`,
  params: [poolSize, poolStrides, padding],
  example: { poolSize: 2 },
  infer: INFERERS[type],
});

/**
 * The three convolutions share their window parameters, activation, bias and initializers; they differ in
 * what leads (`lead`: filters and/or kernelSize), what follows the window (`extra`) and which kernels they
 * initialize (`kernels`: [parameter, what it initializes], all glorotUniform by default).
 */
const convolution = (
  type: 'conv2d' | 'depthwiseConv2d' | 'separableConv2d',
  description: string,
  params: { lead: ParamDef[]; extra?: ParamDef[]; kernels: [string, string][] },
  example: Readonly<Record<string, unknown>>,
): LayerDef => ({
  type,
  factory: type,
  category: 'convolution',
  merge: false,
  description,
  params: [
    ...params.lead,
    strides,
    padding,
    dilationRate,
    ...(params.extra ?? []),
    activation('linear'),
    useBias,
    ...params.kernels.map(([name, what]) => initializer(name, 'glorotUniform', what)),
    initializer('biasInitializer', 'zeros', 'the bias'),
  ],
  example,
  infer: INFERERS[type],
});

export const LAYERS: Readonly<Record<LayerType, LayerDef>> = {
  dense: {
    type: 'dense',
    factory: 'dense',
    category: 'core',
    merge: false,
    description: 'Fully connected layer: output = activation(input · kernel + bias), applied to the last axis.',
    params: [
      { name: 'units', kind: 'int', required: true, min: 1, description: 'Number of output units.' },
      activation('linear'),
      useBias,
      initializer('kernelInitializer', 'glorotUniform', 'the weight matrix'),
      initializer('biasInitializer', 'zeros', 'the bias'),
    ],
    example: { units: 64, activation: 'relu' },
    infer: INFERERS.dense,
  },
  conv2d: convolution(
    'conv2d',
    '2-D convolution over a [height, width, channels] input.',
    { lead: [filters, kernelSize], kernels: [['kernelInitializer', 'the kernel']] },
    { filters: 32, kernelSize: 3, activation: 'relu' },
  ),
  depthwiseConv2d: convolution(
    'depthwiseConv2d',
    'Depthwise 2-D convolution: each input channel is convolved on its own (depthMultiplier outputs each).',
    { lead: [kernelSize, depthMultiplier], kernels: [['depthwiseInitializer', 'the depthwise kernel']] },
    { kernelSize: 3, activation: 'relu' },
  ),
  separableConv2d: convolution(
    'separableConv2d',
    'Depthwise convolution followed by a 1×1 pointwise convolution to `filters` channels.',
    {
      lead: [filters, kernelSize],
      extra: [depthMultiplier],
      kernels: [
        ['depthwiseInitializer', 'the depthwise kernel'],
        ['pointwiseInitializer', 'the pointwise kernel'],
      ],
    },
    { filters: 32, kernelSize: 3, activation: 'relu' },
  ),
  maxPooling2d: pool('maxPooling2d', 'maximum'),
  averagePooling2d: pool('averagePooling2d', 'average'),
  globalAveragePooling2d: {
    type: 'globalAveragePooling2d',
    factory: 'globalAveragePooling2d',
    category: 'pooling',
    merge: false,
    description: 'Averages each channel over height and width: [h, w, c] → [c].',
    params: [],
    example: {},
    infer: INFERERS.globalAveragePooling2d,
  },
  flatten: {
    type: 'flatten',
    factory: 'flatten',
    category: 'reshape',
    merge: false,
    description: 'Flattens the input to one dimension: [h, w, c] → [h·w·c].',
    params: [],
    example: {},
    infer: INFERERS.flatten,
  },
  dropout: {
    type: 'dropout',
    factory: 'dropout',
    category: 'regularization',
    merge: false,
    description: 'Randomly sets a fraction `rate` of the inputs to 0 during training.',
    params: [
      {
        name: 'rate',
        kind: 'number',
        required: true,
        min: 0,
        max: 1,
        exclusiveMax: true,
        description: 'Fraction of the inputs to drop, in [0, 1).',
      },
    ],
    example: { rate: 0.2 },
    infer: INFERERS.dropout,
  },
  batchNormalization: {
    type: 'batchNormalization',
    factory: 'batchNormalization',
    category: 'normalization',
    merge: false,
    description: 'Normalizes the activations per channel with a moving mean and variance.',
    params: [
      axis('to normalize (the channels)'),
      {
        name: 'momentum',
        kind: 'number',
        default: 0.99,
        min: 0,
        max: 1,
        description: 'Momentum of the moving mean and variance.',
      },
      {
        name: 'epsilon',
        kind: 'number',
        default: 0.001,
        min: 0,
        exclusiveMin: true,
        description: 'Small number added to the variance to avoid dividing by zero.',
      },
      { name: 'center', kind: 'bool', default: true, description: 'Whether to learn an offset beta.' },
      { name: 'scale', kind: 'bool', default: true, description: 'Whether to learn a scale gamma.' },
    ],
    example: {},
    infer: INFERERS.batchNormalization,
  },
  activation: {
    type: 'activation',
    factory: 'activation',
    category: 'core',
    merge: false,
    description: 'Applies an activation function.',
    params: [
      {
        name: 'activation',
        kind: 'enum',
        values: ACTIVATIONS,
        required: true,
        description: 'Activation function to apply.',
      },
    ],
    example: { activation: 'relu' },
    infer: INFERERS.activation,
  },
  reshape: {
    type: 'reshape',
    factory: 'reshape',
    category: 'reshape',
    merge: false,
    description: 'Reshapes the input to targetShape (same number of values).',
    params: [
      {
        name: 'targetShape',
        kind: 'shape',
        required: true,
        allowInfer: true,
        description: 'Output shape without the batch dimension; one entry may be -1.',
      },
    ],
    example: { targetShape: [28, 28, 1] },
    infer: INFERERS.reshape,
  },
  add: {
    type: 'add',
    factory: 'add',
    category: 'merge',
    merge: true,
    description: 'Adds two or more inputs of the same shape (residual connections).',
    params: [],
    example: {},
    infer: INFERERS.add,
  },
  concatenate: {
    type: 'concatenate',
    factory: 'concatenate',
    category: 'merge',
    merge: true,
    description: 'Joins two or more inputs along an axis.',
    params: [axis('to join along')],
    example: {},
    infer: INFERERS.concatenate,
  },
};

export const LAYER_TYPES = Object.keys(LAYERS) as LayerType[];

/** Keys every layer may have besides its parameters. */
export const LAYER_KEYS = ['id', 'type', 'inputs'] as const;

/** Other names people use for layer types (normalized: lowercase, no `_`/`-`), for "did you mean". */
export const LAYER_ALIASES: Readonly<Record<string, LayerType>> = {
  linear: 'dense',
  fc: 'dense',
  fullyconnected: 'dense',
  conv: 'conv2d',
  convolution2d: 'conv2d',
  maxpool: 'maxPooling2d',
  maxpool2d: 'maxPooling2d',
  maxpooling: 'maxPooling2d',
  avgpool: 'averagePooling2d',
  avgpool2d: 'averagePooling2d',
  averagepooling: 'averagePooling2d',
  globalavgpool: 'globalAveragePooling2d',
  globalavgpool2d: 'globalAveragePooling2d',
  globalaveragepooling: 'globalAveragePooling2d',
  batchnorm: 'batchNormalization',
  bn: 'batchNormalization',
  batchnorm2d: 'batchNormalization',
  relu: 'activation',
  softmax: 'activation',
  concat: 'concatenate',
  merge: 'concatenate',
  sum: 'add',
  view: 'reshape',
  depthwiseconv: 'depthwiseConv2d',
  separableconv: 'separableConv2d',
  sepconv2d: 'separableConv2d',
};

export function isLayerType(type: unknown): type is LayerType {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(LAYERS, type);
}

export function findParam(type: LayerType, name: string): ParamDef | undefined {
  return LAYERS[type].params.find((p) => p.name === name);
}

/**
 * A layer's parameters with the tf.layers defaults filled in (no `id`, `type`, `inputs`): the config to pass
 * to `tf.layers[factory]`. Pool strides stay absent when not given (tf.layers then uses poolSize). For a
 * reshape, pass the analysis' shapes: tf.layers keeps a -1 in targetShape unresolved in its symbolic shapes
 * (so a following dense or conv layer cannot be built), and the inferred output shape resolves it.
 */
export function layerConfig(
  layer: LayerSpec,
  shapes?: Readonly<Record<string, { outputShape: number[] }>>,
): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const def of LAYERS[layer.type].params) {
    const value = layer[def.name] !== undefined ? layer[def.name] : def.default;
    if (value !== undefined) config[def.name] = value;
  }
  const inferred = shapes?.[layer.id];
  if (layer.type === 'reshape' && inferred) config.targetShape = [...inferred.outputShape];
  return config;
}
