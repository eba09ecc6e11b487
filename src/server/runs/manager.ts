/**
 * The runs: a queue with a concurrency limit (default 1: training uses every core, two at once would only
 * be slower), one trainer process per running run, one SSE channel per run, and the run store on disk.
 *
 * Every event of a run goes through `emit`, which gives it the next id, queues it for events.jsonl and
 * publishes it once it is written (store.ts: one write queue per run, in order), so what a live client
 * sees, what a reconnecting client replays and what survives a restart are the same list. A run's stream
 * ends only after its final state was published; a finished run's log is read after its queued writes.
 */
import { randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path';
import type {
  BackendName,
  MetricEvent,
  RunState,
  SamplePrediction,
  TrainingEvent,
  TrainingEventMap,
  TrainingEventName,
} from '../../shared/protocol';
import { isTerminal } from '../../shared/protocol';
import type { StitchSchema } from '../../shared/schema/types';
import { TRAINING_DEFAULTS } from '../../shared/schema/types';
import { SseChannel } from '../sse/channel';
import type { SseSession } from '../sse/session';
import type { TrainerToParent } from '../training/ipc';
import type { Workspace } from '../workspace';
import type { ServerPresence } from './presence';
import type { RunRecord, RunStore, StoredEvents } from './store';
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
  /** The trainer's memory budget in MB; see TrainerProcessOptions.memoryMb. */
  trainerMemoryMb?: number;
  log: (line: string) => void;
  /** Called with every event as it is published (measurements, embedding). */
  onEvent?: (event: TrainingEvent, runId: string) => void;
  /** This server among others sharing the runs folder (presence.ts); without it the folder is this server's. */
  presence?: ServerPresence;
}

interface RunEntry {
  record: RunRecord;
  /** Present while the run is active in this server: its history and its live sessions. */
  channel?: SseChannel<TrainingEvent>;
  nextId: number;
  trainer?: TrainerProcess;
  /** The stored event log of a finished run was checked (and repaired) since this server started. */
  eventsChecked?: boolean;
  /** Every event of a run whose event log could not be written, kept so its replay still loses nothing. */
  memoryEvents?: TrainingEvent[];
  /** The rebuilt final state of a finished run whose log lacked it: served from memory to reads that miss it. */
  unsavedFinal?: TrainingEvent;
  /** A write to the runs folder failed during this run (logged once; the run goes on in memory). */
  storeFailed?: boolean;
  /** Another server sharing the runs folder trains it: its record and events are read from disk. */
  foreign?: boolean;
  /** While clients watch a foreign run: the channel fed by reading its event log (`follow`). */
  follower?: SseChannel<TrainingEvent>;
}

/** How often a foreign run's files are read again: the runs list at most, and a followed event log. */
const REFRESH_MS = 1000;

/** The runs folder cannot be written: answered 503 (the server cannot take runs now; nothing was queued). */
export class RunsFolderError extends Error {
  readonly status = 503;
  readonly expose = true;
}

export const SERVER_STOPPED = 'the server stopped while this run was active; train the schema again';

export class RunManager {
  private readonly entries = new Map<string, RunEntry>();
  private readonly queue: RunEntry[] = [];
  private readonly running = new Set<RunEntry>();
  /** Run ids taken by a submit that is still creating the run's folder. */
  private readonly creating = new Set<string>();
  private readonly concurrency: number;
  private closed = false;
  private refreshing: Promise<void> | undefined;
  private refreshedAt = 0;

  constructor(private readonly options: RunManagerOptions) {
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.restore();
  }

