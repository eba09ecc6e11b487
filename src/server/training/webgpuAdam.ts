/**
 * Adam in a few GPU programs on the webgpu backend, where a small model's step is bound by how many programs it
 * dispatches, not by their work. On wasm two of its kernels run as SIMD loops (wasmAdam.ts).
 *
 * tfjs's AdamOptimizer updates each variable with 14 element-wise ops (each a dispatch on webgpu) and turns six
 * numbers (β1, 1 − β1, β2, 1 − β2, ε, −lr) into scalar tensors, each an upload from the CPU that also ends the
 * compute pass; β1ᵗ and β2ᵗ are two more variables updated on the device. Here the same arithmetic, in the same
 * order and in float32, runs with the numbers passed as uniforms, and β1ᵗ, β2ᵗ are float32 products kept on the
 * CPU. On webgpu every variable's two moments live in one tensor (`packed`): one program updates the moments of
 * up to six variables, and one more per variable its value, 7 programs a step for the Keras MNIST convnet's 6
 * variables where tfjs ran 84 (bench/profile-webgpu.ts); on SwiftShader the weights are bit for bit those of
 * tfjs's Adam. On wasm with SIMD it is three kernels per variable (the new first moment, the new second moment,
 * the new value) on tfjs's own state.
 *
 * On every other backend (and on wasm without SIMD) it is tfjs's AdamOptimizer itself. getWeights and
 * setWeights take and give tfjs's per-variable moments (from the packed state getWeights gives copies, the
 * caller's to dispose; β1ᵗ, β2ᵗ are recomputed from the iterations after a set).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { registeredHere } from './gradients';
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

/** At most this many gradients per moments program (one storage buffer each, within WebGPU's default 8). */
export const GRADIENTS_PER_PROGRAM = 6;

/**
 * Both moments of up to GRADIENTS_PER_PROGRAM variables in one program, on the packed state `[m of every
 * variable, v of every variable]` (2 · total values): the values of variables `first`…`first + count − 1` (at
 * `offsets`, within the half) are updated as `momentKernel` does, the others copied.
 */
function packedMomentsKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const webgpu = backend as WebGPUBackend;
  const { state, ...named } = inputs as Record<string, tf.TensorInfo>;
  const gradients = Object.keys(named)
    .sort()
    .map((k) => named[k]);
  const { beta1, beta2, total, offsets } = attrs as { beta1: number; beta2: number; total: number; offsets: number[] };
  const count = gradients.length;
  const names = gradients.map((_, i) => `G${i}`);
  // Which gradient a value of the half reads: the first whose range holds it.
  const read = names
    .map((name, i) => `if (j < uniforms.end${i}) { g = f32(${name}[j - uniforms.start${i}]); }`)
    .join(' else ');
  const program = elementwiseProgram({
    shape: state.shape,
    variableNames: ['S', ...names],
    uniforms:
      'total : i32, decay1 : f32, rest1 : f32, decay2 : f32, rest2 : f32,' +
      names.map((_, i) => ` start${i} : i32, end${i} : i32,`).join(''),
    shaderKey: `stitchAdamMoments${count}`,
    body: `let second = index >= uniforms.total;
          let j = select(index, index - uniforms.total, second);
          let s = f32(S[index]);
          if (j < uniforms.start0 || j >= uniforms.end${count - 1}) {
            setOutputAtIndex(index, s);
            return;
          }
          var g = 0.0;
          ${read}
          if (second) {
            setOutputAtIndex(index, s * uniforms.decay2 + g * g * uniforms.rest2);
          } else {
            setOutputAtIndex(index, s * uniforms.decay1 + g * uniforms.rest1);
          }`,
  });
  const ranges = gradients.flatMap((g, i) => [
    { type: 'int32', data: [offsets[i]] },
    { type: 'int32', data: [offsets[i] + tf.util.sizeFromShape(g.shape)] },
  ]);
  return webgpu.runWebGPUProgram(program, [state, ...gradients], 'float32', [
    { type: 'int32', data: [total] },
    // As tfjs: 1 − β computed in double from the optimizer's β, then made float32.
    { type: 'float32', data: [beta1] },
    { type: 'float32', data: [1 - beta1] },
    { type: 'float32', data: [beta2] },
    { type: 'float32', data: [1 - beta2] },
    ...ranges,
  ]);
}

