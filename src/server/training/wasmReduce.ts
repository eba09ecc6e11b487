/**
 * A faster Sum over leading axes on wasm. The gradient of every bias (dense and conv) sums dy over all
 * axes but the last, e.g. `[64, 26, 26, 32] → [32]`; the backend transposes the reduced axes to the end
 * before summing, which costs ~3× more than summing rows in place. Other reductions go to the backend.
 *
 * Every such sum goes to the SIMD kernel `columnSums` (wasmSimd.ts: rows summed in place, float32 blocks
 * added in float64; the JS loop took 0.1 ms of a 3.5 ms step for `[4, 11, 11, 64]`, a 16-worker shard's).
 * Without it large sums are a matrix product: xᵀ [C, rows] × ones [rows, 1] on the backend's XNNPACK kernel,
 * after the backend's transpose (BatchMatMul packs its right operand on every call, so that must be the small
 * ones vector), ~40 % less CPU time than the JS loop for `[64, 26, 26, 32]`. Small sums keep the loop and its
 * float64 accumulator.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdKernels } from './wasmSimd';
import { heapOffset, runWasmKernel } from './wasmRun';

type Info = tf.TensorInfo;
interface KernelArgs {
  inputs: { x: Info };
  backend: BackendWasm;
  attrs: { axis: number | number[]; keepDims?: boolean };
}

/** A float32 reduction over leading axes (0…k−1, some but not all of x's) as x seen as `[rows, width]`. */
export interface LeadingReduction {
  rows: number;
  width: number;
  /** The reduction's output shape (with 1s for the reduced axes where `keepDims`). */
  outShape: number[];
}

/** The reduction of `x` over `axis` as a LeadingReduction, or null where it is anything else (wasm and webgpu). */
export function leadingReduction(x: Info, axis: number | number[], keepDims = false): LeadingReduction | null {
  const rank = x.shape.length;
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  if (x.dtype !== 'float32' || !leading) return null;
  const rest = x.shape.slice(axes.length);
  return {
    rows: x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1),
    width: rest.reduce((a, b) => a * b, 1),
    outShape: keepDims ? [...new Array<number>(axes.length).fill(1), ...rest] : rest,
  };
}

/** Without SIMD, below this many values the JS loop is as fast as the transpose and product. */
const MATMUL_MIN_SIZE = 1 << 16;

/** Column sums of x as `[rows, width]`: xᵀ × ones, shape `[1, width, 1]`. */
function sumByMatMul(backend: BackendWasm, x: Info, rows: number, width: number): Info {
  const ones = backend.makeOutput([rows, 1], 'float32');
  (backend.typedArrayFromHeap(ones) as Float32Array).fill(1);
  const xT = runWasmKernel('Transpose', backend, { x: { ...x, shape: [rows, width] } }, { perm: [1, 0] });
  const sums = runWasmKernel(
    'BatchMatMul',
    backend,
    { a: { ...xT, shape: [1, width, rows] }, b: { ...ones, shape: [1, rows, 1] } },
    {
      transposeA: false,
      transposeB: false,
    },
  );
  backend.disposeData(xT.dataId);
  backend.disposeData(ones.dataId);
  return sums;
}

export function withLeadingAxesSum(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    const leading = leadingReduction(x, attrs.axis, attrs.keepDims);
    if (!leading) return original(args);
    const { rows, width, outShape } = leading;
    const simd = simdKernels(backend);
    if (!simd && rows * width >= MATMUL_MIN_SIZE) return { ...sumByMatMul(backend, x, rows, width), shape: outShape };
    const out = backend.makeOutput(outShape, 'float32');
    if (simd) {
      // Rows summed in place, 4 columns at a time (wasmSimd.wat): no transpose, no product.
      simd.columnSums(heapOffset(backend, out), heapOffset(backend, x), rows, width);
      return out;
    }
    const sum = backend.typedArrayFromHeap(out) as Float32Array;
    const values = backend.typedArrayFromHeap(x) as Float32Array;
    // Accumulate in float64 for accuracy over many rows, then store.
    const acc = new Float64Array(width);
    for (let r = 0; r < rows; r++) {
      const base = r * width;
      for (let j = 0; j < width; j++) acc[j] += values[base + j];
    }
    sum.set(acc);
    return out;
  }) as unknown as tf.KernelFunc;
}

/**
 * Mean over leading axes as that Sum (`sum`: the Sum kernel registered for wasm, the wrapper above) divided by
 * the count, as tfjs computes a mean (a float32 division of the sum). Batch normalization takes the mean and
 * variance of every channel this way while it trains: the backend's Mean took 5 ms for `[64, 28, 28, 32]`.
 */
export function withLeadingAxesMean(original: tf.KernelFunc, sum: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { backend } = args;
    const leading = leadingReduction(args.inputs.x, args.attrs.axis, args.attrs.keepDims);
    if (!leading) return original(args);
    const out = sum(args) as Info;
    const count = leading.rows;
    const values = backend.typedArrayFromHeap(out) as Float32Array;
    const divisor = Math.fround(count);
    for (let i = 0; i < values.length; i++) values[i] = Math.fround(values[i] / divisor);
    return out;
  }) as unknown as tf.KernelFunc;
}
