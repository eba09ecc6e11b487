/**
 * Run by test/server/training/webgpuSoftware.test.ts in a process of its own (Dawn must see SwiftShader from the
 * start): trains one small CNN for a few steps on the webgpu backend twice, with tfjs's AdamOptimizer and with
 * the fused one (webgpuAdam.ts), from the same weights on the same batches, counting the programs each step
 * dispatches and the uploads it makes; then the GPU dropout, and the fused layers (fusedLayers.ts) against
 * tfjs-layers' own. Prints one JSON line.
 */
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '../../src/server/training/backend';
import type { StitchSchema } from '../../src/shared/schema/types';
import { fusedCrossEntropy, fusedMetric, useFusedLossHead } from '../../src/server/training/crossEntropy';
import { DROPOUT_KERNEL, dropoutValues } from '../../src/server/training/dropout';
import { reluGrad } from '../../src/server/training/gradients';
import { buildModel } from '../../src/server/training/model';
import { trainStep } from '../../src/server/training/trainStep';
import { FusedAdamOptimizer } from '../../src/server/training/webgpuAdam';
import { createRandom } from '../../src/server/random';

const STEPS = 4;

/** The webgpu backend's methods counted here (tfjs-backend-webgpu 4.22's names). */
interface WebgpuBackendMethods {
  tensorMap: { get(dataId: unknown): { values: ArrayLike<number> | null; resource: unknown } | undefined };
  runWebGPUProgram(...args: unknown[]): unknown;
  uploadToGPU(dataId: unknown): void;
}

async function main(): Promise<void> {
  const choice = await chooseBackend('webgpu');
  const backend = tf.backend() as unknown as WebgpuBackendMethods;
  const counts = { dispatches: 0, uploads: 0 };
  const run = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (...args) => {
    counts.dispatches += 1;
    return run(...args);
  };
  const upload = backend.uploadToGPU.bind(backend);
  backend.uploadToGPU = (dataId) => {
    const data = backend.tensorMap.get(dataId);
    if (data && data.resource == null && data.values) counts.uploads += 1;
    upload(dataId);
  };

  const rand = createRandom(5);
  const batch = 16;
  const xs = Array.from({ length: STEPS }, () =>
    tf.tensor(
      Float32Array.from({ length: batch * 12 * 12 }, () => rand()),
      [batch, 12, 12, 1],
    ),
  );
  const ys = Array.from({ length: STEPS }, (_, s) =>
    tf
      .oneHot(
        tf.tensor1d(
          Int32Array.from({ length: batch }, (_, i) => (i * 7 + s) % 4),
          'int32',
        ),
        4,
      )
      .toFloat(),
  );
  const schema = {
    version: 1 as const,
    name: 'steps',
    input: { shape: [12, 12, 1] },
    layers: [
      { id: 'conv', type: 'conv2d' as const, filters: 3, kernelSize: 3, activation: 'relu' as const },
      { id: 'flat', type: 'flatten' as const },
      { id: 'out', type: 'dense' as const, units: 4, activation: 'softmax' as const },
    ],
  };
  const initial = buildModel(schema);
  const weights = initial.getWeights().map((w) => w.clone());
  initial.dispose();
  const start = (await Promise.all(weights.map(async (w) => Array.from(await w.data())))).flat();

  const train = async (optimizer: tf.Optimizer) => {
    const model = buildModel(schema);
    model.setWeights(weights);
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    const losses: number[] = [];
    const perStep: { dispatches: number; uploads: number }[] = [];
    for (let s = 0; s < STEPS; s++) {
      const before = { ...counts };
      const scalars = await trainStep(model, xs[s], ys[s]);
      perStep.push({ dispatches: counts.dispatches - before.dispatches, uploads: counts.uploads - before.uploads });
      losses.push((await scalars[0].data())[0]);
      tf.dispose(scalars);
    }
    const final = await Promise.all(model.getWeights().map(async (w) => Array.from(await w.data())));
    optimizer.dispose();
    model.dispose();
    return { losses, weights: final.flat(), perStep: perStep[perStep.length - 1] };
  };
  const tfjs = await train(tf.train.adam(0.01));
  const fused = await train(new FusedAdamOptimizer(0.01, 0.9, 0.999));
  const maxDiff = Math.max(...tfjs.weights.map((w, i) => Math.abs(w - fused.weights[i])));
  // How far training moved the weights, for scale.
  const moved = Math.max(...tfjs.weights.map((w, i) => Math.abs(w - start[i])));
  const summary = (r: typeof tfjs) => ({ losses: r.losses, perStep: r.perStep });
  const dropout = await dropoutOnGpu(counts);
  const relu = await fusedReluOnGpu(counts, schema, xs[0], ys[0]);
  const lossHead = await lossHeadOnGpu(counts, schema, weights, xs[0], ys[0]);
  const reductions = await reductionsOnGpu(counts);
  const adamState = await adamStateOnGpu();
  const poolGrad = await maxPoolGradOnGpu(counts);
  console.log(
    JSON.stringify({
      backend: choice.detail,
      tfjs: summary(tfjs),
      fused: summary(fused),
      maxDiff,
      moved,
      dropout,
      relu,
      lossHead,
      reductions,
      adamState,
      poolGrad,
    }),
  );
}

