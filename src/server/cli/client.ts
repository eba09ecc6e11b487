/**
 * The CLI's HTTP client for a Stitch server (in-process or remote): JSON requests with the token, and a
 * run's event stream followed with fetch + the shared SSE decoder, reconnecting with `Last-Event-ID`
 * when the connection drops so no event is lost or seen twice.
 */
import type { ErrorBody, TrainingEvent } from '../../shared/protocol';
import { followRunEvents, type RunStreamSource } from '../../shared/sse/follow';

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly body: unknown) {
    super(message);
  }
}

export class StitchClient {
  constructor(readonly baseUrl: string, private readonly token?: string) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, {
        method,
        headers: { ...this.auth(), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new Error(`cannot reach the Stitch server at ${this.baseUrl} (${String((err as Error).cause ?? (err as Error).message)}); is it running?`);
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (!response.ok) {
      const message = (parsed as ErrorBody | undefined)?.error ?? `${response.status} ${response.statusText}`;
      throw new ApiError(response.status, message, parsed);
    }
    return parsed as T;
  }

  /**
   * Yields the run's events until its final state, reconnecting with `Last-Event-ID` when the connection
   * drops. Breaking out of the loop aborts the request. `retries` bounds consecutive failed reconnects (a
   * server that went away for good).
   */
  async *events(runId: string, options: { signal?: AbortSignal; retries?: number } = {}): AsyncGenerator<TrainingEvent> {
    const url = `${this.baseUrl}/api/runs/${encodeURIComponent(runId)}/events`;
    const source: RunStreamSource = {
      open: async (after) => {
        const response = await fetch(url, {
          headers: { ...this.auth(), Accept: 'text/event-stream', ...(after ? { 'Last-Event-ID': String(after) } : {}) },
          signal: options.signal,
        });
        if (response.status === 204) return null; // the run ended and we have seen every event
        if (!response.ok || !response.body) {
          const body = (await response.json().catch(() => ({}))) as Partial<ErrorBody>;
          throw new ApiError(response.status, body.error ?? `the event stream answered ${response.status}`, body);
        }
        return response.body.pipeThrough(new TextDecoderStream());
      },
      isFatal: (err) => err instanceof ApiError || options.signal?.aborted === true,
      wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
    yield* followRunEvents(source, { retries: options.retries });
  }

  private auth(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }
}
