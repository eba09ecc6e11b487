/**
 * The original Stitch's hyperparameters keep their meaning once converted: sgd's learning rate and momentum
 * build that optimizer, `train_split` sets the split sizes, `shuffle: false` feeds samples in the dataset's
 * order (whatever the seed), `max_samples` takes that many; the final sample predictions are 28×28 grids.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { convertOriginalBody } from '../../../src/shared/original';
import type { StitchSchema } from '../../../src/shared/schema/types';
import { limitDataset, loadDataset } from '../../../src/server/data/index';
import type { Dataset, LabeledSamples } from '../../../src/server/data/types';
import { selectBackend } from '../../../src/server/training/backend';
import { buildModel } from '../../../src/server/training/model';
import { createOptimizer } from '../../../src/server/training/optimizers';
import { withSeededMathRandom } from '../../../src/server/random';
import { samplePredictions } from '../../../src/server/training/samples';
import { epochOrder, splitValidation, train } from '../../../src/server/training/train';

let circle: Dataset;

before(async () => {
  await selectBackend('cpu');
  circle = await loadDataset(
    { name: 'circle', samples: 200, noise: 0.05 },
    { baseDir: '.', workspaceRoot: '.', cacheDir: '.', baseUrl: null, seed: 1, log: () => {} },
  );
});

/** The schema the converter makes of an original body on a 2-feature dataset. */
function converted(hyperparams: Record<string, unknown>): StitchSchema {
  const { schema, errors } = convertOriginalBody(
    { input_size: 2, layers: [{ type: 'linear', in: 2, out: 8 }, { type: 'tanh' }, { type: 'linear', in: 8, out: 2 }] },
    { dataset: 'circle', ...hyperparams },
  );
  assert.deepEqual(errors, []);
  return schema;
}

test('sgd with lr and momentum builds tf.train.momentum with both; momentum 0 is plain sgd at that lr', () => {
  const withMomentum = createOptimizer(
    converted({ optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 } }).training?.optimizer,
  );
  assert.equal(withMomentum.getClassName(), 'Momentum');
  assert.deepEqual(withMomentum.getConfig(), { learningRate: 0.1, momentum: 0.9, useNesterov: false });
  const plain = createOptimizer(converted({ optimizer: { type: 'sgd', lr: 0.1, momentum: 0.0 } }).training?.optimizer);
  assert.equal(plain.getClassName(), 'SGD');
  assert.deepEqual(plain.getConfig(), { learningRate: 0.1 });
  withMomentum.dispose();
  plain.dispose();
});

test('train_split 0.9 keeps 90% for training and the last 10% for validation', () => {
  const split = converted({ train_split: 0.9 }).training?.validationSplit ?? NaN;
  const samples: LabeledSamples = {
    x: Float32Array.from({ length: 200 }, (_, i) => i),
    labels: Int32Array.from({ length: 100 }, (_, i) => i % 2),
    count: 100,
  };
  const { trainSet, validation } = splitValidation({ train: samples, inputShape: [2], numClasses: 2 }, split);
  assert.equal(trainSet.count, 90);
  assert.equal(validation?.count, 10);
  assert.deepEqual([...(validation?.x.subarray(0, 2) ?? [])], [180, 181], 'the validation samples are the last ones');
});

test('shuffle: false keeps the order (epochOrder is null, max_samples takes the first samples); true is a seeded permutation', () => {
  assert.equal(epochOrder(10, 42, 1, false), null);
  const a = epochOrder(50, 42, 1, true);
  assert.deepEqual(
    [...(a ?? [])].sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.deepEqual(a, epochOrder(50, 42, 1, true));
  assert.notDeepEqual(a, epochOrder(50, 42, 2, true));
  const first = limitDataset(circle, { maxSamples: 30, seed: 5, shuffle: false });
  assert.equal(first.train.count, 30);
  assert.deepEqual(first.train.x, circle.train.x.subarray(0, 60));
  const sampled = limitDataset(circle, { maxSamples: 30, seed: 5 });
  assert.equal(sampled.train.count, 30);
  assert.notDeepEqual(sampled.train.x, circle.train.x.subarray(0, 60));
});

/** Per-batch losses of one epoch, from the same initial weights, with the given train seed and shuffle. */
async function batchLosses(seed: number, shuffle: boolean): Promise<number[]> {
  const schema = converted({ seed: 3, optimizer: { type: 'sgd', lr: 0.1, momentum: 0.5 } });
  const model = buildModel(schema);
  const losses: number[] = [];
  try {
    await withSeededMathRandom(seed, () =>
      train(
        model,
        { train: circle.train, inputShape: [2], numClasses: 2 },
        {
          epochs: 1,
          batchSize: 16,
          seed,
          shuffle,
          optimizer: schema.training?.optimizer,
          onBatch: (b) => losses.push(b.loss),
        },
      ),
    );
  } finally {
    model.dispose();
  }
  return losses;
}

test('in training, shuffle: false gives the same batches whatever the seed; shuffle: true depends on it', async () => {
  assert.deepEqual(await batchLosses(1, false), await batchLosses(2, false));
  assert.notDeepEqual(await batchLosses(1, true), await batchLosses(2, true));
});

test('sample predictions: 8 samples with a 28×28 grid of 0–255, the label, the prediction and its confidence', async () => {
  const schema: StitchSchema = {
    version: 1,
    input: { shape: [28, 28, 1] },
    layers: [
      { id: 'f', type: 'flatten' },
      { id: 'out', type: 'dense', units: 10, activation: 'softmax' },
    ],
  };
  const model = buildModel(schema);
  const set: LabeledSamples = {
    x: Float32Array.from({ length: 10 * 784 }, (_, i) => (i % 784) / 783),
    labels: Int32Array.from({ length: 10 }, (_, i) => i),
    count: 10,
  };
  const samples = await samplePredictions(model, set, [28, 28, 1]);
  assert.equal(samples.length, 8);
  for (const [i, s] of samples.entries()) {
    assert.equal(s.grid.length, 28);
    assert.ok(s.grid.every((row) => row.length === 28 && row.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)));
    assert.deepEqual([s.grid[0][0], s.grid[27][27]], [0, 255]);
    assert.equal(s.label, i);
    assert.ok(Number.isInteger(s.prediction) && s.prediction >= 0 && s.prediction < 10);
    assert.ok(s.confidence > 0 && s.confidence <= 1);
  }
  assert.deepEqual(
    await samplePredictions(model, { x: new Float32Array(4), labels: new Int32Array(2), count: 2 }, [2]),
    [],
    'no picture for a non-square vector',
  );
  model.dispose();
});