/**
 * The schema's dropout layer (dropout.ts, webgpuDropout.ts) in training on webgpu, on 20,000 ones at rate 0.3: the
 * share of zeros, the other values, whether two calls differ, whether the gradient is the forward mask, what
 * inference gives, whether the kernel's values are the cpu and wasm kernel's, and what one call dispatches and
 * uploads.
 */
async function dropoutOnGpu(counts: { dispatches: number; uploads: number }) {
  const model = buildModel({
    version: 1,
    name: 'drop',
    input: { shape: [20000] },
    layers: [{ id: 'drop', type: 'dropout', rate: 0.3 }],
  });
  const layer = model.getLayer('drop');
  const x = tf.ones([1, 20000]);
  tf.neg(x).dispose(); // uploads x, so that what the dropout call uploads is counted alone
  const before = { ...counts };
  const first = layer.apply(x, { training: true }) as tf.Tensor;
  const call = { dispatches: counts.dispatches - before.dispatches, uploads: counts.uploads - before.uploads };
  const second = layer.apply(x, { training: true }) as tf.Tensor;
  // The gradient of sum(dropout(v)) is the mask of that forward pass: the forward output itself for v = 1.
  const v = tf.variable(tf.ones([1, 20000]));
  const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(v, { training: true }) as tf.Tensor), [v]);
  const [a, b, forwardSum, grad, inference] = await Promise.all([
    first.data(),
    second.data(),
    value.data(),
    grads[v.name].data(),
    (layer.apply(x, { training: false }) as tf.Tensor).data(),
  ]);
  // The same seed gives the cpu and wasm kernel's values (dropout.ts), bit for bit, on values other than ones.
  const random = createRandom(5);
  const noisy = Float32Array.from({ length: 20000 }, () => random() * 4 - 2);
  const onGpu = tf
    .engine()
    .runKernel<tf.Tensor>(DROPOUT_KERNEL, { x: tf.tensor(noisy) }, { keep: 0.7, seed: 0xdeadbeef });
  const gpuValues = await onGpu.data();
  const hostValues = dropoutValues(noisy, 0.7, 0xdeadbeef);
  const matchesHost = gpuValues.every((n, i) => Object.is(n, hostValues[i]));
  const values = [...new Set(Array.from(a, (n) => n.toFixed(5)))].sort();
  const gradientSum = (grad as Float32Array).reduce((sum, n) => sum + n, 0);
  const result = {
    className: layer.getClassName(),
    zeros: a.filter((n) => n === 0).length / a.length,
    values,
    differs: a.some((n, i) => n !== b[i]),
    gradientIsMask:
      Math.abs(gradientSum - forwardSum[0]) < 1e-2 && grad.every((n) => n === 0 || Math.abs(n - 1 / 0.7) < 1e-5),
    inferenceIsIdentity: inference.every((n) => n === 1),
    matchesHost,
    call,
  };
  model.dispose();
  return result;
}

/**
 * The fused layers (fusedLayers.ts) on webgpu: ReLU's gradient in one program against tfjs's Step and Multiply on
 * special values, and one forward and backward pass of `schema` against tfjs-layers' own model with the same
 * weights: the gradients, and the programs each dispatches.
 */
