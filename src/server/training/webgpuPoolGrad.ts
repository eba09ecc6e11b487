/**
 * MaxPool's gradient on webgpu in one program where the windows do not overlap (stride = window, no padding
 * before the first row and column: a convnet's 2×2 pools). tfjs-backend-webgpu runs two programs, one writing
 * each window's maximum's position and one the gradient. Here each input value's invocation finds its window's
 * maximum as tfjs's positions program does (the last of equal maxima; NaN never wins, a window of NaN gives its
 * first place) and gives what tfjs's `0 + dy · (this is it)` gives, NaN and −0 included. Other pools are the
 * backend's own.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { elementwiseProgram, type KernelArgs } from './webgpuPrograms';

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The pool's windows, where they do not overlap and start at the first row and column; else null. */
function nonOverlapping(x: tf.TensorInfo, attrs: PoolAttrs): tf.backend_util.Conv2DInfo | null {
  if (x.dtype !== 'float32' || x.shape.length !== 4) return null;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const fits =
    info.strideHeight === info.filterHeight &&
    info.strideWidth === info.filterWidth &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0;
  return fits ? info : null;
}

function maxPoolGrad(args: KernelArgs, original: tf.KernelFunc): tf.TensorInfo {
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const info = nonOverlapping(input, args.attrs as unknown as PoolAttrs);
  if (!info || dy.dtype !== 'float32') return original(args as never) as tf.TensorInfo;
  const program = elementwiseProgram({
    shape: input.shape,
    variableNames: ['dy', 'x'],
    uniforms: 'poolSize : vec2<i32>, outDims : vec2<i32>, inDims : vec2<i32>,',
    shaderKey: 'stitchMaxPoolGrad',
    body: `let coords = getCoordsFromIndex(index);
          let b = coords[0];
          let d = coords[3];
          let cell = vec2<i32>(coords[1], coords[2]) / uniforms.poolSize;
          if (cell.x >= uniforms.outDims.x || cell.y >= uniforms.outDims.y) {
            setOutputAtIndex(index, 0.0);
            return;
          }
          let corner = cell * uniforms.poolSize;
          var maxValue = 0.0;
          var found = 0.0;
          var best = 0;
          for (var i = 0; i < uniforms.poolSize.x; i++) {
            let r = corner.x + i;
            if (r >= uniforms.inDims.x) {
              continue;
            }
            for (var j = 0; j < uniforms.poolSize.y; j++) {
              let c = corner.y + j;
              if (c >= uniforms.inDims.y) {
                continue;
              }
              let value = getX(b, r, c, d);
              let current = mix(value, maxValue, found);
              if (value >= current) {
                maxValue = value;
                found = 1.0;
                best = i * uniforms.poolSize.y + j;
              }
            }
          }
          let mine = (coords[1] - corner.x) * uniforms.poolSize.y + (coords[2] - corner.y);
          // tfjs's 0 + dy · (mine == best): dy at the maximum (+0 for −0), NaN where dy is, else +0.
          let g = getDy(b, cell.x, cell.y, d);
          var result = 0.0;
          if (mine == best) {
            if (isnan(g) || g != 0.0) {
              result = g;
            }
          } else if (isnan(g)) {
            result = g;
          }
          setOutputAtIndex(index, result);`,
  });
  return (args.backend as WebGPUBackend).runWebGPUProgram(program, [dy, input], 'float32', [
    { type: 'int32', data: [info.filterHeight, info.filterWidth] },
    { type: 'int32', data: [info.outHeight, info.outWidth] },
    { type: 'int32', data: [info.inHeight, info.inWidth] },
  ]);
}

/**
 * Wraps the webgpu backend's MaxPoolGrad (once; webgpuBackend.ts calls it when the backend loads). The backend's
 * own stays reachable as the config's `original`, for tests.
 */
export function registerWebgpuMaxPoolGrad(): void {
  const config = tf.getKernel('MaxPoolGrad', 'webgpu') as (tf.KernelConfig & { original?: tf.KernelFunc }) | undefined;
  if (!config || config.original) return;
  const original = config.kernelFunc;
  tf.unregisterKernel('MaxPoolGrad', 'webgpu');
  tf.registerKernel({
    ...config,
    kernelFunc: (args: KernelArgs) => maxPoolGrad(args, original),
    original,
  } as tf.KernelConfig);
}
