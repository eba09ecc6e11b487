/**
 * The wasm training kernels against the cpu backend's: the same inputs, gradients by tf.grads on both
 * backends, compared within float32 tolerance.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/server/training/backend';
import { createRandom } from '../../../src/server/random';
import { assertClose, onBackend, randomValues, size, type Shape4 } from '../../support/backendCompare';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2DBackpropFilter, samplesPerChunk } from '../../../src/server/training/wasmConvFilter';
import { conv2DBackpropInputByCol2im } from '../../../src/server/training/wasmConvInput';
import { planMatMul } from '../../../src/server/training/wasmMatMul';
import { useWasmSimd } from '../../../src/server/training/wasmSimd';

type Pad = 'same' | 'valid';

/** Gradients of Σ(op(x, w) · upstream) with respect to x and w, on wasm and on cpu. */
async function compareGrads(
  what: string,
  xShape: Shape4,
  wShape: Shape4,
  op: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor,
) {
  const x = randomValues(size(xShape), 1);
  const w = randomValues(size(wShape), 2);
  const outShape = tf.tidy(
    () => op(tf.zeros(xShape) as tf.Tensor4D, tf.zeros(wShape) as tf.Tensor4D).shape as number[],
  );
  const up = randomValues(size(outShape), 3);
  const f = (xt: tf.Tensor, wt: tf.Tensor, upt: tf.Tensor) =>
    tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      op(a as tf.Tensor4D, b as tf.Tensor4D)
        .mul(upt)
        .sum(),
    )([xt, wt]);
  const inputs: [Float32Array, number[]][] = [
    [x, xShape],
    [w, wShape],
    [up, outShape],
  ];
  const [cpuDx, cpuDw] = await onBackend('cpu', inputs, f);
  const [wasmDx, wasmDw] = await onBackend('wasm', inputs, f);
  assertClose(wasmDw, cpuDw, `${what} filter gradient`);
  assertClose(wasmDx, cpuDx, `${what} input gradient`);
}

before(async () => {
  await selectBackend('wasm');
});

