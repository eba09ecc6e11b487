/**
 * Adam in three GPU programs per variable on the webgpu backend, where a small model's step is bound by how many
 * programs it dispatches, not by their work. On wasm the same two kernels run as SIMD loops (wasmAdam.ts).
 *
 * tfjs's AdamOptimizer updates each variable with 14 element-wise ops (each a dispatch on webgpu) and turns six
 * numbers (β1, 1 − β1, β2, 1 − β2, ε, −lr) into scalar tensors, each an upload from the CPU that also ends the
 * compute pass; β1ᵗ and β2ᵗ are two more variables updated on the device. Here the same arithmetic, in the same
 * order and in float32, runs as three programs per variable (the new first moment, the new second moment, the new
 * value) with the numbers passed as uniforms, and β1ᵗ, β2ᵗ are float32 products kept on the CPU. On the Keras
 * MNIST convnet (6 variables) a training step went from 154 dispatches and 49 uploads to 90 and 12
 * (bench/profile-webgpu.ts); on SwiftShader the weights are bit for bit those of tfjs's Adam.
 *
 * On every other backend (and on wasm without SIMD) it is tfjs's AdamOptimizer itself. The state (moments,
 * iterations) is kept as tfjs keeps it, so getWeights and setWeights work as there (β1ᵗ, β2ᵗ are recomputed
 * from the iterations after a set).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { simdKernels } from './wasmSimd';
import { elementwiseProgram, type KernelArgs } from './webgpuPrograms';

export const MOMENT_KERNEL = 'StitchAdamMoment';
export const STEP_KERNEL = 'StitchAdamStep';

/** What applyGradients receives: gradients by variable name, or a list of named gradients. */
type Gradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** m·decay + g·(1 − decay), or with g² for the second moment: tfjs's `add(mul(m, β), mul(g or square(g), 1 − β))`. */
function momentKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const webgpu = backend as WebGPUBackend;
  const { moment, gradient } = inputs as { moment: tf.TensorInfo; gradient: tf.TensorInfo };
  const { decay, squared } = attrs as { decay: number; squared: boolean };
  const program = elementwiseProgram({
    shape: moment.shape,
    variableNames: ['M', 'G'],
    uniforms: 'decay : f32, rest : f32,',
    shaderKey: squared ? 'stitchAdamV' : 'stitchAdamM',
    body: `let g = getGByOutputIndex(index);
          setOutputAtIndex(index, getMByOutputIndex(index) * uniforms.decay + ${squared ? 'g * g' : 'g'} * uniforms.rest);`,
  });
  return webgpu.runWebGPUProgram(program, [moment, gradient], 'float32', [
    // As tfjs: 1 − β computed in double from the optimizer's β, then made float32.
    { type: 'float32', data: [decay] },
    { type: 'float32', data: [1 - decay] },
  ]);
}

/** value + ((m / c1) / (√(v / c2) + ε))·(−lr): tfjs's update with its bias corrections c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ. */
function stepKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const webgpu = backend as WebGPUBackend;
  const { value, m, v } = inputs as { value: tf.TensorInfo; m: tf.TensorInfo; v: tf.TensorInfo };
  const { c1, c2, epsilon, learningRate } = attrs as { c1: number; c2: number; epsilon: number; learningRate: number };
  const program = elementwiseProgram({
    shape: value.shape,
    variableNames: ['W', 'M', 'V'],
    uniforms: 'c1 : f32, c2 : f32, epsilon : f32, negLr : f32,',
    shaderKey: 'stitchAdamStep',
    body: `let mHat = getMByOutputIndex(index) / uniforms.c1;
          let vHat = getVByOutputIndex(index) / uniforms.c2;
          setOutputAtIndex(index, mHat / (sqrt(vHat) + uniforms.epsilon) * uniforms.negLr + getWByOutputIndex(index));`,
  });
  return webgpu.runWebGPUProgram(program, [value, m, v], 'float32', [
    { type: 'float32', data: [c1] },
    { type: 'float32', data: [c2] },
    { type: 'float32', data: [epsilon] },
    { type: 'float32', data: [-learningRate] },
  ]);
}

