/**
 * Messages and shared memory between the main thread and its data-parallel training workers (dataParallel.ts,
 * dataParallelWorker.ts). Gradients do not travel in messages: each worker writes its own into a slot of a
 * shared buffer. Steps do not either: the main thread writes the batch into shared memory and starts the step
 * by bumping a counter in the control block (`Control`); each worker writes its shard's loss and accuracy into
 * `results` and counts itself done there. A message per worker and per step cost the main thread 3.6 ms of CPU
 * at 16 workers, as much as a worker's whole step (docs/training.md, "Data-parallel steps").
 */
import type { LossName, OptimizerSpec, StitchSchema } from '../../shared/schema/types';
import type { LabelEncoding } from './batches';
import type { TestFault } from './dataParallelLimits';

export interface WorkerInit {
  /** 0..N-1: the worker's gradient slot, and part of its random seed. */
  index: number;
  backend: 'wasm' | 'cpu';
  schema: StitchSchema;
  /** The main model's weights (`model.getWeights()` order), so that every replica starts identical. */
  weights: Float32Array[];
  optimizer: OptimizerSpec;
  loss: LossName;
  encoding: LabelEncoding;
  inputShape: number[];
  numClasses: number;
  /** Seeds this worker's `Math.random` (dropout masks): from the run's seed and the worker's index. */
  randomSeed: number;
  /** Trainable parameters: the length of one gradient slot. */
  params: number;
  /** N slots of `params` floats, one per worker. */
  gradients: SharedArrayBuffer;
  /** `params` floats: the trainable weights after each step, each worker writing its slice (`shardOf`). */
  updated: SharedArrayBuffer;
  /** How many workers share each batch (this one is `index`). */
  workers: number;
  /** Int32 slots, laid out as `Control` says: what starts each step and counts it done. */
  control: SharedArrayBuffer;
  /** `Result.SIZE` float64 values per worker: its last step's shard loss and accuracy, and its timings. */
  results: SharedArrayBuffer;
  /** TEST ONLY (`STITCH_DP_TEST_FAULT`, dataParallelLimits.ts): fail on purpose; null in every real run. */
  testFault: TestFault | null;
}

/** Int32 slots of `WorkerInit.control`. */
export const Control = {
  /** Bumped by the main thread to start a step; the workers wait on it. */
  GENERATION: 0,
  /** Workers done with the current step; the last one wakes the main thread. */
  DONE: 1,
  /** The workers' barrier between writing their slices of the mean gradient and applying it. */
  ARRIVED: 2,
  RELEASED: 3,
  /** The step's batch size. */
  BATCH: 4,
  /** The batch size of the step whose gradients are applied before this one's (0: none). */
  PENDING: 5,
  /** From here, one slot per worker: the last generation it finished (to name one that did not). */
  FINISHED: 8,
} as const;

/** Float64 slots of each worker's part of `WorkerInit.results` (worker i's start at `i * Result.SIZE`). */
export const Result = {
  LOSS: 0,
  ACCURACY: 1,
  /** The worker's last step, in ms: working (applying the last gradients, computing its shard's). */
  BUSY_MS: 2,
  /** ... and waiting at the barrier for the other workers' slices of the parameters. */
  WAIT_MS: 3,
  SIZE: 4,
} as const;

/** Samples [from, to) of a batch of `n` that worker `index` of `workers` trains on; also cuts the parameters. */
export function shardOf(index: number, workers: number, n: number): [number, number] {
  return [Math.floor((index * n) / workers), Math.floor(((index + 1) * n) / workers)];
}

export type WorkerRequest =
  | { type: 'init'; init: WorkerInit }
  /** The shared batch: `x` as float32 samples in batch order, `labels` as int32 (sent again when it grows). */
  | { type: 'inputs'; x: SharedArrayBuffer; labels: SharedArrayBuffer }
  /** Applies the gradients of a step of `pending` samples (0: none); answers with its weights when `wantWeights`. */
  | { type: 'sync'; pending: number; wantWeights: boolean };

export type WorkerReply =
  { type: 'ready' } | { type: 'synced'; weights: Float32Array[] | null } | { type: 'error'; message: string };
