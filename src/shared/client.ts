/**
 * The one HTTP client for a Stitch server (docs/server.md), local or remote, used by the CLI, the extension
 * and the tests. Requests carry the bearer token; a refusal becomes a `StitchHttpError` whose message is the
 * server's `{ error }` text, prefixed by what we were trying to do, so that a notification or the CLI can
 * show it as is. Streams are async iterables: a run's events (reconnecting, each event once) and a chat
 * turn's events; breaking out of either loop aborts its request.
 *
 * Web-standard APIs only (fetch, streams, AbortSignal): it runs in Node 20 and would run in a browser. Its
 * types come from the Node/DOM libs, so src/shared/tsconfig.json (ES only) leaves this file to the root one.
 */
import type {
  ChatRequest,
  ChatStreamEvent,
  ErrorBody,
  ExportRequest,
  ExportResponse,
  HealthResponse,
  InferBatchRequest,
  InferBatchResponse,
  InferRequest,
  InferResponse,
  ModelSummary,
  RunDetail,
  RunSummary,
  TrainRequest,
  TrainResponse,
  TrainingEvent,
} from './protocol';
import type { EvaluationSample } from './evaluation';
import { API_KEY_HEADER } from './protocol';
import { toChatEvent } from './sse/chat';
import { decodeSse } from './sse/decoder';
import { followRunEvents, type FollowOptions, type RunStreamSource } from './sse/follow';

export class StitchHttpError extends Error {
  /** `status` 0: the server could not be reached. `body`: the parsed error body (e.g. a 422's `errors`). */
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'StitchHttpError';
  }
}

export interface ClientHints {
  /** Appended when the server cannot be reached, e.g. how to start it. */
  unreachable?: string;
  /** Appended to a 401 answer, e.g. how to set the token. */
  unauthorized?: string;
}

export interface EventsOptions extends Omit<FollowOptions, 'lastEventId'> {
  signal?: AbortSignal;
  /** Start after this event id (events up to it were already seen). */
  lastEventId?: number;
}

