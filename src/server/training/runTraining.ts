/**
 * `runTraining(start, emit, signal)`: one whole run — backend, data, model, training, test evaluation,
 * saving — reported as `TrainerToParent` messages. The trainer child process calls it with `process.send`
 * as `emit`; the bench and tests call it in-process.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzeSchema } from '../../shared/schema/index';
import { TRAINING_DEFAULTS, type StitchSchema } from '../../shared/schema/types';
import { loadRunDataset, type Dataset } from '../data/index';
import { evaluateModel, writeEvaluation } from './evaluateModel';
import { sampleSize } from '../data/types';
import { chooseBackend } from './backend';
import { wantsDataParallel, type DataParallelOptions } from './dataParallel';
import type { TrainerToParent, TrainingStart } from './ipc';
import { buildModel } from './model';
import { saveModel } from './modelIo';
import { samplePredictions } from './samples';
import type { SamplePrediction } from '../../shared/protocol';
import { withSeededMathRandom } from '../random';
import { train, TrainingCancelled, type BatchProgress, type TrainResult } from './train';

/**
 * Batch messages are forwarded at most this often (about 10 a second, docs/server.md), plus each epoch's
 * last. The one throttle of batch events: the run manager stores and streams every message it gets.
 */
const BATCH_INTERVAL_MS = 100;

export type RunOutcome =
  | { state: 'succeeded'; result: TrainResult; params: number; samples: SamplePrediction[] }
  | { state: 'failed'; error: string }
  | { state: 'cancelled' };

/** Written next to the model: what `/api/infer` needs to interpret inputs and outputs. */
export interface ModelMetadata {
  name: string;
  dataset: string;
  inputShape: number[];
  numClasses: number;
  classNames: string[] | null;
  test: TrainResult['test'];
}

export async function runTraining(
  start: TrainingStart,
  emit: (msg: TrainerToParent) => void,
  signal: AbortSignal,
): Promise<RunOutcome> {
  const log = (message: string): void => emit({ type: 'log', message });
  try {
    const dataParallel = wantsDataParallel(start.schema);
    const choice = await chooseBackend(start.backend, { threads: start.threads, dataParallel });
    for (const reason of choice.skipped) log(`backend skipped: ${reason}`);
    for (const note of choice.notes) log(note);
    log(`backend: ${choice.detail}`);
    emit({ type: 'backend', backend: choice.backend, threads: choice.threads, detail: choice.detail });

    const schema = validated(start.schema);
    const seed = schema.training.seed ?? TRAINING_DEFAULTS.seed;

    const outcome = await withSeededMathRandom(seed, async () => {
      const dataset = await prepareDataset(schema, start, seed, log, signal);
      if (signal.aborted) throw new TrainingCancelled();
      const parallel =
        choice.workers > 1 && (choice.backend === 'wasm' || choice.backend === 'cpu')
          ? { workers: choice.workers, backend: choice.backend, schema }
          : null;
      const single = {
        type: 'backend' as const,
        backend: choice.backend,
        threads: 1,
        detail: `${choice.backend}, 1 thread`,
      };
      return trainAndSave(schema, dataset, start.modelDir, seed, parallel, emit, signal, (reason) => {
        log(`training workers could not start (${reason}); training on one thread`);
        log(`backend: ${single.detail}`);
        emit(single);
      });
    });
    const test = outcome.result.test ?? { loss: NaN, accuracy: null, samples: 0 };
    emit({ type: 'succeeded', test, params: outcome.params, inputShape: schema.input.shape, samples: outcome.samples });
    return outcome;
  } catch (err) {
    if (err instanceof TrainingCancelled || signal.aborted) {
      emit({ type: 'cancelled' });
      return { state: 'cancelled' };
    }
    const error = (err as Error).message ?? String(err);
    emit({ type: 'failed', error });
    return { state: 'failed', error };
  }
}

type TrainingSchema = StitchSchema & { training: NonNullable<StitchSchema['training']> };

/** The run's dataset, limited to `maxSamples`/`testSamples`, checked against the schema's input. */
async function prepareDataset(
  schema: TrainingSchema,
  start: TrainingStart,
  seed: number,
  log: (message: string) => void,
  signal: AbortSignal,
): Promise<Dataset> {
  const dataset = await loadRunDataset(schema.training, {
    baseDir: start.schemaDir ?? start.workspaceRoot,
    workspaceRoot: start.workspaceRoot,
    cacheDir: start.dataCacheDir,
    baseUrl: start.datasetBaseUrl ?? process.env.STITCH_DATASET_URL ?? null,
    seed,
    log,
    signal,
  });
  checkInputShape(schema.input.shape, dataset);
  log(
    `dataset ${dataset.name}: ${dataset.train.count} training and ${dataset.test.count} test samples, ${dataset.numClasses} classes`,
  );
  return dataset;
}

