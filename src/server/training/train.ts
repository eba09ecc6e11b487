/**
 * `train(model, data, options)`: the training loop. One optimizer step per batch over a seeded shuffle,
 * validation after each epoch, optional early stopping, and the held-out test evaluation at the end.
 *
 * Why our own loop instead of `model.fit`: seeded per-epoch shuffling, cancellation between batches with an
 * AbortSignal, a NaN check that names the batch, and batch data built lazily from JS arrays.
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchEvent, MetricEvent, StateEvent } from '../../shared/protocol';
import {
  TRAINING_DEFAULTS,
  type EarlyStoppingSpec,
  type LossName,
  type OptimizerSpec,
  type OptimizerType,
} from '../../shared/schema/types';
import type { LabeledSamples } from '../data/types';
import { accuracyMetric, labelEncodingFor, makeBatch, ResidentSamples, type LabelEncoding } from './batches';
import { useFusedLossHead } from './crossEntropy';
import { DataParallelGroup, DataParallelStartError, type DataParallelOptions } from './dataParallel';
import { createOptimizer, normalizeOptimizer } from './optimizers';
import { PendingSteps, trainStep } from './trainStep';
import { shuffledIndices } from '../random';

export interface TrainData {
  train: LabeledSamples;
  /** Explicit validation samples; when absent, `validationSplit` takes the last fraction of `train`. */
  validation?: LabeledSamples | null;
  /** Held-out test samples, evaluated once after the last epoch. */
  test?: LabeledSamples | null;
  inputShape: number[];
  numClasses: number;
}

/** Progress inside an epoch: exactly the `batch` event of the protocol (docs/server.md, "Event streams"). */
export type BatchProgress = BatchEvent;

/** One finished epoch: exactly the `metric` event of the protocol (docs/server.md, "Event streams"). */
export type EpochResult = MetricEvent;

/** The held-out test evaluation, as the final `state` event carries it. */
export type TestResult = NonNullable<StateEvent['test']>;

export interface TrainOptions {
  /** Default 5. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Fraction of `train` used for validation when `data.validation` is absent; default 0 (none). */
  validationSplit?: number;
  /** Seeds the per-epoch shuffle; default 42. */
  seed?: number;
  /** Shuffle the training samples before each epoch; default true. False feeds them in the dataset's order. */
  shuffle?: boolean;
  /** Default adam 0.001. */
  optimizer?: OptimizerSpec | OptimizerType;
  /** Default categoricalCrossentropy. */
  loss?: LossName;
  /** Aborting stops training between two batches; `train` then rejects with a `TrainingCancelled`. */
  signal?: AbortSignal;
  /** Called after every batch (the caller throttles what it forwards). */
  onBatch?: (progress: BatchProgress) => void;
  onEpoch?: (result: EpochResult) => void;
  earlyStopping?: EarlyStoppingSpec | null;
  /**
   * Train on this many worker threads, each with a replica of the model (dataParallel.ts); absent, null or
   * 1 worker: this thread trains alone. The backend must be wasm or cpu.
   */
  parallel?: DataParallelOptions | null;
  /**
   * Where given, data-parallel workers that cannot start (dataParallel.ts) are reported here with the reason
   * and this thread trains alone; without it, that failure fails the run.
   */
  onWorkersUnavailable?: (reason: string) => void;
}

export interface TrainResult {
  epochs: EpochResult[];
  /** The epoch after which early stopping ended training, or null. */
  stoppedEarlyAt: number | null;
  test: TestResult | null;
  encoding: LabelEncoding;
  /** The validation samples (split off or given), for sample predictions; null when there are none. */
  validation: LabeledSamples | null;
}

export class TrainingCancelled extends Error {
  constructor() {
    super('training was cancelled');
    this.name = 'TrainingCancelled';
  }
}

/** How long the loop may run without yielding to the event loop (so a cancel message gets through). */
const YIELD_EVERY_MS = 40;
/** How often the loop reads the pending batches' loss and accuracy back (see trainStep.ts). */
const READ_EVERY_MS = 100;
const EVAL_BATCH_SIZE = 512;

