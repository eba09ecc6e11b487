/**
 * The run store on disk: one folder per run under `runsDir`, so runs survive a server restart and a user
 * can look at (or delete) them with ordinary tools:
 *
 *   <runsDir>/<run_id>/schema.json    the schema as submitted
 *   <runsDir>/<run_id>/run.json       the summary (RunRecord): state, times, test metrics, model info
 *   <runsDir>/<run_id>/events.jsonl   every SSE event with its id, one JSON object a line, append-only
 *   <runsDir>/<run_id>/model/         the trained model (tfjs layers format: model.json + weights.bin)
 *
 * Writes are asynchronous (the server's event loop answers health and event streams meanwhile) and go
 * through one queue per run: event lines are appended in the order they were emitted, one write at a time
 * (lines that arrive while a write runs go out together in the next), and run.json, truncation and
 * deletion wait their turn in the same queue. The run manager publishes an event only once its line is
 * written, so what a client saw is on disk, and a replay after a restart is exact. `drained` tells when a
 * run's queue is empty: readers of the log wait for it.
 *
 * Synchronous reads remain only in start-up code (`loadAll`, `repairEvents`, `readEventLog`), which runs
 * once before the server listens and is on no request path.
 *
 * Everything read back is checked (recordCheck.ts): a damaged run.json is repaired or skipped, a damaged
 * event line is skipped, a missing schema.json is a clear error for that run only; each with a log line.
 * Files are only opened after `stat` says they are regular files, so a FIFO planted in a run folder
 * cannot block the server.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { appendFile, mkdir, open, readdir, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunSummary, TrainingEvent } from '../../shared/protocol';
import { isObject } from '../../shared/isObject';
import type { StitchSchema } from '../../shared/schema/types';
import { checkRecord, isStoredEvent } from './recordCheck';

/** What run.json holds: the public summary plus what the server needs to serve the model. */
export interface RunRecord extends RunSummary {
  /** Set when the trained model was marked as saved in the catalog. */
  saved: boolean;
  /** Display name of the saved model (defaults to the schema's name). */
  model_name: string | null;
  /** Trainable + non-trainable parameters of the trained model. */
  params: number;
  /** Model input shape without the batch dimension. */
  input_shape: number[];
  /** The server that trains (or trained) it, when several share the runs folder (presence.ts). */
  server_id?: string | null;
}

const RUN_ID = /^[A-Za-z0-9_-]{1,100}$/;
/** Rewritten after every run.json write: a watch on the runs folder's top level sees runs change state. */
export const CHANGED_FILE = '.changed';
/** The most a follower reads of another server's event log at once. */
const FOLLOW_CHUNK = 4 * 1024 * 1024;

/**
 * A run whose files are damaged in a way that cannot be repaired (e.g. schema.json is gone). It carries an
 * HTTP status, so a route that meets it answers 409 with the message instead of a 500.
 */
export class DamagedRunError extends Error {
  readonly status = 409;
  readonly expose = true;
}

/** A run deleted while a request read it (by another server sharing the runs folder, or by hand): a 404. */
export class RunGoneError extends Error {
  readonly status = 404;
  readonly expose = true;
  constructor(runId: string) {
    super(`run ${runId} was deleted (in another Stitch window, or by hand); GET /api/runs lists the runs`);
  }
}

/** The events of a stored log, and what was wrong with it. */
export interface StoredEvents {
  events: TrainingEvent[];
  /** The log ends in a line cut short (the server died mid-write). */
  torn: boolean;
  /** Lines that are not events, or whose id does not follow the one before (skipped). */
  skipped: number;
}

/** The runs folder cannot be used at all (startup): the CLI prints the message alone, without a stack. */
export class RunsDirError extends Error {}

/** One run's write queue (see the top of this file). */
interface RunWrites {
  /** Settles when the last queued write has (it never rejects: each write's caller gets its failure). */
  tail: Promise<void>;
  /** Event lines waiting for the next append. */
  lines: string[];
  /** The queued append that will write `lines`, while it has not started. */
  batch: Promise<void> | undefined;
}

export class RunStore {
  private readonly writes = new Map<string, RunWrites>();

