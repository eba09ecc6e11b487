/**
 * Definitions of the `training` block: its numbers, the optimizers with their options and tfjs defaults,
 * the losses, early stopping. Like the layer registry, validation and the JSON Schema derive from here.
 */
import { TRAINING_DEFAULTS, type LossName, type OptimizerType } from './types';
import type { ParamDef } from './params';

const learningRate = (fallback: number): ParamDef => ({
  name: 'learningRate',
  kind: 'number',
  default: fallback,
  min: 0,
  exclusiveMin: true,
  max: 10,
  description: 'Step size of each update.',
});
const epsilon: ParamDef = {
  name: 'epsilon',
  kind: 'number',
  default: 1e-7,
  min: 0,
  exclusiveMin: true,
  description: 'Small constant for numerical stability.',
};
const momentum = (what: string): ParamDef => ({
  name: 'momentum',
  kind: 'number',
  default: 0,
  min: 0,
  max: 1,
  description: what,
});

export interface OptimizerDef {
  type: OptimizerType;
  /** The `tf.train` factory (sgd with momentum > 0 uses `tf.train.momentum`). */
  factory: string;
  description: string;
  params: readonly ParamDef[];
}

export const OPTIMIZERS: Readonly<Record<OptimizerType, OptimizerDef>> = {
  sgd: {
    type: 'sgd',
    factory: 'sgd',
    description: 'Stochastic gradient descent, with optional momentum.',
    params: [learningRate(0.01), momentum('Momentum; above 0 uses tf.train.momentum.')],
  },
  adam: {
    type: 'adam',
    factory: 'adam',
    description: 'Adam: adaptive moment estimation.',
    params: [
      learningRate(0.001),
      {
        name: 'beta1',
        kind: 'number',
        default: 0.9,
        min: 0,
        max: 1,
        exclusiveMax: true,
        description: 'Decay rate of the first moment estimates.',
      },
      {
        name: 'beta2',
        kind: 'number',
        default: 0.999,
        min: 0,
        max: 1,
        exclusiveMax: true,
        description: 'Decay rate of the second moment estimates.',
      },
      epsilon,
    ],
  },
  rmsprop: {
    type: 'rmsprop',
    factory: 'rmsprop',
    description: 'RMSProp: divides the gradient by a running average of its magnitude.',
    params: [
      learningRate(0.001),
      {
        name: 'rho',
        kind: 'number',
        default: 0.9,
        min: 0,
        max: 1,
        exclusiveMax: true,
        description: 'Discount of the running average (Keras name; tfjs calls it decay).',
      },
      {
        name: 'decay',
        kind: 'number',
        default: 0.9,
        min: 0,
        max: 1,
        exclusiveMax: true,
        description: 'tfjs name for rho; give one of the two.',
      },
      momentum('Momentum.'),
      epsilon,
      {
        name: 'centered',
        kind: 'bool',
        default: false,
        description: 'Normalize by the estimated variance of the gradient.',
      },
    ],
  },
  adagrad: {
    type: 'adagrad',
    factory: 'adagrad',
    description: 'Adagrad: per-parameter learning rates from accumulated squared gradients.',
    params: [
      learningRate(0.01),
      {
        name: 'initialAccumulatorValue',
        kind: 'number',
        default: 0.1,
        min: 0,
        exclusiveMin: true,
        description: 'Starting value of the accumulators.',
      },
    ],
  },
};

export const OPTIMIZER_TYPES = Object.keys(OPTIMIZERS) as OptimizerType[];

export const LOSSES: Readonly<Record<LossName, string>> = {
  categoricalCrossentropy: 'Classification with one-hot labels; the output is a softmax over `classes` units.',
  sparseCategoricalCrossentropy: 'Classification with integer labels; the output is a softmax over `classes` units.',
  binaryCrossentropy: 'Two classes: one sigmoid unit (or one sigmoid unit per class).',
  meanSquaredError: 'Mean squared error against the (one-hot) targets.',
  meanAbsoluteError: 'Mean absolute error against the (one-hot) targets.',
};

export const LOSS_NAMES = Object.keys(LOSSES) as LossName[];

/** The plain numbers of `training` (dataset, optimizer, loss and earlyStopping are checked on their own). */
export const TRAINING_PARAMS: readonly ParamDef[] = [
  {
    name: 'epochs',
    kind: 'int',
    default: TRAINING_DEFAULTS.epochs,
    min: 1,
    max: 10000,
    description: 'Passes over the training data.',
  },
  {
    name: 'batchSize',
    kind: 'int',
    default: TRAINING_DEFAULTS.batchSize,
    min: 1,
    max: 65536,
    description: 'Samples per gradient update.',
  },
  {
    name: 'validationSplit',
    kind: 'number',
    default: TRAINING_DEFAULTS.validationSplit,
    min: 0,
    max: 1,
    exclusiveMax: true,
    description: 'Fraction of the training samples held out for validation, in [0, 1).',
  },
  {
    name: 'maxSamples',
    kind: 'int',
    min: 1,
    description: 'Train on at most this many samples (after shuffling with seed); all when absent.',
  },
  {
    name: 'testSamples',
    kind: 'int',
    min: 1,
    description: 'Evaluate on at most this many held-out test samples at the end; all when absent.',
  },
  {
    name: 'shuffle',
    kind: 'bool',
    default: true,
    description: 'Shuffle the training samples before each epoch (with seed); false keeps their order.',
  },
  {
    name: 'seed',
    kind: 'int',
    default: TRAINING_DEFAULTS.seed,
    min: 0,
    description: 'Seed for shuffling and weight initialization, for repeatable runs.',
  },
];

/** Keys of `training` besides TRAINING_PARAMS. */
export const TRAINING_SPECIAL_KEYS = ['dataset', 'optimizer', 'loss', 'earlyStopping'] as const;

export const EARLY_STOPPING_PARAMS: readonly ParamDef[] = [
  {
    name: 'monitor',
    kind: 'enum',
    values: ['val_loss', 'val_accuracy', 'loss', 'accuracy'],
    default: 'val_loss',
    description: 'The metric watched.',
  },
  { name: 'patience', kind: 'int', default: 0, min: 0, description: 'Epochs without improvement before stopping.' },
  {
    name: 'minDelta',
    kind: 'number',
    default: 0,
    min: 0,
    description: 'Smallest change that counts as an improvement.',
  },
];

/** Keys of the object dataset forms. */
export const CSV_KEYS = ['csv', 'label'] as const;
export const IDX_KEYS = ['images', 'labels', 'testImages', 'testLabels'] as const;
