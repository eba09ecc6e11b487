/**
 * Dropout whose mask is drawn on the GPU on the webgpu backend.
 *
 * tfjs's dropout draws its uniform random numbers in JS (`randomUniform` has no kernel), so on webgpu every
 * training step drew one number per dropped value on the CPU and uploaded them (400 KiB a step for the Keras
 * MNIST convnet), then ran four element-wise programs and uploaded two scalars. Here one program computes
 * x · mask / keep, the mask coming from a hash of the value's index and a per-call seed (drawn from
 * `Math.random`, which the trainer seeds from the run's seed: the same seed gives the same masks). Its gradient
 * is the same program on dy with the same seed, so the mask is never stored.
 *
 * `StitchDropout` is tfjs-layers' Dropout with that call on webgpu in training; everywhere else (other backends,
 * inference, a noise shape) it is Dropout's own call. Its class name stays `Dropout`, so saved models load
 * anywhere as plain Dropout layers.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { elementwiseProgram, type KernelArgs } from './webgpuPrograms';

const KERNEL = 'StitchDropout';

interface DropoutAttrs {
  /** 1 − rate: the probability that a value is kept. */
  keep: number;
  /** Which mask: the same seed gives the same mask (forward and gradient). */
  seed: number;
}

/** PCG's output hash (O'Neill 2014); the mask is its value for the index mixed with the seed. */
const HASH = `
      fn stitchHash(v : u32) -> u32 {
        let state = v * 747796405u + 2891336453u;
        let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
        return (word >> 22u) ^ word;
      }`;

function dropoutKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  const { keep, seed } = attrs as unknown as DropoutAttrs;
  const program = elementwiseProgram({
    shape: x.shape,
    variableNames: ['X'],
    uniforms: 'keep : f32, scale : f32, seed : u32,',
    shaderKey: 'stitchDropout',
    functions: HASH,
    // The hash's top 24 bits as a number in [0, 1): kept below keep.
    body: `let u = f32(stitchHash(u32(index) ^ stitchHash(uniforms.seed)) >> 8u) / 16777216.0;
          setOutputAtIndex(index, select(0.0, getXByOutputIndex(index) * uniforms.scale, u < uniforms.keep));`,
  });
  return (backend as WebGPUBackend).runWebGPUProgram(program, [x], 'float32', [
    { type: 'float32', data: [keep] },
    // As tfjs's dropout: the kept values are divided by keep (here multiplied by its float32 inverse).
    { type: 'float32', data: [1 / keep] },
    { type: 'uint32', data: [seed] },
  ]);
}

/** Registers the kernel and its gradient for webgpu (once; webgpuBackend.ts calls it when the backend loads). */
export function registerWebgpuDropoutKernel(): void {
  if (tf.getKernelsForBackend('webgpu').some((k) => k.kernelName === KERNEL)) return;
  tf.registerKernel({ kernelName: KERNEL, backendName: 'webgpu', kernelFunc: dropoutKernel });
  tf.registerGradient({
    kernelName: KERNEL,
    // d(x · mask / keep)/dx: the same mask on dy, from the same seed.
    gradFunc: (dy, _saved, attrs) => ({
      x: () => tf.engine().runKernel<tf.Tensor>(KERNEL, { x: dy as tf.Tensor }, attrs),
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

/** tfjs-layers' Dropout, drawing its mask on the GPU when training on webgpu (see above). */
class StitchDropout extends Dropout {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const { rate, noiseShape } = this as unknown as { rate: number; noiseShape?: number[] | null };
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const onGpu =
      kwargs.training === true &&
      tf.getBackend() === 'webgpu' &&
      rate > 0 &&
      rate < 1 &&
      noiseShape == null &&
      input.dtype === 'float32';
    if (!onGpu) return super.call(inputs, kwargs);
    const seed = Math.floor(Math.random() * 0x100000000) >>> 0;
    return tf.engine().runKernel<tf.Tensor>(KERNEL, { x: input }, { keep: 1 - rate, seed });
  }
}

/** A Dropout layer (`tf.layers.dropout(args)`) that draws its mask on the GPU when training on webgpu. */
export function stitchDropout(args: DropoutArgs): tf.layers.Layer {
  return new StitchDropout(args);
}
