/**
 * A data-parallel worker's copy of the model and its two steps (dataParallelWorker.ts runs them in a
 * `worker_threads` thread; `bench/profile-wasm.ts --replica` times them in one process):
 *
 * 1. `applyPending`: the gradients of the previous step, averaged and applied with the replica's own
 *    optimizer. Each worker sums its slice of the parameters over every worker's slot (in worker order,
 *    weighted by their shards' shares), waits until all slices are written, then applies the whole mean:
 *    every worker applies the same numbers in the same order, so the weights of all workers stay identical
 *    without being sent around, and the averaging is shared out instead of left to the main thread;
 * 2. `shardGradients`: the gradients of the mean loss on the replica's shard of the batch, written into its
 *    own slot of shared memory; it returns the shard's loss and accuracy.
 */
import * as tf from '@tensorflow/tfjs';
import { accuracyMetric, makeBatch } from './batches';
import { fusedMetric, useFusedLossHead } from './crossEntropy';
import { buildModel } from './model';
import { createOptimizer } from './optimizers';
import { Control, shardOf, type WorkerInit } from './dataParallelProtocol';

type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

export interface Replica {
  init: WorkerInit;
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  vars: tf.Variable[];
  /** Offset of each trainable variable in the flat gradient layout (model.trainableWeights order). */
  offsets: number[];
  /** Every worker's gradient slot, in worker order; this replica's own is `slot`. */
  gradients: Float32Array;
  slot: Float32Array;
  averaged: Float32Array;
  control: Int32Array;
  results: Float64Array;
  /** This replica's slice of the mean gradient, summed in float64. */
  sum: Float64Array;
}

/** The replica of `init`, on the backend already chosen. */
export function createReplica(init: WorkerInit): Replica {
  const model = buildModel(init.schema);
  const weights = init.weights.map((w, i) => tf.tensor(w, model.weights[i].read().shape));
  model.setWeights(weights);
  tf.dispose(weights);
  const optimizer = createOptimizer(init.optimizer);
  // Compiled for its loss function (the same one the single-thread path uses); the optimizer is applied here.
  model.compile({ optimizer, loss: init.loss });
  useFusedLossHead(model);
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
  const [from, to] = shardOf(init.index, init.workers, size);
  return {
    init,
    model,
    optimizer,
    vars,
    offsets,
    gradients: new Float32Array(init.gradients, 0, init.workers * size),
    slot: new Float32Array(init.gradients, init.index * size * 4, size),
    averaged: new Float32Array(init.averaged, 0, size),
    control: new Int32Array(init.control),
    results: new Float64Array(init.results),
    sum: new Float64Array(to - from),
  };
}

/**
 * Applies the gradients of a step of `batch` samples: writes this replica's slice of their weighted mean into
 * `averaged`, waits for every worker's slice, and applies the mean. Each element is summed in worker order
 * in float64, so the numbers never depend on timing (nor on which worker summed them).
 */
export function applyPending(r: Replica, batch: number): void {
  const { index, workers, params } = r.init;
  const [lo, hi] = shardOf(index, workers, params);
  const { sum } = r;
  sum.fill(0);
  for (let k = 0; k < workers; k++) {
    const [from, to] = shardOf(k, workers, batch);
    if (to === from) continue;
    const share = (to - from) / batch;
    const slot = r.gradients.subarray(k * params + lo, k * params + hi);
    for (let j = 0; j < sum.length; j++) sum[j] += share * slot[j];
  }
  r.averaged.set(sum, lo);
  barrier(r.control, workers);
  applyAveraged(r);
}

/** Returns once all `workers` threads have called it (the same number of times). */
function barrier(control: Int32Array, workers: number): void {
  const released = Atomics.load(control, Control.RELEASED);
  if (Atomics.add(control, Control.ARRIVED, 1) === workers - 1) {
    Atomics.store(control, Control.ARRIVED, 0);
    Atomics.add(control, Control.RELEASED, 1);
    Atomics.notify(control, Control.RELEASED);
    return;
  }
  // Timed waits: a thread that is being terminated stops between two of them.
  while (Atomics.load(control, Control.RELEASED) === released) Atomics.wait(control, Control.RELEASED, released, 100);
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
export function shardGradients(r: Replica, x: Float32Array, labels: Int32Array, count: number): [number, number] {
  const { inputShape, numClasses, encoding } = r.init;
  const batch = makeBatch({ x, labels, count }, null, 0, count, inputShape, numClasses, encoding);
  // A Sequential compiles the LayersModel it wraps, which holds the loss function.
  const compiled = r.model instanceof tf.Sequential ? (r.model as unknown as { model: tf.LayersModel }).model : r.model;
  const lossFn = (compiled as unknown as { lossFunctions: LossFn[] }).lossFunctions[0];
  const metric = fusedMetric(accuracyMetric(encoding));
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
