/**
 * Following a run's event stream (docs/server.md) the way every client should: from the start (or after a
 * known id) until the run's final state, reconnecting with `Last-Event-ID` when the connection drops, so
 * that no event is lost or seen twice. The one place that reconnects: StitchClient.events (CLI, tests,
 * notifications) and the panel's RunFeed (which opens each connection with the client of the moment, as a
 * restarted server has a new port and token) both follow through it.
 */
import type { TrainingEvent } from '../protocol';
import { isTerminal } from '../protocol';
import { decodeSse } from './decoder';
import { toTrainingEvent } from './training';

export interface RunStreamSource {
  /**
   * Opens the stream of events after `lastEventId` (0: from the start) and returns its text chunks, or null
   * when the server answers that there is nothing more (204: a finished run whose events were all seen).
   * Throws when it cannot connect or the server refuses.
   */
  open(lastEventId: number): Promise<AsyncIterable<string> | null>;
  /** True for failures that reconnecting cannot fix (a 401 or 404 answer): they are thrown at once. */
  isFatal(error: unknown): boolean;
  /** Resolves after `ms` milliseconds (the pause before a reconnect). */
  wait(ms: number): Promise<void>;
}

export interface FollowOptions {
  /** Start after this event id (events up to it were already seen). Default 0. */
  lastEventId?: number;
  /** Consecutive failed reconnects before giving up (a server gone for good). Default 10; Infinity never gives up. */
  retries?: number;
  /** The pause before the first reconnect, doubled at each consecutive failure up to `maxRetryMs`. Default 400 ms. */
  retryMs?: number;
  /** The longest pause between reconnects. Default 3000 ms. */
  maxRetryMs?: number;
  /** Called when a connection opened (the stream is live). */
  onConnect?: () => void;
  /** Called before each reconnect, e.g. to log it. */
  onReconnect?: (attempt: number, error: unknown) => void;
}

/** Yields the run's events in order, each once, until its final `state` event (or the stream's end). */
export async function* followRunEvents(
  source: RunStreamSource,
  options: FollowOptions = {},
): AsyncGenerator<TrainingEvent> {
  let lastId = options.lastEventId ?? 0;
  let failures = 0;
  for (;;) {
    let lastError: unknown = new Error('the stream ended before the run did');
    try {
      const chunks = await source.open(lastId);
      if (chunks === null) return;
      options.onConnect?.();
      for await (const message of decodeSse(chunks)) {
        const event = toTrainingEvent(message);
        if (!event || event.id <= lastId) continue;
        lastId = event.id;
        failures = 0;
        yield event;
        if (event.event === 'state' && isTerminal(event.data.state)) return;
      }
    } catch (err) {
      if (source.isFatal(err)) throw err;
      lastError = err;
    }
    // The stream broke or ended without a final state (a proxy, the network, a server restart): reconnect.
    if (++failures > (options.retries ?? 10)) {
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(`lost the event stream after ${failures - 1} reconnects: ${reason}`);
    }
    options.onReconnect?.(failures, lastError);
    await source.wait(Math.min((options.retryMs ?? 400) * 2 ** (failures - 1), options.maxRetryMs ?? 3000));
  }
}
