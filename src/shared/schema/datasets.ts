/**
 * The dataset catalog: the built-in datasets (their input shape, classes and options) and how a
 * `training.dataset` value is described for validation. The server describes CSV/IDX files it has read
 * through `AnalyzeOptions.datasetInfo`; the core only checks their form.
 */
import type { BuiltinDatasetName, DatasetSpec } from './types';
import type { ParamDef } from './params';

export interface BuiltinDataset {
  name: BuiltinDatasetName;
  kind: 'image' | 'synthetic';
  description: string;
  /** The natural input shape; a flat input of the same size ([784] for [28, 28, 1]) is accepted too. */
  inputShape: number[];
  classes: number;
  /** Class names, index = label. */
  labels: string[];
  /** Sizes of the standard train/test split (image sets); synthetic sets generate `samples` points. */
  trainSamples?: number;
  testSamples?: number;
  /** Options of the object form `{ "name": …, "samples": …, "noise": … }`. */
  options: readonly ParamDef[];
}

const syntheticOptions: readonly ParamDef[] = [
  {
    name: 'samples',
    kind: 'int',
    default: 500,
    min: 10,
    max: 100000,
    description: 'Number of points generated (split into train and test).',
  },
  {
    name: 'noise',
    kind: 'number',
    default: 0,
    min: 0,
    max: 1,
    description: 'Amount of random noise added to the points, 0 (none) to 1 (a lot).',
  },
];

const synthetic = (name: BuiltinDatasetName, description: string): BuiltinDataset => ({
  name,
  kind: 'synthetic',
  description,
  inputShape: [2],
  classes: 2,
  labels: ['0', '1'],
  options: syntheticOptions,
});

export const DATASETS: Readonly<Record<BuiltinDatasetName, BuiltinDataset>> = {
  mnist: {
    name: 'mnist',
    kind: 'image',
    description: 'Handwritten digits 0–9, 28×28 grayscale.',
    inputShape: [28, 28, 1],
    classes: 10,
    labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    trainSamples: 60000,
    testSamples: 10000,
    options: [],
  },
  'fashion-mnist': {
    name: 'fashion-mnist',
    kind: 'image',
    description: 'Zalando clothing images in 10 classes, 28×28 grayscale.',
    inputShape: [28, 28, 1],
    classes: 10,
    labels: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    trainSamples: 60000,
    testSamples: 10000,
    options: [],
  },
  spiral: synthetic('spiral', 'Two interleaved spirals in the plane (TensorFlow Playground).'),
  xor: synthetic('xor', 'Points labelled by the sign of x·y: the XOR pattern (TensorFlow Playground).'),
  circle: synthetic('circle', 'A disc of one class inside a ring of the other (TensorFlow Playground).'),
  gaussian: synthetic('gaussian', 'Two Gaussian blobs (TensorFlow Playground).'),
};

export const DATASET_NAMES = Object.keys(DATASETS) as BuiltinDatasetName[];

export function isBuiltinDataset(name: unknown): name is BuiltinDatasetName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(DATASETS, name);
}

/** What validation needs to know about a dataset. */
export interface DatasetInfo {
  inputShape?: number[];
  classes?: number;
  /**
   * What is wrong with the dataset's files (missing, outside the workspace, no such label column), each at
   * its path below `training.dataset` (e.g. `['csv']`, `['idx', 'images']`, `['label']`).
   */
  problems?: { segments: (string | number)[]; code: 'invalid-path' | 'invalid-value'; message: string }[];
}

/** Lets the server describe a CSV/IDX dataset it has read; `undefined` when it does not know. */
export type DatasetInfoProvider = (spec: DatasetSpec) => DatasetInfo | undefined;

/** The built-in dataset a spec names, if any. */
export function builtinDatasetOf(spec: unknown): BuiltinDataset | undefined {
  if (isBuiltinDataset(spec)) return DATASETS[spec];
  if (typeof spec === 'object' && spec !== null && 'name' in spec) {
    const name = spec.name;
    if (isBuiltinDataset(name)) return DATASETS[name];
  }
  return undefined;
}

/** Input shape and classes of a dataset: built-ins from the catalog, files from the provider. */
export function describeDataset(spec: DatasetSpec, provider?: DatasetInfoProvider): DatasetInfo | undefined {
  const builtin = builtinDatasetOf(spec);
  if (builtin) return { inputShape: builtin.inputShape, classes: builtin.classes };
  return provider?.(spec);
}

/**
 * Whether a model input shape fits a dataset's: the same shape, or the flat vector of the same size
 * (the trainer reshapes each sample), e.g. [784] for MNIST's [28, 28, 1].
 */
export function datasetAcceptsShape(datasetShape: readonly number[], inputShape: readonly number[]): boolean {
  if (datasetShape.length === inputShape.length && datasetShape.every((n, i) => n === inputShape[i])) return true;
  const size = datasetShape.reduce((a, b) => a * b, 1);
  return inputShape.length === 1 && inputShape[0] === size;
}