/** Builds the model, trains it (reporting batches and epochs) and saves it with its metadata; frees it. */
async function trainAndSave(
  schema: TrainingSchema,
  dataset: Dataset,
  modelDir: string,
  seed: number,
  parallel: DataParallelOptions | null,
  emit: (msg: TrainerToParent) => void,
  signal: AbortSignal,
  onWorkersUnavailable: (reason: string) => void,
): Promise<Extract<RunOutcome, { state: 'succeeded' }>> {
  const spec = schema.training;
  const model = buildModel(schema);
  try {
    emit({ type: 'running' });
    const result = await train(
      model,
      { train: dataset.train, test: dataset.test, inputShape: schema.input.shape, numClasses: dataset.numClasses },
      {
        epochs: spec.epochs,
        batchSize: spec.batchSize,
        validationSplit: spec.validationSplit ?? TRAINING_DEFAULTS.validationSplit,
        seed,
        shuffle: spec.shuffle,
        optimizer: spec.optimizer,
        loss: spec.loss,
        earlyStopping: spec.earlyStopping,
        parallel,
        onWorkersUnavailable,
        signal,
        onBatch: throttledBatches(emit),
        onEpoch: (metric) => emit({ type: 'metric', ...metric }),
      },
    );
    if (result.stoppedEarlyAt !== null)
      emit({ type: 'log', message: `early stopping after epoch ${result.stoppedEarlyAt}` });
    // The original Stitch's final state shows eight validation samples with their predictions.
    const samples = await samplePredictions(model, result.validation ?? dataset.test, schema.input.shape);
    await saveModel(model, modelDir);
    const evaluated = await evaluateModel(model, dataset, result.test?.loss ?? null);
    if (evaluated) {
      await writeEvaluation(modelDir, evaluated);
      emit({ type: 'evaluation', evaluation: evaluated.evaluation });
    }
    const metadata: ModelMetadata = {
      name: schema.name ?? 'model',
      dataset: dataset.name,
      inputShape: schema.input.shape,
      numClasses: dataset.numClasses,
      classNames: dataset.classNames,
      test: result.test,
    };
    await writeFile(join(modelDir, 'stitch-meta.json'), JSON.stringify(metadata, null, 2));
    return { state: 'succeeded', result, params: model.countParams(), samples };
  } finally {
    // The model does not own an optimizer it was compiled with as an object; its slots are freed here.
    model.optimizer?.dispose();
    model.dispose();
  }
}

/** Forwards a batch at most every BATCH_INTERVAL_MS, and always each epoch's last. */
function throttledBatches(emit: (msg: TrainerToParent) => void): (progress: BatchProgress) => void {
  let lastBatchSent = 0;
  return (progress) => {
    const now = Date.now();
    if (progress.batch === progress.batches || now - lastBatchSent >= BATCH_INTERVAL_MS) {
      lastBatchSent = now;
      emit({ type: 'batch', ...progress });
    }
  };
}

/**
 * The schema as the schema core accepts it, with its training section, or an error listing every problem.
 * The server validates before it starts a run; this also guards in-process callers (the bench, scripts).
 */
function validated(value: StitchSchema): TrainingSchema {
  const analysis = analyzeSchema(value);
  const errors = analysis.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0 || !analysis.schema) {
    throw new Error(
      `the schema has ${errors.length} problem${errors.length === 1 ? '' : 's'}: ${errors.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ')}`,
    );
  }
  const { schema } = analysis;
  if (!schema.training)
    throw new Error(
      'training: the schema has no "training" section; add one with at least a dataset, e.g. "training": { "dataset": "mnist" }',
    );
  return { ...schema, training: schema.training };
}

/** The schema's input must hold one dataset sample: the same shape, or the same number of values. */
function checkInputShape(inputShape: number[], dataset: Dataset): void {
  if (sampleSize(inputShape) !== sampleSize(dataset.inputShape)) {
    throw new Error(
      `input.shape: [${inputShape.join(', ')}] does not fit the ${dataset.name} samples of shape [${dataset.inputShape.join(', ')}]; ` +
        `set "input": { "shape": [${dataset.inputShape.join(', ')}] }`,
    );
  }
}
