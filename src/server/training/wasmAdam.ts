/**
 * FusedAdamOptimizer's two kernels (webgpuAdam.ts) on wasm, by the SIMD kernels `adamMoment` and `adamStep`
 * (wasmSimd.wat): a variable's update is three passes over its values instead of tfjs's 14 element-wise ops,
 * each a kernel call with its own output. A data-parallel worker trains a few samples per step, so its step is
 * mostly such fixed work. The same float32 arithmetic in the same order: the weights are bit for bit those of
 * tfjs's Adam (wasmSimd.test.ts).
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset as at } from './wasmRun';
import { simdKernels, type SimdKernels } from './wasmSimd';

type Info = tf.TensorInfo;

/** A new float32 tensor of `shape`, written by `write` with the SIMD kernels and the output's heap offset. */
function fused(backend: BackendWasm, shape: number[], write: (simd: SimdKernels, out: number) => void): Info {
  const simd = simdKernels(backend);
  // FusedAdamOptimizer calls these only where the SIMD kernels are available.
  if (!simd) throw new Error('the fused Adam kernels need wasm SIMD');
  const out = backend.makeOutput(shape, 'float32');
  // Offsets only after the allocation (growing the memory detaches earlier views; offsets stay valid).
  write(simd, at(backend, out));
  return out;
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** m·decay + g·(1 − decay), or with g² where `squared`. */
export function wasmAdamMoment(args: {
  inputs: { moment: Info; gradient: Info };
  backend: BackendWasm;
  attrs: { decay: number; squared: boolean };
}): Info {
  const { inputs, backend, attrs } = args;
  return fused(backend, inputs.moment.shape, (simd, out) => {
    simd.adamMoment(
      out,
      at(backend, inputs.moment),
      at(backend, inputs.gradient),
      count(inputs.moment.shape),
      attrs.decay,
      // As tfjs: 1 − β computed in double from the optimizer's β, then made float32 (by the call).
      1 - attrs.decay,
      attrs.squared ? 1 : 0,
    );
  });
}

/** value + ((m / c1) / (√(v / c2) + ε))·(−lr). */
export function wasmAdamStep(args: {
  inputs: { value: Info; m: Info; v: Info };
  backend: BackendWasm;
  attrs: { c1: number; c2: number; epsilon: number; learningRate: number };
}): Info {
  const { inputs, backend, attrs } = args;
  return fused(backend, inputs.value.shape, (simd, out) => {
    simd.adamStep(
      out,
      at(backend, inputs.value),
      at(backend, inputs.m),
      at(backend, inputs.v),
      count(inputs.value.shape),
      attrs.c1,
      attrs.c2,
      attrs.epsilon,
      -attrs.learningRate,
    );
  });
}
