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
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary, TrainingEvent } from '../../shared/protocol';
import type { StitchSchema } from '../../shared/schema/types';

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

export class RunStore {
  constructor(readonly runsDir: string) {
    mkdirSync(runsDir, { recursive: true });
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

  appendEvent(runId: string, event: TrainingEvent): void {
    appendFileSync(join(this.runDir(runId), 'events.jsonl'), JSON.stringify(event) + '\n');
  }

  /**
   * Cuts a torn last line (the server died mid-write) off the event log, so that the next append starts on
   * a line of its own instead of being glued to the torn one and lost with it.
   */
  repairEvents(runId: string): void {
    const file = join(this.runDir(runId), 'events.jsonl');
    if (!existsSync(file)) return;
    const text = readFileSync(file, 'utf8');
    if (text === '' || text.endsWith('\n')) return;
    truncateSync(file, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
  }

  /** The stored events in order. A torn last line (the server died mid-write) is skipped. */
  readEvents(runId: string): TrainingEvent[] {
    const file = join(this.runDir(runId), 'events.jsonl');
    if (!existsSync(file)) return [];
    const events: TrainingEvent[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        events.push(JSON.parse(line) as TrainingEvent);
      } catch {
        // Only the last line can be torn; anything after it would have been written by a later server.
      }
    }
    return events;
  }

  readSchema(runId: string): StitchSchema {
    return JSON.parse(readFileSync(join(this.runDir(runId), 'schema.json'), 'utf8')) as StitchSchema;
  }

  /** Every readable run, oldest first. Folders that are not runs (or are damaged) are skipped with a log line. */
  loadAll(log: (line: string) => void): RunRecord[] {
    const records: RunRecord[] = [];
    for (const name of readdirSync(this.runsDir, { withFileTypes: true })) {
      if (!name.isDirectory() || !RunStore.isRunId(name.name)) continue;
      const file = join(this.runsDir, name.name, 'run.json');
      if (!existsSync(file)) continue;
      try {
        const record = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
        if (record.run_id === name.name) records.push(record);
      } catch (err) {
        log(`skipping run folder ${name.name}: run.json is not readable (${(err as Error).message})`);
      }
    }
    return records.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.run_id.localeCompare(b.run_id));
  }

  delete(runId: string): void {
    rmSync(this.runDir(runId), { recursive: true, force: true });
  }
}