  /**
   * Loads the stored runs; runs that were active when the previous server died become failed. Start-up
   * only (the constructor, before the server listens): the synchronous reads here are on no request path.
   */
  private restore(): void {
    const { store, log, presence } = this.options;
    for (const record of store.loadAll(log)) {
      // A finished run gets no more events, so its event log is only read when a client asks for it: a
      // long run stores tens of thousands of batch events, and start-up should not wait for them all.
      const entry: RunEntry = { record, nextId: 0 };
      this.entries.set(record.run_id, entry);
      const owner = record.server_id;
      if (!isTerminal(record.state) && owner && owner !== presence?.id && presence?.isAliveSync(owner)) {
        entry.foreign = true; // another window's server trains it: left alone, read from disk
      } else if (!isTerminal(record.state)) {
        store.repairEvents(record.run_id);
        entry.nextId = (store.readEvents(record.run_id).at(-1)?.id ?? 0) + 1;
        // Without a channel, emit only stores the event: nobody can be listening yet. The state is logged
        // before finish() overwrites it.
        log(`run ${record.run_id} was ${record.state}; marked failed: the server stopped`);
        this.finish(entry, { state: 'failed', error: SERVER_STOPPED });
      }
    }
  }

  /**
   * Takes in what other servers sharing the runs folder did (at most once a second; requests that read runs
   * await it): their new runs, the progress and end of their active runs, the runs they deleted. A run whose
   * server is gone (killed, so it could not end it) is marked failed, as a restart would. This server's own
   * runs are what its memory says.
   */
  refresh(): Promise<void> {
    if (!this.options.presence || this.closed) return Promise.resolve();
    if (this.refreshing) return this.refreshing;
    if (performance.now() - this.refreshedAt < REFRESH_MS) return Promise.resolve();
    this.refreshing = this.readShared()
      .catch((err: unknown) => this.options.log(`could not read the runs folder again (${(err as Error).message})`))
      .finally(() => {
        this.refreshedAt = performance.now(); // monotonic: a clock set back does not stop refreshes
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  private async readShared(): Promise<void> {
    const { store } = this.options;
    const ids = new Set(await store.runIds());
    for (const [runId, entry] of this.entries) {
      const idle = !entry.channel && !entry.trainer && !this.running.has(entry) && !this.queue.includes(entry);
      if (!ids.has(runId) && idle && !this.creating.has(runId)) {
        entry.follower?.end();
        this.entries.delete(runId); // deleted by another server (or by hand)
      }
    }
    for (const runId of ids) {
      const known = this.entries.get(runId);
      if (this.creating.has(runId) || (known && (!known.foreign || isTerminal(known.record.state)))) continue;
      const record = await store.readRecordAsync(runId);
      if (!record || this.closed) continue;
      // While it read, a follower may have ended the run here: this server's record is then the one to keep.
      const now = this.entries.get(runId);
      if (now && (!now.foreign || isTerminal(now.record.state))) continue;
      const entry = now ?? { record, nextId: 0, foreign: true };
      entry.record = record;
      this.entries.set(runId, entry);
      await this.endIfOrphaned(entry);
    }
  }

  /** Fails a foreign active run whose server is gone; after that this server answers for it. */
  private async endIfOrphaned(entry: RunEntry): Promise<void> {
    const { store, presence, log } = this.options;
    const { record } = entry;
    if (!entry.foreign || isTerminal(record.state) || (await presence?.isAlive(record.server_id))) return;
    const stored = await store.readEventLogAsync(record.run_id);
    // The list's refresh and a follower can both get here for one run: the first to resume ends it.
    if (!entry.foreign) return;
    entry.foreign = false;
    if (stored.torn) await store.repairEventsAsync(record.run_id);
    entry.nextId = (stored.events.at(-1)?.id ?? 0) + 1;
    log(`run ${record.run_id} was ${record.state} in another server that stopped; marked failed`);
    this.finish(entry, { state: 'failed', error: SERVER_STOPPED });
  }

  /** Whether the run is active in another server sharing the runs folder (cancel and delete it there). */
  activeElsewhere(runId: string): boolean {
    const entry = this.entries.get(runId);
    return !!entry?.foreign && !isTerminal(entry.record.state);
  }

  list(): RunRecord[] {
    return [...this.entries.values()]
      .map((e) => e.record)
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.run_id.localeCompare(a.run_id));
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

  /** `schemaOf` without blocking the event loop (request paths). */
  schemaOfAsync(runId: string): Promise<StitchSchema> {
    return this.options.store.readSchemaAsync(runId);
  }

  /** True while the run is queued or training: its events are in memory and more may come. */
  isLive(runId: string): boolean {
    return this.entries.get(runId)?.channel !== undefined;
  }

  /**
   * `events` without blocking the event loop: a finished run's log is read asynchronously (safe, since a
   * finished run gets no more events; a live run's are in memory).
   */
  async eventsAsync(runId: string): Promise<TrainingEvent[]> {
    // readEventLogAsync waits for the run's queued writes, so a run that just finished reads complete.
    const entry = this.entries.get(runId);
    if (!entry) return [];
    if (entry.channel) return entry.channel.eventsAfter(0);
    if (entry.memoryEvents) return entry.memoryEvents;
    return this.checkedStored(entry, await this.options.store.readEventLogAsync(runId));
  }

  /** Every event of the run so far, in order. */
  events(runId: string): TrainingEvent[] {
    const entry = this.entries.get(runId);
    if (!entry) return [];
    if (entry.channel) return entry.channel.eventsAfter(0);
    return entry.memoryEvents ?? this.storedEvents(entry);
  }

  /**
   * A finished run's stored events. Its replay must end with its final `state` (clients wait for it): when
   * the log lost it (a torn last line, a damaged file), the final state is rebuilt from run.json and
   * appended once, with a log line.
   */
  private storedEvents(entry: RunEntry): TrainingEvent[] {
    return this.checkedStored(entry, this.options.store.readEventLog(entry.record.run_id));
  }

  private checkedStored(entry: RunEntry, stored: StoredEvents): TrainingEvent[] {
    const { store, log } = this.options;
    const runId = entry.record.run_id;
    // Another server writes this log: never repaired here. Its final state may lag its run.json by a write,
    // or never come (that server was killed between the two): a replay still ends, with the record's state.
    if (entry.foreign) return this.withFinalState(entry.record, stored.events);
    if (entry.eventsChecked) {
      // A read that began before the repair was written still gets the repaired final state, once.
      const repair = entry.unsavedFinal;
      return repair && (stored.events.at(-1)?.id ?? 0) < repair.id ? [...stored.events, repair] : stored.events;
    }
    entry.eventsChecked = true;
    if (stored.skipped > 0) log(`run ${runId}: skipped ${stored.skipped} damaged line(s) of events.jsonl`);
    const last = stored.events.at(-1);
    const ended = last?.event === 'state' && last.data.state === entry.record.state;
    if (ended || !isTerminal(entry.record.state)) return stored.events;
    entry.nextId = (last?.id ?? 0) + 1;
    const frame = { id: entry.nextId++, event: 'state', data: this.finalState(entry.record) } as TrainingEvent;
    entry.unsavedFinal = frame;
    // Queued now (the run's writes keep their order; later readers wait for them); the frame is served
    // from memory whatever the write's outcome.
    void (async () => {
      if (!(await store.eventLogWritable(runId))) throw new Error('events.jsonl is not a regular file');
      if (stored.torn) await store.repairEventsAsync(runId);
      await store.appendEvent(runId, frame);
    })().catch((err: unknown) => {
      log(`run ${runId}: could not repair events.jsonl (${(err as Error).message}); serving the repair from memory`);
    });
    log(
      `run ${runId}: events.jsonl ${stored.torn ? 'ended in a torn line' : 'lacked the final state'}; appended the final state (${entry.record.state}) from run.json`,
    );
    return [...stored.events, frame];
  }

  /** The events, ending with the record's final state (from memory, not written) when the log lacks it. */
  private withFinalState(record: RunRecord, events: TrainingEvent[]): TrainingEvent[] {
    const last = events.at(-1);
    if (!isTerminal(record.state) || (last?.event === 'state' && isTerminal(last.data.state))) return events;
    return [...events, this.finalFrame(record, last?.id ?? 0)];
  }

  private finalFrame(record: RunRecord, afterId: number): TrainingEvent {
    return { id: afterId + 1, event: 'state', data: this.finalState(record) };
  }

  metrics(runId: string): MetricEvent[] {
    return this.events(runId).flatMap((e) => (e.event === 'metric' ? [e.data] : []));
  }

  /** `metrics` without blocking the event loop (request paths). */
  async metricsAsync(runId: string): Promise<MetricEvent[]> {
    return (await this.eventsAsync(runId)).flatMap((e) => (e.event === 'metric' ? [e.data] : []));
  }

  /** Queues a run once its folder is written; it starts as soon as a slot is free. */
  async submit(schema: StitchSchema, schemaPath: string | null): Promise<RunRecord> {
    if (this.closed) throw new Error('the server is shutting down');
    const runId = this.newRunId();
    this.creating.add(runId);
    try {
      const record = this.newRecord(runId, schema, schemaPath);
      await this.options.store.create(record, schema).catch((err: unknown) => {
        throw new RunsFolderError(
          `the runs folder ${this.options.store.runsDir} cannot be written (${(err as Error).message}); free disk space or fix its permissions, then train again`,
        );
      });
      if (this.isClosed()) throw new Error('the server is shutting down');
      const entry: RunEntry = { record, channel: new SseChannel<TrainingEvent>(), nextId: 1 };
      this.entries.set(runId, entry);
      this.emit(entry, 'state', { run_id: runId, state: 'queued' });
      this.queue.push(entry);
      this.options.log(`run ${runId} (${record.name}) queued`);
      this.pump();
      return record;
    } finally {
      this.creating.delete(runId);
    }
  }

  private newRecord(runId: string, schema: StitchSchema, schemaPath: string | null): RunRecord {
    return {
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
      server_id: this.options.presence?.id ?? null,
      saved: false,
      model_name: null,
      params: 0,
      input_shape: schema.input?.shape ?? [],
    };
  }

  /** Cancels a queued or running run. Returns false when the run had already finished. */
  cancel(runId: string): boolean {
    const entry = this.entries.get(runId);
    if (!entry || isTerminal(entry.record.state)) return false;
    const queued = this.queue.indexOf(entry);
    if (queued !== -1) {
      this.queue.splice(queued, 1);
      this.finish(entry, { state: 'cancelled' });
    } else if (entry.trainer) {
      entry.trainer.cancel();
    } else {
      // Running without a trainer cannot last (a failed start ends the run), but cancel must never be a no-op.
      this.running.delete(entry);
      this.finish(entry, { state: 'cancelled' });
      this.pump();
    }
    this.options.log(`run ${runId} cancel requested`);
    return true;
  }

  /** Deletes a finished run and its files (after its queued writes). Returns false while the run is active. */
  async delete(runId: string): Promise<boolean> {
    const entry = this.entries.get(runId);
    if (!entry) return true;
    if (!isTerminal(entry.record.state)) return false;
    this.entries.delete(runId);
    await this.options.store.delete(runId);
    return true;
  }

  /** Updates a finished run's summary (e.g. the model was saved in the catalog). */
  update(runId: string, change: Partial<Pick<RunRecord, 'saved' | 'model_name'>>): RunRecord | undefined {
    const entry = this.entries.get(runId);
    if (!entry) return undefined;
    Object.assign(entry.record, change);
    this.persist(entry);
    return entry.record;
  }

  /**
   * Sends the events after `afterId` to the session, then live events until the run ends. `stored`: a
   * finished run's events already read (`eventsAsync`), so that nothing is read synchronously here.
   */
  subscribe(runId: string, session: SseSession, afterId: number, stored?: TrainingEvent[]): void {
    const entry = this.entries.get(runId);
    if (!entry) return session.close();
    if (entry.foreign && !isTerminal(entry.record.state))
      return this.follow(entry, stored ?? []).subscribe(session, afterId);
    const channel =
      entry.channel ?? new SseChannel<TrainingEvent>(stored ?? entry.memoryEvents ?? this.storedEvents(entry), true);
    channel.subscribe(session, afterId);
  }

  /**
   * A channel for a run another server trains, fed by reading what its event log gained every second, until
   * the log ends with a final state (or its server is gone: then this server fails it, and the log gets that
   * state).
   */
  private follow(entry: RunEntry, stored: TrainingEvent[]): SseChannel<TrainingEvent> {
    if (entry.follower) return entry.follower;
    const channel = new SseChannel<TrainingEvent>(stored, false);
    entry.follower = channel;
    const runId = entry.record.run_id;
    const { store } = this.options;
    let reading = false;
    let offset = 0; // the first read takes the whole log; the ids already in `stored` are skipped
    let finalWithoutLog = 0;
    const timer = setInterval(() => {
      if (reading) return;
      reading = true;
      void (async () => {
        const read = await store.readEventsSince(runId, offset);
        offset = read.offset;
        for (const event of read.events) if (event.id > channel.lastId) channel.publish(event);
        let ended = read.events.some((e) => e.event === 'state' && isTerminal(e.data.state));
        const record = entry.foreign ? await store.readRecordAsync(runId) : undefined;
        if (record && entry.foreign) entry.record = record;
        // run.json says the run ended, and a second read a second later still found no final state in the log
        // (its server was killed between the two writes): the followers get the record's final state.
        finalWithoutLog =
          !ended && read.events.length === 0 && isTerminal(entry.record.state) ? finalWithoutLog + 1 : 0;
        if (finalWithoutLog >= 2 && entry.foreign) {
          channel.publish(this.finalFrame(entry.record, channel.lastId));
          ended = true;
        }
        await this.endIfOrphaned(entry);
        return ended || this.closed || this.entries.get(runId) !== entry;
      })()
        .catch(() => false) // a read that failed is tried again next time
        .then((done) => {
          reading = false;
          if (!done) return;
          clearInterval(timer);
          channel.end();
          if (entry.follower === channel) entry.follower = undefined;
        });
    }, REFRESH_MS);
    timer.unref();
    return channel;
  }

  /** Stops every trainer; active runs become failed (as they would after a crash, but recorded now). */
  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.entries.values()) entry.follower?.end();
    for (const entry of this.queue.splice(0)) this.finish(entry, { state: 'failed', error: SERVER_STOPPED });
    const stopping = [...this.running].map((entry) => {
      const trainer = entry.trainer;
      this.finish(entry, { state: 'failed', error: SERVER_STOPPED });
      return trainer?.kill();
    });
    await Promise.all(stopping);
    // The final states (and every event before them) are written before the server may exit.
    await this.options.store.allDrained();
  }

  /** Read through a call: `closed` may change while a submit awaits its folder. */
  private isClosed(): boolean {
    return this.closed;
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.concurrency && this.queue.length > 0) {
      this.start(this.queue.shift()!);
    }
  }

