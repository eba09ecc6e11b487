/**
 * The host's relay of one run's SSE stream (docs/server.md, "Event streams") to the metrics webview. It follows
 * `/api/runs/:id/events` with StitchClient, remembers the last event id, and when the stream breaks before
 * the run ended (the server restarted, the network dropped) reconnects with `Last-Event-ID`, so the webview
 * gets every event exactly once. Events are batched (at most every `flushMs`) so a fast run does not flood
 * postMessage.
 *
 * Why the host relays instead of the webview connecting itself: in code-server, Codespaces and Remote-SSH
 * the webview runs in the user's browser while the server listens on the remote machine's 127.0.0.1, which
 * the browser cannot reach; the host can, and it already holds the token (which then never enters the page).
 *
 * No `vscode` import: unit-tested against a real server in Node.
 */
import { isTerminal, type TrainingEvent } from '../../shared/protocol';
import type { StreamStatus } from '../../shared/webviewProtocol';
import type { StitchClient } from '../client';

export interface RunFeedOptions {
  /** A client for the server now (it may be a new one after a restart). */
  client(): Promise<StitchClient>;
  /** Receives new events, in id order, none twice. */
  onEvents(events: TrainingEvent[]): void;
  onStatus?(status: StreamStatus, message?: string): void;
  /** Resume after this id (what the webview already holds); 0 = from the start. */
  after?: number;
  /** Batching interval (default 100 ms). */
  flushMs?: number;
  /** Reconnect back-off: first and largest delay (defaults 500 ms and 5 s). */
  retryMs?: number;
  maxRetryMs?: number;
}

export class RunFeed {
  private readonly abort = new AbortController();
  private lastId: number;
  private buffer: TrainingEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Resolves when the run ended (terminal state received) or the feed was disposed. */
  readonly done: Promise<void>;

  constructor(readonly runId: string, private readonly options: RunFeedOptions) {
    this.lastId = options.after ?? 0;
    this.done = this.loop();
  }

  get lastEventId(): number {
    return this.lastId;
  }

  dispose(): void {
    this.abort.abort();
    this.flush();
  }

  /** Status changes, except from a disposed feed (a replaced feed must not report over its successor). */
  private status(status: StreamStatus, message?: string): void {
    if (!this.abort.signal.aborted) this.options.onStatus?.(status, message);
  }

  private async loop(): Promise<void> {
    const { retryMs = 500, maxRetryMs = 5000 } = this.options;
    let delay = retryMs;
    let ended = false;
    this.status('connecting');
    while (!this.abort.signal.aborted && !ended) {
      try {
        const client = await this.options.client();
        let live = false;
        // retries: 0 — this loop owns reconnecting, and asks `client()` again each time: after a server
        // restart the old client's port and token are gone.
        for await (const event of client.events(this.runId, this.abort.signal, this.lastId || undefined, { retries: 0 })) {
          if (!live) {
            live = true;
            delay = retryMs;
            this.status('live');
          }
          if (event.id <= this.lastId) continue; // a replay overlapping what we have
          this.lastId = event.id;
          this.push(event);
          if (event.event === 'state' && isTerminal(event.data.state)) ended = true;
        }
        // A finished run's stream replays and closes (or answers 204 when nothing is left).
        if (!ended && !this.abort.signal.aborted) ended = await this.finished(client);
        if (ended || this.abort.signal.aborted) break;
        this.status('reconnecting', 'the stream closed before the run ended');
      } catch (err) {
        if (this.abort.signal.aborted) break;
        this.status('reconnecting', (err as Error).message);
      }
      await sleep(delay, this.abort.signal);
      delay = Math.min(maxRetryMs, delay * 2);
    }
    this.flush();
    this.status('ended');
  }

  /** Whether the run is over (its stream closing then means there is nothing more to come). */
  private async finished(client: StitchClient): Promise<boolean> {
    try {
      return isTerminal((await client.run(this.runId)).state);
    } catch {
      return false;
    }
  }

  private push(event: TrainingEvent): void {
    this.buffer.push(event);
    this.timer ??= setTimeout(() => this.flush(), this.options.flushMs ?? 100);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const events = this.buffer;
    this.buffer = [];
    this.options.onEvents(events);
  }
}

/** Resolves after `ms` or when `signal` aborts, whichever is first; leaves no listener on `signal` behind. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, signal.aborted ? 0 : ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