async function fusedReluOnGpu(
  counts: { dispatches: number; uploads: number },
  schema: StitchSchema,
  x: tf.Tensor,
  labels: tf.Tensor,
) {
  const y = tf.tensor([-2, -0, 0, 0.5, NaN, Infinity, -Infinity, 3, 1e-30]);
  const dy = tf.tensor([1, -1, 2, 3, 4, 5, 6, -7, NaN]);
  let before = counts.dispatches;
  const ours = reluGrad(dy, y);
  const oursDispatches = counts.dispatches - before;
  before = counts.dispatches;
  const theirs = tf.mul(dy, tf.step(y));
  const theirsDispatches = counts.dispatches - before;
  const [a, b] = await Promise.all([ours.data(), theirs.data()]);
  const gradMatches = a.every((v, i) => Object.is(v, b[i]));

  const fusedModel = buildModel(schema);
  const plainModel = tf.Sequential.fromConfig<tf.Sequential>(tf.Sequential, fusedModel.getConfig());
  plainModel.setWeights(fusedModel.getWeights());
  const pass = async (model: tf.LayersModel) => {
    const start = counts.dispatches;
    const { grads } = tf.variableGrads(() =>
      tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(labels, model.apply(x, { training: true }) as tf.Tensor),
    );
    const dispatches = counts.dispatches - start;
    const values = await Promise.all(model.trainableWeights.map((w) => grads[w.name].data()));
    tf.dispose(Object.values(grads));
    return { dispatches, values: values.flatMap((v) => Array.from(v)) };
  };
  const fusedPass = await pass(fusedModel);
  const plainPass = await pass(plainModel);
  const gradDiff = Math.max(...fusedPass.values.map((v, i) => Math.abs(v - plainPass.values[i])));
  tf.dispose([y, dy, ours, theirs]);
  fusedModel.dispose();
  plainModel.dispose();
  return {
    gradMatches,
    oursDispatches,
    theirsDispatches,
    fusedDispatches: fusedPass.dispatches,
    plainDispatches: plainPass.dispatches,
    gradDiff,
  };
}

/**
 * The loss head (crossEntropy.ts, webgpuCrossEntropy.ts) on webgpu against tfjs's functions: the cross-entropy
 * per row and its gradient on softmax outputs where the clip to [ε, 1 − ε] applies in some rows, the accuracy
 * (a tie included), softmax's gradient; the programs the loss takes; and one training step of `schema` with and
 * without the fused head: its loss, gradients (through the weights after an SGD step) and programs.
 */
