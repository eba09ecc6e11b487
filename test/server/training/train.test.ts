import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../../src/server/data/index';
import type { Dataset } from '../../../src/server/data/types';
import type { LayerSpec, OptimizerSpec, StitchSchema } from '../../../src/shared/schema/types';
import { selectBackend } from '../../../src/server/training/backend';
import { buildModel } from '../../../src/server/training/model';
import { loadModel, saveModel } from '../../../src/server/training/modelIo';
import { withSeededMathRandom } from '../../../src/server/random';
import { train, TrainingCancelled, type TrainOptions } from '../../../src/server/training/train';

let circle: Dataset;

const MLP: LayerSpec[] = [
  { id: 'h1', type: 'dense', units: 12, activation: 'relu' },
  { id: 'drop', type: 'dropout', rate: 0.2 },
  { id: 'h2', type: 'dense', units: 8, activation: 'relu' },
  { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
];

function schema(layers: LayerSpec[] = MLP, seed = 3): StitchSchema {
  return { version: 1, input: { shape: [2] }, layers, training: { dataset: 'circle', seed } };
}

async function trainCircle(options: TrainOptions, layers = MLP) {
  const model = buildModel(schema(layers, options.seed ?? 3));
  try {
    const data = { train: circle.train, test: circle.test, inputShape: [2], numClasses: 2 };
    return { model, result: await withSeededMathRandom(options.seed ?? 3, () => train(model, data, options)) };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

before(async () => {
  await selectBackend('wasm');
  circle = await loadDataset(
    { name: 'circle', samples: 400, noise: 0.05 },
    {
      baseDir: '.',
      workspaceRoot: '.',
      cacheDir: '.',
      baseUrl: null,
      seed: 1,
      log: () => {},
    },
  );
});

describe('train', () => {
  test('learns the circle dataset with each optimizer and reports every epoch', async () => {
    const optimizers: OptimizerSpec[] = [
      { type: 'sgd', learningRate: 0.1, momentum: 0.9 },
      { type: 'adam', learningRate: 0.02, beta1: 0.9, beta2: 0.99 },
      { type: 'rmsprop', learningRate: 0.01, rho: 0.9 },
      { type: 'adagrad', learningRate: 0.2 },
    ];
    for (const optimizer of optimizers) {
      const epochs: number[] = [];
      const { model, result } = await trainCircle({
        epochs: 20,
        batchSize: 16,
        optimizer,
        validationSplit: 0.2,
        onEpoch: (e) => epochs.push(e.epoch),
      });
      model.dispose();
      assert.deepEqual(
        epochs,
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      const last = result.epochs[result.epochs.length - 1];
      assert.ok(last.val_loss !== null && last.val_accuracy !== null);
      assert.equal(last.learning_rate, optimizer.learningRate);
      assert.ok(result.test!.accuracy! >= 0.9, `${optimizer.type}: test accuracy ${result.test!.accuracy}`);
      assert.equal(result.test!.samples, circle.test.count);
    }
  });

  test('the same seed gives the same losses (dropout included); another seed does not', async () => {
    const losses = async (seed: number) => {
      const { model, result } = await trainCircle({ epochs: 3, batchSize: 32, seed, validationSplit: 0.1 });
      model.dispose();
      return result.epochs.map((e) => [e.train_loss, e.val_loss]);
    };
    const a = await losses(9);
    assert.deepEqual(await losses(9), a);
    assert.notDeepEqual(await losses(10), a);
  });

  test('tensor memory stays flat from epoch to epoch', async () => {
    const counts: number[] = [];
    const { model } = await trainCircle(
      { epochs: 6, batchSize: 32, validationSplit: 0.2, onEpoch: () => counts.push(tf.memory().numTensors) },
      [
        { id: 'h1', type: 'dense', units: 8, activation: 'relu' },
        { id: 'bn', type: 'batchNormalization' },
        { id: 'drop', type: 'dropout', rate: 0.1 },
        { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
      ],
    );
    const afterTraining = tf.memory().numTensors;
    model.dispose();
    assert.ok(
      counts.slice(1).every((c) => c === counts[1]),
      `tensors per epoch: ${counts.join(', ')}`,
    );
    assert.ok(tf.memory().numTensors < afterTraining, 'disposing the model frees its tensors');
  });

  test('a NaN loss stops training with where it happened and what to try', async () => {
    await assert.rejects(
      // A linear output with squared error has nothing that saturates, so a huge step overflows.
      trainCircle(
        { epochs: 5, batchSize: 8, loss: 'meanSquaredError', optimizer: { type: 'sgd', learningRate: 1e6 } },
        [
          { id: 'h', type: 'dense', units: 8 },
          { id: 'out', type: 'dense', units: 2 },
        ],
      ),
      /loss became (NaN|Infinity) in epoch \d+, batch \d+; lower the learning rate \(now 1000000\) or normalize the inputs/,
    );
  });

  test('early stopping ends training when the monitored value stops improving', async () => {
    const { model, result } = await trainCircle({
      epochs: 200,
      batchSize: 32,
      validationSplit: 0.2,
      optimizer: { type: 'adam', learningRate: 0.05 },
      earlyStopping: { monitor: 'val_loss', patience: 2, minDelta: 0.01 },
    });
    model.dispose();
    assert.ok(result.stoppedEarlyAt !== null && result.stoppedEarlyAt < 200, `stopped at ${result.stoppedEarlyAt}`);
    assert.equal(result.epochs.length, result.stoppedEarlyAt);
    // The last `patience` epochs did not improve on the best before them by more than minDelta.
    const losses = result.epochs.map((e) => e.val_loss!);
    const best = Math.min(...losses.slice(0, -2));
    assert.ok(losses.slice(-2).every((l) => l > best - 0.01));
  });

  test('an aborted signal stops between batches', async () => {
    const controller = new AbortController();
    let batches = 0;
    await assert.rejects(
      trainCircle({
        epochs: 100,
        batchSize: 4,
        signal: controller.signal,
        onBatch: () => {
          if (++batches === 10) controller.abort();
        },
      }),
      TrainingCancelled,
    );
    assert.equal(batches, 10);
  });

  test('labels that do not fit the output layer are explained', async () => {
    await assert.rejects(
      trainCircle({ epochs: 1 }, [{ id: 'out', type: 'dense', units: 3, activation: 'softmax' }]),
      /the output layer has 3 units but the dataset has 2 classes; set the last dense layer's units to 2/,
    );
  });

  test('binary crossentropy with one sigmoid unit, and sparse labels', async () => {
    const sigmoid = await trainCircle(
      { epochs: 15, batchSize: 16, loss: 'binaryCrossentropy', optimizer: { type: 'adam', learningRate: 0.03 } },
      [
        { id: 'h', type: 'dense', units: 12, activation: 'relu' },
        { id: 'out', type: 'dense', units: 1, activation: 'sigmoid' },
      ],
    );
    sigmoid.model.dispose();
    assert.equal(sigmoid.result.encoding, 'binary');
    assert.ok(sigmoid.result.test!.accuracy! > 0.85, `binary accuracy ${sigmoid.result.test!.accuracy}`);
    const sparse = await trainCircle({
      epochs: 15,
      batchSize: 16,
      loss: 'sparseCategoricalCrossentropy',
      optimizer: { type: 'adam', learningRate: 0.03 },
    });
    sparse.model.dispose();
    assert.equal(sparse.result.encoding, 'sparse');
    assert.ok(sparse.result.test!.accuracy! > 0.85, `sparse accuracy ${sparse.result.test!.accuracy}`);
  });
});

describe('saveModel / loadModel', () => {
  test('a saved model loads with the same weights and predictions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stitch-model-'));
    try {
      const { model } = await trainCircle({ epochs: 2, batchSize: 32 });
      await saveModel(model, dir);
      const loaded = await loadModel(dir);
      const x = tf.tensor2d([
        [0.5, -1],
        [3, 3],
      ]);
      const a = (model.predict(x) as tf.Tensor).arraySync();
      const b = (loaded.predict(x) as tf.Tensor).arraySync();
      assert.deepEqual(b, a);
      assert.deepEqual(
        loaded.layers.map((l) => l.name),
        model.layers.map((l) => l.name),
      );
      tf.dispose([x]);
      model.dispose();
      loaded.dispose();
      await assert.rejects(loadModel(join(dir, 'nothing')), /cannot read the trained model.*train the schema again/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
