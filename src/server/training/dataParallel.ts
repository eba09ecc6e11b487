/**
 * Data-parallel training on N worker threads (dataParallelWorker.ts), each with its own replica of the model
 * on the single-threaded backend. Why: tfjs's threaded wasm build (wasmThreads.ts) speeds up little beyond
 * the convolutions' products, while whole replicas keep every core busy for the whole step (measured in
 * docs/benchmarks.md).
 *
 * Per batch: the main thread writes the batch into shared memory and starts the step through the shared control
 * block (dataParallelProtocol.ts; no message per step). The batch is cut into N fixed shards (worker i gets
 * samples [i·n/N, (i+1)·n/N)); each worker computes the gradients of the mean loss on its shard into its slot
 * of a SharedArrayBuffer. At the start of the next step (or sync) the workers add the slots in worker order,
 * each weighted by its shard's share of the batch (so the sum is the full batch's gradient for a mean-reduced
 * loss), each worker one slice of the parameters, into a second shared buffer, and every worker applies that
 * same sum with its own identical optimizer (dataParallelReplica.ts). The weights therefore stay identical on
 * every worker without being sent; worker 0's are copied to the main thread's model for validation and saving.
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
import { Control, Result, shardOf, type WorkerReply, type WorkerRequest } from './dataParallelProtocol';
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
/** How long the main thread waits on the step counter at a time (a failed step's watch ends within it). */
const WATCH_MS = 1000;

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