export class StitchClient {
  /** `baseUrl` without a trailing slash is fine either way. */
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
    private readonly hints: ClientHints = {},
  ) {}

  health(): Promise<HealthResponse> {
    return this.json('GET', '/api/health', undefined, 'check the server');
  }

  /** `signal`: gives up waiting (a timeout, Ctrl+C); the server may have created the run all the same. */
  train(body: TrainRequest, signal?: AbortSignal): Promise<TrainResponse> {
    return this.json('POST', '/api/train', body, 'start training', signal);
  }

  async cancel(runId: string, signal?: AbortSignal): Promise<void> {
    await this.json('POST', `/api/train/${encodeURIComponent(runId)}/cancel`, {}, 'cancel the run', signal);
  }

  async runs(): Promise<RunSummary[]> {
    const body = await this.json<RunSummary[] | { runs: RunSummary[] }>('GET', '/api/runs', undefined, 'list runs');
    return Array.isArray(body) ? body : body.runs;
  }

  run(runId: string): Promise<RunDetail> {
    return this.json('GET', `/api/runs/${encodeURIComponent(runId)}`, undefined, 'read the run');
  }

  async deleteRun(runId: string): Promise<void> {
    await this.json('DELETE', `/api/runs/${encodeURIComponent(runId)}`, undefined, 'delete the run');
  }

  /** The saved model of a run (`GET /api/models/:id`). */
  model(modelId: string): Promise<ModelSummary> {
    return this.json('GET', `/api/models/${encodeURIComponent(modelId)}`, undefined, 'read the model');
  }

  /** One sample through a trained model, with the named layers' activations when asked (`POST /api/infer`). */
  infer(body: InferRequest): Promise<InferResponse> {
    return this.json('POST', '/api/infer', body, 'run the model');
  }

  /** Many input rows through a trained model at once, e.g. a grid over a plane (`POST /api/infer`). */
  inferBatch(body: InferBatchRequest): Promise<InferBatchResponse> {
    return this.json('POST', '/api/infer', body, 'run the model');
  }

  /** The model catalog (`GET /api/models`), newest first. */
  models(): Promise<ModelSummary[]> {
    return this.json('GET', '/api/models', undefined, 'list the saved models');
  }

  /** Keeps a succeeded run's weights as a named catalog model (`POST /api/models/save`). */
  saveModel(runId: string, name: string, description?: string): Promise<ModelSummary> {
    return this.json('POST', '/api/models/save', { run_id: runId, name, description }, `save run ${runId} as a model`);
  }

  /** Renames a catalog model and/or changes its description (`PATCH /api/models/:id`). */
  updateModel(modelId: string, change: { name?: string; description?: string }): Promise<ModelSummary> {
    return this.json('PATCH', `/api/models/${encodeURIComponent(modelId)}`, change, 'rename the model');
  }

  /** Removes a model from the catalog; its run and weights stay (`DELETE /api/models/:id`). */
  async deleteModel(modelId: string): Promise<void> {
    await this.json('DELETE', `/api/models/${encodeURIComponent(modelId)}`, undefined, 'delete the model');
  }

  /** A trained run as files for another framework (docs/export.md). */
  exportRun(runId: string, body: ExportRequest): Promise<ExportResponse> {
    return this.json('POST', `/api/runs/${encodeURIComponent(runId)}/export`, body, `export run ${runId}`);
  }

  /** The trained model's files of a run (`model.json`, weights), each with its download path. */
  async modelFiles(runId: string): Promise<{ name: string; url: string }[]> {
    const body = await this.json<{ files: { name: string; url: string }[] }>(
      'GET',
      `/api/runs/${encodeURIComponent(runId)}/model`,
      undefined,
      "list the trained model's files",
    );
    return body.files;
  }

  /** The samples of one confusion matrix cell ("t,p") of a run's evaluation, with their inputs. */
  async evaluationSamples(runId: string, cell: string): Promise<EvaluationSample[]> {
    const query = `cell=${encodeURIComponent(cell)}`;
    const body = await this.json<{ samples: EvaluationSample[] }>(
      'GET',
      `/api/runs/${encodeURIComponent(runId)}/evaluation/samples?${query}`,
      undefined,
      `read the samples of cell ${cell}`,
    );
    return body.samples;
  }

  /** Raw GET of a path under the server (model files); throws StitchHttpError unless 2xx. */
  async download(path: string): Promise<Uint8Array> {
    const response = await this.fetch('GET', path, undefined);
    if (!response.ok) throw await this.error(response, `download ${path}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  /**
   * The run's training events, replayed from the start (or after `lastEventId`) and then live, until the
   * run's final state or until `signal` aborts (then it just ends). A dropped connection is reconnected with
   * `Last-Event-ID`, so no event is lost or repeated; a 4xx answer is thrown at once.
   */
  async *events(runId: string, options: EventsOptions = {}): AsyncGenerator<TrainingEvent> {
    const { signal } = options;
    const source: RunStreamSource = {
      open: (after) => this.openEvents(runId, after, signal),
      isFatal: (err) => signal?.aborted === true || isClientError(err),
      wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
    try {
      yield* followRunEvents(source, options);
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
  }

  /**
   * One connection to the run's event stream after `lastEventId`: its text chunks, or null when the server
   * answers 204 (a finished run with nothing after that id). The follower (`followRunEvents`) reconnects.
   */
  async openEvents(runId: string, lastEventId: number, signal?: AbortSignal): Promise<AsyncIterable<string> | null> {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (lastEventId > 0) headers['Last-Event-ID'] = String(lastEventId);
    const response = await this.fetch(
      'GET',
      `/api/runs/${encodeURIComponent(runId)}/events`,
      undefined,
      headers,
      signal,
    );
    if (response.status === 204) return null;
    if (!response.ok || !response.body) throw await this.error(response, 'follow the run');
    return textChunks(response.body);
  }

  /**
   * One chat turn (`POST /api/chat`): the typed events as they arrive, until `done` or `error`. A refusal
   * before the stream starts (400, 401) throws a StitchHttpError. Breaking out of the loop or aborting
   * `signal` aborts the request, and the server then aborts its upstream model call. A stream that ends
   * without `done` or `error` just ends: the caller decides what that means.
   */
  async *chat(
    body: ChatRequest,
    options: { apiKey?: string; signal?: AbortSignal } = {},
  ): AsyncGenerator<ChatStreamEvent> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    options.signal?.addEventListener('abort', onAbort);
    try {
      const headers: Record<string, string> = { Accept: 'text/event-stream' };
      if (options.apiKey) headers[API_KEY_HEADER] = options.apiKey;
      const response = await this.fetch('POST', '/api/chat', body, headers, controller.signal);
      if (!response.ok || !response.body) throw await this.error(response, 'start the chat');
      for await (const message of decodeSse(textChunks(response.body))) {
        const event = toChatEvent(message);
        if (!event) continue;
        yield event;
        if (event.type === 'done' || event.type === 'error') return;
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }

  private async json<T>(method: string, path: string, body: unknown, doing: string, signal?: AbortSignal): Promise<T> {
    const response = await this.fetch(method, path, body, {}, signal);
    if (!response.ok) throw await this.error(response, doing);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async fetch(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<Response> {
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await fetch(new URL(path, this.baseUrl), {
        method,
        headers,
        signal,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      const hint = this.hints.unreachable ? ` ${this.hints.unreachable}` : '';
      throw new StitchHttpError(0, `Cannot reach the Stitch server at ${this.baseUrl} (${causeOf(err)}).${hint}`);
    }
  }

  private async error(response: Response, doing: string): Promise<StitchHttpError> {
    let message = `${response.status} ${response.statusText}`;
    let body: unknown;
    try {
      body = await response.json();
      const error = (body as Partial<ErrorBody> | null)?.error;
      if (typeof error === 'string' && error) message = error;
    } catch {
      // Not JSON: keep the status line.
    }
    if (response.status === 401 && this.hints.unauthorized) message += ` (${this.hints.unauthorized})`;
    return new StitchHttpError(response.status, `Could not ${doing}: ${message}`, body);
  }
}

/** A 4xx answer: reconnecting cannot fix it. */
export function isClientError(err: unknown): boolean {
  return err instanceof StitchHttpError && err.status >= 400 && err.status < 500;
}

/** The body's text as it arrives. Ending the loop early (break, an error) cancels the body. */
async function* textChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield decoder.decode(value, { stream: true });
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  } finally {
    // Cancelling a body that already failed rejects with that failure, which the reader has already seen.
    await reader.cancel().catch(() => undefined);
  }
}

/** The reason behind a failed fetch (undici puts it in `cause`). */
export function causeOf(err: unknown): string {
  const cause = (err as { cause?: { message?: string } } | null)?.cause?.message;
  if (cause) return cause;
  return err instanceof Error ? err.message : String(err);
}
