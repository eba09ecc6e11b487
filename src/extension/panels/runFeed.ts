/**
 * The host's relay of one run's SSE stream (docs/webview.md) to the metrics webview. The shared follower
 * (`followRunEvents`) does the following: it remembers the last event id and, when the stream breaks before
 * the run ended (the server restarted, the network dropped), reconnects with `Last-Event-ID`, so the webview
 * gets every event exactly once. This class only opens each connection with the client of the moment (a
 * restarted server has a new port and token), never gives up while the panel shows the run, and batches
 * what the follower gives it (at most every `flushMs`) so a fast run does not flood postMessage.
 *
 * Why the host relays instead of the webview connecting itself: in code-server, Codespaces and Remote-SSH
 * the webview runs in the user's browser while the server listens on the remote machine's 127.0.0.1, which
 * the browser cannot reach; the host can, and it already holds the token (which then never enters the page).
 *
 * No `vscode` import: unit-tested against a real server in Node.
 */
import type { StitchClient } from '../../shared/client';
import { causeOf, StitchHttpError } from '../../shared/client';
import type { TrainingEvent } from '../../shared/protocol';
import { followRunEvents } from '../../shared/sse/follow';
import type { StreamStatus } from '../../shared/webviewProtocol';

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

  constructor(
    readonly runId: string,
    private readonly options: RunFeedOptions,
  ) {
    this.lastId = options.after ?? 0;
    this.done = this.follow();
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

  private async follow(): Promise<void> {
    const { signal } = this.abort;
    this.status('connecting');
    const events = followRunEvents(
      {
        open: async (after) => (await this.options.client()).openEvents(this.runId, after, signal),
        // Every failure may heal (a restarted server, a new token), but a run that is gone (404: deleted) and
        // disposing the feed end it.
        isFatal: (err) => signal.aborted || isGone(err),
        wait: (ms) => sleep(ms, signal),
      },
      {
        lastEventId: this.lastId,
        retries: Infinity,
        retryMs: this.options.retryMs ?? 500,
        maxRetryMs: this.options.maxRetryMs ?? 5000,
        onConnect: () => this.status('live'),
        onReconnect: (_attempt, error) => this.status('reconnecting', causeOf(error)),
      },
    );
    try {
      for await (const event of events) {
        if (signal.aborted) break;
        this.lastId = event.id;
        this.push(event);
      }
    } catch (err) {
      // A disposed feed (no one left to tell), or a deleted run: its stream ends, saying why.
      this.flush();
      this.status('ended', isGone(err) ? `run ${this.runId} was deleted` : causeOf(err));
      return;
    }
    this.flush();
    this.status('ended');
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
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, signal.aborted ? 0 : ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A 404: the run was deleted (reconnecting cannot bring it back). */
function isGone(err: unknown): boolean {
  return err instanceof StitchHttpError && err.status === 404;
}
