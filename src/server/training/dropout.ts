/**
 * Dropout in one kernel on every backend of ours: `StitchDropout` computes x · mask / keep, the mask coming from
 * a hash of each value's index and a per-call seed (drawn from `Math.random`, which the trainer seeds from the
 * run's seed: the same seed gives the same masks). Its gradient is the same kernel on dy with the same seed, so
 * the mask is never stored.
 *
 * tfjs's dropout draws one uniform number per value in JS (`randomUniform` has no kernel; about 9 ns each, so
 * ~0.9 ms of a 17 ms step of the Keras convnet on wasm, 102,400 values a step, on the 2-core dev machine) and then runs four element-wise
 * kernels; on webgpu it also uploaded the numbers (webgpuDropout.ts has the GPU's program). The hash is the
 * same on every backend, so cpu, wasm and webgpu draw the same masks for the same seed.
 *
 * `StitchDropout` is tfjs-layers' Dropout calling the kernel in training where it is registered; everywhere else
 * (inference, a noise shape, another backend) it is Dropout's own call. Its class name stays `Dropout`, so saved
 * models load anywhere as plain Dropout layers.
 */
import * as tf from '@tensorflow/tfjs';
import { registeredHere } from './gradients';
import { heapOf, hostFloat32, hostFloats, type HostBackend } from './hostKernels';

export const DROPOUT_KERNEL = 'StitchDropout';

export interface DropoutAttrs {
  /** 1 − rate: the probability that a value is kept. */
  keep: number;
  /** Which mask: the same seed gives the same mask (forward and gradient). */
  seed: number;
}

/** PCG's output hash (O'Neill 2014) on a u32, in u32 arithmetic: the WGSL `stitchHash` of webgpuDropout.ts. */
export function dropoutHash(v: number): number {
  const state = (Math.imul(v, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/**
 * x · mask / keep: value i is kept where the hash's top 24 bits of i ^ hash(seed), as a number in [0, 1), are
 * below keep (as float32), and multiplied by the float32 of 1 / keep (as tfjs's dropout divides by keep).
 */
export function dropoutValues(x: Float32Array, keep: number, seed: number): Float32Array {
  const out = new Float32Array(x.length);
  dropoutInto(x, out, keep, seed);
  return out;
}

/** dropoutValues into `out` (every value written: 0 where dropped). */
function dropoutInto(x: Float32Array, out: Float32Array, keep: number, seed: number): void {
  const mixed = dropoutHash(seed >>> 0);
  const bound = Math.fround(keep);
  const scale = Math.fround(1 / keep);
  for (let i = 0; i < x.length; i++) {
    out[i] = (dropoutHash((i ^ mixed) >>> 0) >>> 8) / 16777216 < bound ? x[i] * scale : 0;
  }
}

function hostDropout(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { keep, seed } = args.attrs as unknown as DropoutAttrs;
  const heap = heapOf(args.backend);
  if (heap) {
    // wasm: read and write its memory in place (views taken after the allocation, which may grow it).
    const out = heap.makeOutput(x.shape, 'float32');
    dropoutInto(heap.typedArrayFromHeap(x) as Float32Array, heap.typedArrayFromHeap(out) as Float32Array, keep, seed);
    return out;
  }
  const host = args.backend as HostBackend;
  return hostFloat32(host, x.shape, dropoutValues(hostFloats(host, x), keep, seed));
}

let registered = false;

/** Registers the kernel on cpu and wasm, and its gradient (for every backend; backend.ts calls it). */
export function registerDropoutKernels(): void {
  if (registered) return;
  registered = true;
  for (const backendName of ['cpu', 'wasm']) {
    tf.registerKernel({ kernelName: DROPOUT_KERNEL, backendName, kernelFunc: hostDropout as unknown as tf.KernelFunc });
  }
  tf.registerGradient({
    kernelName: DROPOUT_KERNEL,
    // d(x · mask / keep)/dx: the same mask on dy, from the same seed.
    gradFunc: (dy, _saved, attrs) => ({
      x: () => tf.engine().runKernel<tf.Tensor>(DROPOUT_KERNEL, { x: dy as tf.Tensor }, attrs),
    }),
  });
}

interface DropoutArgs {
  rate: number;
  noiseShape?: number[];
  seed?: number;
}

/** tfjs-layers' Dropout class, which the package does not export by name: its serialization entry. */
const Dropout = (
  tf.serialization.SerializationMap.getMap().classNameMap.Dropout as unknown as [
    new (args: DropoutArgs) => tf.layers.Layer,
  ]
)[0];

/** tfjs-layers' Dropout, by the one kernel in training where the backend has it (see above). */
class StitchDropout extends Dropout {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const { rate, noiseShape } = this as unknown as { rate: number; noiseShape?: number[] | null };
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const fused =
      kwargs.training === true &&
      rate > 0 &&
      rate < 1 &&
      noiseShape == null &&
      input.dtype === 'float32' &&
      registeredHere(DROPOUT_KERNEL);
    if (!fused) return super.call(inputs, kwargs);
    const seed = Math.floor(Math.random() * 0x100000000) >>> 0;
    return tf.engine().runKernel<tf.Tensor>(DROPOUT_KERNEL, { x: input }, { keep: 1 - rate, seed });
  }
}

/** A Dropout layer (`tf.layers.dropout(args)`) whose training mask comes from one kernel (see above). */
export function stitchDropout(args: DropoutArgs): tf.layers.Layer {
  return new StitchDropout(args);
}