  /**
   * Starts a queued run. Whatever goes wrong here (its folder was damaged or removed, the disk is full)
   * fails this run with the reason and lets the queue move on; it never throws into the request that
   * happened to trigger the start.
   */
  private start(entry: RunEntry): void {
    try {
      this.startTrainer(entry);
    } catch (err) {
      this.running.delete(entry);
      entry.trainer = undefined;
      // finish() cannot throw: a runs folder that cannot be written is logged and the run ends in memory.
      this.finish(entry, {
        state: 'failed',
        error: `the run could not be started (${err instanceof Error ? err.message : String(err)}); check the runs folder, then train again`,
      });
    }
  }

  private startTrainer(entry: RunEntry): void {
    const { record } = entry;
    const { store, workspace, dataCacheDir } = this.options;
    record.state = 'running';
    record.started_at = new Date().toISOString();
    this.running.add(entry);
    this.persist(entry);
    this.emit(entry, 'state', { run_id: record.run_id, state: 'running' });
    entry.trainer = new TrainerProcess(
      {
        type: 'start',
        runId: record.run_id,
        schemaFile: store.schemaFile(record.run_id),
        schemaDir: record.schema_path ? dirname(record.schema_path) : null,
        workspaceRoot: workspace.rootFor(record.schema_path),
        modelDir: store.modelDir(record.run_id),
        dataCacheDir,
        datasetBaseUrl: this.options.datasetBaseUrl ?? null,
        backend: this.options.backend ?? null,
      },
      {
        launch: this.options.trainer,
        cancelGraceMs: this.options.cancelGraceMs,
        memoryMb: this.options.trainerMemoryMb,
        log: this.options.log,
      },
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
        this.persist(entry);
        return;
      case 'batch': {
        // The trainer already sends at most one batch per 100 ms, plus each epoch's last (runTraining.ts).
        const { type: _type, ...batch } = message;
        this.emit(entry, 'batch', batch);
        return;
      }
      case 'metric': {
        const { type: _type, ...metric } = message;
        record.epochs_done = metric.epoch;
        record.epochs = metric.epochs;
        if (
          metric.val_accuracy !== null &&
          (record.best_val_accuracy === null || metric.val_accuracy > record.best_val_accuracy)
        ) {
          record.best_val_accuracy = metric.val_accuracy;
        }
        this.persist(entry);
        this.emit(entry, 'metric', { run_id: record.run_id, ...metric });
        return;
      }
      case 'evaluation':
        this.emit(entry, 'evaluation', { run_id: record.run_id, ...message.evaluation });
        return;
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
    this.persist(entry);
    const channel = entry.channel;
    const final = this.finalState(record, outcome.state === 'succeeded' ? outcome.samples : undefined);
    // The stream ends once the final state is written and published (every earlier event was, in order).
    void this.emitStored(entry, 'state', final).then(() => {
      // What could not be stored stays in memory until the server stops (only a restart can lose it).
      if (entry.storeFailed && channel) entry.memoryEvents = channel.eventsAfter(0);
      channel?.end();
      if (entry.channel === channel) entry.channel = undefined;
    });
    entry.trainer = undefined;
    this.options.log(`run ${record.run_id} ${describeEnd(outcome.state, record.error)}`);
  }

  /** The `state` event that ends a run, from its record. */
  private finalState(record: RunRecord, samples?: SamplePrediction[]): TrainingEventMap['state'] {
    const state: TrainingEventMap['state'] = { run_id: record.run_id, state: record.state };
    if (record.state === 'failed') state.error = record.error ?? 'the run failed';
    if (record.state === 'succeeded' && record.test) {
      state.test = record.test;
      // The original Stitch's fields: its frontend shows the accuracy and draws the samples.
      state.test_accuracy = record.test.accuracy;
      if (samples) state.sample_predictions = samples;
    }
    if (record.backend) state.backend = record.backend;
    return state;
  }

  /** Writes run.json; a failure (disk full, folder removed) is logged, and the run goes on in memory. */
  private persist(entry: RunEntry): void {
    void this.options.store.writeRecord(entry.record).catch((err: unknown) => this.storeFailed(entry, err));
  }

  private storeFailed(entry: RunEntry, err: unknown): void {
    // Live clients still get every event; only a later replay (or a restart) can miss what was not stored.
    if (!entry.storeFailed) {
      this.options.log(
        `run ${entry.record.run_id}: the runs folder cannot be written (${(err as Error).message}); events are kept in memory only`,
      );
    }
    entry.storeFailed = true;
  }

  /**
   * Gives the event its id and queues it for the log; it is published when its line is written (or the
   * write failed: then it lives in memory), so events are published in id order and never before they are
   * stored.
   */
  private emit<K extends TrainingEventName>(entry: RunEntry, event: K, data: TrainingEventMap[K]): void {
    void this.emitStored(entry, event, data); // never rejects: a failed write is logged, the event still published
  }

  /** `emit`, resolving once the event is published. */
  private emitStored<K extends TrainingEventName>(entry: RunEntry, event: K, data: TrainingEventMap[K]): Promise<void> {
    const frame = { id: entry.nextId++, event, data } as TrainingEvent;
    const runId = entry.record.run_id;
    return this.options.store.appendEvent(runId, frame).then(
      () => this.publish(entry, frame),
      (err: unknown) => {
        this.storeFailed(entry, err);
        this.publish(entry, frame);
      },
    );
  }

  private publish(entry: RunEntry, frame: TrainingEvent): void {
    entry.channel?.publish(frame);
    this.options.onEvent?.(frame, entry.record.run_id);
  }

  /** Sortable and readable in a folder listing: `20250101-120000-3fa9c1`. */
  private newRunId(): string {
    for (;;) {
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
      const id = `${stamp}-${randomBytes(3).toString('hex')}`;
      if (!this.entries.has(id) && !this.creating.has(id)) return id;
    }
  }
}

function describeEnd(state: RunState, error: string | null): string {
  return error ? `${state}: ${error.split('\n')[0]}` : state;
}
