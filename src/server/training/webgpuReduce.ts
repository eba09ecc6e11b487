/**
 * `Sum` and `Mean` over leading axes on webgpu in one program (bias gradients, batch normalization's moments).
 *
 * tfjs-backend-webgpu reduces only over the last axes: for a bias gradient (the sum of a `[64, 26, 26, 32]`
 * gradient over its first three axes) it first transposes the whole tensor, then reduces: two programs, and one
 * extra pass over the tensor. Here one workgroup per output value walks its column of the input seen as
 * `[rows, columns]` (each of its invocations every workgroup-size-th row) and adds the partial sums in
 * workgroup memory, as tfjs's own reduction does. Values agree with tfjs's within float32 rounding (the order of
 * the additions differs). Other reductions, and other dtypes, are the backend's own.
 *
 * Also Mean's gradient (gradients.ts, `StitchMeanGrad`): dy / n broadcast to the input's shape in one program,
 * where tfjs's ops take a division, a scalar upload and a Tile; the same float32 quotients.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { MEAN_GRAD_KERNEL } from './gradients';
import { leadingReduction } from './wasmReduce';
import { elementwiseProgram, type KernelArgs } from './webgpuPrograms';

function columnsProgram(outputShape: number[], rows: number): WebGPUProgram {
  // Required here: the package is an optional dependency, loaded only where webgpu runs.
  type Webgpu = typeof import('@tensorflow/tfjs-backend-webgpu');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { webgpu_util } = require('@tensorflow/tfjs-backend-webgpu') as Webgpu;
  const lanes = rows >= 4096 ? 256 : 64;
  const dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
  return {
    outputShape,
    shaderKey: `stitchColumnSums_${lanes}`,
    dispatchLayout,
    // One workgroup per output value.
    dispatch: webgpu_util.computeDispatch(dispatchLayout, outputShape, [1, 1, 1]),
    variableNames: ['X'],
    uniforms: 'rows : i32, divisor : f32,',
    workgroupSize: [lanes, 1, 1],
    size: true,
    getUserCode: () => `
      var<workgroup> partial : array<f32, ${lanes}>;
      fn main(index : i32) {
        let column = index / ${lanes};
        var sum = 0.0;
        if (column < uniforms.size) {
          for (var row = i32(localId.x); row < uniforms.rows; row = row + ${lanes}) {
            sum = sum + f32(X[row * uniforms.size + column]);
          }
        }
        partial[localId.x] = sum;
        workgroupBarrier();
        for (var half = ${lanes / 2}u; half > 0u; half = half / 2u) {
          if (localId.x < half) {
            partial[localId.x] = partial[localId.x] + partial[localId.x + half];
          }
          workgroupBarrier();
        }
        if (localId.x == 0u && column < uniforms.size) {
          setOutputAtIndex(column, partial[0] / uniforms.divisor);
        }
      }`,
  };
}

/** The backend's `Sum` or `Mean` (`original`), with float32 reductions over leading axes as one program. */
function overLeadingAxes(original: tf.KernelFunc, mean: boolean): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims?: boolean };
    const leading = leadingReduction(x, axis, keepDims);
    if (!leading || leading.rows === 0 || leading.width === 0) return original(args as never);
    const { rows, outShape } = leading;
    return (args.backend as WebGPUBackend).runWebGPUProgram(columnsProgram(outShape, rows), [x], 'float32', [
      { type: 'int32', data: [rows] },
      { type: 'float32', data: [mean ? rows : 1] },
    ]);
  };
}

/** dy (of x's rank, 1 along the averaged axes) / count, broadcast to `shape`. */
function meanGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy } = inputs as { dy: tf.TensorInfo };
  const { shape, count } = attrs as { shape: number[]; count: number };
  const program = elementwiseProgram({
    shape,
    variableNames: ['DY'],
    uniforms: 'count : f32,',
    shaderKey: 'stitchMeanGrad',
    body: 'setOutputAtIndex(index, getDYByOutputIndex(index) / uniforms.count);',
  });
  return (backend as WebGPUBackend).runWebGPUProgram(program, [dy], 'float32', [{ type: 'float32', data: [count] }]);
}

/**
 * Wraps the webgpu backend's Sum and Mean and registers Mean's gradient kernel (once; webgpuBackend.ts calls it
 * when the backend loads).
 */
export function registerWebgpuReductions(): void {
  if (!tf.getKernelsForBackend('webgpu').some((k) => k.kernelName === MEAN_GRAD_KERNEL)) {
    tf.registerKernel({ kernelName: MEAN_GRAD_KERNEL, backendName: 'webgpu', kernelFunc: meanGrad });
  }
  for (const [kernelName, mean] of [
    ['Sum', false],
    ['Mean', true],
  ] as const) {
    const config = tf.getKernel(kernelName, 'webgpu') as (tf.KernelConfig & { stitch?: true }) | undefined;
    if (!config || config.stitch) continue;
    tf.unregisterKernel(kernelName, 'webgpu');
    tf.registerKernel({
      ...config,
      kernelFunc: overLeadingAxes(config.kernelFunc, mean),
      stitch: true,
    } as tf.KernelConfig);
  }
}
