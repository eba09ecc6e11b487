/**
 * Trained models: the catalog (`/api/models`) and inference (`/api/infer`). A run that succeeded has a
 * model whose id is the run id; "saving" it marks it in the catalog (and gives it a name) so that the
 * extension can tell the models a user wants to keep from every experiment's by-product.
 *
 * TensorFlow.js is loaded into the server process only when the first inference needs it, and loaded
 * models are kept in a small cache (they are small; loading one reads and parses its weights).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs';
import type { BackendName, InferResponse, ModelSummary } from '../../shared/protocol';
import type { HttpError } from '../httpError';
import type { RunManager } from './manager';
import type { RunRecord } from './store';

/**
 * Thrown for requests that name a model or give inputs that cannot work: an HttpError (httpError.ts) whose
 * message is for the client, so the error middleware answers it with its status and no route maps it.
 */
export class ModelRequestError extends Error implements HttpError {
  readonly expose = true;
  constructor(readonly status: 400 | 404 | 409, message: string) {
    super(message);
  }
}

export interface ModelServiceOptions {
  runs: RunManager;
  /** Activates the server process's TensorFlow.js backend (shared with /api/health); called before loading. */
  ensureBackend: () => Promise<BackendName>;
  /** Models kept loaded. Default 4. */
  cacheSize?: number;
}

/** Files of the model folder that may be downloaded (model.json, weights.bin, stitch-meta.json, …). */
const MODEL_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export class ModelService {
  private readonly cache = new Map<string, Promise<LayersModel>>();

  constructor(private readonly options: ModelServiceOptions) {}

  list(): ModelSummary[] {
    return this.options.runs.list().filter((r) => r.model_id !== null).map((r) => this.summary(r));
  }

  get(modelId: string): ModelSummary {
    return this.summary(this.recordOf(modelId));
  }

  save(modelId: string, name: string | undefined): ModelSummary {
    const record = this.recordOf(modelId);
    const updated = this.options.runs.update(record.run_id, { saved: true, model_name: name ?? record.model_name ?? record.name });
    return this.summary(updated ?? record);
  }

  /** The model folder's downloadable files. */
  files(modelId: string): string[] {
    const dir = this.dirOf(this.recordOf(modelId));
    return readdirSync(dir).filter((f) => MODEL_FILE.test(f) && !f.endsWith('.tmp')).sort();
  }

  /** Absolute path of one model file, after checking the name cannot leave the model folder. */
  filePath(modelId: string, file: string): string {
    if (!this.files(modelId).includes(file)) {
      throw new ModelRequestError(404, `model ${modelId} has no file "${file}"; it has ${this.files(modelId).join(', ')}`);
    }
    return join(this.dirOf(this.recordOf(modelId)), file);
  }

  /** Forgets a model (its run was deleted). */
  forget(modelId: string): void {
    const cached = this.cache.get(modelId);
    this.cache.delete(modelId);
    void cached?.then((m) => m.dispose(), () => undefined);
  }

  async infer(modelId: string, values: number[], source: 'pixels' | 'inputs'): Promise<InferResponse & { class_name?: string }> {
    const record = this.recordOf(modelId);
    const size = record.input_shape.reduce((a, b) => a * b, 1);
    const sample = values.length === size ? values : undefined;
    if (!sample) {
      throw new ModelRequestError(400, `${source}: this model takes ${size} numbers (input shape [${record.input_shape.join(', ')}]) but got ${values.length}`);
    }
    // Pixels may come as 0..255 (a canvas) or 0..1 (what the model was trained on).
    const input = source === 'pixels' && sample.some((v) => v > 1) ? sample.map((v) => v / 255) : sample;
    const model = await this.load(record);
    // The same CommonJS instance of tfjs that modelIo uses (an ESM import could load a second copy).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tf = require('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');
    const output = tf.tidy(() => {
      const prediction = model.predict(tf.tensor(input, [1, ...record.input_shape]));
      const tensor = Array.isArray(prediction) ? prediction[0] : prediction;
      return tensor.reshape([-1]).arraySync() as number[];
    });
    // A single sigmoid unit is a binary classifier: report both classes.
    const probabilities = output.length === 1 ? [1 - output[0], output[0]] : output;
    const label = probabilities.indexOf(Math.max(...probabilities));
    const className = this.classNames(record)?.[label];
    return className === undefined ? { label, probabilities } : { label, probabilities, class_name: className };
  }

  private load(record: RunRecord): Promise<LayersModel> {
    const id = record.run_id;
    let model = this.cache.get(id);
    if (model) {
      // Least recently used goes first: a hit moves the model to the back of the (insertion-ordered) map.
      this.cache.delete(id);
      this.cache.set(id, model);
    } else {
      model = this.options.ensureBackend().then(async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { loadModel } = require('../training/modelIo') as typeof import('../training/modelIo');
        return loadModel(this.dirOf(record));
      });
      model.catch(() => this.cache.delete(id));
      this.cache.set(id, model);
      const limit = this.options.cacheSize ?? 4;
      for (const oldest of this.cache.keys()) {
        if (this.cache.size <= limit) break;
        this.forget(oldest);
      }
    }
    return model;
  }

  private classNames(record: RunRecord): string[] | null {
    const file = join(this.dirOf(record), 'stitch-meta.json');
    try {
      const meta = JSON.parse(readFileSync(file, 'utf8')) as { classNames?: unknown };
      return Array.isArray(meta.classNames) ? meta.classNames.map(String) : null;
    } catch {
      return null;
    }
  }

  private recordOf(modelId: string): RunRecord {
    const record = this.options.runs.get(modelId);
    if (!record) throw new ModelRequestError(404, `there is no model or run "${modelId}"; GET /api/models lists the trained models`);
    if (record.model_id === null) {
      throw new ModelRequestError(409, `run ${modelId} has no trained model (it is ${record.state}); only runs that succeeded have one`);
    }
    if (!existsSync(join(this.dirOf(record), 'model.json'))) {
      throw new ModelRequestError(404, `the model files of run ${modelId} are missing from the runs folder; train the schema again`);
    }
    return record;
  }

  private dirOf(record: RunRecord): string {
    return join(this.options.runs.runDir(record.run_id), 'model');
  }

  private summary(record: RunRecord): ModelSummary {
    return {
      model_id: record.run_id,
      run_id: record.run_id,
      name: record.model_name ?? record.name,
      created_at: record.finished_at ?? record.created_at,
      saved: record.saved,
      test_accuracy: record.test?.accuracy ?? null,
      params: record.params,
      input_shape: record.input_shape,
      path: this.dirOf(record),
    };
  }
}
