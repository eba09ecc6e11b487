/**
 * The CLI's HTTP client for a Stitch server (in-process or remote): JSON requests with the token, and a
 * run's event stream followed with fetch + the shared SSE decoder, reconnecting with `Last-Event-ID`
 * when the connection drops so no event is lost or seen twice.
 */
import type { ErrorBody, TrainingEvent } from '../../shared/protocol';
import { isTerminal } from '../../shared/protocol';
import { decodeSse } from '../../shared/sse/decoder';
import { toTrainingEvent } from '../../shared/sse/training';

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
      throw new Error(`cannot reach the Stitch server at ${this.baseUrl} (${(err as Error).cause ?? (err as Error).message}); is it running?`);
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
   * Yields the run's events until its final state. Breaking out of the loop aborts the request.
   * `retries` bounds consecutive failed reconnects (a server that went away for good).
   */
  async *events(runId: string, options: { signal?: AbortSignal; retries?: number } = {}): AsyncGenerator<TrainingEvent> {
    let lastId = 0;
    let failures = 0;
    for (;;) {
      const controller = new AbortController();
      const onAbort = (): void => controller.abort();
      options.signal?.addEventListener('abort', onAbort);
      try {
        const response = await fetch(`${this.baseUrl}/api/runs/${encodeURIComponent(runId)}/events`, {
          headers: { ...this.auth(), Accept: 'text/event-stream', ...(lastId ? { 'Last-Event-ID': String(lastId) } : {}) },
          signal: controller.signal,
        });
        if (response.status === 204) return; // the run ended and we have seen every event
        if (!response.ok || !response.body) {
          const body = (await response.json().catch(() => ({}))) as Partial<ErrorBody>;
          throw new ApiError(response.status, body.error ?? `the event stream answered ${response.status}`, body);
        }
        const text = response.body.pipeThrough(new TextDecoderStream());
        for await (const message of decodeSse(text as unknown as AsyncIterable<string>)) {
          const event = toTrainingEvent(message);
          if (!event || event.id <= lastId) continue;
          lastId = event.id;
          failures = 0;
          yield event;
          if (event.event === 'state' && isTerminal(event.data.state)) return;
        }
      } catch (err) {
        if (err instanceof ApiError || options.signal?.aborted) throw err;
        if (++failures > (options.retries ?? 10)) {
          throw new Error(`lost the event stream of run ${runId}: ${(err as Error).message}`);
        }
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
        controller.abort();
      }
      // The stream ended without a final state (a proxy or the network cut it): reconnect after a pause.
      await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** failures, 3000)));
    }
  }

  private auth(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }
}
