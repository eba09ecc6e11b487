/**
 * Element-wise Add and Multiply of x [..., C] with a vector along the last axis (b [C], or [1, …, 1, C]; either
 * order), float32, on our SIMD kernel (wasmSimd.wat's `rowsOp`). Every convolution layer's forward pass adds its
 * bias that way where it is not fused (fusedLayers.ts), and batch normalization multiplies by per-channel factors
 * forward and backward; the backend broadcasts both through a generic index loop (0.74 ms against 0.24 for the
 * Keras convnet's first layer's bias; 3.3 ms against ~0.5 for a product of examples/fashion-cnn). The same float32
 * operations, so the same values. Anything else, or no SIMD, goes to the backend's kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
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
      // Views only after the allocation: growing the wasm memory detaches earlier ones.
      const offset = (info: Info) => (backend.typedArrayFromHeap(info) as Float32Array).byteOffset;
      const rows = tf.util.sizeFromShape(pair.x.shape) / width;
      simd.rowsOp(offset(out), offset(pair.x), offset(pair.row), rows, width, op);
      return out;
    }) as unknown as tf.KernelFunc;
}
