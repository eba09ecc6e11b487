/**
 * Stitch's SIMD kernels (wasmSimd.wat) against the cpu backend, on shapes that reach each of their paths: the
 * blocks of 4 × 8 and their tails (4 output channels, one pixel, one input channel), padding, strides and
 * dilation. wasmKernels.test.ts runs the training gradients with and without them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '../../../src/server/training/backend';
import { createRandom } from '../../../src/server/random';
import { assertClose, onBackend, randomValues, size, type Shape4 } from '../../support/backendCompare';
import { simdKernels, useWasmSimd, useWinograd } from '../../../src/server/training/wasmSimd';
import { FusedAdamOptimizer, MOMENT_KERNEL } from '../../../src/server/training/webgpuAdam';

type Pad = 'same' | 'valid' | number;

before(async () => {
  await selectBackend('wasm', { threads: 1 });
  useWasmSimd(true);
});

after(() => {
  useWasmSimd(true);
});

describe('the SIMD kernels module', () => {
  test('wasmSimdBinary.ts is wasmSimd.wat compiled (run npm run build:simd after changing the .wat)', async () => {
    const { BINARY_PATH, renderBinaryModule } = await import('../../../scripts/build-wasm-simd.mjs');
    const expected = await renderBinaryModule();
    assert.ok(expected === readFileSync(BINARY_PATH, 'utf8'), 'wasmSimdBinary.ts is stale');
  });

  test('it instantiates on the wasm backend, and useWasmSimd(false) turns it off', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend();
    assert.ok(backend instanceof BackendWasm);
    assert.ok(simdKernels(backend), 'no SIMD kernels on this Node');
    useWasmSimd(false);
    assert.equal(simdKernels(backend), null);
    useWasmSimd(true);
  });
});

describe('conv2d on the SIMD kernel', () => {
  // [x, filter, strides, pad, dilations]; widths below 4 take the one-pixel blocks, Co 4 and 12 the 4-channel
  // ones, Ci 1, 3 and 5 the channel loop's shortest trips; 'same' and explicit pads skip border taps.
  const cases: [Shape4, Shape4, number | [number, number], Pad, number][] = [
    [[2, 9, 9, 3], [3, 3, 3, 8], 1, 'valid', 1],
    [[2, 9, 13, 5], [3, 3, 5, 12], 1, 'same', 1],
    [[2, 28, 28, 1], [3, 3, 1, 32], 1, 'valid', 1],
    [[3, 8, 7, 4], [3, 3, 4, 4], 2, 'same', 1],
    [[2, 9, 8, 2], [3, 2, 2, 16], [2, 1], 'valid', 1],
    [[2, 5, 3, 3], [3, 3, 3, 8], 1, 'same', 1],
    [[1, 4, 2, 2], [2, 2, 2, 4], 1, 'valid', 1],
    [[2, 6, 6, 3], [3, 3, 3, 8], 1, 2, 1],
    [[2, 11, 11, 4], [3, 3, 4, 8], 1, 'same', 2],
    [[2, 10, 9, 3], [2, 3, 3, 8], 1, 'valid', 2],
    [[1, 7, 7, 2], [5, 5, 2, 4], 2, 'same', 1],
    // One input channel (the filter gradient 4 taps at a time): 25 taps (6 blocks and one tap left) with
    // stride 2 and padding, 4 taps (one block), 3×3 with an explicit pad and 4 output channels.
    [[2, 9, 8, 1], [5, 5, 1, 12], 2, 'same', 1],
    [[3, 7, 6, 1], [2, 2, 1, 8], 1, 'valid', 1],
    [[2, 6, 6, 1], [3, 3, 1, 4], 1, 1, 1],
    // Winograd (3×3, stride 1, at least 8 channels summed over: Ci, or Co for the input gradient): outputs
    // whose last 4×4 tiles are partly used, padding on every side (2 with the input gradient's Winograd and
    // without it), Co 4 and 12 (the products' 4-channel blocks), one-pixel outputs, the convnet's second layer,
    // a batch of one, and 5 images transformed 4 at a time (then 1).
    [[2, 13, 13, 32], [3, 3, 32, 64], 1, 'valid', 1],
    [[5, 11, 11, 8], [3, 3, 8, 8], 1, 'valid', 1],
    [[3, 9, 8, 8], [3, 3, 8, 12], 1, 'same', 1],
    [[2, 6, 7, 12], [3, 3, 12, 8], 1, 'valid', 1],
    [[2, 5, 6, 8], [3, 3, 8, 4], 1, 2, 1],
    [[2, 5, 6, 8], [3, 3, 8, 8], 1, 2, 1],
    [[2, 3, 3, 8], [3, 3, 8, 8], 1, 'valid', 1],
    [[1, 1, 2, 16], [3, 3, 16, 8], 1, 'same', 1],
  ];
  for (const [xShape, wShape, strides, pad, dilations] of cases) {
    const name = `x ${xShape.join('×')}, filter ${wShape.join('×')}, strides ${String(strides)}, pad ${pad}, dilation ${dilations}`;
    test(name, async () => {
      const x = randomValues(size(xShape), 1);
      const w = randomValues(size(wShape), 2);
      const inputs: [Float32Array, number[]][] = [
        [x, xShape],
        [w, wShape],
      ];
      const conv = (xt: tf.Tensor, wt: tf.Tensor) => [
        tf.conv2d(xt as tf.Tensor4D, wt as tf.Tensor4D, strides, pad, 'NHWC', dilations),
      ];
      const [cpu] = await onBackend('cpu', inputs, conv);
      const [wasm] = await onBackend('wasm', inputs, conv);
      assertClose(wasm, cpu, 'conv2d');
      if (dilations > 1) return; // tfjs has no gradients for dilated convolutions
      const up = randomValues(cpu.length, 3);
      const grads = (xt: tf.Tensor, wt: tf.Tensor, upt: tf.Tensor) =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf
            .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad)
            .reshape(upt.shape)
            .mul(upt)
            .sum(),
        )([xt, wt]);
      const withUp: [Float32Array, number[]][] = [...inputs, [up, [up.length]]];
      const [cpuDx, cpuDw] = await onBackend('cpu', withUp, grads);
      const [wasmDx, wasmDw] = await onBackend('wasm', withUp, grads);
      assertClose(wasmDw, cpuDw, 'filter gradient');
      assertClose(wasmDx, cpuDx, 'input gradient');
    });
  }
});

describe('the Winograd kernels', () => {
  test("take the convnet's second layer (its results round differently from the direct kernel's), and turn off", async () => {
    const xShape: Shape4 = [2, 13, 13, 32];
    const wShape: Shape4 = [3, 3, 32, 64];
    const inputs: [Float32Array, number[]][] = [
      [randomValues(size(xShape), 11), xShape],
      [randomValues(size(wShape), 12), wShape],
      [randomValues(2 * 11 * 11 * 64, 13), [2, 11, 11, 64]],
    ];
    const all = (xt: tf.Tensor, wt: tf.Tensor, upt: tf.Tensor) => [
      tf.conv2d(xt as tf.Tensor4D, wt as tf.Tensor4D, 1, 'valid'),
      ...tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf
          .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid')
          .mul(upt)
          .sum(),
      )([xt, wt]),
    ];
    const winograd = await onBackend('wasm', inputs, all);
    useWinograd(false);
    try {
      const direct = await onBackend('wasm', inputs, all);
      ['convolution', 'input gradient', 'filter gradient'].forEach((what, i) => {
        assertClose(winograd[i], direct[i], what);
        assert.notDeepEqual(
          Array.from(winograd[i]),
          Array.from(direct[i]),
          `${what}: the Winograd kernel was not used`,
        );
      });
    } finally {
      useWinograd(true);
    }
  });
});

describe('conv2d beyond the SIMD kernel', () => {
  test("dimRoundingMode 'ceil' (output pixels past the padding) goes to the backend's kernel", async () => {
    const xShape: Shape4 = [1, 6, 6, 2];
    const wShape: Shape4 = [3, 3, 2, 4];
    const inputs: [Float32Array, number[]][] = [
      [randomValues(size(xShape), 7), xShape],
      [randomValues(size(wShape), 8), wShape],
    ];
    const conv = (xt: tf.Tensor, wt: tf.Tensor) => [
      tf.conv2d(xt as tf.Tensor4D, wt as tf.Tensor4D, 2, 1, 'NHWC', 1, 'ceil'),
    ];
    // tfjs-backend-wasm's own kernel does not agree with cpu here; what matters is that ours is not used (it
    // would read windows past x's border).
    const [ours] = await onBackend('wasm', inputs, conv);
    useWasmSimd(false);
    try {
      const [backends] = await onBackend('wasm', inputs, conv);
      assert.equal(ours.length, 4 * 4 * 4);
      assert.deepEqual(Array.from(ours), Array.from(backends));
    } finally {
      useWasmSimd(true);
    }
  });
});

describe('2×2 MaxPool, its gradient and column sums on the SIMD kernels', () => {
  // Channels 4, 7 and 8: whole vectors, and a vector plus three channels one at a time; odd sizes leave a
  // row and a column in no window.
  for (const shape of [
    [2, 6, 6, 4],
    [2, 7, 5, 7],
    [1, 4, 9, 8],
  ] as Shape4[]) {
    test(`maxPool 2×2 gradient on ${shape.join('×')} with ties, NaN and -Infinity`, async () => {
      const rand = createRandom(21);
      const x = Float32Array.from({ length: size(shape) }, () => {
        const r = rand();
        return r < 0.05 ? NaN : r < 0.1 ? -Infinity : Math.floor(r * 3);
      });
      const outShape = [shape[0], Math.floor(shape[1] / 2), Math.floor(shape[2] / 2), shape[3]];
      const up = randomValues(size(outShape), 22);
      const f = (xt: tf.Tensor, upt: tf.Tensor) => [
        tf.grad((a: tf.Tensor) =>
          tf
            .maxPool(a as tf.Tensor4D, 2, 2, 'valid')
            .mul(upt)
            .sum(),
        )(xt),
      ];
      const inputs: [Float32Array, number[]][] = [
        [x, shape],
        [up, outShape],
      ];
      const [cpu] = await onBackend('cpu', inputs, f);
      const [wasm] = await onBackend('wasm', inputs, f);
      assertClose(wasm, cpu, 'maxPool input gradient');
    });

    test(`maxPool 2×2 on ${shape.join('×')} with ties, NaN and -Infinity: the cpu backend's values`, async () => {
      const rand = createRandom(23);
      const x = Float32Array.from({ length: size(shape) }, () => {
        const r = rand();
        return r < 0.15 ? NaN : r < 0.2 ? -Infinity : r * 4 - 2;
      });
      // Windows of NaN only (cpu gives −Infinity) in the first two pixels' channels.
      for (const at of [0, shape[3], shape[2] * shape[3], (shape[2] + 1) * shape[3]]) x[at] = NaN;
      const f = (xt: tf.Tensor) => [tf.maxPool(xt as tf.Tensor4D, 2, 2, 'valid')];
      const [cpu] = await onBackend('cpu', [[x, shape]], f);
      const [wasm] = await onBackend('wasm', [[x, shape]], f);
      assert.deepEqual(Array.from(wasm), Array.from(cpu));
      assert.equal(cpu[0], -Infinity);
    });
  }

  test('maxPool beyond 2×2 with stride 2 (3×3, stride 1, same) goes to the backend and matches cpu', async () => {
    const shape: Shape4 = [2, 5, 6, 4];
    const x = randomValues(size(shape), 24);
    const f = (xt: tf.Tensor) => [tf.maxPool(xt as tf.Tensor4D, 3, 1, 'same')];
    const [cpu] = await onBackend('cpu', [[x, shape]], f);
    const [wasm] = await onBackend('wasm', [[x, shape]], f);
    assert.deepEqual(Array.from(wasm), Array.from(cpu));
  });

  // Widths with and without a scalar tail, and narrower than 4; rows not a multiple of 4 or of the 256-row
  // blocks; small sums (a 16-worker shard's bias gradients) as well as large ones.
  for (const shape of [
    [70, 31, 32],
    [4099, 19],
    [22000, 3],
    [9, 10000, 1],
    [4, 11, 11, 64],
    [4, 10],
    [3, 2],
  ]) {
    test(`sum of ${shape.join('×')} over its leading axes`, async () => {
      const x = randomValues(size(shape), 5);
      const axes = shape.slice(0, -1).map((_, i) => i);
      const f = (t: tf.Tensor) => [tf.sum(t, axes)];
      const [cpu] = await onBackend('cpu', [[x, shape]], f);
      const [wasm] = await onBackend('wasm', [[x, shape]], f);
      // The exact sums, in float64: the kernel adds float32 blocks in float64, closer than the cpu backend.
      const width = shape[shape.length - 1];
      const exact = new Float64Array(width);
      for (let i = 0; i < x.length; i++) exact[i % width] += x[i];
      assertClose(wasm, Float32Array.from(exact), 'sum against the exact sums');
      assertClose(wasm, cpu, 'sum against the cpu backend');
    });
  }
});

describe('additions and products with a row on the SIMD kernel', () => {
  // A convnet layer's bias, a row with a scalar tail, rows narrower than 4, the bias as either operand, a row
  // with leading ones (batch normalization's [1, 1, 1, C]), and broadcasts that are not a row along the last
  // axis (the backend's kernel).
  const cases: [number[], number[]][] = [
    [[4, 26, 26, 32], [32]],
    [[3, 5, 7], [7]],
    [[5, 3], [3]],
    [[6], [2, 6]],
    [[4, 1], [4]],
    [
      [2, 3, 4],
      [1, 4],
    ],
    [
      [3, 5, 5, 8],
      [1, 1, 1, 8],
    ],
    [
      [1, 1, 6],
      [2, 5, 6],
    ],
    [
      [2, 3],
      [2, 1],
    ],
  ];
  for (const [aShape, bShape] of cases) {
    test(`${aShape.join('×')} + ${bShape.join('×')}`, async () => {
      const inputs: [Float32Array, number[]][] = [
        [randomValues(size(aShape), 31), aShape],
        [randomValues(size(bShape), 32), bShape],
      ];
      const f = (a: tf.Tensor, b: tf.Tensor) => [tf.add(a, b), tf.mul(a, b)];
      const cpu = await onBackend('cpu', inputs, f);
      const wasm = await onBackend('wasm', inputs, f);
      // The same float32 operations: equal, not merely close.
      assert.deepEqual(
        wasm.map((v) => Array.from(v)),
        cpu.map((v) => Array.from(v)),
      );
    });
  }
});

describe('Adam on the SIMD kernels', () => {
  /** Five Adam steps on variables of sizes with and without a scalar tail; the values after each step. */
  async function steps(optimizer: tf.Optimizer): Promise<{ values: Float32Array[]; kernels: string[] }> {
    await tf.setBackend('wasm');
    const shapes = [[3, 5, 4], [7], [2, 2], [5], [3, 3], [11], [2, 7], [15]];
    const variables = shapes.map((shape, i) =>
      tf.variable(tf.tensor(randomValues(size(shape), 40 + i), shape), true, `w${i}`),
    );
    const values: Float32Array[] = [];
    const kernels = new Set<string>();
    for (let step = 0; step < 5; step++) {
      const gradients: tf.NamedTensorMap = {};
      shapes.forEach((shape, i) => {
        // Gradients over several magnitudes, so that every operation's rounding shows.
        gradients[`w${i}`] = tf.tensor(
          randomValues(size(shape), 100 * step + i).map((g, j) => g * 10 ** ((j % 5) - 3)),
          shape,
        );
      });
      const profile = await tf.profile(() => {
        optimizer.applyGradients(gradients);
      });
      profile.kernelNames.forEach((name) => kernels.add(name));
      tf.dispose(Object.values(gradients));
      for (const v of variables) values.push(v.dataSync() as Float32Array);
    }
    tf.dispose(variables);
    optimizer.dispose();
    return { values, kernels: [...kernels] };
  }

  test('FusedAdamOptimizer on wasm runs the fused kernels and gives the weights of tfjs Adam bit for bit', async () => {
    const tfjs = await steps(tf.train.adam(0.01, 0.9, 0.999, 1e-7));
    const fused = await steps(new FusedAdamOptimizer(0.01, 0.9, 0.999, 1e-7));
    assert.ok(fused.kernels.includes(MOMENT_KERNEL), `kernels run: ${fused.kernels.join(', ')}`);
    assert.ok(!tfjs.kernels.includes(MOMENT_KERNEL));
    assert.equal(fused.values.length, tfjs.values.length);
    fused.values.forEach((values, i) => {
      assert.deepEqual(Array.from(values), Array.from(tfjs.values[i]), `values after update ${i}`);
    });
  });

  test('without the SIMD kernels FusedAdamOptimizer is tfjs Adam on wasm', async () => {
    useWasmSimd(false);
    try {
      const fused = await steps(new FusedAdamOptimizer(0.01, 0.9, 0.999, 1e-7));
      assert.ok(!fused.kernels.includes(MOMENT_KERNEL));
    } finally {
      useWasmSimd(true);
    }
  });
});

