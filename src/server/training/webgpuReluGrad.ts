/**
 * ReLU's gradient on webgpu in one program (gradients.ts's `StitchReluGrad`): dy · step(y), as tfjs's Step and
 * Multiply programs compute it (step is NaN where y is NaN, 1 where y > 0, else 0), one dispatch instead of two.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { RELU_GRAD_KERNEL } from './gradients';
import { elementwiseProgram, type KernelArgs } from './webgpuPrograms';

function reluGradKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
  const program = elementwiseProgram({
    shape: dy.shape,
    variableNames: ['DY', 'Y'],
    uniforms: '',
    shaderKey: 'stitchReluGrad',
    body: `let y = getYByOutputIndex(index);
          var step = select(0.0, 1.0, y > 0.0);
          if (isnan(y)) {
            step = y;
          }
          setOutputAtIndex(index, getDYByOutputIndex(index) * step);`,
  });
  return (backend as WebGPUBackend).runWebGPUProgram(program, [dy, y], 'float32');
}

/** Registers the kernel for webgpu (once; webgpuBackend.ts calls it when the backend loads). */
export function registerWebgpuReluGrad(): void {
  if (tf.getKernelsForBackend('webgpu').some((k) => k.kernelName === RELU_GRAD_KERNEL)) return;
  tf.registerKernel({ kernelName: RELU_GRAD_KERNEL, backendName: 'webgpu', kernelFunc: reluGradKernel });
}
