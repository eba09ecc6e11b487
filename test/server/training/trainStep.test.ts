/**
 * trainStep is trainOnBatch without the read-back: the same model, batches and optimizer give exactly the
 * same losses and weights whichever is used, and PendingSteps reads queued steps back in order.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { StitchSchema } from '../../../src/shared/schema/types';
import { selectBackend } from '../../../src/server/training/backend';
import { buildModel } from '../../../src/server/training/model';
import { createRandom } from '../../../src/server/random';
import { PendingSteps, trainStep } from '../../../src/server/training/trainStep';

const schema: StitchSchema = {
  version: 1,
  input: { shape: [4] },
  layers: [
    { id: 'h', type: 'dense', units: 8, activation: 'relu' },
    { id: 'out', type: 'dense', units: 3, activation: 'softmax' },
  ],
  training: { dataset: 'circle', seed: 5 },
};

function compiled(): tf.LayersModel {
  const model = buildModel(schema);
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

function batches(count: number): { xs: tf.Tensor; ys: tf.Tensor }[] {
  const rand = createRandom(9);
  return Array.from({ length: count }, () => ({
    xs: tf.tensor2d(
      Array.from({ length: 16 * 4 }, () => rand() * 2 - 1),
      [16, 4],
    ),
    ys: tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 16 }, () => Math.floor(rand() * 3)),
        'int32',
      ),
      3,
    ),
  }));
}

before(async () => {
  await selectBackend('wasm');
});

test('queued steps give the losses and weights of trainOnBatch, read back in order', async () => {
  const data = batches(5);
  const reference = compiled();
  const expected: number[][] = [];
  for (const { xs, ys } of data) expected.push((await reference.trainOnBatch(xs, ys)) as number[]);

  const model = compiled();
  const pending = new PendingSteps<number>();
  for (const [i, { xs, ys }] of data.entries()) pending.add(i, await trainStep(model, xs, ys));
  assert.equal(pending.size, 5);
  const read = await pending.read();
  assert.equal(pending.size, 0);
  assert.deepEqual(
    read.map((r) => r.info),
    [0, 1, 2, 3, 4],
  );
  assert.deepEqual(
    read.map((r) => r.values),
    expected,
  );
  const weights = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
  assert.deepEqual(weights(model), weights(reference));
  tf.dispose(data.flatMap((d) => [d.xs, d.ys]));
});

test('discarding pending steps frees their tensors', async () => {
  const model = compiled();
  const [{ xs, ys }] = batches(1);
  await trainStep(model, xs, ys).then((s) => tf.dispose(s)); // the optimizer's slots are made on the first step
  const before = tf.memory().numTensors;
  const pending = new PendingSteps<null>();
  pending.add(null, await trainStep(model, xs, ys));
  assert.ok(tf.memory().numTensors > before);
  pending.discard();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([xs, ys]);
});
