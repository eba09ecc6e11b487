/**
 * Shared by the chat tests: a Stitch server and a fake OpenAI-compatible server, and a client that posts
 * to /api/chat and reads the SSE stream with fetch and the shared decoder, noting when each event arrived.
 */
import type { ChatEventMap, ChatRequest } from '../../../src/shared/protocol';
import { decodeSse } from '../../../src/shared/sse/decoder';
import { FakeOpenAI } from '../../support/fakeOpenAI';
import { startTestServer, type TestServer } from '../serverHarness';
import type { ServerOptions } from '../../../src/server/server';

export const API_KEY = 'sk-test-5ecret-do-not-log-9f2c';

export type ReceivedEvent = {
  [K in keyof ChatEventMap]: { event: K; data: ChatEventMap[K]; at: number };
}[keyof ChatEventMap];

export interface ChatRig {
  server: TestServer;
  fake: FakeOpenAI;
  stop(): Promise<void>;
}

export async function startChatRig(options: ServerOptions = {}): Promise<ChatRig> {
  const fake = await FakeOpenAI.start();
  // An empty environment: the tests decide whether the server has a key or base URL of its own.
  const server = await startTestServer({ chat: { env: {}, timeoutMs: 5_000 }, ...options });
  return {
    server,
    fake,
    async stop() {
      await server.stop();
      await fake.close();
    },
  };
}

export const SPIRAL_SCHEMA = {
  version: 1,
  name: 'spiral-chat',
  input: { shape: [2] },
  layers: [
    { id: 'h1', type: 'dense', units: 8, activation: 'relu' },
    { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
  ],
  training: { dataset: { name: 'spiral', samples: 120 }, epochs: 1, batchSize: 16, seed: 3 },
};

/** The request body for the rig's fake provider. */
export function chatBody(rig: ChatRig, overrides: Partial<ChatRequest> = {}): ChatRequest {
  return { message: 'What does this network do?', currentSchema: SPIRAL_SCHEMA, baseUrl: rig.fake.url, ...overrides };
}

export interface ChatOptions {
  apiKey?: string | null;
  /** Called with each event as it arrives; return true to disconnect (callbacks that return nothing read on). */
  onEvent?: (event: ReceivedEvent) => unknown;
}

/** Posts one turn and collects its events until the server ends the stream (or onEvent disconnects). */
export async function chat(server: TestServer, body: unknown, options: ChatOptions = {}): Promise<ReceivedEvent[]> {
  const controller = new AbortController();
  const headers: Record<string, string> = { Accept: 'text/event-stream' };
  const apiKey = options.apiKey === undefined ? API_KEY : options.apiKey;
  if (apiKey) headers['X-OpenAI-Key'] = apiKey;
  const response = await server.api('/api/chat', { method: 'POST', json: body, headers, signal: controller.signal });
  if (response.status !== 200 || !response.body)
    throw new Error(`chat answered ${response.status}: ${await response.text()}`);
  if (!response.headers.get('content-type')?.startsWith('text/event-stream'))
    throw new Error('chat did not answer with an event stream');
  const events: ReceivedEvent[] = [];
  const text = response.body.pipeThrough(new TextDecoderStream()) as unknown as AsyncIterable<string>;
  try {
    for await (const message of decodeSse(text)) {
      const event = {
        event: message.event,
        data: JSON.parse(message.data) as unknown,
        at: performance.now(),
      } as ReceivedEvent;
      events.push(event);
      if (options.onEvent?.(event)) {
        controller.abort();
        break;
      }
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  }
  return events;
}

/** Event names in order, with consecutive tokens collapsed into one "token". */
export function sequence(events: ReceivedEvent[]): string[] {
  return events.map((e) => e.event).filter((name, i, all) => name !== 'token' || all[i - 1] !== 'token');
}

export function textOf(events: ReceivedEvent[]): string {
  return events.flatMap((e) => (e.event === 'token' ? [e.data.content] : [])).join('');
}

export function errorOf(events: ReceivedEvent[]): ChatEventMap['error'] {
  const last = events.at(-1);
  if (last?.event !== 'error')
    throw new Error(`expected the stream to end with an error, got ${sequence(events).join(', ')}`);
  return last.data;
}