/** `stepKernel` for one variable whose moments are at `offset` in the packed state. */
function packedStepKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const webgpu = backend as WebGPUBackend;
  const { value, state } = inputs as { value: tf.TensorInfo; state: tf.TensorInfo };
  const { c1, c2, epsilon, learningRate, offset, total } = attrs as Record<string, number>;
  const program = elementwiseProgram({
    shape: value.shape,
    variableNames: ['W', 'S'],
    uniforms: 'c1 : f32, c2 : f32, epsilon : f32, negLr : f32, offset : i32, total : i32,',
    shaderKey: 'stitchAdamPackedStep',
    body: `let mHat = f32(S[uniforms.offset + index]) / uniforms.c1;
          let vHat = f32(S[uniforms.total + uniforms.offset + index]) / uniforms.c2;
          setOutputAtIndex(index, mHat / (sqrt(vHat) + uniforms.epsilon) * uniforms.negLr + getWByOutputIndex(index));`,
  });
  return webgpu.runWebGPUProgram(program, [value, state], 'float32', [
    { type: 'float32', data: [c1] },
    { type: 'float32', data: [c2] },
    { type: 'float32', data: [epsilon] },
    { type: 'float32', data: [-learningRate] },
    { type: 'int32', data: [offset] },
    { type: 'int32', data: [total] },
  ]);
}

export const PACKED_MOMENTS_KERNEL = 'StitchAdamPackedMoments';
export const PACKED_STEP_KERNEL = 'StitchAdamPackedStep';

/** Registers the two programs as webgpu kernels (once; webgpuBackend.ts calls it when the backend loads). */
export function registerWebgpuAdamKernels(): void {
  if (tf.getKernelsForBackend('webgpu').some((k) => k.kernelName === MOMENT_KERNEL)) return;
  tf.registerKernel({ kernelName: MOMENT_KERNEL, backendName: 'webgpu', kernelFunc: momentKernel });
  tf.registerKernel({ kernelName: STEP_KERNEL, backendName: 'webgpu', kernelFunc: stepKernel });
  tf.registerKernel({ kernelName: PACKED_MOMENTS_KERNEL, backendName: 'webgpu', kernelFunc: packedMomentsKernel });
  tf.registerKernel({ kernelName: PACKED_STEP_KERNEL, backendName: 'webgpu', kernelFunc: packedStepKernel });
}