  /** Start-up only (not a request path): the server makes and checks its runs folder before it listens. */
  constructor(readonly runsDir: string) {
    try {
      mkdirSync(runsDir, { recursive: true });
    } catch (err) {
      throw new RunsDirError(
        `the runs folder ${runsDir} cannot be created (${(err as Error).message}); pass a writable folder with --runs-dir`,
      );
    }
    if (!statSync(runsDir).isDirectory())
      throw new RunsDirError(`the runs folder ${runsDir} is not a folder; pass a folder with --runs-dir`);
  }

  /** Run ids come from URLs: only plain names may become paths. */
  static isRunId(id: string): boolean {
    return RUN_ID.test(id);
  }

  runDir(runId: string): string {
    if (!RunStore.isRunId(runId)) throw new Error(`invalid run id ${JSON.stringify(runId)}`);
    return join(this.runsDir, runId);
  }

  /** The schema as submitted (the trainer reads it from here). */
  schemaFile(runId: string): string {
    return join(this.runDir(runId), 'schema.json');
  }

  modelDir(runId: string): string {
    return join(this.runDir(runId), 'model');
  }

  async create(record: RunRecord, schema: StitchSchema): Promise<void> {
    const dir = this.runDir(record.run_id);
    await mkdir(dir, { recursive: true });
    await writeFile(this.schemaFile(record.run_id), JSON.stringify(schema, null, 2) + '\n');
    await writeFile(join(dir, 'events.jsonl'), '');
    await this.writeRecord(record);
  }

  /**
   * Replaces run.json atomically (write + rename), so a crash never leaves half a summary. Queued with the
   * run's other writes; it writes the record as it is when its turn comes (the latest state).
   */
  writeRecord(record: RunRecord): Promise<void> {
    return this.queue(record.run_id, () => this.replaceRecord(record));
  }

