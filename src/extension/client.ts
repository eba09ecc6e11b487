/**
 * A typed HTTP client for one Stitch server (docs/server.md, "Routes"), local or remote. Requests carry the bearer token;
 * errors become `StitchHttpError`s whose message is the server's `{ error }` text, prefixed by what we
 * were trying to do, so that a notification can show it as is.
 */
import type {
  ErrorBody,
  HealthResponse,
  RunDetail,
  RunSummary,
  TrainRequest,
  TrainResponse,
  TrainingEvent,
} from '../shared/protocol';
import { followRunEvents, type RunStreamSource } from '../shared/sse/follow';

export class StitchHttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'StitchHttpError';
  }
}

export class StitchClient {
  constructor(readonly baseUrl: string, private readonly token: string | undefined) {}

  health(): Promise<HealthResponse> {
    return this.json('GET', '/api/health', undefined, 'check the server');
  }

  train(body: TrainRequest): Promise<TrainResponse> {
    return this.json('POST', '/api/train', body, 'start training');
  }

  async cancel(runId: string): Promise<void> {
    await this.json('POST', `/api/train/${encodeURIComponent(runId)}/cancel`, {}, 'cancel the run');
  }

  runs(): Promise<RunSummary[]> {
    return this.json<RunSummary[] | { runs: RunSummary[] }>('GET', '/api/runs', undefined, 'list runs')
      .then((body) => (Array.isArray(body) ? body : body.runs));
  }

  run(runId: string): Promise<RunDetail> {
    return this.json('GET', `/api/runs/${encodeURIComponent(runId)}`, undefined, 'read the run');
  }

  async deleteRun(runId: string): Promise<void> {
    await this.json('DELETE', `/api/runs/${encodeURIComponent(runId)}`, undefined, 'delete the run');
  }

  /** The trained model's files of a run (`model.json`, weights), each with its download path. */
  modelFiles(runId: string): Promise<{ name: string; url: string }[]> {
    return this.json<{ files: { name: string; url: string }[] }>('GET', `/api/runs/${encodeURIComponent(runId)}/model`,
      undefined, 'list the trained model\'s files').then((body) => body.files);
  }

  /** Raw GET of a path under the server (model files); throws StitchHttpError unless 2xx. */
  async download(path: string): Promise<Uint8Array> {
    const response = await this.fetch('GET', path, undefined);
    if (!response.ok) throw await this.error(response, `download ${path}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  /**
   * The run's training events, replayed from the start (or after `lastEventId`) and then live, until the
   * run's final state or until `signal` aborts. A dropped connection (network, proxy, sleep) is reconnected
   * with `Last-Event-ID`, so no event is lost or repeated. Breaking out of the loop aborts too.
   * `retries: 0` throws at the first break instead, for a caller that reconnects itself (perhaps to a
   * restarted server on another port: RunFeed).
   */
  async *events(runId: string, signal: AbortSignal, lastEventId?: number, options: { retries?: number } = {}): AsyncGenerator<TrainingEvent> {
    const path = `/api/runs/${encodeURIComponent(runId)}/events`;
    const source: RunStreamSource = {
      open: async (after) => {
        const headers: Record<string, string> = { Accept: 'text/event-stream' };
        if (after > 0) headers['Last-Event-ID'] = String(after);
        const response = await this.fetch('GET', path, undefined, headers, signal);
        if (response.status === 204) return null; // a finished run with nothing after `after`
        if (!response.ok || !response.body) throw await this.error(response, 'follow the run');
        return response.body.pipeThrough(new TextDecoderStream());
      },
      isFatal: (err) => signal.aborted || (err instanceof StitchHttpError && err.status >= 400 && err.status < 500),
      wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
    try {
      yield* followRunEvents(source, { lastEventId, retries: options.retries });
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
  }

  private async json<T>(method: string, path: string, body: unknown, doing: string): Promise<T> {
    const response = await this.fetch(method, path, body);
    if (!response.ok) throw await this.error(response, doing);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async fetch(method: string, path: string, body: unknown, headers: Record<string, string> = {},
    signal?: AbortSignal): Promise<Response> {
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await fetch(new URL(path, this.baseUrl), {
        method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new StitchHttpError(0, `Cannot reach the Stitch server at ${this.baseUrl} (${cause}). ` +
        'Run "Stitch: Restart Server", or check the setting stitch.server.url.');
    }
  }

  private async error(response: Response, doing: string): Promise<StitchHttpError> {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = (await response.json()) as Partial<ErrorBody>;
      if (body.error) message = body.error;
    } catch {
      // Not JSON: keep the status line.
    }
    if (response.status === 401) {
      message += ' (the server rejected the token: run "Stitch: Set Remote Server Token" for a remote server)';
    }
    return new StitchHttpError(response.status, `Could not ${doing}: ${message}`);
  }
}