async function lossHeadOnGpu(
  counts: { dispatches: number; uploads: number },
  schema: StitchSchema,
  weights: tf.Tensor[],
  x: tf.Tensor,
  labels: tf.Tensor,
) {
  const maxDiff = async (a: tf.Tensor, b: tf.Tensor) => {
    const [u, v] = await Promise.all([a.data(), b.data()]);
    return Math.max(...Array.from(u, (n, i) => Math.abs(n - v[i])));
  };
  const tfjsLoss = (t: tf.Tensor, q: tf.Tensor) => tf.metrics.categoricalCrossentropy(t, q);
  const ours = fusedCrossEntropy(tfjsLoss);
  const p = tf.softmax(
    tf.tensor2d([
      [0.5, -1, 2, 0.1, 0],
      [40, -5, 0, 1, 2],
      [-30, 8, 0, 0, 0],
      [1, 1, -2, 0.3, 0.7],
    ]),
  );
  const t = tf.oneHot(tf.tensor1d([2, 0, 0, 4], 'int32'), 5).toFloat();
  const w = tf.tensor1d([1, -2, 3, 0.5]);
  const before = counts.dispatches;
  const loss = ours(t, p);
  const lossDispatches = counts.dispatches - before;
  const gradient = (f: typeof ours) => tf.grad((q: tf.Tensor) => tf.sum(tf.mul(f(t, q), w)))(p);
  const lossDiff = await maxDiff(loss, tfjsLoss(t, p));
  const gradDiff = await maxDiff(gradient(ours), gradient(tfjsLoss));
  const gradScale = Math.max(...Array.from(await gradient(tfjsLoss).data(), Math.abs));
  const tie = tf.tensor2d([
    [0.4, 0.4, 0.2, 0, 0],
    [0.1, 0.2, 0.3, 0.2, 0.2],
  ]);
  const tieTarget = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 5).toFloat();
  const accuracy = fusedMetric(tf.metrics.categoricalAccuracy);
  const accuracyValues = Array.from(await accuracy(tf.concat([t, tieTarget]), tf.concat([p, tie])).data());
  const tfjsAccuracy = Array.from(
    await tf.metrics.categoricalAccuracy(tf.concat([t, tieTarget]), tf.concat([p, tie])).data(),
  );
  const r = tf.tensor2d(
    Float32Array.from({ length: 20 }, (_, i) => Math.sin(i)),
    [4, 5],
  );
  const z = tf.tensor2d(
    Float32Array.from({ length: 20 }, (_, i) => Math.cos(i * 3)),
    [4, 5],
  );
  const y = tf.softmax(z);
  const dyTimesY = tf.mul(r, y);
  const softmaxDiff = await maxDiff(
    tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.softmax(v), r)))(z),
    tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [1], true), y)),
  );

  // Rows wider than WEBGPU_MAX_CLASSES take tfjs's kernels (each of ours reads its whole row per value).
  const wideP = tf.softmax(
    tf.tensor2d(
      Float32Array.from({ length: 2 * 300 }, (_, i) => Math.sin(i)),
      [2, 300],
    ),
  );
  const wideT = tf.oneHot(tf.tensor1d([3, 200], 'int32'), 300).toFloat();
  const wideKernels = (
    await tf.profile(() => [ours(wideT, wideP), tf.grad((v: tf.Tensor) => tf.sum(tf.softmax(v)))(wideP)])
  ).kernels.map((k) => k.name);
  const wide = {
    fused: wideKernels.filter((k) => k.startsWith('Stitch')),
    diff: await maxDiff(ours(wideT, wideP), tfjsLoss(wideT, wideP)),
  };

  // One SGD step of the schema's model, from the same weights, with tfjs's loss head and with ours.
  const step = async (fused: boolean) => {
    const model = buildModel(schema);
    model.setWeights(weights);
    model.compile({
      optimizer: tf.train.sgd(0.1),
      loss: 'categoricalCrossentropy',
      metrics: [tf.metrics.categoricalAccuracy],
    });
    if (fused) useFusedLossHead(model);
    const start = counts.dispatches;
    const scalars = await trainStep(model, x, labels);
    const dispatches = counts.dispatches - start;
    const values = await Promise.all(scalars.map(async (s) => (await s.data())[0]));
    const after = (await Promise.all(model.getWeights().map(async (v) => Array.from(await v.data())))).flat();
    tf.dispose(scalars);
    model.dispose();
    return { dispatches, values, after };
  };
  const plain = await step(false);
  const fused = await step(true);
  return {
    lossDispatches,
    lossDiff,
    gradDiff,
    gradScale,
    accuracyValues,
    tfjsAccuracy,
    softmaxDiff,
    stepDispatches: { plain: plain.dispatches, fused: fused.dispatches },
    stepValues: { plain: plain.values, fused: fused.values },
    weightDiff: Math.max(...plain.after.map((v, i) => Math.abs(v - fused.after[i]))),
    wide,
  };
}

/**
 * Sum and Mean over leading axes (webgpuReduce.ts) against sums in float64 in JS: a bias gradient's shape (rows
 * above the 4,096 where the program takes 256 lanes), a few rows of many columns, keepDims, an odd row count;
 * the programs each takes; and a reduction over other axes, which stays tfjs's.
 */
