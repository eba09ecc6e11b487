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
 *
 * Several servers may share the file (one per VS Code window, presence.ts). So no server writes its whole
 * memory over another's changes: `sync()` (before every request that reads models) reloads the file when
 * it changed on disk, and a write holds `models.json.lock`, reloads, applies only the models this server
 * changed since its last write, and replaces the file. Two windows that change the same model keep the
 * later change; changes to different models are all kept.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
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
  /** The file as this server last read or wrote it (size and mtime): another server changed it when it differs. */
  private stamp = '';
  /** Models put or removed here since the last write: what a write applies over the file's current models. */
  /** The models this server changed since its last write, each with a count of its changes. */
  private readonly changed = new Map<string, number>();
  private reloading: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    private readonly log: (line: string) => void,
  ) {
    // Start-up only (not a request path): the server reads the catalog once before it listens.
    if (!existsSync(file)) return;
    try {
      const stamp = stampOf(statSync(file));
      for (const item of parseCatalog(readFileSync(file, 'utf8'))) this.models.set(item.model_id, item);
      this.stamp = stamp;
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
    this.noteChange(model.model_id);
    await this.write();
    return model;
  }

  /** Removes a model from the catalog (its runs and their weights stay); false when there was none. */
  async remove(id: string): Promise<boolean> {
    if (!this.models.delete(id)) return false;
    this.noteChange(id);
    await this.write();
    return true;
  }

  /** Takes in what other servers wrote to the file since this one last read or wrote it. */
  sync(): Promise<void> {
    this.reloading ??= this.reload().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /**
   * Reads the file when it changed on disk, keeping this server's changes not yet written. A file another
   * server is replacing is read whole or not at all (it is renamed into place); one that does not parse is
   * left to the next write, which replaces it (the constructor moved a damaged one aside at start).
   */
  private async reload(): Promise<void> {
    let stamp: string;
    let text: string;
    try {
      stamp = stampOf(await stat(this.file));
      if (stamp === this.stamp) return;
      text = await readFile(this.file, 'utf8');
    } catch {
      return; // no file yet (or it was removed): memory stays as it is, the next write recreates it
    }
    let stored: CatalogModel[];
    try {
      stored = parseCatalog(text);
    } catch (err) {
      this.log(
        `the model catalog ${this.file} changed on disk but does not parse (${(err as Error).message}); kept the catalog in memory`,
      );
      this.stamp = stamp;
      return;
    }
    const mine = new Map([...this.changed.keys()].map((id) => [id, this.models.get(id)]));
    this.models.clear();
    for (const item of stored) this.models.set(item.model_id, item);
    for (const [id, model] of mine) {
      if (model) this.models.set(id, model);
      else this.models.delete(id);
    }
    this.stamp = stamp;
  }

  private noteChange(id: string): void {
    this.changed.set(id, (this.changed.get(id) ?? 0) + 1);
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
    const unlock = await this.lock();
    try {
      // Another server's changes since, with this server's laid over them: a fresh read, made after the lock.
      await this.reloading?.catch(() => undefined);
      await this.sync();
      const written = [...this.changed];
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify({ version: 1, models: this.list() }, null, 2));
      await rename(tmp, this.file);
      this.stamp = stampOf(await stat(this.file));
      // A model changed again while the file was written stays to be written (with its later change).
      for (const [id, count] of written) if (this.changed.get(id) === count) this.changed.delete(id);
    } finally {
      await unlock();
    }
  }

  /**
   * Holds `models.json.lock` while a write reloads and replaces the file (between servers; this one's writes
   * are already one at a time). A lock older than 10 s was left by a killed server and is taken over; after
   * 5 s of waiting the write goes ahead without it, with a log line, rather than hang a request.
   */
  private async lock(): Promise<() => Promise<void>> {
    const file = `${this.file}.lock`;
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        await (await open(file, 'wx')).close();
        return () => rm(file, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return unlocked; // e.g. a read-only folder: the write reports it
      }
      const age = await stat(file).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 10_000) await rm(file, { force: true });
      else if (Date.now() > deadline) {
        this.log(`the model catalog's lock ${file} was held for over 5 s; writing without it`);
        return unlocked;
      } else await new Promise((done) => setTimeout(done, 25));
    }
  }
}

/** What `lock` returns when it holds no lock. */
const unlocked = (): Promise<void> => Promise.resolve();

/** Size, mtime and inode: every write is a rename, so a new inode, even where mtimes are coarse. */
function stampOf(s: { size: number; mtimeMs: number; ino: number }): string {
  return `${s.size}:${s.mtimeMs}:${s.ino}`;
}

/** The models of a catalog file's text (entries that fail the check are left out); throws when it is not JSON. */
function parseCatalog(text: string): CatalogModel[] {
  const stored: unknown = JSON.parse(text);
  const list: unknown[] = isObject(stored) && Array.isArray(stored.models) ? stored.models : [];
  return list.filter(isCatalogModel);
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
