/**
 * The runs: a queue with a concurrency limit (default 1: training uses every core, two at once would only
 * be slower), one trainer process per running run, one SSE channel per run, and the run store on disk.
 *
 * Every event of a run goes through `emit`, which gives it the next id, appends it to events.jsonl and
 * then publishes it, so what a live client sees, what a reconnecting client replays and what survives a
 * restart are the same list.
 */
import { randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path';
import type { BackendName, MetricEvent, RunState, TrainingEvent, TrainingEventMap, TrainingEventName } from '../../shared/protocol';
import { isTerminal } from '../../shared/protocol';
import type { StitchSchema } from '../../shared/schema/types';
import { TRAINING_DEFAULTS } from '../../shared/schema/types';
import { SseChannel } from '../sse/channel';
import type { SseSession } from '../sse/session';
import type { TrainerToParent } from '../training/ipc';
import type { Workspace } from '../workspace';
import type { RunRecord, RunStore } from './store';
import { TrainerProcess, type TrainerLaunch, type TrainerOutcome } from './trainerProcess';

export interface RunManagerOptions {
  store: RunStore;
  trainer: TrainerLaunch;
  /** Runs trained at the same time. Default 1. */
  concurrency?: number;
  workspace: Workspace;
  dataCacheDir: string;
  datasetBaseUrl?: string | null;
  /** Forced backend for every run, or null to let the trainer choose. */
  backend?: BackendName | null;
  /** See TrainerProcessOptions. */
  cancelGraceMs?: number;
  /** Smallest interval between two stored `batch` events, in ms. Default 80 (docs/server.md, "Event streams"). */
  batchIntervalMs?: number;
  log: (line: string) => void;
  /** Called with every event as it is published (measurements, embedding). */
  onEvent?: (event: TrainingEvent, runId: string) => void;
}

interface RunEntry {
  record: RunRecord;
  /** Present while the run is active in this server: its history and its live sessions. */
  channel?: SseChannel<TrainingEvent>;
  nextId: number;
  trainer?: TrainerProcess;
  lastBatchAt: number;
}

export const SERVER_STOPPED = 'the server stopped while this run was active; train the schema again';

/** What a stream request for a run will get. */
export type StreamKind = 'live' | 'replay' | 'nothing-new';

export class RunManager {
  private readonly entries = new Map<string, RunEntry>();
  private readonly queue: RunEntry[] = [];
  private readonly running = new Set<RunEntry>();
  private readonly concurrency: number;
  private closed = false;

  constructor(private readonly options: RunManagerOptions) {
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.restore();
  }

  /** Loads the stored runs; runs that were active when the previous server died become failed. */
  private restore(): void {
    const { store, log } = this.options;
    for (const record of store.loadAll(log)) {
      // A finished run gets no more events, so its event log is only read when a client asks for it: a
      // long run stores tens of thousands of batch events, and start-up should not wait for them all.
      const entry: RunEntry = { record, nextId: 0, lastBatchAt: 0 };
      this.entries.set(record.run_id, entry);
      if (!isTerminal(record.state)) {
        store.repairEvents(record.run_id);
        entry.nextId = (store.readEvents(record.run_id).at(-1)?.id ?? 0) + 1;
        // Without a channel, emit only stores the event: nobody can be listening yet.
        this.finish(entry, { state: 'failed', error: SERVER_STOPPED });
        log(`run ${record.run_id} was ${record.state} when the server stopped; marked failed`);
      }
    }
  }

  list(): RunRecord[] {
    return [...this.entries.values()].map((e) => e.record).sort((a, b) => b.created_at.localeCompare(a.created_at) || b.run_id.localeCompare(a.run_id));
  }

  get(runId: string): RunRecord | undefined {
    return this.entries.get(runId)?.record;
  }

  /** The process id of the run's trainer while it runs (for logs, diagnostics and tests). */
  trainerPid(runId: string): number | undefined {
    return this.entries.get(runId)?.trainer?.pid;
  }

  runDir(runId: string): string {
    return this.options.store.runDir(runId);
  }

  schemaOf(runId: string): StitchSchema {
    return this.options.store.readSchema(runId);
  }

  /** Every event of the run so far, in order. */
  events(runId: string): TrainingEvent[] {
    const entry = this.entries.get(runId);
    if (!entry) return [];
    return entry.channel ? entry.channel.eventsAfter(0) : this.options.store.readEvents(runId);
  }

  metrics(runId: string): MetricEvent[] {
    return this.events(runId).flatMap((e) => (e.event === 'metric' ? [e.data] : []));
  }

  /** Queues a run; it starts as soon as a slot is free. */
  submit(schema: StitchSchema, schemaPath: string | null): RunRecord {
    if (this.closed) throw new Error('the server is shutting down');
    const runId = this.newRunId();
    const record: RunRecord = {
      run_id: runId,
      name: schema.name || (schemaPath ? basename(schemaPath).replace(/\.stitch\.json$|\.json$/, '') : 'untitled'),
      state: 'queued',
      backend: null,
      created_at: new Date().toISOString(),
      started_at: null,
      finished_at: null,
      error: null,
      epochs_done: 0,
      epochs: schema.training?.epochs ?? TRAINING_DEFAULTS.epochs,
      best_val_accuracy: null,
      test: null,
      model_id: null,
      schema_path: schemaPath,
      saved: false,
      model_name: null,
      params: 0,
      input_shape: schema.input?.shape ?? [],
    };
    this.options.store.create(record, schema);
    const entry: RunEntry = { record, channel: new SseChannel<TrainingEvent>(), nextId: 1, lastBatchAt: 0 };
    this.entries.set(runId, entry);
    this.emit(entry, 'state', { run_id: runId, state: 'queued' });
    this.queue.push(entry);
    this.options.log(`run ${runId} (${record.name}) queued`);
    this.pump();
    return record;
  }

  /** Cancels a queued or running run. Returns false when the run had already finished. */
  cancel(runId: string): boolean {
    const entry = this.entries.get(runId);
    if (!entry || isTerminal(entry.record.state)) return false;
    const queued = this.queue.indexOf(entry);
    if (queued !== -1) {
      this.queue.splice(queued, 1);
      this.finish(entry, { state: 'cancelled' });
    } else {
      entry.trainer?.cancel();
    }
    this.options.log(`run ${runId} cancel requested`);
    return true;
  }

  /** Deletes a finished run and its files. Returns false while the run is active. */
  delete(runId: string): boolean {
    const entry = this.entries.get(runId);
    if (!entry) return true;
    if (!isTerminal(entry.record.state)) return false;
    this.entries.delete(runId);
    this.options.store.delete(runId);
    return true;
  }

  /** Updates a finished run's summary (e.g. the model was saved in the catalog). */
  update(runId: string, change: Partial<Pick<RunRecord, 'saved' | 'model_name'>>): RunRecord | undefined {
    const entry = this.entries.get(runId);
    if (!entry) return undefined;
    Object.assign(entry.record, change);
    this.options.store.writeRecord(entry.record);
    return entry.record;
  }

  /** What `subscribe` would do for a client that has seen events up to `afterId`. */
  streamKind(runId: string, afterId: number): StreamKind {
    const entry = this.entries.get(runId);
    if (entry?.channel) return 'live';
    return this.events(runId).some((e) => e.id > afterId) ? 'replay' : 'nothing-new';
  }

  /** Sends the events after `afterId` to the session, then live events until the run ends. */
  subscribe(runId: string, session: SseSession, afterId: number): void {
    const entry = this.entries.get(runId);
    if (!entry) return session.close();
    const channel = entry.channel ?? new SseChannel<TrainingEvent>(this.options.store.readEvents(runId), true);
    channel.subscribe(session, afterId);
  }

  /** Stops every trainer; active runs become failed (as they would after a crash, but recorded now). */
  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.queue.splice(0)) this.finish(entry, { state: 'failed', error: SERVER_STOPPED });
    const stopping = [...this.running].map((entry) => {
      const trainer = entry.trainer;
      this.finish(entry, { state: 'failed', error: SERVER_STOPPED });
      return trainer?.kill();
    });
    await Promise.all(stopping);
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.concurrency && this.queue.length > 0) {
      this.start(this.queue.shift()!);
    }
  }

  private start(entry: RunEntry): void {
    const { record } = entry;
    const { store, workspace, dataCacheDir } = this.options;
    record.state = 'running';
    record.started_at = new Date().toISOString();
    store.writeRecord(record);
    this.running.add(entry);
    this.emit(entry, 'state', { run_id: record.run_id, state: 'running' });
    entry.trainer = new TrainerProcess(
      {
        type: 'start',
        runId: record.run_id,
        schema: store.readSchema(record.run_id),
        schemaDir: record.schema_path ? dirname(record.schema_path) : null,
        workspaceRoot: workspace.rootFor(record.schema_path),
        modelDir: store.modelDir(record.run_id),
        dataCacheDir,
        datasetBaseUrl: this.options.datasetBaseUrl ?? null,
        backend: this.options.backend ?? null,
      },
      { launch: this.options.trainer, cancelGraceMs: this.options.cancelGraceMs, log: this.options.log },
      {
        onMessage: (message) => this.trainerMessage(entry, message),
        onExit: (outcome) => {
          this.running.delete(entry);
          // After close() the run was already recorded as failed.
          if (!isTerminal(entry.record.state)) this.finish(entry, outcome);
          this.pump();
        },
      },
    );
    this.options.log(`run ${record.run_id} started (trainer pid ${entry.trainer.pid})`);
  }

  private trainerMessage(entry: RunEntry, message: TrainerToParent): void {
    const { record } = entry;
    switch (message.type) {
      case 'backend':
        record.backend = message.backend;
        this.options.store.writeRecord(record);
        return;
      case 'batch': {
        const { type: _type, ...batch } = message;
        const now = Date.now();
        const lastOfEpoch = batch.batch >= batch.batches;
        if (!lastOfEpoch && now - entry.lastBatchAt < (this.options.batchIntervalMs ?? 80)) return;
        entry.lastBatchAt = now;
        this.emit(entry, 'batch', batch);
        return;
      }
      case 'metric': {
        const { type: _type, ...metric } = message;
        record.epochs_done = metric.epoch;
        record.epochs = metric.epochs;
        if (metric.val_accuracy !== null && (record.best_val_accuracy === null || metric.val_accuracy > record.best_val_accuracy)) {
          record.best_val_accuracy = metric.val_accuracy;
        }
        this.options.store.writeRecord(record);
        this.emit(entry, 'metric', metric);
        return;
      }
      case 'running':
        return;
      case 'log':
        this.options.log(`[run ${record.run_id}] ${message.message}`);
        return;
      default:
        // Terminal messages are handled by TrainerProcess and arrive through onExit.
        return;
    }
  }

  /** Records the run's end, emits its final state event and closes its streams. */
  private finish(entry: RunEntry, outcome: TrainerOutcome): void {
    const { record } = entry;
    record.state = outcome.state;
    record.finished_at = new Date().toISOString();
    record.error = outcome.state === 'failed' ? outcome.error : null;
    if (outcome.state === 'succeeded') {
      record.test = outcome.test;
      record.model_id = record.run_id;
      record.params = outcome.params;
      record.input_shape = outcome.inputShape;
    }
    this.options.store.writeRecord(record);
    const state: TrainingEventMap['state'] = { run_id: record.run_id, state: outcome.state };
    if (outcome.state === 'failed') state.error = outcome.error;
    if (outcome.state === 'succeeded') state.test = outcome.test;
    if (record.backend) state.backend = record.backend;
    this.emit(entry, 'state', state);
    entry.channel?.end();
    entry.channel = undefined;
    entry.trainer = undefined;
    this.options.log(`run ${record.run_id} ${describeEnd(outcome.state, record.error)}`);
  }

  private emit<K extends TrainingEventName>(entry: RunEntry, event: K, data: TrainingEventMap[K]): void {
    const frame = { id: entry.nextId++, event, data } as TrainingEvent;
    this.options.store.appendEvent(entry.record.run_id, frame);
    entry.channel?.publish(frame);
    this.options.onEvent?.(frame, entry.record.run_id);
  }

  /** Sortable and readable in a folder listing: `20250101-120000-3fa9c1`. */
  private newRunId(): string {
    for (;;) {
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
      const id = `${stamp}-${randomBytes(3).toString('hex')}`;
      if (!this.entries.has(id)) return id;
    }
  }
}

function describeEnd(state: RunState, error: string | null): string {
  return error ? `${state}: ${error.split('\n')[0]}` : state;
}