// Every case twice: with Stitch's SIMD kernels (wasmSimd.ts, the default) and without them, the paths an
// engine without wasm SIMD (or STITCH_WASM_SIMD=off) takes.
for (const simd of [true, false]) {
  describe(simd ? 'with the SIMD kernels' : 'without the SIMD kernels', () => {
    before(() => {
      useWasmSimd(simd);
    });
    after(() => {
      useWasmSimd(true);
    });

    describe('Conv2DBackpropFilter on wasm', () => {
      const cases: { x: Shape4; w: Shape4; strides: number | [number, number]; pad: Pad | number }[] = [
        { x: [2, 7, 7, 1], w: [3, 3, 1, 4], strides: 1, pad: 'valid' },
        { x: [2, 7, 6, 3], w: [3, 2, 3, 5], strides: 1, pad: 'same' },
        { x: [3, 8, 8, 2], w: [3, 3, 2, 4], strides: 2, pad: 'same' },
        { x: [3, 9, 8, 2], w: [3, 3, 2, 4], strides: 2, pad: 'valid' },
        { x: [2, 6, 6, 2], w: [3, 3, 2, 3], strides: 2, pad: 'valid' }, // the last row and column are unused
        { x: [2, 9, 7, 2], w: [5, 3, 2, 2], strides: [3, 2], pad: 'same' },
        { x: [1, 5, 5, 2], w: [2, 2, 2, 3], strides: 1, pad: 1 },
        { x: [4, 28, 28, 1], w: [3, 3, 1, 8], strides: 1, pad: 'valid' },
        // KH·KW·Ci ≤ Co: the im2col path (the others take the transposed convolution).
        { x: [4, 28, 28, 1], w: [3, 3, 1, 16], strides: 1, pad: 'valid' },
        { x: [2, 7, 6, 1], w: [3, 3, 1, 9], strides: 1, pad: 'same' },
        { x: [3, 8, 8, 2], w: [2, 2, 2, 8], strides: 2, pad: 'same' },
        { x: [2, 6, 6, 1], w: [3, 3, 1, 10], strides: 2, pad: 'valid' }, // the last row and column are unused
        { x: [2, 9, 7, 1], w: [5, 3, 1, 16], strides: [3, 2], pad: 'same' },
        { x: [1, 5, 6, 1], w: [3, 3, 1, 9], strides: 1, pad: 1 }, // square: tfjs sizes numeric padding by the filter height
        { x: [2, 5, 5, 2], w: [1, 1, 2, 3], strides: 1, pad: 'valid' },
        // Padding beyond KH − 1: the input gradient's col2im path (as for every stride > 1).
        { x: [2, 5, 5, 2], w: [3, 3, 2, 3], strides: 1, pad: 3 },
      ];
      for (const c of cases) {
        test(`x ${c.x.join('×')}, filter ${c.w.join('×')}, strides ${c.strides}, pad ${c.pad}`, async () => {
          await compareGrads('conv2d', c.x, c.w, (x, w) => tf.conv2d(x, w, c.strides, c.pad));
        });
      }

      // 9 values per pixel: a limit of two samples' columns (plus a little) makes 5 samples take 3 chunks.
      const chunkCases: { x: Shape4; w: Shape4; strides: number; pad: Pad }[] = [
        { x: [5, 8, 8, 1], w: [3, 3, 1, 12], strides: 1, pad: 'valid' },
        { x: [3, 7, 7, 1], w: [3, 3, 1, 12], strides: 2, pad: 'same' },
      ];
      for (const c of chunkCases) {
        test(`im2col and col2im in chunks of samples: x ${c.x.join('×')}, strides ${c.strides}`, async () => {
          const info = tf.backend_util.computeConv2DInfo(c.x, c.w, c.strides, 1, c.pad);
          const chunkFloats = 9 * info.outHeight * info.outWidth * 2 + 5;
          assert.equal(samplesPerChunk(info, chunkFloats), 2);
          const x = randomValues(size(c.x), 1);
          const w = randomValues(size(c.w), 2);
          const dyShape = [c.x[0], info.outHeight, info.outWidth, c.w[3]];
          const dy = randomValues(size(dyShape), 3);
          const inputs: [Float32Array, number[]][] = [
            [x, c.x],
            [w, c.w],
            [dy, dyShape],
          ];
          const [cpuDx, cpuDw] = await onBackend('cpu', inputs, (xt, wt, upt) =>
            tf.grads((a: tf.Tensor, b: tf.Tensor) =>
              tf
                .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad)
                .mul(upt)
                .sum(),
            )([xt, wt]),
          );
          const [wasmDw, wasmDx] = await onBackend('wasm', inputs, (xt, wt, dyt) => {
            const backend = tf.backend();
            assert.ok(backend instanceof BackendWasm);
            const attrs = { strides: c.strides, pad: c.pad, filterShape: c.w };
            const dw = conv2DBackpropFilter({ inputs: { x: xt, dy: dyt }, backend, attrs }, chunkFloats);
            const dx = conv2DBackpropInputByCol2im(backend, dyt, wt, info, chunkFloats);
            return [dw, dx].map((out) => tf.engine().makeTensorFromTensorInfo(out));
          });
          assertClose(wasmDw, cpuDw, 'chunked filter gradient');
          assertClose(wasmDx, cpuDx, 'chunked input gradient');
        });
      }
    });

    describe('depthwise backprops on wasm', () => {
      const cases: { x: Shape4; w: Shape4; strides: number; pad: Pad }[] = [
        { x: [2, 7, 7, 3], w: [3, 3, 3, 1], strides: 1, pad: 'same' },
        { x: [2, 7, 7, 3], w: [3, 3, 3, 2], strides: 1, pad: 'valid' },
        { x: [2, 8, 9, 2], w: [3, 3, 2, 3], strides: 2, pad: 'same' },
        { x: [2, 8, 8, 4], w: [2, 3, 4, 2], strides: 2, pad: 'valid' },
      ];
      for (const c of cases) {
        test(`x ${c.x.join('×')}, filter ${c.w.join('×')} (multiplier ${c.w[3]}), strides ${c.strides}, pad ${c.pad}`, async () => {
          await compareGrads('depthwiseConv2d', c.x, c.w, (x, w) => tf.depthwiseConv2d(x, w, c.strides, c.pad));
        });
      }

      // tfjs refuses gradients of dilated convolutions, so the kernels are called directly and compared with the
      // gradients of the same convolution written with an undilated filter that has zeros between its taps.
      for (const pad of ['same', 'valid'] as const) {
        test(`dilation 2, pad ${pad}, called as kernels`, async () => {
          const xShape: Shape4 = [2, 9, 9, 2];
          const wShape: Shape4 = [2, 3, 2, 2];
          const wideShape: Shape4 = [3, 5, 2, 2];
          const x = randomValues(size(xShape), 4);
          const w = randomValues(size(wShape), 5);
          const wide = new Float32Array(size(wideShape));
          for (let kh = 0; kh < 2; kh++)
            for (let kw = 0; kw < 3; kw++)
              for (let j = 0; j < 4; j++) wide[(kh * 2 * 5 + kw * 2) * 4 + j] = w[(kh * 3 + kw) * 4 + j];
          const outShape = tf.tidy(
            () => tf.depthwiseConv2d(tf.zeros(xShape) as tf.Tensor4D, tf.zeros(wideShape) as tf.Tensor4D, 1, pad).shape,
          );
          const up = randomValues(size(outShape), 6);
          const [cpuDx, cpuDwide] = await onBackend(
            'cpu',
            [
              [x, xShape],
              [wide, wideShape],
              [up, outShape],
            ],
            (xt, wt, upt) =>
              tf.grads((a: tf.Tensor, b: tf.Tensor) =>
                tf
                  .depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad)
                  .mul(upt)
                  .sum(),
              )([xt, wt]),
          );
          const [wasmDw, wasmDx] = await onBackend(
            'wasm',
            [
              [x, xShape],
              [w, wShape],
              [up, outShape],
            ],
            (xt, wt, dy) => [
              tf
                .engine()
                .runKernel(
                  'DepthwiseConv2dNativeBackpropFilter',
                  { x: xt, dy },
                  { strides: 1, pad, dilations: 2, filterShape: wShape },
                ) as tf.Tensor,
              tf
                .engine()
                .runKernel(
                  'DepthwiseConv2dNativeBackpropInput',
                  { dy, filter: wt },
                  { strides: 1, pad, dilations: 2, inputShape: xShape },
                ) as tf.Tensor,
            ],
          );
          const expectedDw = new Float32Array(size(wShape));
          for (let kh = 0; kh < 2; kh++)
            for (let kw = 0; kw < 3; kw++)
              for (let j = 0; j < 4; j++) expectedDw[(kh * 3 + kw) * 4 + j] = cpuDwide[(kh * 2 * 5 + kw * 2) * 4 + j];
          assertClose(wasmDw, expectedDw, 'dilated filter gradient');
          assertClose(wasmDx, cpuDx, 'dilated input gradient');
        });
      }
    });

    describe('other training gradients on wasm', () => {
      test('separableConv2d (depthwise then pointwise)', async () => {
        const pointwise = randomValues(6 * 4, 9);
        await compareGrads('separableConv2d', [2, 8, 8, 3], [3, 3, 3, 2], (x, w) =>
          tf.separableConv2d(x, w, tf.tensor4d(pointwise, [1, 1, 6, 4]), 1, 'same'),
        );
      });
      // Pool configurations: [input shape, pool size, strides, padding]; 3×3/1 'same' has overlapping windows.
      const pools: [Shape4, number, number, Pad][] = [
        [[1, 4, 4, 1], 2, 2, 'valid'],
        [[2, 7, 7, 3], 2, 2, 'valid'],
        [[2, 7, 7, 3], 3, 2, 'same'],
        [[2, 7, 7, 3], 3, 1, 'same'],
        [[2, 6, 5, 2], 2, 1, 'valid'],
      ];
      // Ties (the first maximum in row-major order takes the gradient), NaN and −Infinity (never a maximum).
      // Width 6: 2×2 windows tile the input; width 7: the last column is in no window.
      for (const [poolSize, strides, pad, width] of [
        [2, 2, 'valid', 7],
        [2, 2, 'valid', 6],
        [3, 2, 'same', 7],
        [2, 1, 'valid', 7],
      ] as const) {
        test(`maxPool ${poolSize}×${poolSize}, strides ${strides}, pad ${pad} on width ${width} with ties, NaN and -Infinity`, async () => {
          const shape: Shape4 = [2, 6, width, 3];
          const rand = createRandom(21);
          const x = Float32Array.from({ length: size(shape) }, () => {
            const r = rand();
            return r < 0.05 ? NaN : r < 0.1 ? -Infinity : Math.floor(r * 3);
          });
          const outShape = tf.tidy(() => tf.maxPool(tf.zeros(shape) as tf.Tensor4D, poolSize, strides, pad).shape);
          const up = randomValues(size(outShape), 22);
          const f = (xt: tf.Tensor, upt: tf.Tensor) => [
            tf.grad((a: tf.Tensor) =>
              tf
                .maxPool(a as tf.Tensor4D, poolSize, strides, pad)
                .mul(upt)
                .sum(),
            )(xt),
          ];
          const [cpu] = await onBackend(
            'cpu',
            [
              [x, shape],
              [up, outShape],
            ],
            f,
          );
          const [wasm] = await onBackend(
            'wasm',
            [
              [x, shape],
              [up, outShape],
            ],
            f,
          );
          assertClose(wasm, cpu, 'maxPool input gradient');
        });
      }
      for (const [shape, poolSize, strides, pad] of pools) {
        test(`maxPool ${poolSize}×${poolSize}, strides ${strides}, pad ${pad} on ${shape.join('×')}`, async () => {
          await compareGrads('maxPool', shape, [1, 1, shape[3], shape[3]], (x, w) =>
            tf.maxPool(tf.conv2d(x, w, 1, 'valid'), poolSize, strides, pad),
          );
        });
        test(`avgPool ${poolSize}×${poolSize}, strides ${strides}, pad ${pad} on ${shape.join('×')}`, async () => {
          // The reference is the gradient of the definition on cpu: window sums (a depthwise convolution with a
          // ones filter) divided by the number of real, unpadded pixels in each window.
          const channels = shape[3];
          const reference = (x: tf.Tensor4D) => {
            const ones = tf.ones([poolSize, poolSize, channels, 1]) as tf.Tensor4D;
            const sums = tf.depthwiseConv2d(x, ones, strides, pad);
            const counts = tf.depthwiseConv2d(tf.onesLike(x), ones, strides, pad);
            return sums.div(counts);
          };
          const x = randomValues(size(shape), 7);
          const outShape = tf.tidy(() => tf.avgPool(tf.zeros(shape) as tf.Tensor4D, poolSize, strides, pad).shape);
          const up = randomValues(size(outShape), 8);
          const inputs: [Float32Array, number[]][] = [
            [x, shape],
            [up, outShape],
          ];
          const [cpuY, cpuDx] = await onBackend('cpu', inputs, (xt, upt) => [
            reference(xt as tf.Tensor4D),
            tf.grad((a: tf.Tensor) =>
              reference(a as tf.Tensor4D)
                .mul(upt)
                .sum(),
            )(xt),
          ]);
          const [wasmY, wasmDx] = await onBackend('wasm', inputs, (xt, upt) => [
            tf.avgPool(xt as tf.Tensor4D, poolSize, strides, pad),
            tf.grad((a: tf.Tensor) =>
              tf
                .avgPool(a as tf.Tensor4D, poolSize, strides, pad)
                .mul(upt)
                .sum(),
            )(xt),
          ]);
          assertClose(wasmY, cpuY, 'avgPool forward');
          assertClose(wasmDx, cpuDx, 'avgPool input gradient');
        });
      }
    });

    describe('sums and means over leading axes on wasm (bias gradients, batch normalization)', () => {
      const cases: { shape: number[]; axis: number[]; keepDims: boolean }[] = [
        { shape: [4, 5, 6, 3], axis: [0, 1, 2], keepDims: false },
        { shape: [4, 5, 6, 3], axis: [0, 1], keepDims: true },
        { shape: [7, 3], axis: [0], keepDims: false },
        { shape: [2, 3, 4], axis: [-3, -2], keepDims: false },
        { shape: [2, 3, 4], axis: [1, 2], keepDims: false }, // trailing axes: the backend's own kernel
        // ≥ 65,536 values: summed as a matrix product where there is no SIMD.
        { shape: [16, 26, 26, 8], axis: [0, 1, 2], keepDims: false },
        { shape: [40, 30, 60], axis: [0, 1], keepDims: true },
        { shape: [3, 30000], axis: [0], keepDims: false },
      ];
      for (const c of cases) {
        test(`sum and mean of ${c.shape.join('×')} over [${c.axis}]${c.keepDims ? ', keepDims' : ''}`, async () => {
          const x = randomValues(size(c.shape), 12);
          const f = (t: tf.Tensor) => [tf.sum(t, c.axis, c.keepDims), tf.mean(t, c.axis, c.keepDims)];
          const [cpuSum, cpuMean] = await onBackend('cpu', [[x, c.shape]], f);
          const [wasmSum, wasmMean] = await onBackend('wasm', [[x, c.shape]], f);
          assertClose(wasmSum, cpuSum, 'sum');
          // Means of values in [−1, 1) are small: compare on their own scale.
          const scale = Math.max(...Array.from(cpuMean, Math.abs));
          assertClose(
            wasmMean.map((v) => v / scale),
            cpuMean.map((v) => v / scale),
            'mean',
          );
          await tf.setBackend('wasm');
          assert.deepEqual(
            tf.tidy(() => tf.sum(tf.zeros(c.shape), c.axis, c.keepDims).shape),
            tf.tidy(() => {
              const expected = c.shape.map((d, i) =>
                c.axis.map((a) => (a < 0 ? a + c.shape.length : a)).includes(i) ? (c.keepDims ? 1 : 0) : d,
              );
              return expected.filter((d) => d !== 0);
            }),
          );
        });
      }
    });

    describe('Tile on wasm (block copies)', () => {
      // Batch normalization's per-channel terms over a batch, each axis repeated, ones, rank 1, a row repeated
      // in place, integers and booleans, and an empty output.
      const cases: { shape: number[]; reps: number[]; dtype?: 'int32' | 'bool' }[] = [
        { shape: [1, 1, 1, 8], reps: [3, 4, 5, 1] },
        { shape: [2, 3, 4], reps: [2, 3, 2] },
        { shape: [2, 1, 3], reps: [1, 4, 1] },
        { shape: [5], reps: [3] },
        { shape: [3, 2], reps: [1, 1] },
        { shape: [2, 3], reps: [2, 2], dtype: 'int32' },
        { shape: [2, 2], reps: [3, 1], dtype: 'bool' },
        { shape: [2, 3], reps: [0, 2] },
      ];
      for (const c of cases) {
        test(`${c.shape.join('×')} tiled ${c.reps.join('×')}${c.dtype ? ` (${c.dtype})` : ''}`, async () => {
          const x = Float32Array.from({ length: size(c.shape) }, (_, i) => (c.dtype === 'bool' ? i % 2 : i + 1));
          const f = (t: tf.Tensor) => [tf.tile(c.dtype ? tf.cast(t, c.dtype) : t, c.reps)];
          const [cpu] = await onBackend('cpu', [[x, c.shape]], f);
          const [wasm] = await onBackend('wasm', [[x, c.shape]], f);
          assert.deepEqual(Array.from(wasm), Array.from(cpu));
          assert.equal(cpu.length, size(c.shape.map((d, i) => d * c.reps[i])));
        });
      }
    });

    describe('Identity and Cast on wasm share memory', () => {
      test('a clone or same-dtype cast keeps its values after the original is disposed; real casts convert', async () => {
        await tf.setBackend('wasm');
        const buffers = () => tf.backend().numDataIds();
        const before = buffers();
        const x = tf.tensor([1.5, -2.25, 3], [3]);
        const clone = x.clone();
        const same = tf.cast(x, 'float32');
        const asInt = tf.cast(x, 'int32');
        // Two buffers on the heap: x's, shared by clone and same, and asInt's.
        assert.equal(buffers() - before, 2);
        x.dispose();
        assert.deepEqual(Array.from(clone.dataSync()), [1.5, -2.25, 3]);
        assert.deepEqual(Array.from(same.dataSync()), [1.5, -2.25, 3]);
        assert.deepEqual(Array.from(asInt.dataSync()), [1, -2, 3]);
        assert.equal(asInt.dtype, 'int32');
        clone.dispose();
        assert.deepEqual(Array.from(same.dataSync()), [1.5, -2.25, 3]);
        same.dispose();
        asInt.dispose();
        assert.equal(buffers(), before);
      });

      test('a variable assigned a clone keeps its value when the source is disposed', async () => {
        await tf.setBackend('wasm');
        const v = tf.variable(tf.zeros([2]));
        const source = tf.tensor([4, 5]);
        v.assign(source.clone());
        source.dispose();
        assert.deepEqual(Array.from(v.dataSync()), [4, 5]);
        v.dispose();
      });
    });

    describe('matrix products on wasm', () => {
      test('planMatMul packs the smaller operand: a dense forward swaps, its weight gradient does not', () => {
        assert.equal(planMatMul(64, 784, 256, false, false), 'swapped'); // x × W
        assert.equal(planMatMul(784, 64, 256, true, false), 'direct'); // xᵀ × dy
        assert.equal(planMatMul(64, 256, 784, false, true), 'swapped'); // dy × Wᵀ
        assert.equal(planMatMul(43264, 32, 9, false, false), 'direct');
      });

      // [a shape, b shape, transposeA, transposeB]: both plans, every transpose flag, ranks 2 and 3, batch 2.
      const cases: [number[], number[], boolean, boolean][] = [
        [[8, 50], [50, 40], false, false],
        [[50, 8], [50, 40], true, false],
        [[8, 50], [40, 50], false, true],
        [[50, 8], [40, 50], true, true],
        [[40, 50], [50, 8], false, false],
        [[1, 8, 50], [1, 50, 40], false, false],
        [[8, 50], [1, 50, 40], false, false],
        [[2, 8, 50], [2, 50, 40], false, false],
        [[2, 50, 8], [2, 40, 50], true, true],
      ];
      for (const [aShape, bShape, transposeA, transposeB] of cases) {
        test(`${aShape.join('×')}${transposeA ? 'ᵀ' : ''} by ${bShape.join('×')}${transposeB ? 'ᵀ' : ''}`, async () => {
          const a = randomValues(size(aShape), 31);
          const b = randomValues(size(bShape), 32);
          const f = (at: tf.Tensor, bt: tf.Tensor) => [tf.matMul(at, bt, transposeA, transposeB)];
          const [cpu] = await onBackend(
            'cpu',
            [
              [a, aShape],
              [b, bShape],
            ],
            f,
          );
          const [wasm] = await onBackend(
            'wasm',
            [
              [a, aShape],
              [b, bShape],
            ],
            f,
          );
          assertClose(wasm, cpu, 'matMul');
          await tf.setBackend('wasm');
          const shape = tf.tidy(() => tf.matMul(tf.zeros(aShape), tf.zeros(bShape), transposeA, transposeB).shape);
          await tf.setBackend('cpu');
          assert.deepEqual(
            shape,
            tf.tidy(() => tf.matMul(tf.zeros(aShape), tf.zeros(bShape), transposeA, transposeB).shape),
          );
        });
      }
    });
  });
}
