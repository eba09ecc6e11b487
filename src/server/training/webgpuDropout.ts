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
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

const KERNEL = 'StitchDropout';

interface DropoutAttrs {
  /** 1 − rate: the probability that a value is kept. */
  keep: number;
  /** Which mask: the same seed gives the same mask (forward and gradient). */
  seed: number;
}

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

function program(shape: number[]): WebGPUProgram {
  // Required here: the package is an optional dependency, loaded only where webgpu runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const webgpu = require('@tensorflow/tfjs-backend-webgpu') as typeof import('@tensorflow/tfjs-backend-webgpu');
  const { webgpu_util } = webgpu;
  const workgroupSize: [number, number, number] = [128, 1, 1];
  const dispatchLayout = webgpu_util.flatDispatchLayout(shape);
  return {
    outputShape: shape,
    shaderKey: 'stitchDropout',
    dispatchLayout,
    dispatch: webgpu_util.computeDispatch(dispatchLayout, shape, workgroupSize),
    variableNames: ['X'],
    uniforms: 'keep : f32, scale : f32, seed : u32,',
    workgroupSize,
    size: true,
    // PCG's output hash (O'Neill 2014) of the index mixed with the seed; its top 24 bits as a number in [0, 1).
    getUserCode: () => `
      fn stitchHash(v : u32) -> u32 {
        let state = v * 747796405u + 2891336453u;
        let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
        return (word >> 22u) ^ word;
      }
      fn main(index : i32) {
        if (index < uniforms.size) {
          let u = f32(stitchHash(u32(index) ^ stitchHash(uniforms.seed)) >> 8u) / 16777216.0;
          setOutputAtIndex(index, select(0.0, getXByOutputIndex(index) * uniforms.scale, u < uniforms.keep));
        }
      }`,
  };
}

function dropoutKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  const { keep, seed } = attrs as unknown as DropoutAttrs;
  return (backend as WebGPUBackend).runWebGPUProgram(program(x.shape), [x], 'float32', [
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

/** tfjs-layers' Dropout class, which the package does not export by name: its serialization entry. */
function dropoutClass(): new (args: { rate: number; noiseShape?: number[]; seed?: number }) => tf.layers.Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap.Dropout as unknown as [unknown];
  return entry[0] as new (args: { rate: number }) => tf.layers.Layer;
}

interface DropoutFields {
  rate: number;
  noiseShape?: number[] | null;
}

let StitchDropoutClass: (new (args: { rate: number; noiseShape?: number[]; seed?: number }) => tf.layers.Layer) | null =
  null;

/** A Dropout layer (`tf.layers.dropout(args)`) that draws its mask on the GPU when training on webgpu. */
export function stitchDropout(args: { rate: number; noiseShape?: number[]; seed?: number }): tf.layers.Layer {
  StitchDropoutClass ??= class StitchDropout extends dropoutClass() {
    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
      const { rate, noiseShape } = this as unknown as DropoutFields;
      const input = Array.isArray(inputs) ? inputs[0] : inputs;
      const fused =
        kwargs.training === true &&
        tf.getBackend() === 'webgpu' &&
        rate > 0 &&
        rate < 1 &&
        noiseShape == null &&
        input.dtype === 'float32';
      if (!fused) return super.call(inputs, kwargs);
      const seed = Math.floor(Math.random() * 0x100000000) >>> 0;
      return tf.engine().runKernel<tf.Tensor>(KERNEL, { x: input }, { keep: 1 - rate, seed });
    }
  };
  return new StitchDropoutClass(args);
}