async function reductionsOnGpu(counts: { dispatches: number; uploads: number }) {
  const cases: { shape: number[]; axis: number[]; keepDims: boolean; mean: boolean }[] = [
    { shape: [16, 26, 26, 8], axis: [0, 1, 2], keepDims: false, mean: false },
    { shape: [64, 130], axis: [0], keepDims: true, mean: true },
    { shape: [7, 3, 5], axis: [0, 1], keepDims: false, mean: true },
    { shape: [6, 4, 5], axis: [1, 2], keepDims: false, mean: false },
  ];
  const results = [];
  for (const [n, c] of cases.entries()) {
    const size = c.shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37 + n));
    const x = tf.tensor(values, c.shape);
    tf.neg(x).dispose(); // uploads x, so that only the reduction's programs are counted
    const before = counts.dispatches;
    const y = c.mean ? tf.mean(x, c.axis, c.keepDims) : tf.sum(x, c.axis, c.keepDims);
    const dispatches = counts.dispatches - before;
    const got = await y.data();
    // The expected values in float64, by each element's output index.
    const strides = c.shape.map((_, i) => c.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    const outDims = c.shape.map((d, i) => (c.axis.includes(i) ? 1 : d));
    const outStrides = outDims.map((_, i) => outDims.slice(i + 1).reduce((a, b) => a * b, 1));
    const expected = new Float64Array(got.length);
    for (let i = 0; i < size; i++) {
      const at = c.shape.reduce(
        (o, _, d) => o + (c.axis.includes(d) ? 0 : Math.floor(i / strides[d]) % c.shape[d]) * outStrides[d],
        0,
      );
      expected[at] += values[i];
    }
    const count = c.axis.reduce((a, d) => a * c.shape[d], 1);
    const maxDiff = Math.max(...Array.from(got, (v, i) => Math.abs(v - (c.mean ? expected[i] / count : expected[i]))));
    // Mean's gradient (gradients.ts, StitchMeanGrad): each value's is its output's weight / the count averaged.
    const weights = tf.tensor(
      Float32Array.from({ length: got.length }, (_, i) => 1 + (i % 7)),
      y.shape,
    );
    const mean = (v: tf.Tensor) => tf.sum(tf.mul(tf.mean(v, c.axis, c.keepDims), weights));
    const profile = await tf.profile(() => tf.grad(mean)(x));
    const grad = await tf.grad(mean)(x).data();
    let gradDiff = 0;
    for (let i = 0; i < size; i++) {
      const at = c.shape.reduce(
        (o, _, d) => o + (c.axis.includes(d) ? 0 : Math.floor(i / strides[d]) % c.shape[d]) * outStrides[d],
        0,
      );
      gradDiff = Math.max(gradDiff, Math.abs(grad[i] - (1 + (at % 7)) / count));
    }
    const meanGradKernels = profile.kernels.filter((k) => k.name === 'StitchMeanGrad').length;
    results.push({ shape: y.shape, dispatches, maxDiff, gradDiff, meanGradKernels });
    tf.dispose([x, y, weights]);
  }
  return results;
}

/**
 * The fused Adam's packed state (webgpuAdam.ts) on a model of 10 variables (two moments programs a step: 6 and 4
 * gradients) against tfjs's Adam: the weights after 3 steps, the moments `getWeights` gives back after 2, and
 * what a fresh optimizer given tfjs's state with `setWeights` does in its next step.
 */
async function adamStateOnGpu() {
  const x = tf.tensor2d(
    Float32Array.from({ length: 8 * 6 }, (_, i) => Math.sin(i)),
    [8, 6],
  );
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3).toFloat();
  const deepSchema: StitchSchema = {
    version: 1,
    name: 'deep',
    input: { shape: [6] },
    layers: [
      ...[5, 5, 4, 4].map((units, i) => ({ id: `d${i}`, type: 'dense' as const, units, activation: 'relu' as const })),
      { id: 'out', type: 'dense', units: 3, activation: 'softmax' },
    ],
  };
  const deep = buildModel(deepSchema);
  const start = deep.getWeights().map((w) => w.clone());
  deep.dispose();
  const values = async (tensors: tf.Tensor[]) =>
    (await Promise.all(tensors.map(async (t) => Array.from(await t.data())))).flat();
  const diff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  const train = async (optimizer: tf.Optimizer, steps: number, weights = start) => {
    const model = buildModel(deepSchema);
    model.setWeights(weights);
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    for (let step = 0; step < steps; step++) tf.dispose(await trainStep(model, x, labels));
    return model;
  };
  const tfjsAdam = tf.train.adam(0.05);
  const fusedAdam = new FusedAdamOptimizer(0.05, 0.9, 0.999);
  const a = await train(tfjsAdam, 2);
  const b = await train(fusedAdam, 2);
  // The moments and iterations after 2 steps, as tfjs keeps them (names, shapes, values).
  const tfjsState = await tfjsAdam.getWeights();
  const fusedState = await fusedAdam.getWeights();
  const plainName = (name: string) => name.replace(/_\d+/g, '');
  const stateNames = fusedState.map((w) => plainName(w.name)).join() === tfjsState.map((w) => plainName(w.name)).join();
  const stateDiff = diff(await values(fusedState.map((w) => w.tensor)), await values(tfjsState.map((w) => w.tensor)));
  // One more step each; what getWeights gave stays readable (copies, not the state).
  for (const model of [a, b]) tf.dispose(await trainStep(model, x, labels));
  const weightDiff = diff(await values(b.getWeights()), await values(a.getWeights()));
  const stateKept = fusedState.every((w) => !w.tensor.isDisposed);
  // A fresh fused optimizer given tfjs's state after 3 steps, on a model with tfjs's weights: one step each.
  const restored = new FusedAdamOptimizer(0.05, 0.9, 0.999);
  await restored.setWeights(await tfjsAdam.getWeights());
  const c = await train(restored, 0, a.getWeights());
  for (const model of [a, c]) tf.dispose(await trainStep(model, x, labels));
  const restoredDiff = diff(await values(c.getWeights()), await values(a.getWeights()));
  const moved = diff(await values(a.getWeights()), await values(start));
  for (const model of [a, b, c]) model.dispose();
  fusedAdam.dispose();
  restored.dispose();

  // Steps over [p, q, r], [q, r] twice, [p, q, r] twice: tfjs keeps moments by position, and so does ours.
  const shifting = async (optimizer: tf.Optimizer) => {
    const vars = [1, 2, 3].map((k) => tf.variable(tf.fill([4], k)));
    for (const list of [vars, vars.slice(1), vars.slice(1), vars, vars]) {
      optimizer.applyGradients(list.map((v, i) => ({ name: v.name, tensor: tf.fill([4], 0.25 * (i + 1)) })));
    }
    const after = await values(vars);
    tf.dispose(vars);
    optimizer.dispose();
    return after;
  };
  const shiftDiff = diff(await shifting(new FusedAdamOptimizer(0.1, 0.9, 0.999)), await shifting(tf.train.adam(0.1)));
  return {
    stateNames,
    stateCount: fusedState.length,
    stateDiff,
    stateKept,
    weightDiff,
    restoredDiff,
    moved,
    shiftDiff,
  };
}