/** Registers the two programs as webgpu kernels (once; webgpuBackend.ts calls it when the backend loads). */
export function registerWebgpuAdamKernels(): void {
  if (tf.getKernelsForBackend('webgpu').some((k) => k.kernelName === MOMENT_KERNEL)) return;
  tf.registerKernel({ kernelName: MOMENT_KERNEL, backendName: 'webgpu', kernelFunc: momentKernel });
  tf.registerKernel({ kernelName: STEP_KERNEL, backendName: 'webgpu', kernelFunc: stepKernel });
}

/** Whether the fused kernels run on the current backend: webgpu, or wasm with our SIMD kernels (wasmAdam.ts). */
function fusedAdamHere(): boolean {
  const name = tf.getBackend();
  if (name === 'webgpu') return true;
  // tfjs types the lookup as always found; it is undefined where wasmKernels.ts has not registered ours.
  const registered = tf.getKernel(MOMENT_KERNEL, 'wasm') as tf.KernelConfig | undefined;
  if (name !== 'wasm' || registered === undefined) return false;
  // Not `instanceof BackendWasm`: importing the wasm package registers its backend, which this file must not do.
  return simdKernels(tf.backend() as unknown as Pick<BackendWasm, 'wasm'>) !== null;
}

/** The parts of tfjs's AdamOptimizer this reads (declared protected there). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  incrementIterations(): void;
}

/** tfjs's AdamOptimizer, its update fused into three kernels per variable on webgpu and on wasm with SIMD. */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  /** β1ᵗ and β2ᵗ as float32 (tfjs keeps them in two variables), for the iteration `at`. */
  private powers = { at: -1, beta1: 0, beta2: 0 };

  override applyGradients(variableGradients: Gradients): void {
    if (!fusedAdamHere()) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as AdamState;
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    const [power1, power2] = this.betaPowers();
    const c1 = Math.fround(1 - power1);
    const c2 = Math.fround(1 - power2);
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        // As tfjs does: the moments start at zero, one pair per variable, in the order of the first call.
        self.accumulatedFirstMoment[i] ??= {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        self.accumulatedSecondMoment[i] ??= {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        // tfjs's types say a gradient is always there; like tfjs, a variable without one is left as it is.
        if ((gradient as tf.Tensor | undefined) == null) return;
        const first = self.accumulatedFirstMoment[i].variable;
        const second = self.accumulatedSecondMoment[i].variable;
        const m = run(MOMENT_KERNEL, { moment: first, gradient }, { decay: self.beta1, squared: false });
        const v = run(MOMENT_KERNEL, { moment: second, gradient }, { decay: self.beta2, squared: true });
        first.assign(m);
        second.assign(v);
        const epsilon = Math.fround(self.epsilon);
        value.assign(run(STEP_KERNEL, { value, m, v }, { c1, c2, epsilon, learningRate: self.learningRate }));
      });
    });
    self.incrementIterations();
  }

  /** β1ᵗ and β2ᵗ for this step: products of float32 factors, as tfjs's variables hold them. */
  private betaPowers(): [number, number] {
    const self = this as unknown as AdamState;
    const beta1 = Math.fround(self.beta1);
    const beta2 = Math.fround(self.beta2);
    if (this.powers.at !== this.iterations) {
      // First step, or the iterations were set from saved weights: the product from the start.
      this.powers = { at: 0, beta1, beta2 };
      for (; this.powers.at < this.iterations; this.powers.at++) {
        this.powers.beta1 = Math.fround(this.powers.beta1 * beta1);
        this.powers.beta2 = Math.fround(this.powers.beta2 * beta2);
      }
    }
    const powers: [number, number] = [this.powers.beta1, this.powers.beta2];
    this.powers = {
      at: this.iterations + 1,
      beta1: Math.fround(this.powers.beta1 * beta1),
      beta2: Math.fround(this.powers.beta2 * beta2),
    };
    return powers;
  }
}

function run(kernel: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): tf.Tensor {
  return tf.engine().runKernel<tf.Tensor>(kernel, inputs, attrs);
}
