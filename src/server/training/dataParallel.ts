/**
 * Data-parallel training on N worker threads (dataParallelWorker.ts), each with its own replica of the model
 * on the single-threaded backend. Why: tfjs's threaded wasm build (wasmThreads.ts) speeds up little beyond
 * the convolutions' products, while whole replicas keep every core busy for the whole step (measured in
 * docs/benchmarks.md).
 *
 * Per batch: the batch is cut into N fixed shards (worker i gets samples [i·n/N, (i+1)·n/N)); each worker
 * computes the gradients of the mean loss on its shard into its slot of a SharedArrayBuffer; the main thread
 * adds the slots in worker order, each weighted by its shard's share of the batch (so the sum is the
 * full batch's gradient for a mean-reduced loss), into a second shared buffer; with the next message every
 * worker applies that same sum with its own identical optimizer. The weights therefore stay identical on every
 * worker without being sent; worker 0's are copied to the main thread's model for validation and saving.
 *
 * A worker that throws or exits rejects the step that waits on it (the run fails with the reason); one that
 * does not answer within a bound (dataParallelLimits.ts) is a failure too, and every worker is then ended.
 * A group that cannot start rejects with a DataParallelStartError (train.ts then trains on its own thread).
 * An aborted signal rejects what is waiting at once.
 */
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { LossName, OptimizerSpec, StitchSchema } from '../../shared/schema/types';
import type { LabeledSamples } from '../data/types';
import type { LabelEncoding } from './batches';
import {
  seconds,
  STEP_BOUND_FACTOR,
  testFaultFor,
  timeoutsFromEnv,
  type DataParallelTimeouts,
} from './dataParallelLimits';
import type { WorkerReply, WorkerRequest } from './dataParallelProtocol';
import { DataParallelStartError, startWorkers } from './dataParallelThreads';

export { DataParallelStartError };

export interface DataParallelOptions {
  /** Worker threads (≥ 2; one is the single-thread path of train.ts). */
  workers: number;
  /** The backend every worker runs, single-threaded. */
  backend: 'wasm' | 'cpu';
  /** The schema every worker builds its replica from (its weights are then replaced by the main model's). */
  schema: StitchSchema;
  /** How long to wait on the workers; default `timeoutsFromEnv()` (dataParallelLimits.ts). */
  timeouts?: DataParallelTimeouts;
}

/** How long close() waits for the worker threads to stop. */
const CLOSE_WAIT_MS = 5000;

/** What the message of a worker that stopped answering tells the user to do. */
const WHAT_TO_DO = 'Set STITCH_DATA_PARALLEL=off to train without workers';

export interface ReplicaSettings {
  optimizer: OptimizerSpec;
  loss: LossName;
  encoding: LabelEncoding;
  inputShape: number[];
  numClasses: number;
  seed: number;
}

/** True where this Node can share memory between worker threads. */
export function dataParallelAvailable(): boolean {
  return typeof SharedArrayBuffer !== 'undefined';
}

/** Layers whose work grows with every sample's pixels: what data-parallel workers share out (see below). */
const CONVOLUTIONS: ReadonlySet<string> = new Set(['conv2d', 'depthwiseConv2d', 'separableConv2d']);

/**
 * Whether a run of `schema` trains on data-parallel workers when it has more than one thread:
 * `STITCH_DATA_PARALLEL=on|off` decides; unset (`auto`), models with a convolution do and the others don't.
 * Why (docs/training.md): a dense model's step at batch 64 costs about what it costs at batch 32 (the weight
 * gradients and the optimizer's update scale with the weights, not the batch), so every worker would repeat
 * nearly the whole step; a convolution's cost scales with the samples, and halving the batch halves it.
 */
export function wantsDataParallel(schema: StitchSchema, env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.STITCH_DATA_PARALLEL?.trim().toLowerCase() || 'auto';
  if (value === 'on' || value === '1') return true;
  if (value === 'off' || value === '0') return false;
  if (value !== 'auto')
    throw new Error(`STITCH_DATA_PARALLEL="${value}" is not a mode; use on, off or auto (or unset it)`);
  const layers: unknown = (schema as { layers?: unknown }).layers;
  return (
    Array.isArray(layers) &&
    layers.some(
      (l: unknown) => typeof l === 'object' && l !== null && CONVOLUTIONS.has(String((l as { type?: unknown }).type)),
    )
  );
}

/** Worker i's seed for `Math.random` (dropout masks): distinct per worker, fixed by the run's seed. */
function workerSeed(seed: number, index: number): number {
  return ((seed ^ 0x5eed) + Math.imul(0x9e3779b9, index + 1)) >>> 0;
}

interface Waiting {
  resolve: (reply: WorkerReply) => void;
  reject: (err: Error) => void;
}

