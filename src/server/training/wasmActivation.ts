/**
 * ReLU on wasm, fused with what comes before it (fusedLayers.ts says why): FusedConv2D and _FusedMatMul with a
 * bias and ReLU or no activation run our unfused kernels (the convolutions of wasmConv.ts, the products of
 * wasmMatMul.ts) and then one pass that adds the bias and applies ReLU in place (wasmSimd.wat's `rowsOp`), and
 * `StitchReluGrad` is ReLU's gradient in one pass (`reluGrad`) instead of the backend's Step and Multiply. They
 * compute what the unfused kernels compute, bit for bit: the same convolution or product, then the same float32
 * addition and maximum. The backend's own fused kernels (XNNPACK) start their sums from the bias, so they round
 * differently, and they are slower here: the convolution is not ours, and the product cannot swap its operands
 * (wasmMatMul.ts). Without the SIMD kernels, the backend's kernels run.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { ROWS_ADD, ROWS_ADD_RELU } from './wasmRowsOp';
import { heapOffset as at, release, runWasmKernel } from './wasmRun';
import { simdKernels } from './wasmSimd';

type Info = tf.TensorInfo;

interface FusedArgs {
  inputs: Record<string, Info | undefined>;
  backend: BackendWasm;
  attrs: Record<string, unknown>;
}

/**
 * A fused kernel (FusedConv2D, _FusedMatMul) with a bias along the output's last axis and ReLU or no activation,
 * as the unfused kernel registered for wasm (`unfused`: Conv2D, BatchMatMul, ours) and then one pass that adds
 * the bias and applies ReLU in place. Other activations, NCHW, or no SIMD: the backend's fused kernel.
 */
export function withSimdBiasActivation(original: tf.KernelFunc, unfused: tf.KernelFunc): tf.KernelFunc {
  return ((args: FusedArgs): Info => {
    const { backend } = args;
    const { bias, preluActivationWeights, ...inputs } = args.inputs;
    const { activation = 'linear', leakyreluAlpha: _alpha, ...attrs } = args.attrs;
    const fits =
      (activation === 'relu' || activation === 'linear') &&
      ((attrs.dataFormat as string | undefined) ?? 'NHWC') === 'NHWC' &&
      bias?.dtype === 'float32' &&
      bias.shape.length === 1 &&
      preluActivationWeights == null;
    const simd = fits ? simdKernels(backend) : null;
    if (!simd || !bias) return original(args as never) as Info;
    const y = unfused({ inputs, backend, attrs } as never) as Info;
    const width = bias.shape[0];
    if (y.dtype !== 'float32' || y.shape[y.shape.length - 1] !== width) {
      // A bias that broadcasts some other way.
      release(backend, y);
      return original(args as never) as Info;
    }
    const count = tf.util.sizeFromShape(y.shape);
    if (count > 0) {
      const op = activation === 'relu' ? ROWS_ADD_RELU : ROWS_ADD;
      simd.rowsOp(at(backend, y), at(backend, y), at(backend, bias), count / width, width, op);
    }
    return y;
  }) as unknown as tf.KernelFunc;
}

/** dy · step(y) (gradients.ts's RELU_GRAD_KERNEL): one SIMD pass, or the backend's Step and Multiply. */
export function wasmReluGrad(args: { inputs: { dy: Info; y: Info }; backend: BackendWasm }): Info {
  const { inputs, backend } = args;
  const { dy, y } = inputs;
  // float32 tensors of one shape (gradients.ts's reluGrad sends nothing else).
  const simd = simdKernels(backend);
  if (!simd) {
    const step = runWasmKernel('Step', backend, { x: y }, { alpha: 0 });
    const out = runWasmKernel('Multiply', backend, { a: dy, b: step }, {});
    release(backend, step);
    return out;
  }
  const out = backend.makeOutput(dy.shape, 'float32');
  const count = tf.util.sizeFromShape(dy.shape);
  if (count > 0) simd.reluGrad(at(backend, out), at(backend, dy), at(backend, y), count);
  return out;
}
