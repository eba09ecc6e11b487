/**
 * A local OpenAI-compatible server for the chat tests (node:http on 127.0.0.1, a free port). It speaks the
 * real wire format of `POST /v1/chat/completions` with `stream: true` — `chat.completion.chunk` objects as
 * `data:` lines, then `data: [DONE]` — and OpenAI's error bodies, so the product reaches it through the
 * unmodified `openai` SDK with `baseURL` pointed here. Each request takes the next scripted answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeAnswer =
  /** Streams `chunks` as content deltas, `delayMs` apart (the first after `firstDelayMs`, default 0). */
  | { kind: 'stream'; chunks: string[]; delayMs?: number; firstDelayMs?: number }
  /** Streams `chunks`, then destroys the connection without `[DONE]`. */
  | { kind: 'break'; chunks: string[] }
  /** An HTTP error with OpenAI's `{ error: { message, type, code } }` body. */
  | { kind: 'error'; status: number; message: string; code?: string; headers?: Record<string, string> }
  /** Sends the headers and one chunk, then nothing: a stalled stream. */
  | { kind: 'stall'; chunks: string[] };

export interface FakeRequest {
  body: {
    model: string;
    stream?: boolean;
    temperature?: number;
    messages: { role: string; content: string }[];
  };
  headers: IncomingMessage['headers'];
  /** Resolves when the connection closed before the answer was complete (the client went away). */
  closedEarly: Promise<void>;
  /** performance.now() when the first content chunk was written. */
  firstChunkAt?: number;
}

export class FakeOpenAI {
  readonly requests: FakeRequest[] = [];
  private readonly answers: FakeAnswer[] = [];
  private readonly sockets = new Set<import('node:net').Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Starts the server; `url` is the base URL to give the SDK (ends in /v1). */
  static async start(): Promise<FakeOpenAI> {
    let fake: FakeOpenAI | undefined;
    const server = createServer((req, res) => void fake!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeOpenAI(server, `http://127.0.0.1:${port}/v1`);
    server.on('connection', (socket) => {
      fake.sockets.add(socket);
      socket.on('close', () => fake.sockets.delete(socket));
    });
    return fake;
  }

  /** Queues answers for the next requests, in order. */
  script(...answers: FakeAnswer[]): this {
    this.answers.push(...answers);
    return this;
  }

  get pending(): number {
    return this.answers.length;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      return json(res, 404, {
        error: {
          message: `Unknown request URL: ${req.method} ${req.url}`,
          type: 'invalid_request_error',
          code: 'unknown_url',
        },
      });
    }
    let complete = false;
    let markClosed!: () => void;
    const closedEarly = new Promise<void>((resolve) => (markClosed = resolve));
    res.on('close', () => {
      if (!complete) markClosed();
    });
    const record: FakeRequest = { body: JSON.parse(raw) as FakeRequest['body'], headers: req.headers, closedEarly };
    this.requests.push(record);
    const answer = this.answers.shift() ?? {
      kind: 'error',
      status: 500,
      message: 'the fake has no scripted answer left',
    };

    if (answer.kind === 'error') {
      complete = true;
      return json(
        res,
        answer.status,
        { error: { message: answer.message, type: 'invalid_request_error', code: answer.code ?? null } },
        answer.headers,
      );
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.flushHeaders();
    const model = record.body.model;
    const delays = answer.kind === 'stream' ? answer : { delayMs: 0, firstDelayMs: 0 };
    for (const [i, content] of answer.chunks.entries()) {
      const wait = i === 0 ? (delays.firstDelayMs ?? 0) : (delays.delayMs ?? 0);
      if (wait > 0) await sleep(wait);
      if (res.destroyed) return;
      if (i === 0) record.firstChunkAt = performance.now();
      res.write(chunk(model, { ...(i === 0 ? { role: 'assistant' } : {}), content }, null));
    }
    if (answer.kind === 'break') {
      // Let the chunks reach the client first: destroy() drops data still in the socket's buffer.
      await sleep(30);
      res.destroy();
      return;
    }
    if (answer.kind === 'stall') return; // Holds the connection open until the client gives up.
    complete = true;
    res.write(chunk(model, {}, 'stop'));
    res.end('data: [DONE]\n\n');
  }
}

let sequence = 0;

function chunk(model: string, delta: Record<string, unknown>, finish: string | null): string {
  const body = {
    id: `chatcmpl-fake${++sequence}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: 'fp_fake',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
  return `data: ${JSON.stringify(body)}\n\n`;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Splits text into chunks of about `size` characters, the way a model streams tokens. */
export function tokens(text: string, size = 6): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** An answer that proposes `schema` in a fenced json block after a sentence of explanation. */
export function proposalAnswer(schema: unknown, intro = 'Here is a wider version of your network.'): string {
  return `${intro}\n\n\`\`\`json\n${JSON.stringify(schema, null, 2)}\n\`\`\`\n`;
}