export class DataParallelGroup {
  /** The worker threads, in shard order (exposed for tests that end one). */
  readonly threads: Worker[];
  private readonly waiting: (Waiting | null)[];
  private failure: Error | null = null;
  private closing = false;
  /** The averaged buffer holds gradients the workers have not applied yet. */
  private applyPending = false;
  private params = 0;
  private gradients: Float32Array = new Float32Array(0);
  private averaged: Float32Array = new Float32Array(0);
  private sum = new Float64Array(0);
  private readonly timeouts: DataParallelTimeouts;
  /** The slowest step or sync so far, in ms; null before the first (which start-up's bound covers). */
  private slowest: number | null = null;

  private constructor(count: number, timeouts: DataParallelTimeouts) {
    this.timeouts = timeouts;
    this.threads = startWorkers(count);
    this.waiting = this.threads.map(() => null);
    this.threads.forEach((worker, i) => {
      // Every wait on a worker holds a timer of its own (its bound), so the threads need not keep the process
      // alive: a process whose run has ended exits even if a thread could not be ended.
      worker.unref();
      worker.on('message', (reply: WorkerReply) => {
        const waiting = this.waiting[i];
        this.waiting[i] = null;
        if (reply.type !== 'error') {
          waiting?.resolve(reply);
          return;
        }
        // This worker's own wait is no longer in `waiting` for fail() to find: reject it here (when it was the
        // last one still waited on, nothing else would, and the step or start-up would wait forever).
        const err = new Error(`training worker ${i + 1} failed: ${reply.message}`);
        this.fail(err);
        waiting?.reject(this.failure ?? err);
      });
      worker.on('error', (err) => this.fail(new Error(`training worker ${i + 1} failed: ${err.message}`)));
      worker.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`training worker ${i + 1} stopped unexpectedly (exit code ${code})`));
      });
    });
  }

  /** Starts `options.workers` replicas of `model` (same weights) and waits until each is ready. */
  static async start(
    options: DataParallelOptions,
    model: tf.LayersModel,
    settings: ReplicaSettings,
    signal?: AbortSignal,
  ): Promise<DataParallelGroup> {
    // Settings errors are the run's failure (they say what to fix), not a reason to train without workers.
    const timeouts = options.timeouts ?? timeoutsFromEnv();
    const faults = Array.from({ length: options.workers }, (_, i) => testFaultFor(i));
    const group = new DataParallelGroup(options.workers, timeouts);
    try {
      group.params = model.trainableWeights.reduce((n, w) => n + w.read().size, 0);
      const gradients = new SharedArrayBuffer(options.workers * group.params * 4);
      const averaged = new SharedArrayBuffer(group.params * 4);
      group.gradients = new Float32Array(gradients);
      group.averaged = new Float32Array(averaged);
      group.sum = new Float64Array(group.params);
      const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
      const { seed, ...rest } = settings;
      await group.all(
        (index) => ({
          type: 'init',
          init: {
            index,
            backend: options.backend,
            schema: options.schema,
            weights,
            ...rest,
            randomSeed: workerSeed(seed, index),
            params: group.params,
            gradients,
            averaged,
            testFault: faults[index],
          },
        }),
        signal,
        'start',
      );
      return group;
    } catch (err) {
      await group.close();
      // A cancel stays what it is; anything else means these workers cannot train.
      throw signal?.aborted ? err : new DataParallelStartError((err as Error).message);
    }
  }

  /**
   * One optimizer step on the samples `order[start..end)` of `set`, cut into one shard per worker; returns the
   * batch's loss and accuracy (shard-size-weighted means of the shards').
   */
  async step(
    set: LabeledSamples,
    order: ArrayLike<number> | null,
    start: number,
    end: number,
    signal?: AbortSignal,
  ): Promise<[number, number]> {
    const n = end - start;
    const size = set.count === 0 ? 0 : set.x.length / set.count;
    const count = this.threads.length;
    const counts: number[] = [];
    const replies = await this.all(
      (i) => {
        const from = start + Math.floor((i * n) / count);
        const to = start + Math.floor(((i + 1) * n) / count);
        const x = new Float32Array((to - from) * size);
        const labels = new Int32Array(to - from);
        for (let k = from; k < to; k++) {
          const j = order ? order[k] : k;
          x.set(set.x.subarray(j * size, (j + 1) * size), (k - from) * size);
          labels[k - from] = set.labels[j];
        }
        counts.push(to - from);
        return [{ type: 'step', apply: this.applyPending, x, labels, count: to - from }, [x.buffer, labels.buffer]];
      },
      signal,
      'step',
    );
    this.average(counts, n);
    this.applyPending = true;
    let loss = 0;
    let accuracy = 0;
    replies.forEach((reply, i) => {
      if (reply.type !== 'stepped') throw new Error(`training worker ${i + 1} answered ${reply.type} to a step`);
      loss += (reply.loss * counts[i]) / n;
      accuracy += (reply.accuracy * counts[i]) / n;
    });
    return [loss, accuracy];
  }

  /** Weighted sum of the workers' gradient slots, in worker order (so the result never depends on timing). */
  private average(counts: number[], total: number): void {
    const { params, sum } = this;
    sum.fill(0);
    counts.forEach((c, i) => {
      if (c === 0) return;
      const share = c / total;
      const slot = this.gradients.subarray(i * params, (i + 1) * params);
      for (let j = 0; j < params; j++) sum[j] += share * slot[j];
    });
    this.averaged.set(sum);
  }

  /** Applies the last step on every worker and copies worker 0's weights into `model`. */
  async syncInto(model: tf.LayersModel, signal?: AbortSignal): Promise<void> {
    const [weights] = await this.replicaWeights(false, signal);
    const tensors = weights.map((w, i) => tf.tensor(w, model.weights[i].read().shape));
    model.setWeights(tensors);
    tf.dispose(tensors);
  }

  /** Applies the last step on every worker; returns worker 0's weights, or every worker's when `all`. */
  async replicaWeights(all = true, signal?: AbortSignal): Promise<Float32Array[][]> {
    const apply = this.applyPending;
    const replies = await this.all((i) => ({ type: 'sync', apply, wantWeights: all || i === 0 }), signal, 'step');
    this.applyPending = false;
    return replies.flatMap((r) => (r.type === 'synced' && r.weights ? [r.weights] : []));
  }

  /** Ends every worker; safe to call more than once. */
  async close(): Promise<void> {
    this.closing = true;
    this.fail(new Error('the training workers were closed'));
    // terminate() resolves when a thread has stopped; one stuck where V8 cannot interrupt it (a blocking
    // system call) must not hold the run's end: wait CLOSE_WAIT_MS at most (the trainer process exits anyway).
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_WAIT_MS).unref();
    });
    await Promise.race([Promise.all(this.threads.map((w) => w.terminate())), waited]);
    clearTimeout(timer);
  }

  /**
   * Sends each worker its message and waits for every answer; rejects on the first failure, an abort, or when
   * a worker has not answered within the bound for `phase` (then every worker is ended).
   */
  private async all(
    message: (i: number) => WorkerRequest | [WorkerRequest, ArrayBuffer[]],
    signal: AbortSignal | undefined,
    phase: 'start' | 'step',
  ): Promise<WorkerReply[]> {
    const bound = this.boundFor(phase);
    const sent = Date.now();
    const timer = setTimeout(() => {
      this.timedOut(phase, bound);
    }, bound);
    try {
      const replies = await this.answers(message, signal);
      if (phase === 'step') this.slowest = Math.max(this.slowest ?? 0, Date.now() - sent);
      return replies;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Start-up and the first step: the start bound; later steps: STEP_BOUND_FACTOR × the slowest, at least stepMs. */
  private boundFor(phase: 'start' | 'step'): number {
    if (phase === 'start' || this.slowest === null) return this.timeouts.startMs;
    return Math.max(this.timeouts.stepMs, STEP_BOUND_FACTOR * this.slowest);
  }

  /** Fails what waits with the first worker that has not answered, and ends every worker (it may be stuck). */
  private timedOut(phase: 'start' | 'step', bound: number): void {
    const late = this.waiting.findIndex((w) => w !== null);
    const which = late < 0 ? 'a training worker' : `training worker ${late + 1}`;
    const first = this.slowest === null;
    const message =
      phase === 'start'
        ? `${which} did not start within ${seconds(bound)}`
        : `${which} did not answer ${first ? 'its first step' : 'a step'} for ${seconds(bound)}` +
          (first ? '' : ` (the slowest step so far took ${seconds(this.slowest ?? 0)})`) +
          `; the workers were stopped. ${WHAT_TO_DO}, or raise ` +
          `${first ? 'STITCH_DP_START_TIMEOUT_MS' : 'STITCH_DP_STEP_TIMEOUT_MS'} if the machine is only slow`;
    this.fail(new Error(message));
    // Nothing awaits the threads' end here: close() is idempotent, and train.ts awaits it again when it unwinds.
    void this.close();
  }

  /** Sends each worker its message and waits for every answer; rejects on the first failure or an abort. */
  private answers(
    message: (i: number) => WorkerRequest | [WorkerRequest, ArrayBuffer[]],
    signal?: AbortSignal,
  ): Promise<WorkerReply[]> {
    const answers = this.threads.map((worker, i) => {
      if (this.failure) return Promise.reject(this.failure);
      const made = message(i);
      const [request, transfer] = Array.isArray(made) ? made : [made, []];
      return new Promise<WorkerReply>((resolve, reject) => {
        this.waiting[i] = { resolve, reject };
        worker.postMessage(request, transfer);
      });
    });
    if (!signal) return Promise.all(answers);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new Error('training was cancelled'));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      Promise.all(answers)
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (let i = 0; i < this.waiting.length; i++) {
      this.waiting[i]?.reject(this.failure);
      this.waiting[i] = null;
    }
  }
}
