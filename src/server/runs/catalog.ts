/**
 * The model catalog on disk: `<runsDir>/models.json`, the models a user named and kept (the original Stitch's
 * "Save model"). A model is a definition (`architecture`, `hyperparams`, in the original's format or ours),
 * the runs trained for it, and at most one promoted run whose weights are the model's.
 *
 * One small JSON file, replaced atomically on every change; a damaged file is moved aside with a log line
 * and the catalog starts empty, so it can never stop the server.
 *
 * The catalog lives in memory; requests change it there at once (so concurrent requests see each other's
 * changes in order) and then wait for the file to be written. Writes are asynchronous and queued one at a
 * time, each writing the catalog as it is when that write starts, so the file always ends as the last change
 * left it. Only the constructor reads synchronously: it runs once at server start, before any request.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { isObject } from '../../shared/isObject';

export interface CatalogModel {
  model_id: string;
  name: string;
  description: string;
  architecture: unknown;
  hyperparams: unknown;
  created_at: string;
  updated_at: string;
  /** The promoted run: its weights are the model's. Null while the model is only a definition. */
  run_id: string | null;
  /** Every run trained for this model (a train body's `model_id`, or a promotion), oldest first. */
  run_ids: string[];
}

/** Model ids come from URLs and bodies: plain names only. New ones are `m_<hex>`, as the original made them. */
const MODEL_ID = /^[A-Za-z0-9_-]{1,100}$/;

export class ModelCatalog {
  private readonly models = new Map<string, CatalogModel>();
  /** The write in progress (or the last one); the next write starts after it. */
  private writing: Promise<void> = Promise.resolve();
  /** A write is queued behind `writing` and will pick up every change made until it starts. */
  private pending: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    log: (line: string) => void,
  ) {
    // Start-up only (not a request path): the server reads the catalog once before it listens.
    if (!existsSync(file)) return;
    try {
      const stored: unknown = JSON.parse(readFileSync(file, 'utf8'));
      const list = isObject(stored) && Array.isArray(stored.models) ? stored.models : [];
      for (const item of list) if (isCatalogModel(item)) this.models.set(item.model_id, item);
    } catch (err) {
      const aside = `${file}.damaged-${Date.now()}`;
      renameSync(file, aside);
      log(
        `the model catalog ${file} is not readable (${(err as Error).message}); moved it to ${aside} and started an empty one`,
      );
    }
  }

  static isModelId(id: string): boolean {
    return MODEL_ID.test(id);
  }

  newId(): string {
    for (;;) {
      const id = `m_${randomBytes(6).toString('hex')}`;
      if (!this.models.has(id)) return id;
    }
  }

  list(): CatalogModel[] {
    return [...this.models.values()].sort(
      (a, b) => b.created_at.localeCompare(a.created_at) || a.model_id.localeCompare(b.model_id),
    );
  }

  get(id: string): CatalogModel | undefined {
    return this.models.get(id);
  }

  /** The model whose promoted run is `runId`, if any. */
  byRun(runId: string): CatalogModel | undefined {
    return this.list().find((m) => m.run_id === runId);
  }

  /** Stores a new or changed model (in memory at once) and resolves once the file holds it. */
  async put(model: CatalogModel): Promise<CatalogModel> {
    this.models.set(model.model_id, model);
    await this.write();
    return model;
  }

  /** Removes a model from the catalog (its runs and their weights stay); false when there was none. */
  async remove(id: string): Promise<boolean> {
    if (!this.models.delete(id)) return false;
    await this.write();
    return true;
  }

  /**
   * Resolves once the file holds the catalog as it is now. Writes run one at a time (two renames of one
   * temporary file must not interleave); changes made while one runs share the single write queued after it.
   */
  private write(): Promise<void> {
    this.pending ??= this.writing.then(
      () => this.writeNow(),
      () => this.writeNow(),
    );
    return this.pending;
  }

  private async writeNow(): Promise<void> {
    this.writing = this.pending ?? Promise.resolve();
    this.pending = undefined;
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, JSON.stringify({ version: 1, models: this.list() }, null, 2));
    await rename(tmp, this.file);
  }
}

function isCatalogModel(value: unknown): value is CatalogModel {
  return (
    isObject(value) &&
    typeof value.model_id === 'string' &&
    MODEL_ID.test(value.model_id) &&
    typeof value.name === 'string' &&
    typeof value.created_at === 'string' &&
    Array.isArray(value.run_ids) &&
    value.run_ids.every((r) => typeof r === 'string') &&
    (value.run_id === null || typeof value.run_id === 'string')
  );
}
