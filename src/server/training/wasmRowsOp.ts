/**
 * Element-wise Add and Multiply of x [..., C] with a vector along the last axis (b [C], or [1, …, 1, C]; either
 * order), float32, on our SIMD kernel (wasmSimd.wat's `rowsOp`), and batch normalization with per-channel
 * statistics (`batchNormRows`). Every convolution layer's forward pass adds its
 * bias that way where it is not fused (fusedLayers.ts), and batch normalization multiplies by per-channel factors
 * forward and backward; the backend broadcasts both through a generic index loop (0.74 ms against 0.24 for the
 * Keras convnet's first layer's bias; 3.3 ms against ~0.5 for a product of examples/fashion-cnn). The same float32
 * operations, so the same values. Anything else, or no SIMD, goes to the backend's kernel.
 *
 * FusedBatchNorm with per-channel mean, variance, offset and scale (what a batchNormalization layer passes) took
 * 7.5 ms for examples/fashion-cnn's `[64, 28, 28, 32]` on the backend; here each channel's factor scale / √(variance
 * + ε) is computed once (in float64, as the cpu backend computes it per value) and every value is (x − mean) ·
 * factor + offset in float32: within a few float32 roundings of the backends' values.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset } from './wasmRun';
import { simdKernels } from './wasmSimd';

type Info = tf.TensorInfo;

/** `rowsOp`'s operations (wasmSimd.wat). */
export const ROWS_ADD = 0;
export const ROWS_ADD_RELU = 1;
export const ROWS_MULTIPLY = 2;

/**
 * Which input is the vector along the other's last axis (`[C]`, or ones then C, of no higher rank), or null where
 * the shapes are anything else.
 */
function rowsOf(a: Info, b: Info): { x: Info; row: Info } | null {
  const fits = (x: Info, row: Info) => {
    const width = x.shape[x.shape.length - 1];
    const last = row.shape.length - 1;
    return (
      x.shape.length >= 2 &&
      row.shape.length >= 1 &&
      row.shape.length <= x.shape.length &&
      row.shape[last] === width &&
      row.shape.every((d, i) => i === last || d === 1)
    );
  };
  if (fits(a, b)) return { x: a, row: b };
  if (fits(b, a)) return { x: b, row: a };
  return null;
}

/** The backend's Add or Multiply, with x [..., C] ∘ a row [C] on the SIMD kernel (`op`: ROWS_ADD or ROWS_MULTIPLY). */
export function withSimdRows(op: number): (original: tf.KernelFunc) => tf.KernelFunc {
  return (original) =>
    ((args: { inputs: { a: Info; b: Info }; backend: BackendWasm; attrs: object }) => {
      const { inputs, backend } = args;
      const pair = inputs.a.dtype === 'float32' && inputs.b.dtype === 'float32' ? rowsOf(inputs.a, inputs.b) : null;
      const simd = pair ? simdKernels(backend) : null;
      if (!pair || !simd) return original(args as never);
      const width = pair.x.shape[pair.x.shape.length - 1];
      const out = backend.makeOutput(pair.x.shape, 'float32');
      if (width === 0 || pair.x.shape.some((d) => d === 0)) return out;
      const offset = (info: Info) => heapOffset(backend, info);
      const rows = tf.util.sizeFromShape(pair.x.shape) / width;
      simd.rowsOp(offset(out), offset(pair.x), offset(pair.row), rows, width, op);
      return out;
    }) as unknown as tf.KernelFunc;
}

/** Whether a tensor is per-channel: float32, shape [C] or [1, …, 1, C]. */
function perChannel(info: Info | undefined, width: number): info is Info {
  if (info?.dtype !== 'float32') return false;
  const last = info.shape.length - 1;
  return last >= 0 && info.shape[last] === width && info.shape.every((d, i) => i === last || d === 1);
}

interface BatchNormArgs {
  inputs: { x: Info; mean: Info; variance: Info; offset?: Info; scale?: Info };
  backend: BackendWasm;
  attrs: { varianceEpsilon: number };
}

/** The backend's FusedBatchNorm, with per-channel statistics on the SIMD kernel (see above). */
export function withSimdBatchNorm(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: BatchNormArgs): Info => {
    const { inputs, backend, attrs } = args;
    const { x, mean, variance, offset, scale } = inputs;
    const width = x.shape[x.shape.length - 1];
    const fits =
      x.dtype === 'float32' &&
      width > 0 &&
      perChannel(mean, width) &&
      perChannel(variance, width) &&
      (!offset || perChannel(offset, width)) &&
      (!scale || perChannel(scale, width));
    const simd = fits ? simdKernels(backend) : null;
    if (!simd) return original(args) as Info;
    const out = backend.makeOutput(x.shape, 'float32');
    if (tf.util.sizeFromShape(x.shape) === 0) return out;
    // [factor, offset] for the kernel, in the backend's memory.
    const terms = backend.makeOutput([2, width], 'float32');
    // Views only after every allocation: growing the wasm memory detaches earlier ones.
    const view = (info: Info) => backend.typedArrayFromHeap(info) as Float32Array;
    const values = view(terms);
    const v = view(variance);
    const s = scale ? view(scale) : null;
    const o = offset ? view(offset) : null;
    for (let c = 0; c < width; c++) {
      values[c] = (s ? s[c] : 1) / Math.sqrt(v[c] + attrs.varianceEpsilon);
      values[width + c] = o ? o[c] : 0;
    }
    const rows = tf.util.sizeFromShape(x.shape) / width;
    const factors = heapOffset(backend, terms);
    simd.batchNormRows(
      heapOffset(backend, out),
      heapOffset(backend, x),
      heapOffset(backend, mean),
      factors,
      factors + width * 4,
      rows,
      width,
    );
    backend.disposeData(terms.dataId);
    return out;
  }) as unknown as tf.KernelFunc;
}