export async function train(model: tf.LayersModel, data: TrainData, options: TrainOptions = {}): Promise<TrainResult> {
  const run = prepare(model, data, options);
  const stopper = createEarlyStopper(options.earlyStopping ?? null, run.validation !== null);
  const results: EpochResult[] = [];
  let stoppedEarlyAt: number | null = null;
  let group: DataParallelGroup | null = null;
  let resident: ResidentSamples | null = null;
  try {
    group = await startWorkers(model, data, run, options);
    resident = group ? null : residentSamples(run, data);
    for (let epoch = 1; epoch <= run.epochs; epoch++) {
      const result = await trainEpoch(model, run, epoch, options, group ?? resident);
      results.push(result);
      options.onEpoch?.(result);
      if (stopper?.shouldStop(result)) {
        stoppedEarlyAt = epoch;
        break;
      }
    }
  } catch (err) {
    // A cancel rejects what waits on the workers with a plain error: report it as the cancel it is.
    if (options.signal?.aborted) throw new TrainingCancelled();
    throw err;
  } finally {
    resident?.dispose();
    await group?.close();
  }
  const test = data.test && data.test.count > 0 ? await evaluate(model, data.test, run.batchOf, options.signal) : null;
  return {
    epochs: results,
    stoppedEarlyAt,
    test: test && data.test ? { ...test, samples: data.test.count } : null,
    encoding: run.encoding,
    validation: run.validation,
  };
}

/** The data-parallel workers the options ask for (with the main model's weights), or null for this thread alone. */
async function startWorkers(
  model: tf.LayersModel,
  data: TrainData,
  run: PreparedRun,
  options: TrainOptions,
): Promise<DataParallelGroup | null> {
  if (!options.parallel || options.parallel.workers <= 1) return null;
  const settings = {
    optimizer: run.optimizer,
    loss: run.loss,
    encoding: run.encoding,
    inputShape: data.inputShape,
    numClasses: data.numClasses,
    seed: run.seed,
  };
  try {
    return await DataParallelGroup.start(options.parallel, model, settings, options.signal);
  } catch (err) {
    if (!(err instanceof DataParallelStartError) || !options.onWorkersUnavailable || options.signal?.aborted) throw err;
    options.onWorkersUnavailable(err.message);
    return null;
  }
}

/** Training sets up to this size stay on a GPU for the whole run (ResidentSamples); larger ones go up a batch at a time. */
const RESIDENT_MAX_BYTES = 512 * 1024 * 1024;

/**
 * On webgpu, the training set uploaded once (batches gathered on the GPU) where it fits RESIDENT_MAX_BYTES: a
 * batch then costs an upload of its indices, not of its rows. Elsewhere null: rows are copied per batch.
 */
function residentSamples(run: PreparedRun, data: TrainData): ResidentSamples | null {
  if (tf.getBackend() !== 'webgpu') return null;
  if (ResidentSamples.bytes(run.trainSet, data.numClasses, run.encoding) > RESIDENT_MAX_BYTES) return null;
  return new ResidentSamples(run.trainSet, data.inputShape, data.numClasses, run.encoding);
}

/** What every epoch of one run shares: the compiled model's settings, the split data, how to build a batch. */
interface PreparedRun {
  epochs: number;
  batchSize: number;
  batches: number;
  seed: number;
  learningRate: number;
  optimizer: OptimizerSpec;
  loss: LossName;
  encoding: LabelEncoding;
  trainSet: LabeledSamples;
  validation: LabeledSamples | null;
  batchOf: BatchMaker;
  startedAt: number;
}

/** Compiles the model with the options' optimizer and loss, and splits off the validation samples. */
function prepare(model: tf.LayersModel, data: TrainData, options: TrainOptions): PreparedRun {
  const batchSize = options.batchSize ?? TRAINING_DEFAULTS.batchSize;
  const loss = options.loss ?? TRAINING_DEFAULTS.loss;
  const optimizerSpec = normalizeOptimizer(options.optimizer);
  const encoding = labelEncodingFor(loss, model.outputs[0].shape, data.numClasses);
  model.compile({ optimizer: createOptimizer(optimizerSpec), loss, metrics: [accuracyMetric(encoding)] });
  // Categorical cross-entropy and accuracy in one kernel each where the backend has them (crossEntropy.ts).
  useFusedLossHead(model);
  const { trainSet, validation } = splitValidation(data, options.validationSplit ?? 0);
  if (trainSet.count === 0)
    throw new Error('there are no training samples left; lower validationSplit or raise maxSamples');
  return {
    epochs: options.epochs ?? TRAINING_DEFAULTS.epochs,
    batchSize,
    batches: Math.ceil(trainSet.count / batchSize),
    seed: options.seed ?? TRAINING_DEFAULTS.seed,
    learningRate: optimizerSpec.learningRate,
    optimizer: optimizerSpec,
    loss,
    encoding,
    trainSet,
    validation,
    batchOf: (set, order, start, end) => makeBatch(set, order, start, end, data.inputShape, data.numClasses, encoding),
    startedAt: Date.now(),
  };
}

