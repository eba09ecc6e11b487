/**
 * The dropout kernel of dropout.ts on webgpu: one program computes x · mask / keep, with the same hash of each
 * value's index and the call's seed as the cpu and wasm kernel, so the masks are the same on every backend.
 * tfjs's own dropout drew its uniform numbers in JS and uploaded them (400 KiB a step for the Keras MNIST
 * convnet), then ran four element-wise programs and uploaded two scalars.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { DROPOUT_KERNEL, type DropoutAttrs } from './dropout';
import { elementwiseProgram, type KernelArgs } from './webgpuPrograms';

/**
 * PCG's output hash (O'Neill 2014), as `dropoutHash` (dropout.ts): the mask is its value for the index mixed with
 * the seed.
 */
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

/**
 * Registers the kernel for webgpu (once; webgpuBackend.ts calls it when the backend loads); its gradient is
 * dropout.ts's.
 */
export function registerWebgpuDropoutKernel(): void {
  if (tf.getKernelsForBackend('webgpu').some((k) => k.kernelName === DROPOUT_KERNEL)) return;
  tf.registerKernel({ kernelName: DROPOUT_KERNEL, backendName: 'webgpu', kernelFunc: dropoutKernel });
}
