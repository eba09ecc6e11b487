/**
 * The loss head's kernels (crossEntropy.ts) against tfjs's own functions on cpu and wasm: the cross-entropy per
 * row, its gradient (where the clip to [ε, 1 − ε] applies too), the accuracy (ties, NaN), softmax's gradient; the
 * kernels that run; tfjs's functions where the kernels do not apply; and a compiled model that trains with them
 * as with tfjs's and still saves tfjs's loss name.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/server/training/backend';
import {
  ACCURACY_KERNEL,
  CROSS_ENTROPY_GRAD_KERNEL,
  CROSS_ENTROPY_KERNEL,
  fusedCrossEntropy,
  fusedMetric,
  registerCrossEntropyKernels,
  SOFTMAX_GRAD_KERNEL,
  useFusedLossHead,
} from '../../../src/server/training/crossEntropy';
import { buildModel } from '../../../src/server/training/model';
import { trainStep } from '../../../src/server/training/trainStep';
import { randomValues } from '../../support/backendCompare';

before(async () => {
  // Registers our wasm kernels and the loss head's, as a training run does.
  await selectBackend('wasm', { threads: 1 });
});

const ROWS = 6;
const COLS = 5;
const tfjsLoss = (t: tf.Tensor, p: tf.Tensor) => tf.metrics.categoricalCrossentropy(t, p);
const ours = fusedCrossEntropy(tfjsLoss);

/**
 * Softmax outputs and one-hot targets: ordinary rows, rows so confident that values fall below ε and above 1 − ε
 * (the clip applies: the gradient is zero there), and a row whose target is one of those tiny values.
 */
function batch(): { p: tf.Tensor2D; t: tf.Tensor2D } {
  const logits = Array.from(randomValues(ROWS * COLS, 3), (v) => v * 3);
  logits.splice(2 * COLS, COLS, 40, -5, 0, 1, 2); // row 2: ~1 and values below 1e-7
  logits.splice(3 * COLS, COLS, -30, 8, 0, 0, 0); // row 3: its target (0) is below 1e-7
  const labels = [1, 4, 0, 0, 3, 2];
  return {
    p: tf.softmax(tf.tensor2d(logits, [ROWS, COLS])),
    t: tf.oneHot(tf.tensor1d(labels, 'int32'), COLS).toFloat() as tf.Tensor2D,
  };
}

/** Each element of `actual` within `tolerance` of `expected` (relative to the larger of 1 and its magnitude). */
function assertNear(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tolerance * scale,
      `${what}[${i}]: ${actual[i]}, tfjs ${expected[i]} (all: ${Array.from(actual).join(', ')} vs ${Array.from(expected).join(', ')})`,
    );
  }
}

/** The kernels `fn` runs, by name. */
async function kernelsOf(fn: () => tf.Tensor | tf.Tensor[]): Promise<string[]> {
  const profile = await tf.profile(() => {
    const out = fn();
    tf.dispose(out);
  });
  return profile.kernels.map((k) => k.name);
}