describe('batch normalization with per-channel statistics on the SIMD kernel', () => {
  // A batch-normalized convnet's shape, a scalar tail (6 channels), statistics as [1, 1, 1, C], no offset and
  // no scale, and statistics per value (the backend's kernel).
  const cases: { x: number[]; stats: number[]; offset: boolean; scale: boolean }[] = [
    { x: [4, 5, 5, 8], stats: [8], offset: true, scale: true },
    { x: [3, 7, 6], stats: [6], offset: true, scale: true },
    { x: [2, 3, 3, 4], stats: [1, 1, 1, 4], offset: true, scale: true },
    { x: [5, 8], stats: [8], offset: false, scale: false },
    { x: [2, 4], stats: [2, 4], offset: true, scale: true },
  ];
  for (const c of cases) {
    const what = `${c.x.join('×')} with statistics ${c.stats.join('×')}${c.offset ? '' : ', no offset or scale'}`;
    test(what, async () => {
      const n = size(c.stats);
      const inputs: [Float32Array, number[]][] = [
        [randomValues(size(c.x), 41), c.x],
        [randomValues(n, 42), c.stats],
        // Variances in [0.5, 1.5).
        [randomValues(n, 43).map((v) => v / 2 + 1), c.stats],
        [randomValues(n, 44), c.stats],
        [randomValues(n, 45), c.stats],
      ];
      const f = (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor) => [
        tf.batchNorm(x, mean, variance, c.offset ? offset : undefined, c.scale ? scale : undefined, 1e-3),
      ];
      const [cpu] = await onBackend('cpu', inputs, f);
      const [wasm] = await onBackend('wasm', inputs, f);
      assertClose(wasm, cpu, 'batchNorm');
    });
  }
});
