/**
 * A bias added along the last axis on wasm: `Add` of x [..., C] and b [C] (either order), float32, as every
 * convolution layer's forward pass does (tfjs-layers adds the bias apart from the convolution while it records
 * gradients). The backend broadcasts through a generic index loop; our SIMD kernel (wasmSimd.wat's `addRows`)
 * adds b to each row 4 values at a time. Anything else, or no SIMD, goes to the backend's kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdKernels } from './wasmSimd';

type Info = tf.TensorInfo;

/** Which input is the bias [C] added to the other's rows [..., C], or null where the shapes are anything else. */
function biasOf(a: Info, b: Info): { x: Info; bias: Info } | null {
  const fits = (x: Info, bias: Info) =>
    bias.shape.length === 1 && x.shape.length >= 2 && x.shape[x.shape.length - 1] === bias.shape[0];
  if (fits(a, b)) return { x: a, bias: b };
  if (fits(b, a)) return { x: b, bias: a };
  return null;
}

export function withSimdBiasAdd(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: { inputs: { a: Info; b: Info }; backend: BackendWasm; attrs: object }) => {
    const { inputs, backend } = args;
    const pair = inputs.a.dtype === 'float32' && inputs.b.dtype === 'float32' ? biasOf(inputs.a, inputs.b) : null;
    const simd = pair ? simdKernels(backend) : null;
    if (!pair || !simd) return original(args as never);
    const width = pair.bias.shape[0];
    const out = backend.makeOutput(pair.x.shape, 'float32');
    if (width === 0 || pair.x.shape.some((d) => d === 0)) return out;
    // Views only after the allocation: growing the wasm memory detaches earlier ones.
    const offset = (info: Info) => (backend.typedArrayFromHeap(info) as Float32Array).byteOffset;
    simd.addRows(offset(out), offset(pair.x), offset(pair.bias), tf.util.sizeFromShape(pair.x.shape) / width, width, 0);
    return out;
  }) as unknown as tf.KernelFunc;
}