for (const backend of ['cpu', 'wasm']) {
  describe(`the loss head's kernels on ${backend}`, () => {
    before(async () => {
      await tf.setBackend(backend);
    });

    test("cross-entropy per row and its gradient are tfjs-layers' categoricalCrossentropy's", async () => {
      const { p, t } = batch();
      // A weight per row, so that each row's upstream gradient differs.
      const w = tf.tensor1d([1, -2, 0.5, 3, 1, 0.25]);
      const gradient = (loss: typeof ours) => tf.grad((q: tf.Tensor) => tf.sum(tf.mul(loss(t, q), w)))(p);
      const [mine, theirs, myGrad, theirGrad] = await Promise.all(
        [ours(t, p), tfjsLoss(t, p), gradient(ours), gradient(tfjsLoss)].map((x) => x.data()),
      );
      assertNear(mine, theirs, 1e-6, 'loss');
      assert.ok(theirs[3] > 16, `row 3's target is clipped to ε: loss ${theirs[3]}`);
      assertNear(myGrad, theirGrad, 1e-5, 'gradient');
      // Rows 2 and 3: the target's value is clipped (above 1 − ε, below ε), so the whole row's gradient is zero.
      for (const row of [2, 3]) {
        const slice = (g: ArrayLike<number>) => Array.from(g).slice(row * COLS, (row + 1) * COLS);
        assert.deepEqual([slice(myGrad), slice(theirGrad)].flat().map(Math.abs), new Array(2 * COLS).fill(0));
      }
      assert.ok(
        Array.from(theirGrad).some((g) => Math.abs(g) > 0.1),
        'other rows have gradients',
      );
      assert.deepEqual(await kernelsOf(() => ours(t, p)), [CROSS_ENTROPY_KERNEL]);
      assert.ok(
        (await kernelsOf(() => gradient(ours))).includes(CROSS_ENTROPY_GRAD_KERNEL),
        'the gradient runs our kernel',
      );
      tf.dispose([p, t, w]);
    });

    test("accuracy is tfjs's categoricalAccuracy, ties and NaN included", async () => {
      const p = tf.tensor2d([
        [0.1, 0.7, 0.2],
        [0.4, 0.4, 0.2], // a tie: the first wins
        [0.2, 0.4, 0.4],
        [NaN, 0.5, 0.5], // NaN first: nothing replaces it
        [0.3, NaN, 0.2], // NaN later never replaces the largest
        [0.6, 0.3, 0.1],
      ]);
      const t = tf.oneHot(tf.tensor1d([1, 0, 2, 1, 0, 2], 'int32'), 3).toFloat();
      const accuracy = fusedMetric(tf.metrics.categoricalAccuracy);
      const [mine, theirs] = await Promise.all([accuracy(t, p).data(), tf.metrics.categoricalAccuracy(t, p).data()]);
      assert.deepEqual(Array.from(mine), Array.from(theirs));
      assert.deepEqual(Array.from(mine), [1, 1, 0, 0, 1, 0]);
      assert.deepEqual(await kernelsOf(() => accuracy(t, p)), [ACCURACY_KERNEL]);
      // Other metrics are left as they are.
      assert.equal(fusedMetric(tf.metrics.binaryAccuracy), tf.metrics.binaryAccuracy);
      tf.dispose([p, t]);
    });

    test("softmax's gradient is tfjs-core's dy·y − y·Σ(dy·y), in one kernel", async () => {
      const z = tf.tensor2d(randomValues(ROWS * COLS, 9), [ROWS, COLS]);
      const r = tf.tensor2d(randomValues(ROWS * COLS, 10), [ROWS, COLS]);
      const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.softmax(x), r)));
      const y = tf.softmax(z);
      const dyTimesY = tf.mul(r, y);
      const expected = tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [1], true), y));
      assertNear(await grad(z).data(), await expected.data(), 1e-6, 'softmax gradient');
      const kernels = await kernelsOf(() => grad(z));
      assert.ok(kernels.includes(SOFTMAX_GRAD_KERNEL), kernels.join(', '));
      assert.ok(!kernels.includes('Sub'), kernels.join(', '));
      // Along another axis than the last: tfjs's formula.
      const along0 = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.softmax(x.transpose()).transpose(), r)))(z);
      assert.equal(along0.shape.join(), z.shape.join());
      tf.dispose([z, r, y, dyTimesY, expected, along0]);
    });

    test("what the kernels do not take is tfjs's: integer targets, another rank, a backend without them", async () => {
      const { p, t } = batch();
      const int = t.toInt();
      assert.ok(!(await kernelsOf(() => ours(int, p))).includes(CROSS_ENTROPY_KERNEL));
      assertNear(await ours(int, p).data(), await tfjsLoss(t, p).data(), 1e-6, 'integer targets');
      const p3 = p.reshape([2, 3, COLS]);
      const t3 = t.reshape([2, 3, COLS]);
      assert.ok(!(await kernelsOf(() => ours(t3, p3))).includes(CROSS_ENTROPY_KERNEL));
      assert.deepEqual(ours(t3, p3).shape, [2, 3]);
      // As on the native backend, which has none of ours.
      const config = tf.getKernel(CROSS_ENTROPY_KERNEL, backend);
      tf.unregisterKernel(CROSS_ENTROPY_KERNEL, backend);
      try {
        assert.ok(!(await kernelsOf(() => ours(t, p))).includes(CROSS_ENTROPY_KERNEL));
        assertNear(await ours(t, p).data(), await tfjsLoss(t, p).data(), 0, 'without the kernel');
      } finally {
        tf.registerKernel(config);
      }
      tf.dispose([p, t, int, p3, t3]);
    });
  });
}

