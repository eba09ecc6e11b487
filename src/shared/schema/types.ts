/**
 * The schema file (`*.stitch.json`) as TypeScript types: docs/schema.md.
 *
 * Layer parameters use the `tf.layers.*` config names (camelCase). A layer consumes the previous layer in
 * the list unless it names its sources in `inputs` (`"input"` is the model input); the last layer is the
 * model's output.
 */

export const SCHEMA_VERSION = 1;

export type LayerType =
  | 'dense'
  | 'conv2d'
  | 'depthwiseConv2d'
  | 'separableConv2d'
  | 'maxPooling2d'
  | 'averagePooling2d'
  | 'globalAveragePooling2d'
  | 'flatten'
  | 'dropout'
  | 'batchNormalization'
  | 'activation'
  | 'reshape'
  | 'add'
  | 'concatenate';

/** The id by which a layer names the model input in `inputs`. */
export const MODEL_INPUT_ID = 'input';

export interface LayerSpec {
  id: string;
  type: LayerType;
  /** Source layer ids (or `"input"`); when absent, the previous layer in the list (or the input). */
  inputs?: string[];
  /** Every other key is a `tf.layers` config parameter, e.g. `units`, `kernelSize`, `activation`. */
  [param: string]: unknown;
}

export type BuiltinImageDataset = 'mnist' | 'fashion-mnist';
export type SyntheticDataset = 'spiral' | 'xor' | 'circle' | 'gaussian';
export type BuiltinDatasetName = BuiltinImageDataset | SyntheticDataset;

/** `"mnist"`, `{ "name": "spiral", "samples": 500, "noise": 0.1 }`, `{ "csv": …, "label": … }` or `{ "idx": … }`. */
export type DatasetSpec =
  | BuiltinDatasetName
  | { name: BuiltinDatasetName; samples?: number; noise?: number }
  | { csv: string; label: string }
  | { idx: { images: string; labels: string; testImages?: string; testLabels?: string } };

export type OptimizerType = 'sgd' | 'adam' | 'rmsprop' | 'adagrad';

export interface OptimizerSpec {
  type: OptimizerType;
  learningRate?: number;
  /** sgd: momentum (0 = plain SGD); rmsprop: momentum. */
  momentum?: number;
  /** adam */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** rmsprop */
  rho?: number;
  decay?: number;
  centered?: boolean;
  /** adagrad */
  initialAccumulatorValue?: number;
}

export type LossName =
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy'
  | 'binaryCrossentropy'
  | 'meanSquaredError'
  | 'meanAbsoluteError';

export interface EarlyStoppingSpec {
  monitor?: 'val_loss' | 'val_accuracy' | 'loss' | 'accuracy';
  patience?: number;
  minDelta?: number;
}

export interface TrainingSpec {
  dataset: DatasetSpec;
  epochs?: number;
  batchSize?: number;
  optimizer?: OptimizerSpec | OptimizerType;
  loss?: LossName;
  validationSplit?: number;
  /** Use at most this many training samples (after shuffling with `seed`). */
  maxSamples?: number;
  /** Evaluate on at most this many held-out test samples at the end. */
  testSamples?: number;
  seed?: number;
  /** Shuffle the training samples before each epoch (default true); false keeps the dataset's order. */
  shuffle?: boolean;
  earlyStopping?: EarlyStoppingSpec;
}

export interface StitchSchema {
  version: 1;
  name?: string;
  description?: string;
  input: { shape: number[] };
  layers: LayerSpec[];
  training?: TrainingSpec;
  /** Node positions written by the visual editor, keyed by layer id. */
  layout?: Record<string, { x: number; y: number }>;
}

/** Defaults applied where `training` leaves a field out. */
export const TRAINING_DEFAULTS = {
  epochs: 5,
  batchSize: 32,
  optimizer: { type: 'adam', learningRate: 0.001 } as OptimizerSpec,
  loss: 'categoricalCrossentropy' as LossName,
  validationSplit: 0.1,
  seed: 42,
} as const;
