/**
 * `runTraining(start, emit, signal)`: one whole run — backend, data, model, training, test evaluation,
 * saving — reported as `TrainerToParent` messages. The trainer child process calls it with `process.send`
 * as `emit`; the bench and tests call it in-process.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzeSchema } from '../../shared/schema/index';
import { TRAINING_DEFAULTS, type StitchSchema } from '../../shared/schema/types';
import { limitDataset, loadDataset, type Dataset } from '../data/index';
import { sampleSize } from '../data/types';
import { chooseBackend } from './backend';
import type { StartMessage, TrainerToParent } from './ipc';
import { buildModel } from './model';
import { saveModel } from './modelIo';
import { withSeededMathRandom } from './random';
import { train, TrainingCancelled, type TrainResult } from './train';

/** Batch messages are forwarded at most this often (docs/server.md, "Event streams": a few a second), plus each epoch's last. */
const BATCH_INTERVAL_MS = 100;

export type RunOutcome =
  | { state: 'succeeded'; result: TrainResult; params: number }
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
  start: StartMessage,
  emit: (msg: TrainerToParent) => void,
  signal: AbortSignal,
): Promise<RunOutcome> {
  const log = (message: string) => emit({ type: 'log', message });
  try {
    const choice = await chooseBackend(start.backend);
    for (const reason of choice.skipped) log(`backend skipped: ${reason}`);
    emit({ type: 'backend', backend: choice.backend });

    const schema = validated(start.schema);
    const spec = schema.training;
    if (!spec) throw new Error('training: the schema has no "training" section; add one with at least a dataset, e.g. "training": { "dataset": "mnist" }');
    const seed = spec.seed ?? TRAINING_DEFAULTS.seed;

    const outcome = await withSeededMathRandom(seed, async () => {
      const loaded = await loadDataset(spec.dataset, {
        baseDir: start.schemaDir ?? start.workspaceRoot,
        workspaceRoot: start.workspaceRoot,
        cacheDir: start.dataCacheDir,
        baseUrl: start.datasetBaseUrl ?? process.env.STITCH_DATASET_URL ?? null,
        seed,
        log,
        signal,
      });
      const dataset = limitDataset(loaded, { maxSamples: spec.maxSamples, testSamples: spec.testSamples, seed });
      checkInputShape(schema.input.shape, dataset);
      log(`dataset ${dataset.name}: ${dataset.train.count} training and ${dataset.test.count} test samples, ${dataset.numClasses} classes`);
      if (signal.aborted) throw new TrainingCancelled();

      const model = buildModel(schema);
      try {
        emit({ type: 'running' });
        let lastBatchSent = 0;
        const result = await train(
          model,
          { train: dataset.train, test: dataset.test, inputShape: schema.input.shape, numClasses: dataset.numClasses },
          {
            epochs: spec.epochs,
            batchSize: spec.batchSize,
            validationSplit: spec.validationSplit ?? TRAINING_DEFAULTS.validationSplit,
            seed,
            optimizer: spec.optimizer,
            loss: spec.loss,
            earlyStopping: spec.earlyStopping,
            signal,
            onBatch: (progress) => {
              const now = Date.now();
              if (progress.batch === progress.batches || now - lastBatchSent >= BATCH_INTERVAL_MS) {
                lastBatchSent = now;
                emit({ type: 'batch', ...progress });
              }
            },
            onEpoch: (metric) => emit({ type: 'metric', ...metric }),
          },
        );
        if (result.stoppedEarlyAt !== null) log(`early stopping after epoch ${result.stoppedEarlyAt}`);
        await saveModel(model, start.modelDir);
        const metadata: ModelMetadata = {
          name: schema.name ?? 'model',
          dataset: dataset.name,
          inputShape: schema.input.shape,
          numClasses: dataset.numClasses,
          classNames: dataset.classNames,
          test: result.test,
        };
        await writeFile(join(start.modelDir, 'stitch-meta.json'), JSON.stringify(metadata, null, 2));
        return { state: 'succeeded' as const, result, params: model.countParams() };
      } finally {
        // The model does not own an optimizer it was compiled with as an object; its slots are freed here.
        model.optimizer?.dispose();
        model.dispose();
      }
    });
    const test = outcome.result.test ?? { loss: NaN, accuracy: null, samples: 0 };
    emit({ type: 'succeeded', test, params: outcome.params, inputShape: schema.input.shape });
    return outcome;
  } catch (err) {
    if (err instanceof TrainingCancelled || signal.aborted) {
      emit({ type: 'cancelled' });
      return { state: 'cancelled' };
    }
    const error = err instanceof Error ? err.message : String(err);
    emit({ type: 'failed', error });
    return { state: 'failed', error };
  }
}

/**
 * The schema as the schema core accepts it, or an error listing every problem. The server validates before
 * it starts a run; this also guards in-process callers (the bench, scripts).
 */
function validated(value: StitchSchema): StitchSchema {
  const analysis = analyzeSchema(value);
  const errors = analysis.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0 || !analysis.schema) {
    throw new Error(`the schema has ${errors.length} problem${errors.length === 1 ? '' : 's'}: ${errors.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ')}`);
  }
  return analysis.schema;
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
