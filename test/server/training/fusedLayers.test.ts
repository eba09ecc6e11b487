/**
 * The fused convolution and dense layers (fusedLayers.ts) against tfjs-layers' own: the same weights give the same
 * outputs and gradients on cpu and wasm (on wasm bit for bit, where our fused kernels are the unfused ones plus
 * one pass), the fused kernels are the ones that run, a first layer's input gradient is not computed, layers the
 * fused kernels do not take stay tfjs's, and the saved model is plain tfjs layers.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { StitchSchema } from '../../../src/shared/schema/types';
import { selectBackend } from '../../../src/server/training/backend';
import { buildModel } from '../../../src/server/training/model';
import { RELU_GRAD_KERNEL, reluGrad } from '../../../src/server/training/gradients';
import { assertClose, onBackend, randomValues, size } from '../../support/backendCompare';

before(async () => {
  // Registers our wasm kernels and the fused gradients, as a training run does.
  await selectBackend('wasm', { threads: 1 });
});

/** Every way a layer here can go: ReLU, linear, and other activations (after the fused kernel), a ReLU layer. */
const schema: StitchSchema = {
  version: 1,
  name: 'fused',
  input: { shape: [9, 9, 2] },
  layers: [
    { id: 'c1', type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu', padding: 'same' },
    { id: 'c2', type: 'conv2d', filters: 12, kernelSize: 3, strides: 2 },
    { id: 'r', type: 'activation', activation: 'relu' },
    { id: 'c3', type: 'conv2d', filters: 4, kernelSize: 1, activation: 'sigmoid' },
    { id: 'f', type: 'flatten' },
    { id: 'd1', type: 'dense', units: 12, activation: 'relu' },
    { id: 'd2', type: 'dense', units: 6 },
    { id: 'out', type: 'dense', units: 3, activation: 'softmax' },
  ],
};

const BATCH = 5;

/** tfjs-layers' own model of the same config (what a saved model loads as), with the fused model's weights. */
function plainTwin(model: tf.LayersModel): tf.LayersModel {
  const twin = tf.Sequential.fromConfig<tf.Sequential>(tf.Sequential, model.getConfig());
  twin.setWeights(model.getWeights());
  return twin;
}

/** The loss's gradients with respect to every weight of `model`, and its output, for one batch. */
function lossGrads(model: tf.LayersModel, x: tf.Tensor, labels: tf.Tensor): { output: tf.Tensor; grads: tf.Tensor[] } {
  let output: tf.Tensor | null = null;
  // Over every trainable variable there is; the model's own are picked out by name, in weight order.
  const { grads } = tf.variableGrads(() => {
    const y = model.apply(x, { training: true }) as tf.Tensor;
    output = tf.keep(y.clone());
    return tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(labels, y);
  });
  return { output: output!, grads: model.trainableWeights.map((w) => grads[w.name]) };
}

/** The fused model's and its plain twin's output and gradients on `backend`, as arrays (fused first). */
async function bothOn(backend: string): Promise<{ fused: Float32Array[]; plain: Float32Array[]; kernels: string[] }> {
  const x = randomValues(BATCH * size(schema.input.shape), 7);
  const labels = Float32Array.from({ length: BATCH * 3 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0));
  let kernels: string[] = [];
  const run = async (plain: boolean) =>
    onBackend(
      backend,
      [
        [x, [BATCH, ...schema.input.shape]],
        [labels, [BATCH, 3]],
      ],
      (xt, yt) => {
        const fused = buildModel(schema);
        const model = plain ? plainTwin(fused) : fused;
        const { output, grads } = lossGrads(model, xt, yt);
        return [output, ...grads];
      },
    );
  const plain = await run(true);
  await tf.setBackend(backend);
  const fusedModel = buildModel(schema);
  const xt = tf.tensor(x, [BATCH, ...schema.input.shape]);
  const yt = tf.tensor(labels, [BATCH, 3]);
  const profile = await tf.profile(() => {
    const { output, grads } = lossGrads(fusedModel, xt, yt);
    tf.dispose([output, ...grads]);
  });
  kernels = profile.kernels.map((k) => k.name);
  tf.dispose([xt, yt]);
  fusedModel.dispose();
  const fused = await run(false);
  return { fused, plain, kernels };
}

const count = (names: string[], name: string) => names.filter((n) => n === name).length;

describe('fused convolution and dense layers', () => {
  test('on wasm: the same outputs and gradients as tfjs-layers, bit for bit, with the fused kernels', async () => {
    const { fused, plain, kernels } = await bothOn('wasm');
    assert.equal(fused.length, plain.length);
    fused.forEach((values, i) => assert.deepEqual(Array.from(values), Array.from(plain[i]), `result ${i}`));
    // Every layer with a bias fused: c1 and d1 with ReLU, c2 and d2 linear, c3 and out then sigmoid and softmax.
    assert.equal(count(kernels, 'FusedConv2D'), 3);
    assert.equal(count(kernels, 'Conv2D'), 0);
    assert.equal(count(kernels, '_FusedMatMul'), 3);
    assert.equal(count(kernels, 'Sigmoid'), 1);
    // ReLU's gradient in one kernel for c1, d1 and the activation layer; no Step anywhere.
    assert.equal(count(kernels, RELU_GRAD_KERNEL), 3);
    assert.equal(count(kernels, 'Step'), 0);
    // c2's and c3's input gradients, not c1's: the model's input needs none.
    assert.equal(count(kernels, 'Conv2DBackpropInput'), 2);
    assert.equal(count(kernels, 'Conv2DBackpropFilter'), 3);
  });

  test('on cpu: the same outputs and gradients as tfjs-layers (ReLU’s gradient as tfjs’s Step and Multiply)', async () => {
    const { fused, plain, kernels } = await bothOn('cpu');
    fused.forEach((values, i) => assertClose(values, plain[i], `result ${i}`));
    assert.equal(count(kernels, 'FusedConv2D'), 3);
    assert.equal(count(kernels, RELU_GRAD_KERNEL), 0);
    assert.equal(count(kernels, 'Step'), 3);
    assert.equal(count(kernels, 'Conv2DBackpropInput'), 2);
  });

  test('the model saves as tfjs layers, and a convolution without a bias trains as tfjs’s', async () => {
    await tf.setBackend('wasm');
    const model = buildModel(schema);
    const names = model.layers.map((l) => l.getClassName());
    assert.deepEqual(names, ['Conv2D', 'Conv2D', 'Activation', 'Conv2D', 'Flatten', 'Dense', 'Dense', 'Dense']);
    const json = JSON.stringify(model.toJSON(null, false));
    assert.ok(!json.includes('Stitch'), 'no class of ours in the saved topology');
    // Without a bias a convolution is tfjs's own: Conv2D then Relu (so are dilation and channels first).
    const odd = buildModel({
      version: 1,
      name: 'odd',
      input: { shape: [8, 8, 1] },
      layers: [
        { id: 'nb', type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu', useBias: false },
        { id: 'f', type: 'flatten' },
        { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
      ],
    });
    const x = tf.randomUniform([2, 8, 8, 1]);
    const profile = await tf.profile(() => {
      const { grads } = tf.variableGrads(() => tf.sum<tf.Scalar>(odd.apply(x, { training: true }) as tf.Tensor));
      tf.dispose(Object.values(grads));
    });
    const kernels = profile.kernels.map((k) => k.name);
    assert.equal(count(kernels, 'Conv2D'), 1);
    assert.equal(count(kernels, 'Relu'), 1);
    assert.equal(count(kernels, 'FusedConv2D'), 0);
    tf.dispose(x);
    // An int32 input: tfjs-layers' own call (tfjs-core casts it), a float32 output as tfjs-layers gives.
    const dense = buildModel({
      version: 1,
      name: 'ints',
      input: { shape: [3] },
      layers: [{ id: 'd', type: 'dense', units: 2, activation: 'relu' }],
    });
    const ints = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    const out = dense.getLayer('d').apply(ints) as tf.Tensor;
    const expected = tf.relu(tf.add(tf.matMul(tf.cast(ints, 'float32'), dense.getWeights()[0]), dense.getWeights()[1]));
    assert.equal(out.dtype, 'float32');
    assertClose(out.dataSync() as Float32Array, expected.dataSync() as Float32Array, 'int32 input');
    tf.dispose([ints, out, expected]);
  });
});

describe("ReLU's gradient in one kernel", () => {
  // Negative, zero (both signs), positive, NaN and infinite values; lengths with and without a tail of < 4.
  const special = [-2, -0, 0, 0.5, NaN, Infinity, -Infinity, 3];
  for (const n of [1, 3, 8, 13, 4099]) {
    test(`dy · step(y) on wasm is tfjs's Step and Multiply on cpu, bit for bit (${n} values)`, async () => {
      const y = Float32Array.from({ length: n }, (_, i) => (i < special.length ? special[i] : Math.sin(i * 7)));
      const dy = randomValues(n, 11);
      dy[0] = NaN;
      if (n > 5) dy[5] = -Infinity;
      const inputs: [Float32Array, number[]][] = [
        [dy, [n]],
        [y, [n]],
      ];
      const [cpu] = await onBackend('cpu', inputs, (a, b) => [tf.mul(a, tf.step(b))]);
      const [wasm] = await onBackend('wasm', inputs, (a, b) => [reluGrad(a, b)]);
      assert.deepEqual(Array.from(wasm), Array.from(cpu));
    });
  }
});

describe("Mean's gradient without a tensor of ones", () => {
  // Batch normalization's moments (leading axes, kept), a middle axis, all axes, a negative axis.
  const cases: { shape: number[]; axis: number | number[]; keepDims: boolean }[] = [
    { shape: [4, 5, 5, 8], axis: [0, 1, 2], keepDims: true },
    { shape: [3, 7, 2], axis: 1, keepDims: false },
    { shape: [6, 5], axis: [0, 1], keepDims: false },
    { shape: [2, 3, 4], axis: -1, keepDims: true },
  ];
  for (const c of cases) {
    test(`${c.shape.join('×')} over ${JSON.stringify(c.axis)}: tfjs's values (dy · 1) / n, by a Tile`, async () => {
      for (const backend of ['cpu', 'wasm']) {
        await tf.setBackend(backend);
        const x = tf.tensor(randomValues(size(c.shape), 21), c.shape);
        const outShape = tf.tidy(() => tf.mean(x, c.axis, c.keepDims).shape);
        const dy = tf.tensor(randomValues(size(outShape), 22), outShape);
        const profile = await tf.profile(() => {
          const [dx] = tf.grads((t: tf.Tensor) => tf.mean(t, c.axis, c.keepDims))([x], dy);
          return dx;
        });
        const [dx] = tf.grads((t: tf.Tensor) => tf.mean(t, c.axis, c.keepDims))([x], dy);
        // tfjs-core's own gradient, written out.
        const axes = tf.util.parseAxisParam(c.axis, c.shape);
        const kept = c.shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const count = axes.reduce((n, a) => n * c.shape[a], 1);
        const expected = tf.div(tf.mul(tf.reshape(dy, kept), tf.ones(c.shape)), count);
        assert.deepEqual(Array.from(await dx.data()), Array.from(await expected.data()), backend);
        const kernels = profile.kernels.map((k) => k.name);
        assert.ok(kernels.includes('Tile') && !kernels.includes('Multiply'), `${backend}: ${kernels.join(', ')}`);
        tf.dispose([x, dy, dx, expected]);
      }
    });
  }
});