/**
 * One epoch: every batch of a fresh seeded shuffle, then the validation; returns the epoch's metrics. Batches
 * train on `source`: data-parallel workers, the training set kept on the device, or (null) this thread with
 * each batch's rows copied.
 */
async function trainEpoch(
  model: tf.LayersModel,
  run: PreparedRun,
  epoch: number,
  options: TrainOptions,
  source: DataParallelGroup | ResidentSamples | null,
): Promise<EpochResult> {
  const group = source instanceof DataParallelGroup ? source : null;
  const resident = source instanceof ResidentSamples ? source : null;
  const epochStart = Date.now();
  const order = epochOrder(run.trainSet.count, run.seed, epoch, options.shuffle ?? true);
  let lossSum = 0;
  let accSum = 0;
  let seen = 0;
  let lastYield = Date.now();
  let lastRead = Date.now();
  const pending = new PendingSteps<{ b: number; n: number }>();
  /** Reads the pending batches' loss and accuracy, checks them and reports them in batch order. */
  const report = async () => {
    for (const { info, values } of await pending.read()) {
      // Nothing is reported after a cancel, even batches already computed.
      if (options.signal?.aborted) throw new TrainingCancelled();
      // No accuracy metric (e.g. a regression loss): one value.
      const [batchLoss, batchAcc]: [number, number | undefined] = [values[0], values[1]];
      if (!Number.isFinite(batchLoss)) {
        throw new Error(
          `loss became ${Number.isNaN(batchLoss) ? 'NaN' : 'Infinity'} in epoch ${epoch}, batch ${info.b + 1}; ` +
            `lower the learning rate (now ${run.learningRate}) or normalize the inputs`,
        );
      }
      lossSum += batchLoss * info.n;
      accSum += (batchAcc ?? 0) * info.n;
      seen += info.n;
      const elapsed = (Date.now() - run.startedAt) / 1000;
      const progress = (epoch - 1 + (info.b + 1) / run.batches) / run.epochs;
      options.onBatch?.({
        epoch,
        batch: info.b + 1,
        batches: run.batches,
        loss: batchLoss,
        accuracy: batchAcc ?? null,
        progress,
        samples_per_sec: seen / Math.max(1e-3, (Date.now() - epochStart) / 1000),
        eta_seconds: progress > 0 ? (elapsed / progress) * (1 - progress) : 0,
      });
    }
  };
  try {
    for (let b = 0; b < run.batches; b++) {
      if (options.signal?.aborted) throw new TrainingCancelled();
      const start = b * run.batchSize;
      const end = Math.min(run.trainSet.count, start + run.batchSize);
      if (group)
        pending.addValues({ b, n: end - start }, await group.step(run.trainSet, order, start, end, options.signal));
      else {
        const batch = resident ? resident.batch(order, start, end) : run.batchOf(run.trainSet, order, start, end);
        pending.add({ b, n: end - start }, await trainBatch(model, batch));
      }
      // Reading the values back waits for the backend to finish (on a GPU, to drain its queue): once every
      // READ_EVERY_MS for all batches since, rather than after each batch.
      if (b === run.batches - 1 || Date.now() - lastRead >= READ_EVERY_MS) {
        await report();
        lastRead = Date.now();
      }
      if (Date.now() - lastYield > YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = Date.now();
      }
    }
  } finally {
    pending.discard();
  }
  // Validation, early stopping's choice and saving use this thread's model: give it the workers' weights.
  await group?.syncInto(model, options.signal);
  const val = run.validation ? await evaluate(model, run.validation, run.batchOf, options.signal) : null;
  const epochTime = (Date.now() - epochStart) / 1000;
  const elapsed = (Date.now() - run.startedAt) / 1000;
  return {
    epoch,
    epochs: run.epochs,
    train_loss: lossSum / seen,
    val_loss: val ? val.loss : null,
    train_accuracy: accSum / seen,
    val_accuracy: val ? val.accuracy : null,
    learning_rate: run.learningRate,
    epoch_time: epochTime,
    samples_per_sec: seen / Math.max(1e-3, epochTime),
    progress: epoch / run.epochs,
    eta_seconds: (elapsed / epoch) * (run.epochs - epoch),
  };
}

