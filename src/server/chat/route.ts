/**
 * `POST /api/chat` (docs/chat.md, "The protocol"): `{ message, currentSchema, history?, schemaPath?, baseUrl?, model?,
 * temperature? }` with the API key in the `X-OpenAI-Key` header → an SSE stream of `token`, `schema`, `done`
 * or `error`. Bad requests are answered as 400 before the stream starts; after that every failure travels in
 * the stream, and the stream always ends. A client that goes away aborts the upstream request.
 */
import type { ChatRequest } from '../../shared/protocol';
import { httpError } from '../httpError';
import type { ApiRouter, RouteDeps } from '../routes/context';
import { objectBody } from '../routes/context';
import { SseSession } from '../sse/session';
import { scrub } from './errors';
import { readHistory } from './history';
import { resolveProvider, type ProviderDefaults } from './provider';
import { runChatTurn } from './turn';

/** The request header carrying the OpenAI API key (lower case, as Node reports headers). */
export const API_KEY_HEADER = 'x-openai-key';

/** Longest user message accepted, in characters. */
const MAX_MESSAGE_CHARS = 20_000;

export type ChatOptions = ProviderDefaults;

export function chatRoutes(router: ApiRouter, deps: Pick<RouteDeps, 'runs' | 'log' | 'keepAliveMs'>, options: ChatOptions = {}): void {
  router.post('/api/chat', async (ctx) => {
    const body = objectBody(ctx, '{ "message": "Why is my loss flat?", "currentSchema": { … } }') as Partial<ChatRequest>;
    if (typeof body.message !== 'string' || !body.message.trim()) {
      throw httpError(400, 'message: missing; send { "message": "your question", "currentSchema": { … } }');
    }
    if (body.message.length > MAX_MESSAGE_CHARS) {
      throw httpError(413, `message: ${body.message.length} characters is too long; keep it under ${MAX_MESSAGE_CHARS}`);
    }
    const header = ctx.get(API_KEY_HEADER);
    const config = resolveProvider({ apiKey: header, baseUrl: body.baseUrl, model: body.model, temperature: body.temperature }, options);

    ctx.respond = false;
    const origin = ctx.response.get('Access-Control-Allow-Origin');
    const session = new SseSession(ctx.req, ctx.res, {
      keepAliveMs: deps.keepAliveMs,
      headers: origin ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : {},
    });
    const upstream = new AbortController();
    session.onClose(() => upstream.abort());
    let id = 0;
    try {
      await runChatTurn({
        message: body.message,
        currentSchema: body.currentSchema,
        history: readHistory(body.history),
        schemaPath: typeof body.schemaPath === 'string' ? body.schemaPath : undefined,
      }, {
        config,
        runs: deps.runs,
        signal: upstream.signal,
        log: deps.log,
        emit: (event, data) => session.send({ event, id: ++id, data }),
      });
    } catch (err) {
      // A bug, not an upstream failure: say so in the stream and keep the key out of the log.
      deps.log(`chat: unexpected error: ${scrub((err as Error).stack ?? String(err), config)}`);
      session.send({ event: 'error', id: ++id, data: { error: 'The chat failed unexpectedly; see the server log ("Stitch: Show Server Log").', code: 'server' } });
    } finally {
      session.close();
    }
  });
}
