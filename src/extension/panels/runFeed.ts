/**
 * The host's relay of one run's SSE stream (SPEC §3) to the metrics webview. It follows
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

  private async loop(): Promise<void> {
    const { retryMs = 500, maxRetryMs = 5000 } = this.options;
    let delay = retryMs;
    let ended = false;
    this.options.onStatus?.('connecting');
    while (!this.abort.signal.aborted && !ended) {
      try {
        const client = await this.options.client();
        let live = false;
        for await (const event of client.events(this.runId, this.abort.signal, this.lastId || undefined)) {
          if (!live) {
            live = true;
            delay = retryMs;
            this.options.onStatus?.('live');
          }
          if (event.id <= this.lastId) continue; // a replay overlapping what we have
          this.lastId = event.id;
          this.push(event);
          if (event.event === 'state' && isTerminal(event.data.state)) ended = true;
        }
        // A finished run's stream replays and closes (or answers 204 when nothing is left).
        if (!ended && !this.abort.signal.aborted) ended = await this.finished(client);
        if (ended || this.abort.signal.aborted) break;
        this.options.onStatus?.('reconnecting', 'the stream closed before the run ended');
      } catch (err) {
        if (this.abort.signal.aborted) break;
        this.options.onStatus?.('reconnecting', (err as Error).message);
      }
      await sleep(delay, this.abort.signal);
      delay = Math.min(maxRetryMs, delay * 2);
    }
    this.flush();
    this.options.onStatus?.('ended');
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

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