/** One optimizer step on one batch, whose tensors it frees; returns [loss, accuracy?], still on the backend. */
async function trainBatch(model: tf.LayersModel, batch: { xs: tf.Tensor; ys: tf.Tensor }): Promise<tf.Scalar[]> {
  try {
    return await trainStep(model, batch.xs, batch.ys);
  } finally {
    batch.xs.dispose();
    batch.ys.dispose();
  }
}

/** The order of the training samples in an epoch: a seeded shuffle, or null (the dataset's order). */
export function epochOrder(count: number, seed: number, epoch: number, shuffle: boolean): Int32Array | null {
  return shuffle ? shuffledIndices(count, seed * 7919 + epoch) : null;
}

export function splitValidation(
  data: TrainData,
  validationSplit: number,
): { trainSet: LabeledSamples; validation: LabeledSamples | null } {
  if (data.validation) return { trainSet: data.train, validation: data.validation.count > 0 ? data.validation : null };
  if (!(validationSplit > 0)) return { trainSet: data.train, validation: null };
  if (validationSplit >= 1) throw new Error(`training.validationSplit: ${validationSplit} must be below 1, e.g. 0.1`);
  const size = data.train.count === 0 ? 0 : data.train.x.length / data.train.count;
  // Like Keras: the last fraction of the (already shuffled) samples, fixed for the whole run.
  const cut = data.train.count - Math.max(1, Math.round(data.train.count * validationSplit));
  const part = (from: number, to: number): LabeledSamples => ({
    x: data.train.x.subarray(from * size, to * size),
    labels: data.train.labels.subarray(from, to),
    count: to - from,
  });
  return { trainSet: part(0, cut), validation: part(cut, data.train.count) };
}

type BatchMaker = (
  set: LabeledSamples,
  order: Int32Array | null,
  start: number,
  end: number,
) => { xs: tf.Tensor; ys: tf.Tensor };

/** Loss and accuracy over a whole split, in chunks so that big splits never become one huge tensor. */
export async function evaluate(
  model: tf.LayersModel,
  set: LabeledSamples,
  batchOf: BatchMaker,
  signal?: AbortSignal,
): Promise<{ loss: number; accuracy: number | null }> {
  let lossSum = 0;
  let accSum = 0;
  let hasAccuracy = false;
  for (let start = 0; start < set.count; start += EVAL_BATCH_SIZE) {
    if (signal?.aborted) throw new TrainingCancelled();
    const end = Math.min(set.count, start + EVAL_BATCH_SIZE);
    const { xs, ys } = batchOf(set, null, start, end);
    const out = tf.tidy(() => model.evaluate(xs, ys, { batchSize: EVAL_BATCH_SIZE }));
    const scalars = Array.isArray(out) ? out : [out];
    const values = await Promise.all(scalars.map(async (s) => (await s.data())[0]));
    tf.dispose([xs, ys, ...scalars]);
    lossSum += values[0] * (end - start);
    if (values.length > 1) {
      hasAccuracy = true;
      accSum += values[1] * (end - start);
    }
  }
  return { loss: lossSum / set.count, accuracy: hasAccuracy ? accSum / set.count : null };
}

interface EarlyStopper {
  shouldStop(result: EpochResult): boolean;
}

/**
 * Keras semantics: stop when the monitored value has not improved by more than `minDelta` for `patience`
 * epochs in a row. Defaults: monitor `val_loss` (`loss` without validation), patience 0, minDelta 0.
 */
function createEarlyStopper(spec: EarlyStoppingSpec | null, hasValidation: boolean): EarlyStopper | null {
  if (!spec) return null;
  const monitor = spec.monitor ?? (hasValidation ? 'val_loss' : 'loss');
  if (monitor.startsWith('val_') && !hasValidation) {
    throw new Error(
      `training.earlyStopping.monitor: "${monitor}" needs validation data; set validationSplit (e.g. 0.1) or monitor "loss"`,
    );
  }
  const key = (
    { loss: 'train_loss', accuracy: 'train_accuracy', val_loss: 'val_loss', val_accuracy: 'val_accuracy' } as const
  )[monitor];
  const higherIsBetter = monitor.endsWith('accuracy');
  const patience = spec.patience ?? 0;
  const minDelta = Math.abs(spec.minDelta ?? 0);
  let best = higherIsBetter ? -Infinity : Infinity;
  let wait = 0;
  return {
    shouldStop(result) {
      const value = result[key] ?? NaN;
      const improved = higherIsBetter ? value - minDelta > best : value + minDelta < best;
      if (improved) {
        best = value;
        wait = 0;
        return false;
      }
      wait += 1;
      return wait >= patience;
    },
  };
}