/** Whether the fused kernels run on the current backend: webgpu, or wasm with our SIMD kernels (wasmAdam.ts). */
function fusedAdamHere(): boolean {
  const name = tf.getBackend();
  if (name === 'webgpu') return true;
  // Ours are registered on wasm where wasmKernels.ts has run.
  if (name !== 'wasm' || !registeredHere(MOMENT_KERNEL)) return false;
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
      this.unpack();
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
    const gradients = names.map((name, i) =>
      Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name],
    );
    // tfjs's types say a gradient is always there; like tfjs, a variable without one is left as it is.
    const all = gradients.every((g) => (g as tf.Tensor | undefined) != null);
    if (tf.getBackend() === 'webgpu' && all && (!this.packed || this.packed.names.join() === names.join())) {
      this.applyPacked(names, gradients, c1, c2);
      self.incrementIterations();
      return;
    }
    // The per-variable kernels keep tfjs's state.
    this.unpack();
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
        const gradient = gradients[i];
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

  /**
   * webgpu: every variable's moments in one tensor, `[m of each variable…, v of each variable…]`, so that one
   * program updates the moments of up to GRADIENTS_PER_PROGRAM variables and one more each value: 7 programs a
   * step for the Keras convnet's 6 variables instead of 18. tfjs's per-variable state is rebuilt from it for a step
   * that cannot use it (another backend, another list of variables); `getWeights` copies from it.
   */
  private packed: { names: string[]; offsets: number[]; total: number; state: tf.Variable } | null = null;

  private applyPacked(names: string[], gradients: tf.Tensor[], c1: number, c2: number): void {
    const self = this as unknown as AdamState;
    const values = names.map((name) => tf.engine().registeredVariables[name]);
    const { offsets, total, state } = this.packed ?? this.pack(names, values);
    tf.tidy(() => {
      let next: tf.Tensor = state;
      for (let from = 0; from < gradients.length; from += GRADIENTS_PER_PROGRAM) {
        const group = gradients.slice(from, from + GRADIENTS_PER_PROGRAM);
        const previous = next;
        next = run(
          PACKED_MOMENTS_KERNEL,
          { state: previous, ...Object.fromEntries(group.map((g, i) => [`g${i}`, g])) },
          { beta1: self.beta1, beta2: self.beta2, total, offsets: offsets.slice(from, from + group.length) },
        );
        // One copy of the state at a time, not one per group of variables.
        if (previous !== state) previous.dispose();
      }
      state.assign(next);
      const epsilon = Math.fround(self.epsilon);
      values.forEach((value, i) => {
        const attrs = { c1, c2, epsilon, learningRate: self.learningRate, offset: offsets[i], total };
        value.assign(run(PACKED_STEP_KERNEL, { value, state }, attrs));
      });
    });
  }

  /**
   * The packed state from tfjs's per-variable moments of these variables where there are any (zeros elsewhere),
   * which it then frees; moments kept for positions past these variables stay as tfjs keeps them.
   */
  private pack(names: string[], values: tf.Variable[]): NonNullable<FusedAdamOptimizer['packed']> {
    const self = this as unknown as AdamState;
    const offsets: number[] = [];
    let total = 0;
    for (const value of values) {
      offsets.push(total);
      total += value.size;
    }
    const moments = [self.accumulatedFirstMoment, self.accumulatedSecondMoment];
    for (const kept of moments) {
      values.forEach((value, i) => {
        const moment = kept[i]?.variable;
        if (moment && moment.size !== value.size) {
          throw new Error(
            `Adam's state for ${names[i]} has ${moment.size} values but the variable has ${value.size} ` +
              '(optimizer weights set from another model?)',
          );
        }
      });
    }
    const state = tf.tidy(() =>
      tf
        .concat(moments.flatMap((kept) => values.map((v, i) => kept[i]?.variable.flatten() ?? tf.zeros([v.size]))))
        .variable(false),
    );
    for (const kept of moments) {
      tf.dispose(kept.slice(0, names.length).flatMap((m) => (m ? [m.variable] : [])));
      kept.splice(0, names.length, ...new Array<undefined>(Math.min(names.length, kept.length)).fill(undefined));
    }
    this.packed = { names, offsets, total, state };
    return this.packed;
  }

  /** tfjs's per-variable moments from the packed state, which it frees. */
  private unpack(): void {
    if (!this.packed) return;
    const self = this as unknown as AdamState;
    const { names, offsets, total, state } = this.packed;
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      const part = (start: number) =>
        tf.tidy(() => state.slice(start, value.size).reshape(value.shape).variable(false));
      self.accumulatedFirstMoment[i] = { originalName: `${name}/m`, variable: part(offsets[i]) };
      self.accumulatedSecondMoment[i] = { originalName: `${name}/v`, variable: part(total + offsets[i]) };
    });
    state.dispose();
    this.packed = null;
  }

  /**
   * As tfjs's: the iterations, then every variable's first and second moments by name. From the packed state
   * they are copies (the caller's to dispose, as the iterations are), taken now: the state stays packed.
   */
  override async getWeights(): ReturnType<tf.AdamOptimizer['getWeights']> {
    if (!this.packed) return super.getWeights();
    type Named = Awaited<ReturnType<tf.AdamOptimizer['getWeights']>>[number];
    const iterations = await (this as unknown as { saveIterations(): Promise<Named> }).saveIterations();
    const self = this as unknown as AdamState;
    const { names, offsets, total, state } = this.packed;
    const part = (name: string, start: number) => {
      const value = tf.engine().registeredVariables[name];
      return tf.tidy(() => state.slice(start, value.size).reshape(value.shape));
    };
    // Moments tfjs keeps for positions past the packed variables, as they are.
    const later = (kept: AdamState['accumulatedFirstMoment']): Named[] =>
      kept.slice(names.length).flatMap((m) => (m ? [{ name: m.originalName, tensor: m.variable.clone() }] : []));
    return [
      iterations,
      ...names.map((name, i) => ({ name: `${name}/m`, tensor: part(name, offsets[i]) })),
      ...later(self.accumulatedFirstMoment),
      ...names.map((name, i) => ({ name: `${name}/v`, tensor: part(name, total + offsets[i]) })),
      ...later(self.accumulatedSecondMoment),
    ];
  }

  override async setWeights(weights: Parameters<tf.AdamOptimizer['setWeights']>[0]): Promise<void> {
    this.packed?.state.dispose();
    this.packed = null;
    await super.setWeights(weights);
  }

  override dispose(): void {
    this.packed?.state.dispose();
    this.packed = null;
    // tfjs's dispose reads every kept moment: drop the places the packed state held.
    const self = this as unknown as AdamState;
    self.accumulatedFirstMoment = self.accumulatedFirstMoment.filter((m) => m !== undefined);
    self.accumulatedSecondMoment = self.accumulatedSecondMoment.filter((m) => m !== undefined);
    super.dispose();
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