describe('a compiled model with the fused loss head', () => {
  const schema = {
    version: 1 as const,
    name: 'head',
    input: { shape: [8] },
    layers: [
      { id: 'hidden', type: 'dense' as const, units: 6, activation: 'relu' as const },
      { id: 'out', type: 'dense' as const, units: 4, activation: 'softmax' as const },
    ],
  };

  test("trains as with tfjs's loss and accuracy, on fewer kernels, and saves tfjs's loss name", async () => {
    await tf.setBackend('wasm');
    registerCrossEntropyKernels();
    const xs = tf.tensor2d(randomValues(16 * 8, 21), [16, 8]);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 3, 2, 1, 0, 0, 0, 1, 1, 2, 2, 3, 3], 'int32'), 4).toFloat();
    const first = buildModel(schema);
    const weights = first.getWeights().map((w) => w.clone());
    first.dispose();
    const train = async (fused: boolean) => {
      const model = buildModel(schema);
      model.setWeights(weights);
      model.compile({
        optimizer: tf.train.sgd(0.5),
        loss: 'categoricalCrossentropy',
        metrics: [tf.metrics.categoricalAccuracy],
      });
      if (fused) assert.equal(useFusedLossHead(model), true);
      const values: number[][] = [];
      let kernels: string[] = [];
      for (let step = 0; step < 5; step++) {
        const profile = await tf.profile(async () => {
          const scalars = await trainStep(model, xs, ys);
          values.push(scalars.map((s) => s.dataSync()[0]));
          tf.dispose(scalars);
        });
        kernels = profile.kernels.map((k) => k.name);
      }
      const evaluated = (model.evaluate(xs, ys) as tf.Scalar[]).map((s) => s.dataSync()[0]);
      const config = (model as unknown as { getTrainingConfig(): { loss: unknown } }).getTrainingConfig();
      const final = model.getWeights().flatMap((w) => Array.from(w.dataSync()));
      model.dispose();
      return { values, kernels, evaluated, loss: config.loss, final };
    };
    const plain = await train(false);
    const fused = await train(true);
    assertNear(fused.values.flat(), plain.values.flat(), 1e-5, 'loss and accuracy per step');
    assert.ok(plain.values[4][0] < plain.values[0][0] - 0.05, `training lowered the loss: ${plain.values.join(' | ')}`);
    assertNear(fused.final, plain.final, 1e-5, 'weights after 5 steps');
    assertNear(fused.evaluated, plain.evaluated, 1e-5, 'evaluation');
    assert.equal(fused.loss, 'categorical_crossentropy');
    for (const name of [CROSS_ENTROPY_KERNEL, CROSS_ENTROPY_GRAD_KERNEL, ACCURACY_KERNEL, SOFTMAX_GRAD_KERNEL]) {
      assert.ok(fused.kernels.includes(name), `${name} in ${fused.kernels.join(', ')}`);
      assert.ok(!plain.kernels.includes(name) || name === SOFTMAX_GRAD_KERNEL, `${name} without the swap`);
    }
    assert.ok(
      fused.kernels.length <= plain.kernels.length - 15,
      `${fused.kernels.length} kernels a step against ${plain.kernels.length}`,
    );
    tf.dispose([xs, ys, ...weights]);
  });

  test("other losses stay tfjs-layers' own", () => {
    const model = buildModel(schema);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    assert.equal(useFusedLossHead(model), false);
    model.dispose();
  });
});