/** True where this Node can share memory between worker threads and wait on it without blocking. */
export function dataParallelAvailable(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && typeof Atomics.waitAsync === 'function';
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
  /** The batch size of the step whose gradients the workers have not applied yet (0: none). */
  private pendingBatch = 0;
  private params = 0;
  private control: Int32Array = new Int32Array(0);
  private results: Float64Array = new Float64Array(0);
  /** The shared batch (capacity samples of `sampleSize` values), sent to the workers when it grows. */
  private inputs: { x: Float32Array; labels: Int32Array; capacity: number } = {
    x: new Float32Array(0),
    labels: new Int32Array(0),
    capacity: 0,
  };
  private sampleSize = 0;
  /** The step the workers are running, if any (fail() rejects it). */
  private stepWait: Waiting | null = null;
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
      group.sampleSize = settings.inputShape.reduce((a, b) => a * b, 1);
      const gradients = new SharedArrayBuffer(options.workers * group.params * 4);
      const updated = new SharedArrayBuffer(group.params * 4);
      const control = new SharedArrayBuffer((Control.FINISHED + options.workers) * 4);
      const results = new SharedArrayBuffer(options.workers * Result.SIZE * 8);
      group.control = new Int32Array(control);
      group.results = new Float64Array(results);
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
            updated,
            workers: options.workers,
            control,
            results,
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
    if (this.failure) throw this.failure;
    if (n > this.inputs.capacity) await this.growInputs(n, signal);
    const size = this.sampleSize;
    if (set.x.length !== set.count * size)
      throw new Error(`the samples hold ${set.x.length / set.count} values each; the model's input takes ${size}`);
    const { x, labels } = this.inputs;
    for (let k = 0; k < n; k++) {
      const j = order ? order[start + k] : start + k;
      x.set(set.x.subarray(j * size, (j + 1) * size), k * size);
      labels[k] = set.labels[j];
    }
    // Plain writes before the atomic bump: a worker that sees the new generation sees them too.
    const { control } = this;
    control[Control.BATCH] = n;
    control[Control.PENDING] = this.pendingBatch;
    Atomics.store(control, Control.DONE, 0);
    Atomics.add(control, Control.GENERATION, 1);
    Atomics.notify(control, Control.GENERATION);
    await this.bounded('step', signal, () => this.finished());
    this.pendingBatch = n;
    const count = this.threads.length;
    let loss = 0;
    let accuracy = 0;
    for (let i = 0; i < count; i++) {
      const [from, to] = shardOf(i, count, n);
      loss += (this.results[i * Result.SIZE + Result.LOSS] * (to - from)) / n;
      accuracy += (this.results[i * Result.SIZE + Result.ACCURACY] * (to - from)) / n;
    }
    return [loss, accuracy];
  }

  /**
   * Where each worker's time went in the last step, in ms, in worker order: working, and waiting at the
   * barrier for the others (bench/profile-dp.ts: the step's wall time beyond the slowest worker's is the
   * hand-over through the main thread).
   */
  lastStepTimings(): { busyMs: number[]; waitMs: number[] } {
    const workers = Array.from({ length: this.threads.length }, (_, i) => i * Result.SIZE);
    return {
      busyMs: workers.map((at) => this.results[at + Result.BUSY_MS]),
      waitMs: workers.map((at) => this.results[at + Result.WAIT_MS]),
    };
  }

  /** A shared batch of `n` samples for every worker (the first step, or a larger batch than before). */
  private async growInputs(n: number, signal?: AbortSignal): Promise<void> {
    const x = new SharedArrayBuffer(n * this.sampleSize * 4);
    const labels = new SharedArrayBuffer(n * 4);
    // Bounded as the start-up is: the first step, which warms the kernels up, must keep the start-up's bound.
    await this.all(() => ({ type: 'inputs', x, labels }), signal, 'start');
    this.inputs = { x: new Float32Array(x), labels: new Int32Array(labels), capacity: n };
  }

  /** Resolves when every worker has counted itself done with the current step; fail() rejects it. */
  private finished(): Promise<void> {
    const { control } = this;
    const count = this.threads.length;
    return new Promise((resolve, reject) => {
      const waiting: Waiting = { resolve: () => resolve(), reject };
      this.stepWait = waiting;
      const watch = async () => {
        while (this.stepWait === waiting) {
          const done = Atomics.load(control, Control.DONE);
          if (done === count) {
            this.stepWait = null;
            resolve();
            return;
          }
          // Timed, so that a watch whose step failed ends within WATCH_MS.
          const wait = Atomics.waitAsync(control, Control.DONE, done, WATCH_MS);
          if (wait.async) await wait.value;
        }
      };
      void watch();
    });
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
    const pending = this.pendingBatch;
    const replies = await this.all((i) => ({ type: 'sync', pending, wantWeights: all || i === 0 }), signal, 'step');
    this.pendingBatch = 0;
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
  private all(
    message: (i: number) => WorkerRequest,
    signal: AbortSignal | undefined,
    phase: 'start' | 'step',
  ): Promise<WorkerReply[]> {
    return this.bounded(phase, signal, () => this.answers(message));
  }

  /** What `work` resolves to; rejects on a failure, an abort, or when it takes longer than the bound for `phase`. */
  private async bounded<T>(
    phase: 'start' | 'step',
    signal: AbortSignal | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    const bound = this.boundFor(phase);
    const sent = Date.now();
    const timer = setTimeout(() => {
      this.timedOut(phase, bound);
    }, bound);
    try {
      const result = await this.abortable(work(), signal);
      if (phase === 'step') this.slowest = Math.max(this.slowest ?? 0, Date.now() - sent);
      return result;
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
    const late = this.lateWorker();
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

  /** Sends each worker its message and waits for every answer; rejects on the first failure. */
  private answers(message: (i: number) => WorkerRequest): Promise<WorkerReply[]> {
    return Promise.all(
      this.threads.map((worker, i) => {
        if (this.failure) return Promise.reject(this.failure);
        const request = message(i);
        return new Promise<WorkerReply>((resolve, reject) => {
          this.waiting[i] = { resolve, reject };
          worker.postMessage(request);
        });
      }),
    );
  }

  /**
   * `work`, or a rejection as soon as `signal` aborts. The workers may still be busy then, so the group fails:
   * no later step may start on top of an unfinished one.
   */
  private abortable<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!signal) return work;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const err = new Error('training was cancelled');
        this.fail(err);
        reject(err);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** The first worker that has not answered its message, or not finished the current step; -1 if none. */
  private lateWorker(): number {
    const messaged = this.waiting.findIndex((w) => w !== null);
    if (messaged >= 0 || !this.stepWait) return messaged;
    const generation = Atomics.load(this.control, Control.GENERATION);
    return this.threads.findIndex((_, i) => Atomics.load(this.control, Control.FINISHED + i) !== generation);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (let i = 0; i < this.waiting.length; i++) {
      this.waiting[i]?.reject(this.failure);
      this.waiting[i] = null;
    }
    this.stepWait?.reject(this.failure);
    this.stepWait = null;
  }
}
