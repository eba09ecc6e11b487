/**
 * `loadDataset(spec, context)`: any dataset a schema can name, as a `Dataset`; and `limitDataset` for the
 * `maxSamples` / `testSamples` options.
 */
import { DATASET_NAMES } from '../../shared/schema/datasets';
import type { DatasetSpec, TrainingSpec } from '../../shared/schema/types';
import { shuffledIndices } from '../random';
import { loadCsvDataset } from './csv';
import { IMAGE_DATASETS, loadImageDataset } from './imageDatasets';
import { loadIdxDataset } from './idxFiles';
import { generateSynthetic, isSyntheticDataset } from './synthetic';
import { selectSamples, type Dataset, type DatasetContext } from './types';

export type { Dataset, DatasetContext, LabeledSamples } from './types';

export async function loadDataset(spec: DatasetSpec, context: DatasetContext): Promise<Dataset> {
  if (typeof spec === 'string' || 'name' in spec) {
    const name = typeof spec === 'string' ? spec : spec.name;
    const options: { samples?: number; noise?: number } = typeof spec === 'string' ? {} : spec;
    if ((IMAGE_DATASETS as readonly string[]).includes(name))
      return loadImageDataset(name as 'mnist' | 'fashion-mnist', context);
    if (isSyntheticDataset(name)) {
      return generateSynthetic(name, { samples: options.samples, noise: options.noise, seed: context.seed });
    }
    throw new Error(
      `training.dataset: unknown dataset "${name}"; use one of ${DATASET_NAMES.join(', ')}, { "csv": … } or { "idx": … }`,
    );
  }
  if ('csv' in spec) return loadCsvDataset(spec, context);
  if ('idx' in spec) return loadIdxDataset(spec.idx, context);
  throw new Error(
    'training.dataset: use a dataset name (e.g. "mnist"), { "csv": …, "label": … } or { "idx": { "images": …, "labels": … } }',
  );
}

/**
 * Applies `maxSamples` (a seeded random subset of the training samples, in shuffled order) and `testSamples`
 * (a seeded random subset of the test split). Training samples are returned shuffled, so that a validation
 * split taken from their end is a random sample too, unless `shuffle` is false: then they keep their order.
 */
export function limitDataset(dataset: Dataset, limits: SampleLimits): Dataset {
  const chosen = selectSamplesOf(dataset.train.count, dataset.test.count, limits);
  const train = selectSamples(dataset.train, chosen.train);
  const test = chosen.test ? selectSamples(dataset.test, chosen.test) : dataset.test;
  return { ...dataset, train, test };
}

export interface SampleLimits {
  maxSamples?: number;
  testSamples?: number;
  seed: number;
  shuffle?: boolean;
}

/**
 * Which training samples, in which order, and which test samples (null: all, in order) `limitDataset` keeps of
 * a dataset with `trainCount` and `testCount` of them. The bench's PyTorch reference trains and tests on
 * exactly these (bench/measure.ts).
 */
export function selectSamplesOf(
  trainCount: number,
  testCount: number,
  limits: SampleLimits,
): { train: Int32Array; test: Int32Array | null } {
  // shuffle: false (the original Stitch's `shuffle`) keeps the dataset's order: the first maxSamples samples.
  const trainOrder =
    limits.shuffle === false
      ? Int32Array.from({ length: trainCount }, (_, i) => i)
      : shuffledIndices(trainCount, limits.seed);
  const trainTake = limits.maxSamples ? Math.min(limits.maxSamples, trainCount) : trainCount;
  const test =
    limits.testSamples && limits.testSamples < testCount
      ? shuffledIndices(testCount, limits.seed + 1).subarray(0, limits.testSamples)
      : null;
  return { train: trainOrder.subarray(0, trainTake), test };
}

/**
 * A run's samples exactly as its trainer loads them: workspace files read only as far as `maxSamples` /
 * `testSamples` can use, then the same seeded selection (or the first samples, with `shuffle: false`). The
 * export's `train.py` data comes from here too, so it holds the samples the run trained on.
 */
export async function loadRunDataset(
  training: Pick<TrainingSpec, 'dataset' | 'maxSamples' | 'testSamples' | 'shuffle'>,
  context: Omit<DatasetContext, 'maxSamples' | 'testSamples'>,
): Promise<Dataset> {
  const { maxSamples, testSamples } = training;
  const loaded = await loadDataset(training.dataset, { ...context, maxSamples, testSamples });
  return limitDataset(loaded, { maxSamples, testSamples, seed: context.seed, shuffle: training.shuffle });
}
