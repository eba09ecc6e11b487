/**
 * Messages between the main thread and its data-parallel training workers (dataParallel.ts,
 * dataParallelWorker.ts). Gradients do not travel in messages: each worker writes its own into a slot of a
 * shared buffer, and the main thread writes their weighted mean into a second one that every worker reads.
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
  /** `params` floats: the shard-weighted mean of the slots, written by the main thread. */
  averaged: SharedArrayBuffer;
  /** TEST ONLY (`STITCH_DP_TEST_FAULT`, dataParallelLimits.ts): fail on purpose; null in every real run. */
  testFault: TestFault | null;
}

export type WorkerRequest =
  | { type: 'init'; init: WorkerInit }
  /** Applies the averaged gradients first when `apply`, then computes the gradients of its shard. */
  | { type: 'step'; apply: boolean; x: Float32Array; labels: Int32Array; count: number }
  /** Applies the averaged gradients when `apply`; answers with its weights when `wantWeights`. */
  | { type: 'sync'; apply: boolean; wantWeights: boolean };

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'stepped'; loss: number; accuracy: number }
  | { type: 'synced'; weights: Float32Array[] | null }
  | { type: 'error'; message: string };