  private async replaceRecord(record: RunRecord): Promise<void> {
    const file = join(this.runDir(record.run_id), 'run.json');
    // This process's own temporary file: another server may end the same run at the same moment.
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(record, null, 2) + '\n');
    await rename(tmp, file);
    // Top-level, so that a watch on the runs folder alone (the extension's) sees a run change state.
    await writeFile(join(this.runsDir, CHANGED_FILE), `${record.run_id} ${record.state}\n`).catch(() => undefined);
  }

  /** The event log can be appended to without blocking: it is a regular file (or not there yet). */
  async eventLogWritable(runId: string): Promise<boolean> {
    const file = join(this.runDir(runId), 'events.jsonl');
    try {
      return (await stat(file)).isFile();
    } catch {
      return true;
    }
  }

  /** Appends one event line after every write queued before it; resolves once it is written. */
  appendEvent(runId: string, event: TrainingEvent): Promise<void> {
    const writes = this.writesOf(runId);
    writes.lines.push(JSON.stringify(event) + '\n');
    writes.batch ??= this.queue(runId, async () => {
      writes.batch = undefined;
      const text = writes.lines.join('');
      writes.lines = [];
      await appendFile(join(this.runDir(runId), 'events.jsonl'), text);
    });
    return writes.batch;
  }

  /** Resolves when every write queued so far for the run has settled (readers of its files wait for it). */
  drained(runId: string): Promise<void> {
    return this.writes.get(runId)?.tail ?? Promise.resolve();
  }

  /** Resolves when every run's queued writes have settled (the server waits for it before it exits). */
  async allDrained(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes.values()].map((w) => w.tail));
  }

  /** `repairEvents` without blocking, in the run's write queue (before any append queued after it). */
  repairEventsAsync(runId: string): Promise<void> {
    return this.queue(runId, async () => {
      const file = join(this.runDir(runId), 'events.jsonl');
      if (!(await isFileAsync(file))) return;
      const text = await readFile(file, 'utf8');
      if (text === '' || text.endsWith('\n')) return;
      await truncate(file, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
    });
  }

  private writesOf(runId: string): RunWrites {
    let writes = this.writes.get(runId);
    if (!writes) {
      writes = { tail: Promise.resolve(), lines: [], batch: undefined };
      this.writes.set(runId, writes);
    }
    return writes;
  }

  /** Runs `write` after the run's queued writes; its failure goes to the caller, not to later writes. */
  private queue(runId: string, write: () => Promise<void>): Promise<void> {
    const writes = this.writesOf(runId);
    const done = writes.tail.then(write);
    const tail = done.then(
      () => undefined,
      () => undefined, // reported to the caller through `done`
    );
    writes.tail = tail;
    void tail.then(() => {
      // Idle again: forget the queue, so a long-running server keeps nothing per finished run.
      if (writes.tail === tail && this.writes.get(runId) === writes) this.writes.delete(runId);
    });
    return done;
  }

  /**
   * Cuts a torn last line (the server died mid-write) off the event log, so that the next append starts on
   * a line of its own instead of being glued to the torn one and lost with it. Start-up only (restore).
   */
  repairEvents(runId: string): void {
    const file = join(this.runDir(runId), 'events.jsonl');
    if (!isFile(file)) return;
    const text = readFileSync(file, 'utf8');
    if (text === '' || text.endsWith('\n')) return;
    truncateSync(file, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
  }

  /** The stored events in order (see `readEventLog`). Start-up only. */
  readEvents(runId: string): TrainingEvent[] {
    return this.readEventLog(runId).events;
  }

  /**
   * The stored events, checked: a torn last line, a line that is not an event, and an event whose id does
   * not follow the previous one are skipped (SSE clients rely on ids that only increase).
   */
  readEventLog(runId: string): StoredEvents {
    const file = join(this.runDir(runId), 'events.jsonl');
    return isFile(file) ? parseEventLog(readFileSync(file, 'utf8')) : { events: [], torn: false, skipped: 0 };
  }

  /** `readEventLog` without blocking the event loop (request paths: replays, run details), after queued writes. */
  async readEventLogAsync(runId: string): Promise<StoredEvents> {
    await this.drained(runId);
    const file = join(this.runDir(runId), 'events.jsonl');
    if (!(await isFileAsync(file))) {
      if (await this.gone(runId)) throw new RunGoneError(runId);
      return { events: [], torn: false, skipped: 0 };
    }
    try {
      return parseEventLog(await readFile(file, 'utf8'));
    } catch (err) {
      if (await this.gone(runId)) throw new RunGoneError(runId);
      throw err;
    }
  }

  /** Whether the run's folder is gone (deleted by another server, or by hand). */
  private async gone(runId: string): Promise<boolean> {
    return stat(this.runDir(runId)).then(
      () => false,
      (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT',
    );
  }

  /**
   * What another server appended to a run's log from byte `offset` on: complete lines only (a line still being
   * written is read next time), and where to read next. Following a run costs what it appends, not its whole
   * log each time. A log that shrank (repaired) is read again from the start.
   */
  async readEventsSince(runId: string, offset: number): Promise<{ events: TrainingEvent[]; offset: number }> {
    const file = join(this.runDir(runId), 'events.jsonl');
    if (!(await isFileAsync(file))) return { events: [], offset };
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const from = size < offset ? 0 : offset;
      // At most FOLLOW_CHUNK a read: the rest comes on the next ones.
      const bytes = Buffer.alloc(Math.min(size - from, FOLLOW_CHUNK));
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, from);
      let complete = bytes.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
      // A full chunk without a line end is no event (events are small): skipped, or the log would stall here.
      if (complete === 0 && bytesRead === FOLLOW_CHUNK) complete = bytesRead;
      return { events: parseEventLog(bytes.subarray(0, complete).toString('utf8')).events, offset: from + complete };
    } finally {
      await handle.close();
    }
  }

  /** The schema as submitted; a DamagedRunError (409) when schema.json is missing or not a JSON object. */
  readSchema(runId: string): StitchSchema {
    const file = this.schemaFile(runId);
    let text: string | undefined;
    try {
      if (!isFile(file)) throw new Error('it is missing or not a file');
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw this.unreadableSchema(runId, err);
    }
    return this.parseSchema(runId, text);
  }

  /** `readSchema` without blocking the event loop. */
  async readSchemaAsync(runId: string): Promise<StitchSchema> {
    const file = this.schemaFile(runId);
    let text: string | undefined;
    try {
      if (!(await isFileAsync(file))) throw new Error('it is missing or not a file');
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw (await this.gone(runId)) ? new RunGoneError(runId) : this.unreadableSchema(runId, err);
    }
    return this.parseSchema(runId, text);
  }

  private unreadableSchema(runId: string, err: unknown): DamagedRunError {
    return new DamagedRunError(
      `run ${runId}'s schema.json cannot be read (${(err as Error).message}); its files in ${this.runDir(runId)} are damaged, delete the run and train again`,
    );
  }

  private parseSchema(runId: string, text: string): StitchSchema {
    let schema: unknown;
    try {
      schema = JSON.parse(text);
    } catch (err) {
      throw this.unreadableSchema(runId, err);
    }
    if (!isObject(schema))
      throw new DamagedRunError(
        `run ${runId}'s schema.json does not hold a schema object; delete the run and train again`,
      );
    return schema as unknown as StitchSchema;
  }

  /**
   * Every readable run, oldest first. Folders that are not runs are ignored; damaged ones are repaired (a
   * field with a wrong type gets a safe value) or skipped, each with a log line.
   */
  loadAll(log: (line: string) => void): RunRecord[] {
    const records: RunRecord[] = [];
    for (const name of readdirSync(this.runsDir, { withFileTypes: true })) {
      if (!name.isDirectory() || !RunStore.isRunId(name.name)) continue;
      const file = join(this.runsDir, name.name, 'run.json');
      let raw: unknown;
      try {
        if (!isFile(file)) {
          log(`skipping run folder ${name.name}: it has no run.json file`);
          continue;
        }
        raw = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        log(`skipping run folder ${name.name}: run.json is not readable (${(err as Error).message})`);
        continue;
      }
      const checked = checkRecord(raw, name.name);
      if ('refused' in checked) {
        log(`skipping run folder ${name.name}: ${checked.refused}`);
        continue;
      }
      if (checked.repairs.length > 0) {
        log(`run ${name.name}: repaired a damaged run.json (${checked.repairs.join('; ')})`);
        try {
          const file = join(this.runsDir, name.name, 'run.json');
          writeFileSync(`${file}.tmp`, JSON.stringify(checked.record, null, 2) + '\n');
          renameSync(`${file}.tmp`, file);
        } catch (err) {
          log(
            `run ${name.name}: could not write the repaired run.json (${(err as Error).message}); using the repair in memory`,
          );
        }
      }
      records.push(checked.record);
    }
    return records.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.run_id.localeCompare(b.run_id));
  }

  /** The run folders' names (another server's runs included), without blocking the event loop. */
  async runIds(): Promise<string[]> {
    // A folder that cannot be read is an error (not "every run was deleted"); one that is gone has no runs.
    const names = await readdir(this.runsDir, { withFileTypes: true }).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    });
    return names.filter((n) => n.isDirectory() && RunStore.isRunId(n.name)).map((n) => n.name);
  }

  /**
   * run.json as another server wrote it (checked, repaired in memory only: the run is not this server's);
   * undefined while it is missing or unreadable (it may be half written: a later read gets it).
   */
  async readRecordAsync(runId: string): Promise<RunRecord | undefined> {
    const file = join(this.runDir(runId), 'run.json');
    try {
      if (!(await isFileAsync(file))) return undefined;
      const checked = checkRecord(JSON.parse(await readFile(file, 'utf8')), runId);
      return 'refused' in checked ? undefined : checked.record;
    } catch {
      return undefined;
    }
  }

  /** Removes the run's folder once its queued writes are done (none can recreate part of it after). */
  delete(runId: string): Promise<void> {
    return this.queue(runId, () => rm(this.runDir(runId), { recursive: true, force: true }));
  }
}

/**
 * The stored events, checked: a torn last line, a line that is not an event, and an event whose id does
 * not follow the previous one are skipped (SSE clients rely on ids that only increase).
 */
function parseEventLog(text: string): StoredEvents {
  const result: StoredEvents = { events: [], torn: text !== '' && !text.endsWith('\n'), skipped: 0 };
  let lastId = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      event = undefined;
    }
    if (isStoredEvent(event) && event.id > lastId) {
      result.events.push(event);
      lastId = event.id;
    } else {
      result.skipped++;
    }
  }
  // The torn line is counted as skipped above; report it apart.
  if (result.torn) result.skipped--;
  return result;
}

/** True for a regular file; false for a missing path, a folder, a FIFO or a device (never opened). */
async function isFileAsync(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