/**
 * MaxPool's gradient in one program (webgpuPoolGrad.ts) against the backend's own two (kept as the kernel's
 * `original`): 2×2 pools on even and odd sizes ('valid' and 'same'), a 3×3 one, windows with ties (ReLU's zeros,
 * equal maxima), NaN in x and dy; bit for bit, with the programs each takes. An overlapping pool stays tfjs's.
 */
async function maxPoolGradOnGpu(counts: { dispatches: number; uploads: number }) {
  const config = tf.getKernel('MaxPoolGrad', 'webgpu') as tf.KernelConfig & { original: tf.KernelFunc };
  const cases: { shape: [number, number, number, number]; size: number; stride: number; pad: 'valid' | 'same' }[] = [
    { shape: [2, 6, 6, 3], size: 2, stride: 2, pad: 'valid' },
    { shape: [2, 7, 5, 4], size: 2, stride: 2, pad: 'valid' },
    { shape: [1, 7, 7, 2], size: 2, stride: 2, pad: 'same' },
    { shape: [1, 9, 9, 2], size: 3, stride: 3, pad: 'valid' },
    { shape: [1, 6, 6, 2], size: 3, stride: 1, pad: 'valid' },
  ];
  const results = [];
  for (const c of cases) {
    const count = c.shape.reduce((a, b) => a * b, 1);
    // Rounded values give ties; negatives through ReLU give windows of zeros; a few NaN.
    const values = Float32Array.from({ length: count }, (_, i) =>
      i % 17 === 5 ? NaN : Math.max(0, Math.round(Math.sin(i * 1.7) * 3)),
    );
    const x = tf.tensor4d(values, c.shape);
    const y = tf.maxPool(x, c.size, c.stride, c.pad);
    const dy = tf.tensor(
      Float32Array.from({ length: y.size }, (_, i) => (i % 13 === 7 ? NaN : i % 2 ? -(i + 1) : i + 1)),
      y.shape,
    );
    const args = {
      inputs: { dy, input: x, output: y },
      backend: tf.backend(),
      attrs: { filterSize: c.size, strides: c.stride, pad: c.pad, dimRoundingMode: undefined },
    };
    const before = counts.dispatches;
    const ours = tf.engine().makeTensorFromTensorInfo(config.kernelFunc(args as never) as tf.TensorInfo);
    const dispatches = counts.dispatches - before;
    const theirs = tf.engine().makeTensorFromTensorInfo(config.original(args as never) as tf.TensorInfo);
    const [a, b] = await Promise.all([ours.data(), theirs.data()]);
    results.push({ same: a.every((v, i) => Object.is(v, b[i])), dispatches });
    tf.dispose([x, y, dy, ours, theirs]);
  }
  return results;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
