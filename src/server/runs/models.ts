/**
 * Models: the catalog (`/api/models`, kept by ModelCatalog) and inference (`/api/infer`). A run that succeeded
 * has a trained model under its run id; a catalog model (`m_<hex>`) is a named definition whose weights are
 * those of the run promoted into it (the original Stitch's "Save model"). Both ids work wherever a model is
 * named, so our clients (which use run ids) and the original's (which use model ids) see the same models.
 *
 * Predictions run in the inference thread (inference.ts), which loads TensorFlow.js and keeps a few models
 * loaded; every method a request calls reads and writes files asynchronously (docs/reliability.md), so the
 * event loop stays free for other requests.
 */
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InferBatchResponse, InferResponse, ModelDetail, ModelSummary } from '../../shared/protocol';
import { isObject } from '../../shared/isObject';
import type { HttpError } from '../httpError';
import { ModelCatalog, type CatalogModel } from './catalog';
import type { RunManager } from './manager';
import type { RunRecord } from './store';
import type { InferenceThread } from './inference';

/**
 * Thrown for requests that name a model or give inputs that cannot work: an HttpError (httpError.ts) whose
 * message is for the client, so the error middleware answers it with its status and no route maps it.
 */
export class ModelRequestError extends Error implements HttpError {
  readonly expose = true;
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

export interface ModelServiceOptions {
  runs: RunManager;
  /** Where predictions run (off the event loop). */
  inference: InferenceThread;
  /** The catalog file; default `<runsDir>/models.json` is chosen by the server. */
  catalogFile: string;
  log: (line: string) => void;
}

/** What a request may change on a catalog model (`POST /api/models`, `POST /api/models/:id/save`). */
export interface ModelChange {
  name?: string;
  description?: string;
  architecture?: unknown;
  hyperparams?: unknown;
}

/** Written next to a run that was submitted in the original's format, so its model shows that definition. */
const ORIGINAL_BODY_FILE = 'original.json';

/** Files of the model folder that may be downloaded (model.json, weights.bin, stitch-meta.json, …). */
const MODEL_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export class ModelService {
  private readonly catalog: ModelCatalog;
  /** The catalog change in progress (see `serial`). */
  private changing: Promise<void> = Promise.resolve();

  constructor(private readonly options: ModelServiceOptions) {
    this.catalog = new ModelCatalog(options.catalogFile, options.log);
  }

  /** Takes in the catalog changes of other servers sharing the runs folder (catalog.ts). */
  syncCatalog(): Promise<void> {
    return this.catalog.sync();
  }

  /** The catalog; `trainedOnly` leaves out models that are only a definition. */
  async list(trainedOnly = false): Promise<ModelSummary[]> {
    const all = await Promise.all(this.catalog.list().map((m) => this.catalogSummary(m)));
    return all.filter((m) => !trainedOnly || m.trained);
  }

  /** A catalog model, or a trained run's model, with its runs. */
  async get(modelId: string): Promise<ModelDetail> {
    const model = this.catalog.get(modelId);
    if (model) return { ...(await this.catalogSummary(model)), runs: await this.runsOf(model.run_ids) };
    const record = await this.recordOf(modelId);
    return { ...(await this.runSummary(record)), runs: await this.runsOf([record.run_id]) };
  }

  /** Whether a catalog model exists (a train body's `model_id` must name one). */
  has(modelId: string): boolean {
    return this.catalog.get(modelId) !== undefined;
  }

  /** `POST /api/models`: updates the named model (false) or creates one (true; a new `m_<hex>` when unnamed). */
  private async upsertNow(
    modelId: string | undefined,
    change: ModelChange,
  ): Promise<{ created: boolean; model: ModelSummary }> {
    const existing = modelId === undefined ? undefined : this.catalog.get(modelId);
    if (existing) return { created: false, model: await this.catalogSummary(await this.change(existing, change)) };
    if (modelId !== undefined && this.options.runs.get(modelId)) {
      throw new ModelRequestError(
        409,
        `"${modelId}" is a run id; leave model_id out to create a new model, or POST /api/models/save { run_id } to keep that run's model`,
      );
    }
    const now = new Date().toISOString();
    const model: CatalogModel = {
      model_id: modelId ?? this.catalog.newId(),
      name: change.name ?? 'untitled model',
      description: change.description ?? '',
      architecture: change.architecture ?? null,
      hyperparams: change.hyperparams ?? null,
      created_at: now,
      updated_at: now,
      run_id: null,
      run_ids: [],
    };
    return { created: true, model: await this.catalogSummary(await this.catalog.put(model)) };
  }

  /**
   * `POST /api/models/:id/save`. With `runId`: promote that run (it must have succeeded and have weights).
   * Without: store the definition (a new architecture leaves the model untrained). A run id as `:id` keeps
   * that run's model in the catalog (our clients' "save"), reusing the model it was saved as before.
   */
  private async saveNow(modelId: string, change: ModelChange, runId?: string): Promise<ModelSummary> {
    let model = this.catalog.get(modelId);
    if (!model && this.options.runs.get(modelId)) {
      await this.trainedRun(modelId); // before a catalog entry is made for it
      return this.promote(
        this.catalog.byRun(modelId)?.model_id ?? (await this.upsertNow(undefined, {})).model.model_id,
        modelId,
        change,
      );
    }
    if (!model)
      throw new ModelRequestError(
        404,
        `there is no model "${modelId}"; GET /api/models lists them, POST /api/models creates one`,
      );
    if (runId !== undefined) return this.promote(model.model_id, runId, change);
    if (
      change.architecture !== undefined &&
      JSON.stringify(change.architecture) !== JSON.stringify(model.architecture)
    ) {
      // New weights are needed for a new architecture: the model goes back to being a definition.
      model = { ...model, run_id: null };
    }
    return this.catalogSummary(await this.change(model, change));
  }

  /** `POST /api/models/save { run_id, name }`: a new catalog model holding that run's weights. */
  private async saveRunNow(runId: string, change: ModelChange): Promise<ModelSummary> {
    await this.trainedRun(runId);
    return this.promote((await this.upsertNow(undefined, {})).model.model_id, runId, change);
  }

  /** `PATCH /api/models/:id`: renames a catalog model or changes its description; 404 for anything else. */
  private async renameNow(modelId: string, change: Pick<ModelChange, 'name' | 'description'>): Promise<ModelSummary> {
    return this.catalogSummary(await this.change(this.catalogModel(modelId), change));
  }

  /** `DELETE /api/models/:id`: takes the model out of the catalog; its runs (and their weights) are kept. */
  private async removeNow(modelId: string): Promise<void> {
    await this.catalog.remove(this.catalogModel(modelId).model_id);
  }

  /** Remembers that a run was submitted for a catalog model and/or in the original's format. */
  private async recordSubmissionNow(
    runId: string,
    modelId: string | null,
    original: { architecture: unknown; hyperparams: unknown } | null,
  ): Promise<void> {
    if (original) await writeFile(join(this.options.runs.runDir(runId), ORIGINAL_BODY_FILE), JSON.stringify(original));
    const model = modelId === null ? undefined : this.catalog.get(modelId);
    if (model) await this.change(model, {}, [...model.run_ids, runId]);
  }

  /**
   * Catalog changes run one at a time, as they did when they were synchronous: each reads the catalog after
   * the awaits of the one before (two saves of one run must find the model the first one made).
   */
  private serial<T>(change: () => Promise<T>): Promise<T> {
    const result = this.changing.then(change);
    this.changing = result.then(
      () => undefined,
      () => undefined, // the failure goes to its own request
    );
    return result;
  }

  upsert(modelId: string | undefined, change: ModelChange): Promise<{ created: boolean; model: ModelSummary }> {
    return this.serial(() => this.upsertNow(modelId, change));
  }

  save(modelId: string, change: ModelChange, runId?: string): Promise<ModelSummary> {
    return this.serial(() => this.saveNow(modelId, change, runId));
  }

  saveRun(runId: string, change: ModelChange): Promise<ModelSummary> {
    return this.serial(() => this.saveRunNow(runId, change));
  }

  rename(modelId: string, change: Pick<ModelChange, 'name' | 'description'>): Promise<ModelSummary> {
    return this.serial(() => this.renameNow(modelId, change));
  }

  remove(modelId: string): Promise<void> {
    return this.serial(() => this.removeNow(modelId));
  }

  recordSubmission(
    runId: string,
    modelId: string | null,
    original: { architecture: unknown; hyperparams: unknown } | null,
  ): Promise<void> {
    return this.serial(() => this.recordSubmissionNow(runId, modelId, original));
  }

  /** A catalog model's definition, for a train body that names only its `model_id`. */
  definition(modelId: string): { architecture: unknown; hyperparams: unknown } | undefined {
    const model = this.catalog.get(modelId);
    return model ? { architecture: model.architecture, hyperparams: model.hyperparams } : undefined;
  }

  /** The model folder's downloadable files. */
  async files(modelId: string): Promise<string[]> {
    const dir = this.dirOf(await this.recordOf(modelId));
    return (await readdir(dir)).filter((f) => MODEL_FILE.test(f) && !f.endsWith('.tmp')).sort();
  }

  /** Absolute path of one model file, after checking the name cannot leave the model folder. */
  async filePath(modelId: string, file: string): Promise<string> {
    const files = await this.files(modelId);
    if (!files.includes(file)) {
      throw new ModelRequestError(404, `model ${modelId} has no file "${file}"; it has ${files.join(', ')}`);
    }
    return join(this.dirOf(await this.recordOf(modelId)), file);
  }

  /** Forgets a model (its run was deleted). */
  forget(modelId: string): void {
    this.options.inference.forget(modelId);
  }

  /** One sample; `activations` names layers whose outputs to return too (bounded, training/activations.ts). */
  async infer(
    modelId: string,
    values: Float64Array,
    source: 'pixels' | 'inputs',
    activations: readonly string[] = [],
  ): Promise<InferResponse> {
    const record = await this.recordOf(this.runIdOf(modelId));
    const size = inputSize(record);
    if (values.length !== size) throw wrongSize(record, source, values.length);
    // Pixels may come as 0..255 (a canvas) or 0..1 (what the model was trained on).
    const input = source === 'pixels' && values.some((v) => v > 1) ? values.map((v) => v / 255) : values;
    const answer = await this.options.inference.predict({
      type: 'sample',
      runId: record.run_id,
      modelDir: this.dirOf(record),
      inputShape: record.input_shape,
      values: input,
      source,
      activations: [...activations],
    });
    const [probabilities] = answer.probabilities;
    const label = argmax(probabilities);
    const className = (await this.classNames(record))?.[label];
    const reply: InferResponse = { run_id: record.run_id, label, probabilities };
    if (className !== undefined) reply.class_name = className;
    if (answer.activations) reply.activations = answer.activations;
    return reply;
  }

  /**
   * Many samples at once (the decision boundary): the rows' values one after the other, with each row's length
   * (values checked by the route's worker, routes/inferBody.ts).
   */
  async inferBatch(modelId: string, rows: { values: Float64Array; lengths: Uint32Array }): Promise<InferBatchResponse> {
    const record = await this.recordOf(this.runIdOf(modelId));
    const size = inputSize(record);
    rows.lengths.forEach((length, i) => {
      if (length !== size) throw wrongSize(record, `batch[${i}]`, length);
    });
    const { probabilities } = await this.options.inference.predict({
      type: 'batch',
      runId: record.run_id,
      modelDir: this.dirOf(record),
      inputShape: record.input_shape,
      // Handed over: the thread takes the buffer (the caller reads the values no more).
      values: rows.values,
      rows: rows.lengths.length,
    });
    return { run_id: record.run_id, labels: probabilities.map(argmax), probabilities };
  }

  private async classNames(record: RunRecord): Promise<string[] | null> {
    const file = join(this.dirOf(record), 'stitch-meta.json');
    try {
      const meta = JSON.parse(await readFile(file, 'utf8')) as { classNames?: unknown };
      return Array.isArray(meta.classNames) ? meta.classNames.map(String) : null;
    } catch {
      return null;
    }
  }

  private catalogModel(modelId: string): CatalogModel {
    const model = this.catalog.get(modelId);
    if (model) return model;
    throw new ModelRequestError(
      404,
      this.options.runs.get(modelId)
        ? `"${modelId}" is a run, not a saved model; POST /api/models/save { run_id, name } saves it first`
        : `there is no model "${modelId}"; GET /api/models lists them`,
    );
  }

  /** The run behind a model id: a catalog model's promoted run, or the id itself (a run id). */
  private runIdOf(modelId: string): string {
    const model = this.catalog.get(modelId);
    if (!model) return modelId;
    if (model.run_id === null)
      throw new ModelRequestError(
        409,
        `model ${modelId} is not trained yet; train it (POST /api/train { model_id }) and save a run into it`,
      );
    return model.run_id;
  }

  private async recordOf(modelId: string): Promise<RunRecord> {
    const record = this.options.runs.get(modelId);
    if (!record)
      throw new ModelRequestError(
        404,
        `there is no model or run "${modelId}"; GET /api/models lists the trained models`,
      );
    if (record.model_id === null) {
      throw new ModelRequestError(
        409,
        `run ${modelId} has no trained model (it is ${record.state}); only runs that succeeded have one`,
      );
    }
    if (!(await isFile(join(this.dirOf(record), 'model.json')))) {
      throw new ModelRequestError(
        404,
        `the model files of run ${modelId} are missing from the runs folder; train the schema again`,
      );
    }
    return record;
  }

  private dirOf(record: RunRecord): string {
    return join(this.options.runs.runDir(record.run_id), 'model');
  }

  /** A trained run's own model, in the catalog's shape. */
  private async runSummary(record: RunRecord): Promise<ModelSummary> {
    const original = await this.originalBody(record.run_id);
    const schema = original ? null : await this.schemaOf(record.run_id);
    const path = this.dirOf(record);
    const accuracy = record.test?.accuracy ?? record.best_val_accuracy;
    return {
      model_id: record.run_id,
      name: record.model_name ?? record.name,
      description: '',
      architecture: original?.architecture ?? schema,
      hyperparams: original?.hyperparams ?? schema?.training ?? null,
      created_at: record.finished_at ?? record.created_at,
      trained: true,
      saved_model_path: path,
      saved_model_exists: await isFile(join(path, 'model.json')),
      last_trained_at: record.finished_at,
      runs_total: 1,
      highest_accuracy: accuracy,
      run_id: record.run_id,
      test_accuracy: record.test?.accuracy ?? null,
      params: record.params,
      input_shape: record.input_shape,
      path,
    };
  }

  private async catalogSummary(model: CatalogModel): Promise<ModelSummary> {
    const runs = model.run_ids.map((id) => this.options.runs.get(id)).filter((r): r is RunRecord => r !== undefined);
    const promoted = model.run_id === null ? undefined : this.options.runs.get(model.run_id);
    const path = promoted ? this.dirOf(promoted) : null;
    const accuracies = runs
      .map((r) => r.test?.accuracy ?? r.best_val_accuracy)
      .filter((a): a is number => typeof a === 'number');
    const finished = runs
      .filter((r) => r.state === 'succeeded' && r.finished_at !== null)
      .map((r) => r.finished_at ?? '')
      .sort();
    const exists = path !== null && (await isFile(join(path, 'model.json')));
    return {
      model_id: model.model_id,
      name: model.name,
      description: model.description,
      architecture: model.architecture,
      hyperparams: model.hyperparams,
      created_at: model.created_at,
      trained: exists,
      saved_model_path: path,
      saved_model_exists: exists,
      last_trained_at: finished.at(-1) ?? null,
      runs_total: runs.length,
      highest_accuracy: accuracies.length > 0 ? Math.max(...accuracies) : null,
      run_id: promoted?.run_id ?? null,
      test_accuracy: promoted?.test?.accuracy ?? null,
      params: promoted?.params ?? 0,
      input_shape: promoted?.input_shape ?? [],
      path,
    };
  }

  /** Makes `runId`'s weights the model's; the definition follows the run's unless the request gives one. */
  private async promote(modelId: string, runId: string, change: ModelChange): Promise<ModelSummary> {
    const record = await this.trainedRun(runId);
    const source = await this.originalBody(runId);
    const schema = source ? null : await this.schemaOf(runId);
    // Read after the awaits: another request may have changed the model meanwhile.
    const model = this.catalog.get(modelId);
    if (!model) throw new ModelRequestError(404, `there is no model "${modelId}"`);
    const fromRun: ModelChange = {
      name: model.name === 'untitled model' ? (record.model_name ?? record.name) : model.name,
      architecture: source?.architecture ?? schema,
      hyperparams: source?.hyperparams ?? schema?.training ?? null,
    };
    const runIds = model.run_ids.includes(runId) ? model.run_ids : [...model.run_ids, runId];
    return this.catalogSummary(
      await this.change({ ...model, run_id: runId }, { ...fromRun, ...definedOnly(change) }, runIds),
    );
  }

  private change(model: CatalogModel, change: ModelChange, runIds = model.run_ids): Promise<CatalogModel> {
    return this.catalog.put({
      ...model,
      ...definedOnly(change),
      run_ids: runIds,
      updated_at: new Date().toISOString(),
    });
  }

  /** A run that exists, succeeded and has its weights; else 404/409 saying which. */
  private async trainedRun(runId: string): Promise<RunRecord> {
    const record = this.options.runs.get(runId);
    if (!record) throw new ModelRequestError(404, `there is no run "${runId}"; GET /api/runs lists the runs`);
    if (record.state !== 'succeeded' || record.model_id === null) {
      throw new ModelRequestError(
        409,
        `run ${runId} is ${record.state}; only a run that succeeded has weights to save`,
      );
    }
    if (!(await isFile(join(this.dirOf(record), 'model.json')))) {
      throw new ModelRequestError(409, `the weights of run ${runId} are missing from the runs folder; train it again`);
    }
    return record;
  }

  private async runsOf(runIds: string[]): Promise<ModelDetail['runs']> {
    const runs = await Promise.all(
      runIds.map(async (id) => {
        const record = this.options.runs.get(id);
        if (!record) return [];
        const { saved: _saved, model_name: _name, params: _params, input_shape: _shape, ...summary } = record;
        return [{ ...summary, metrics: await this.options.runs.metricsAsync(id) }];
      }),
    );
    return runs.flat();
  }

  private async originalBody(runId: string): Promise<{ architecture: unknown; hyperparams: unknown } | null> {
    try {
      const stored: unknown = JSON.parse(
        await readFile(join(this.options.runs.runDir(runId), ORIGINAL_BODY_FILE), 'utf8'),
      );
      return isObject(stored) ? { architecture: stored.architecture, hyperparams: stored.hyperparams } : null;
    } catch {
      return null; // a run submitted as our schema has no original body
    }
  }

  private async schemaOf(runId: string): Promise<Awaited<ReturnType<RunManager['schemaOfAsync']>> | null> {
    try {
      return await this.options.runs.schemaOfAsync(runId);
    } catch {
      return null; // a damaged run folder: the model is still listed, without its definition
    }
  }
}

/** True for a regular file; false for a missing path or anything else (checked without opening it). */
async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function definedOnly(change: ModelChange): ModelChange {
  return Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined));
}

function inputSize(record: RunRecord): number {
  return record.input_shape.reduce((a, b) => a * b, 1);
}

function wrongSize(record: RunRecord, field: string, got: number): ModelRequestError {
  return new ModelRequestError(
    400,
    `${field}: this model takes ${inputSize(record)} numbers (input shape [${record.input_shape.join(', ')}]) but got ${got}`,
  );
}

function argmax(values: readonly number[]): number {
  return values.indexOf(Math.max(...values));
}
