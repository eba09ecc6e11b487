/**
 * A data-parallel worker's copy of the model and its two steps (dataParallelWorker.ts runs them in a
 * `worker_threads` thread; `bench/profile-wasm.ts --replica` times them in one process):
 *
 * 1. `applyPending`: the gradients of the previous step, averaged and applied. Each worker owns a slice of the
 *    parameters (`shardOf`): it sums that slice of the gradients over every worker's slot (in worker order,
 *    weighted by their shards' shares), steps its slice with its own optimizer (whose state covers that slice
 *    only), writes the new values into shared memory, waits until every slice is written and copies the whole
 *    into its model. The optimizers are element-wise, so this gives the numbers of one optimizer over all the
 *    parameters, and both the averaging and the optimizer's work are shared out instead of each worker (or
 *    the main thread) doing all of it;
 * 2. `shardGradients`: the gradients of the mean loss on the replica's shard of the batch, written into its
 *    own slot of shared memory; it returns the shard's loss and accuracy.
 */
import * as tf from '@tensorflow/tfjs';
import { accuracyMetric, makeBatch } from './batches';
import { fusedMetric, useFusedLossHead } from './crossEntropy';
import { heapOf } from './hostKernels';
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
  /** The trainable weights after the last step, each worker writing its slice. */
  updated: Float32Array;
  /** This replica's slice of the parameters, [lo, hi) in the flat layout: its values, stepped by `optimizer`. */
  lo: number;
  hi: number;
  owned: tf.Variable | null;
  /** The slice's mean gradient, summed in float64 (`sum`), then rounded (`mean`). */
  sum: Float64Array;
  mean: Float32Array;
  control: Int32Array;
  results: Float64Array;
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
  const [lo, hi] = shardOf(init.index, init.workers, size);
  return {
    init,
    model,
    optimizer,
    vars,
    offsets,
    gradients: new Float32Array(init.gradients, 0, init.workers * size),
    slot: new Float32Array(init.gradients, init.index * size * 4, size),
    updated: new Float32Array(init.updated, 0, size),
    control: new Int32Array(init.control),
    results: new Float64Array(init.results),
    lo,
    hi,
    owned: hi > lo ? tf.tidy(() => tf.variable(tf.tensor1d(sliceOf(vars, offsets, lo, hi)))) : null,
    sum: new Float64Array(hi - lo),
    mean: new Float32Array(hi - lo),
  };
}

/** Values [lo, hi) of the variables laid end to end (`offsets`). */
function sliceOf(vars: tf.Variable[], offsets: number[], lo: number, hi: number): Float32Array {
  const values = new Float32Array(hi - lo);
  vars.forEach((v, i) => {
    const from = Math.max(lo, offsets[i]);
    const to = Math.min(hi, offsets[i] + v.size);
    if (to > from) values.set((v.dataSync() as Float32Array).subarray(from - offsets[i], to - offsets[i]), from - lo);
  });
  return values;
}

/**
 * Applies the gradients of a step of `batch` samples: steps this replica's slice of the parameters by their
 * weighted mean, writes it into `updated`, waits for every worker's slice, and takes the whole. Each element
 * is summed in worker order in float64, so the numbers never depend on timing (nor on which worker owns them).
 * Returns how long it waited for the other workers, in ms.
 */
export function applyPending(r: Replica, batch: number): number {
  const { workers, params } = r.init;
  const { lo, hi, sum, owned } = r;
  if (owned) {
    sum.fill(0);
    for (let k = 0; k < workers; k++) {
      const [from, to] = shardOf(k, workers, batch);
      if (to === from) continue;
      const share = (to - from) / batch;
      const slot = r.gradients.subarray(k * params + lo, k * params + hi);
      for (let j = 0; j < sum.length; j++) sum[j] += share * slot[j];
    }
    r.mean.set(sum);
    const gradient = tf.tensor1d(r.mean);
    r.optimizer.applyGradients([{ name: owned.name, tensor: gradient }]);
    gradient.dispose();
    r.updated.set(valuesOf(owned), lo);
  }
  const arrived = performance.now();
  barrier(r.control, workers);
  const waited = performance.now() - arrived;
  const wasm = heapOf(tf.backend()) !== null;
  r.vars.forEach((v, i) => {
    const view = r.updated.subarray(r.offsets[i], r.offsets[i] + v.size);
    // wasm copies the values into its memory; the cpu backend would keep the view of shared memory, which the
    // workers overwrite next step (and which a weight sync would hand to the main thread as it is).
    const values = tf.tensor(wasm ? view : view.slice(), v.shape);
    v.assign(values);
    values.dispose();
  });
  return waited;
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
      r.slot.set(valuesOf(grads[v.name]), r.offsets[i]);
    });
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    return [loss, kept.accuracy?.dataSync()[0] ?? NaN];
  } finally {
    tf.dispose([batch.xs, batch.ys, ...(kept.accuracy ? [kept.accuracy] : [])]);
  }
}

/**
 * A float32 tensor's values: on wasm a view of the backend's memory (valid until its next allocation), since
 * `dataSync` copies them into a fresh buffer each time (for a 784×256 gradient that costs up to a millisecond
 * a step, most of it page faults); elsewhere `dataSync`.
 */
function valuesOf(t: tf.Tensor): Float32Array {
  const heap = heapOf(tf.backend());
  return (heap ? heap.typedArrayFromHeap(t) : t.dataSync()) as Float32Array;
}
