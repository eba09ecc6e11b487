/**
 * What Stitch's own webgpu kernels share (webgpuAdam.ts, webgpuDropout.ts): the arguments tfjs passes a kernel,
 * and an element-wise WGSL program in tfjs-backend-webgpu's program format.
 */
import type * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

/**
 * An element-wise program over inputs of the output's shape, dispatched flat (one invocation per value): `body`
 * runs for each `index` below `uniforms.size`; `functions` are WGSL functions it may call.
 */
export function elementwiseProgram(options: {
  shape: number[];
  variableNames: string[];
  uniforms: string;
  shaderKey: string;
  body: string;
  functions?: string;
}): WebGPUProgram {
  // Required here: the package is an optional dependency, loaded only where webgpu runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const webgpu = require('@tensorflow/tfjs-backend-webgpu') as typeof import('@tensorflow/tfjs-backend-webgpu');
  const { webgpu_util } = webgpu;
  const { shape } = options;
  const workgroupSize: [number, number, number] = [128, 1, 1];
  const dispatchLayout = webgpu_util.flatDispatchLayout(shape);
  return {
    outputShape: shape,
    shaderKey: options.shaderKey,
    dispatchLayout,
    dispatch: webgpu_util.computeDispatch(dispatchLayout, shape, workgroupSize),
    variableNames: options.variableNames,
    uniforms: options.uniforms,
    workgroupSize,
    size: true,
    getUserCode: () => `
      ${options.functions ?? ''}
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${options.body}
        }
      }`,
  };
}
