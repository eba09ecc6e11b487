/**
 * The run store on disk: one folder per run under `runsDir`, so runs survive a server restart and a user
 * can look at (or delete) them with ordinary tools:
 *
 *   <runsDir>/<run_id>/schema.json    the schema as submitted
 *   <runsDir>/<run_id>/run.json       the summary (RunRecord): state, times, test metrics, model info
 *   <runsDir>/<run_id>/events.jsonl   every SSE event with its id, one JSON object a line, append-only
 *   <runsDir>/<run_id>/model/         the trained model (tfjs layers format: model.json + weights.bin)
 *
 * Writes are synchronous on purpose: events are few (at most ~10 a second) and appending them in the
 * order they happen, before they are sent, is what makes a replay after a restart exact.
 *
 * Everything read back is checked (recordCheck.ts): a damaged run.json is repaired or skipped, a damaged
 * event line is skipped, a missing schema.json is a clear error for that run only; each with a log line.
 * Files are only opened after `stat` says they are regular files, so a FIFO planted in a run folder
 * cannot block the server.
 */
import {
  appendFileSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
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
}

const RUN_ID = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * A run whose files are damaged in a way that cannot be repaired (e.g. schema.json is gone). It carries an
 * HTTP status, so a route that meets it answers 409 with the message instead of a 500.
 */
export class DamagedRunError extends Error {
  readonly status = 409;
  readonly expose = true;
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

export class RunStore {
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

  modelDir(runId: string): string {
    return join(this.runDir(runId), 'model');
  }

  create(record: RunRecord, schema: StitchSchema): void {
    const dir = this.runDir(record.run_id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'schema.json'), JSON.stringify(schema, null, 2) + '\n');
    writeFileSync(join(dir, 'events.jsonl'), '');
    this.writeRecord(record);
  }

  /** Replaces run.json atomically (write + rename), so a crash never leaves half a summary. */
  writeRecord(record: RunRecord): void {
    const file = join(this.runDir(record.run_id), 'run.json');
    writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2) + '\n');
    renameSync(`${file}.tmp`, file);
  }

  /** The event log can be appended to without blocking: it is a regular file (or not there yet). */
  eventLogWritable(runId: string): boolean {
    const file = join(this.runDir(runId), 'events.jsonl');
    try {
      return statSync(file).isFile();
    } catch {
      return true;
    }
  }

  appendEvent(runId: string, event: TrainingEvent): void {
    appendFileSync(join(this.runDir(runId), 'events.jsonl'), JSON.stringify(event) + '\n');
  }

  /**
   * Cuts a torn last line (the server died mid-write) off the event log, so that the next append starts on
   * a line of its own instead of being glued to the torn one and lost with it.
   */
  repairEvents(runId: string): void {
    const file = join(this.runDir(runId), 'events.jsonl');
    if (!isFile(file)) return;
    const text = readFileSync(file, 'utf8');
    if (text === '' || text.endsWith('\n')) return;
    truncateSync(file, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
  }

  /** The stored events in order (see `readEventLog`). */
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

  /** `readEventLog` without blocking the event loop (request paths: replays, run details). */
  async readEventLogAsync(runId: string): Promise<StoredEvents> {
    const file = join(this.runDir(runId), 'events.jsonl');
    return (await isFileAsync(file))
      ? parseEventLog(await readFile(file, 'utf8'))
      : { events: [], torn: false, skipped: 0 };
  }

  /** The schema as submitted; a DamagedRunError (409) when schema.json is missing or not a JSON object. */
  readSchema(runId: string): StitchSchema {
    const file = join(this.runDir(runId), 'schema.json');
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
    const file = join(this.runDir(runId), 'schema.json');
    let text: string | undefined;
    try {
      if (!(await isFileAsync(file))) throw new Error('it is missing or not a file');
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw this.unreadableSchema(runId, err);
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
          this.writeRecord(checked.record);
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

  delete(runId: string): void {
    rmSync(this.runDir(runId), { recursive: true, force: true });
  }
}

/** True for a regular file; false for a missing path, a folder, a FIFO or a device (never opened). */
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
