/**
 * Dropout in one kernel (dropout.ts) on cpu and wasm: the schema's dropout layer in training keeps about `1 −
 * rate` of the values, scaled by 1 / (1 − rate); two calls draw different masks, the same seed of `Math.random`
 * the same one, on both backends alike; the gradient is the forward pass's mask; inference passes values through;
 * a noise shape takes tfjs's dropout. (The webgpu program gives the same values: webgpuSoftware.test.ts.)
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/server/training/backend';
import { DROPOUT_KERNEL, dropoutHash, stitchDropout } from '../../../src/server/training/dropout';
import { buildModel } from '../../../src/server/training/model';
import { withSeededMathRandom } from '../../../src/server/random';

before(async () => {
  // Registers the kernel on both backends, as a training run does.
  await selectBackend('wasm', { threads: 1 });
});

const N = 20000;

function dropoutModel(rate: number, noiseShape?: number[]): tf.LayersModel {
  return buildModel({
    version: 1,
    name: 'drop',
    input: { shape: [N] },
    layers: [{ id: 'drop', type: 'dropout', rate, ...(noiseShape ? { noiseShape } : {}) }],
  });
}

/** The layer's training output on `x`, with `Math.random` seeded by `seed`. */
async function trained(model: tf.LayersModel, x: tf.Tensor, seed: number): Promise<Float32Array> {
  return withSeededMathRandom(seed, async () => {
    const out = model.getLayer('drop').apply(x, { training: true }) as tf.Tensor;
    const values = (await out.data()) as Float32Array;
    out.dispose();
    return values;
  });
}

describe('dropout in one kernel', () => {
  test("PCG's output hash in u32 arithmetic, as the WGSL stitchHash computes it", () => {
    // Worked by hand from the WGSL: state = v·747796405 + 2891336453 (mod 2³²), and so on.
    const reference = (v: number) => {
      const state = (BigInt(v) * 747796405n + 2891336453n) % 2n ** 32n;
      const word = (((state >> ((state >> 28n) + 4n)) ^ state) * 277803737n) % 2n ** 32n;
      return Number((word >> 22n) ^ word);
    };
    for (const v of [0, 1, 2, 0x7fffffff, 0x80000000, 0xdeadbeef, 0xffffffff])
      assert.equal(dropoutHash(v), reference(v));
  });

  for (const backend of ['cpu', 'wasm']) {
    test(`${backend}: the share kept, the scale, the masks by seed, the gradient and inference`, async () => {
      await tf.setBackend(backend);
      const model = dropoutModel(0.3);
      const x = tf.ones([1, N]);
      const first = await trained(model, x, 1);
      const again = await trained(model, x, 1);
      const other = await trained(model, x, 2);
      const zeros = first.filter((v) => v === 0).length / N;
      assert.ok(Math.abs(zeros - 0.3) < 0.015, `${zeros} of the values dropped`);
      assert.deepEqual([...new Set(first)].sort(), [0, Math.fround(1 / 0.7)]);
      assert.deepEqual(again, first, 'the same seed drew another mask');
      assert.notDeepEqual(other, first, 'another seed drew the same mask');
      // The gradient of sum(dropout(v)) is the forward pass's mask: for v = 1, its output, value for value.
      const v = tf.variable(tf.ones([1, N]));
      const forward: { out?: tf.Tensor } = {};
      const { value, grads } = await withSeededMathRandom(3, () =>
        Promise.resolve(
          tf.variableGrads(() => {
            forward.out = tf.keep(model.getLayer('drop').apply(v, { training: true }) as tf.Tensor);
            return tf.sum(forward.out);
          }, [v]),
        ),
      );
      const gradient = (await grads[v.name].data()) as Float32Array;
      const output = (await forward.out!.data()) as Float32Array;
      assert.ok(
        gradient.every((g, i) => g === output[i]),
        'the gradient is not the forward mask',
      );
      const inference = (await (
        model.getLayer('drop').apply(x, { training: false }) as tf.Tensor
      ).data()) as Float32Array;
      assert.ok(inference.every((n) => n === 1));
      assert.ok(tf.getKernel(DROPOUT_KERNEL, backend), `no ${DROPOUT_KERNEL} on ${backend}`);
      // The layer's training call is that one kernel, not tfjs's dropout.
      const profile = await tf.profile(() => model.getLayer('drop').apply(x, { training: true }) as tf.Tensor);
      assert.deepEqual(
        profile.kernels.map((k) => k.name),
        [DROPOUT_KERNEL],
      );
      tf.dispose([x, v, value, grads[v.name], forward.out!]);
      model.dispose();
    });
  }

  test('cpu and wasm draw the same masks for the same seed, on any values', async () => {
    const values = Float32Array.from({ length: N }, (_, i) => Math.sin(i) * 3);
    const on = async (backend: string) => {
      await tf.setBackend(backend);
      const model = dropoutModel(0.45);
      const x = tf.tensor(values, [1, N]);
      const out = await trained(model, x, 7);
      tf.dispose(x);
      model.dispose();
      return out;
    };
    assert.deepEqual(await on('cpu'), await on('wasm'));
    await tf.setBackend('wasm');
  });

  test("a noise shape (one mask for a whole axis) is tfjs's dropout", async () => {
    await tf.setBackend('wasm');
    const layer = stitchDropout({ rate: 0.5, noiseShape: [1, 1, 8] });
    const x = tf.ones([1, 100, 8]);
    const ran = await tf.profile(() => layer.apply(x, { training: true }) as tf.Tensor);
    const names = ran.kernels.map((k) => k.name);
    assert.ok(!names.includes(DROPOUT_KERNEL) && names.length > 0, names.join(' '));
    x.dispose();
  });
});
