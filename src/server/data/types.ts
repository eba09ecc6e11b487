/**
 * What every dataset loader returns: samples as flat float arrays with integer class labels. Training turns
 * slices of these into tensors batch by batch (see `training/batches.ts`), so a dataset costs no tensor memory
 * until it is used, and one-hot versus sparse labels is decided by the loss, not by the loader.
 */

export interface LabeledSamples {
  /** `count × product(inputShape)` features, sample after sample. */
  x: Float32Array;
  /** `count` class indices in `0..numClasses-1`. */
  labels: Int32Array;
  count: number;
}

export interface Dataset {
  /** A short name for logs, e.g. `mnist`, `spiral`, `data/iris.csv`. */
  name: string;
  /** Shape of one sample (no batch dimension), e.g. `[28, 28, 1]` or `[2]`. */
  inputShape: number[];
  numClasses: number;
  /** Class names where the data has them (CSV string labels), in class-index order. */
  classNames: string[] | null;
  train: LabeledSamples;
  /** The held-out test split (the official test files, or a seeded 20 % hold-out of the data). */
  test: LabeledSamples;
}

/** Where a loader reads from and how it reports progress. */
export interface DatasetContext {
  /** Folder that relative dataset paths resolve against (the schema's folder). */
  baseDir: string;
  /** Files must stay inside this folder. */
  workspaceRoot: string;
  /** Local cache of built-in image datasets. */
  cacheDir: string;
  /** Where missing built-in image datasets are downloaded from (`<base>/<dataset>/<file>.gz`), or null. */
  baseUrl: string | null;
  seed: number;
  log: (message: string) => void;
  signal?: AbortSignal;
  /**
   * `training.maxSamples` / `testSamples`, so that loaders of workspace files read no more than they can use
   * (limitDataset still picks the samples). Unset: up to the caps of boundedRead.ts.
   */
  maxSamples?: number;
  testSamples?: number;
}

export function sampleSize(inputShape: number[]): number {
  return inputShape.reduce((a, b) => a * b, 1);
}

/** Samples `indices` of `from`, in that order (used for shuffling, limiting and splitting). */
export function selectSamples(from: LabeledSamples, indices: ArrayLike<number>): LabeledSamples {
  const size = from.count === 0 ? 0 : from.x.length / from.count;
  const x = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    x.set(from.x.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = from.labels[j];
  }
  return { x, labels, count: indices.length };
}

/** Splits off a seeded fraction as a test set (for data that has no official test split). */
export function holdOut(
  all: LabeledSamples,
  fraction: number,
  order: Int32Array,
): { train: LabeledSamples; test: LabeledSamples } {
  const testCount = Math.max(1, Math.round(all.count * fraction));
  return {
    test: selectSamples(all, order.subarray(0, testCount)),
    train: selectSamples(all, order.subarray(testCount)),
  };
}
