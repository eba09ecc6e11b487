import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  ActivationRequestError,
  layerActivations,
  MAX_ACTIVATION_LAYERS,
} from '../../../src/server/training/activations';
import { buildModel } from '../../../src/server/training/model';

const schema = {
  version: 1 as const,
  input: { shape: [28, 28, 1] },
  layers: [
    { id: 'conv', type: 'conv2d' as const, filters: 4, kernelSize: 3, activation: 'relu' },
    { id: 'pool', type: 'maxPooling2d' as const, poolSize: 2 },
    { id: 'flat', type: 'flatten' as const },
    { id: 'big', type: 'dense' as const, units: 300, activation: 'relu' },
    { id: 'out', type: 'dense' as const, units: 10, activation: 'softmax' },
  ],
};

test('each named layer returns its output, quantized between its min and max', async () => {
  await tf.setBackend('cpu');
  const model = buildModel(schema);
  const input = tf.randomUniform([1, 28, 28, 1], 0, 1, 'float32', 3);
  const [conv, out] = await layerActivations(model, input, ['conv', 'out']);
  assert.deepEqual(conv.shape, [26, 26, 4]);
  assert.equal(Buffer.from(conv.base64, 'base64').length, 26 * 26 * 4);
  const probs = (model.predict(input) as tf.Tensor).dataSync();
  assert.ok(Math.abs(out.max - Math.max(...probs)) < 1e-6);
  const bytes = Buffer.from(out.base64, 'base64');
  const argmax = probs.indexOf(Math.max(...probs));
  assert.equal(bytes[argmax], 255);
  assert.ok(Math.abs(out.min - Math.min(...probs)) < 1e-6);
  assert.equal(bytes[probs.indexOf(Math.min(...probs))], 0);
  model.dispose();
});

test('the bounds: unknown layers, too many layers and too many values are refused with what to change', async () => {
  const model = buildModel(schema);
  const input = tf.zeros([1, 28, 28, 1]);
  await assert.rejects(
    () => layerActivations(model, input, ['nope']),
    (e: Error) =>
      e instanceof ActivationRequestError && e.message.includes('no layer "nope"; its layers are conv, pool'),
  );
  await assert.rejects(
    () => layerActivations(model, input, new Array<string>(MAX_ACTIVATION_LAYERS + 1).fill('conv')),
    /at most 16 layers/,
  );
  const many = new Array<string>(12).fill('conv'); // 12 × 2,704 = 32,448: allowed
  assert.equal((await layerActivations(model, input, many)).length, 12);
  model.dispose();
  const wide = buildModel({
    ...schema,
    layers: [
      { id: 'wide', type: 'conv2d', filters: 400, kernelSize: 3 },
      { id: 'flat', type: 'flatten' },
      { id: 'out', type: 'dense', units: 2 },
    ],
  });
  await assert.rejects(() => layerActivations(wide, input, ['wide']), /output 270,400 values, more than the 262,144/);
  wide.dispose();
});
