/**
 * ResidentSamples (batches.ts), the training set kept on the device on webgpu: every batch it gathers there is
 * the batch makeBatch copies from the JS arrays, for every label encoding, shuffled or in order. Checked on the
 * cpu backend (the same tfjs ops); test/server/training/webgpuSoftware.test.ts trains through it on webgpu.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeBatch, ResidentSamples, type LabelEncoding } from '../../../src/server/training/batches';
import { shuffledIndices } from '../../../src/server/random';

test('a batch gathered from the resident training set is the batch makeBatch copies', async () => {
  await tf.setBackend('cpu');
  const count = 37;
  const inputShape = [3, 2, 1];
  const data = {
    x: Float32Array.from({ length: count * 6 }, (_, i) => Math.sin(i)),
    labels: Int32Array.from({ length: count }, (_, i) => (i * 5) % 3),
    count,
  };
  const order = shuffledIndices(count, 4);
  const before = tf.memory().numTensors;
  for (const encoding of ['onehot', 'sparse', 'binary'] as LabelEncoding[]) {
    const classes = encoding === 'binary' ? 2 : 3;
    const labels = encoding === 'binary' ? { ...data, labels: data.labels.map((l) => l % 2) } : data;
    const resident = new ResidentSamples(labels, inputShape, classes, encoding);
    for (const [from, to] of [
      [0, 16],
      [16, 32],
      [32, 37],
    ]) {
      for (const o of [order, null]) {
        const gathered = resident.batch(o, from, to);
        const copied = makeBatch(labels, o, from, to, inputShape, classes, encoding);
        assert.deepEqual(gathered.xs.shape, copied.xs.shape);
        assert.deepEqual(gathered.ys.shape, copied.ys.shape);
        assert.deepEqual(await gathered.xs.data(), await copied.xs.data(), `${encoding} ${from}..${to}`);
        assert.deepEqual(await gathered.ys.data(), await copied.ys.data(), `${encoding} ${from}..${to}`);
        tf.dispose([gathered.xs, gathered.ys, copied.xs, copied.ys]);
      }
    }
    resident.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'nothing leaks');
  assert.equal(ResidentSamples.bytes(data, 3, 'onehot'), 4 * (count * 6 + count * 3));
});
