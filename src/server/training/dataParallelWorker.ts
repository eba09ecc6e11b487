/**
 * One data-parallel training worker (a `worker_threads` thread; dataParallel.ts starts N of them). It holds
 * its own copy of the model on the single-threaded backend, and per step:
 *
 * 1. applies the averaged gradients of the previous step (written by the main thread into shared memory)
 *    with its own optimizer: every worker applies the same numbers in the same order, so the weights of all
 *    workers stay identical without being sent around;
 * 2. computes the gradients of the mean loss on its shard of the batch and writes them into its own slot of
 *    shared memory, then answers with the shard's loss and accuracy.
 *
 * Randomness (dropout masks) comes from `Math.random`, seeded per worker from the run's seed and the
 * worker's index, so the same seed and worker count give the same run.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { createRandom } from '../random';
import { chooseBackend } from './backend';
import { accuracyMetric, makeBatch } from './batches';
import { buildModel } from './model';
import { createOptimizer } from './optimizers';
import type { TestFault } from './dataParallelLimits';
import type { WorkerReply, WorkerRequest, WorkerInit } from './dataParallelProtocol';

type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

interface Replica {
  init: WorkerInit;
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  vars: tf.Variable[];
  /** Offset of each trainable variable in the flat gradient layout (model.trainableWeights order). */
  offsets: number[];
  slot: Float32Array;
  averaged: Float32Array;
}

let replica: Replica | null = null;
/** Steps this worker has been sent (for the test-only fault). */
let steps = 0;

function reply(message: WorkerReply): void {
  parentPort?.postMessage(message);
}

async function start(init: WorkerInit): Promise<Replica> {
  await chooseBackend(init.backend, { threads: 1, dataParallel: false });
  Math.random = createRandom(init.randomSeed);
  const model = buildModel(init.schema);
  const weights = init.weights.map((w, i) => tf.tensor(w, model.weights[i].read().shape));
  model.setWeights(weights);
  tf.dispose(weights);
  const optimizer = createOptimizer(init.optimizer);
  // Compiled for its loss function (the same one the single-thread path uses); the optimizer is applied here.
  model.compile({ optimizer, loss: init.loss });
  // A LayerVariable's read() is its tf.Variable (tfjs-layers declares it as a Tensor).
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const offsets: number[] = [];
  let size = 0;
  for (const v of vars) {
    offsets.push(size);
    size += v.size;
  }
  if (size !== init.params)
    throw new Error(`worker ${init.index}: the model has ${size} parameters, expected ${init.params}`);
  return {
    init,
    model,
    optimizer,
    vars,
    offsets,
    slot: new Float32Array(init.gradients, init.index * size * 4, size),
    averaged: new Float32Array(init.averaged, 0, size),
  };
}

/** Applies the averaged gradients in shared memory with this worker's optimizer. */
function applyAveraged(r: Replica): void {
  const grads = r.vars.map((v, i) => ({
    name: v.name,
    tensor: tf.tensor(r.averaged.subarray(r.offsets[i], r.offsets[i] + v.size), v.shape),
  }));
  r.optimizer.applyGradients(grads);
  tf.dispose(grads.map((g) => g.tensor));
}

/** Gradients of the mean loss on the shard into this worker's slot; returns [loss, accuracy]. */
function shardGradients(r: Replica, x: Float32Array, labels: Int32Array, count: number): [number, number] {
  const { inputShape, numClasses, encoding } = r.init;
  const batch = makeBatch({ x, labels, count }, null, 0, count, inputShape, numClasses, encoding);
  // A Sequential compiles the LayersModel it wraps, which holds the loss function.
  const compiled = r.model instanceof tf.Sequential ? (r.model as unknown as { model: tf.LayersModel }).model : r.model;
  const lossFn = (compiled as unknown as { lossFunctions: LossFn[] }).lossFunctions[0];
  const metric = accuracyMetric(encoding);
  // The accuracy is computed inside the taped function (it needs the predictions) and kept out of its tidy.
  const kept: { accuracy?: tf.Tensor } = {};
  try {
    const { value, grads } = tf.variableGrads(() => {
      const yPred = r.model.apply(batch.xs, { training: true }) as tf.Tensor;
      kept.accuracy = tf.keep(tf.mean(metric(batch.ys, yPred)));
      return tf.mean<tf.Scalar>(lossFn(batch.ys, yPred));
    }, r.vars);
    r.vars.forEach((v, i) => {
      r.slot.set(grads[v.name].dataSync(), r.offsets[i]);
    });
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    return [loss, kept.accuracy?.dataSync()[0] ?? NaN];
  } finally {
    tf.dispose([batch.xs, batch.ys, ...(kept.accuracy ? [kept.accuracy] : [])]);
  }
}

/** TEST ONLY (`STITCH_DP_TEST_FAULT`, dataParallelLimits.ts): fails on purpose where the fault says. */
function simulateFault(fault: TestFault | null, at: 'start' | number): void {
  if (!fault) return;
  const now = at === 'start' ? fault.kind.startsWith('start-') : !fault.kind.startsWith('start-') && at === fault.step;
  if (!now) return;
  if (fault.kind === 'exit') process.exit(3);
  if (fault.kind.endsWith('throw')) {
    // Throws 200 ms late, after the other workers have answered: an error that is the last answer awaited
    // once left the start-up or the step waiting forever (dataParallel.ts).
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    throw new Error(`test fault: ${fault.kind} at ${at === 'start' ? at : `step ${at}`}`);
  }
  // A hang that keeps the thread busy, the hardest kind to stop: only terminate() ends it.
  for (;;);
}

async function handle(message: WorkerRequest): Promise<void> {
  if (message.type === 'init') {
    simulateFault(message.init.testFault, 'start');
    replica = await start(message.init);
    reply({ type: 'ready' });
    return;
  }
  if (!replica) throw new Error('the worker got a step before it was set up');
  if (message.apply) applyAveraged(replica);
  if (message.type === 'step') {
    steps += 1;
    simulateFault(replica.init.testFault, steps);
    const [loss, accuracy] =
      message.count > 0 ? shardGradients(replica, message.x, message.labels, message.count) : [0, 0];
    reply({ type: 'stepped', loss, accuracy });
    return;
  }
  // 'sync': the weights, read back only where asked (worker 0), for the main thread's model.
  const weights = message.wantWeights ? replica.model.getWeights().map((w) => w.dataSync() as Float32Array) : null;
  reply({ type: 'synced', weights });
}

parentPort?.on('message', (message: WorkerRequest) => {
  handle(message).catch((err: unknown) => {
    reply({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  });
});
