/**
 * `POST /api/chat` (docs/chat.md, "The protocol"): `{ message, currentSchema, history?, schemaPath?, baseUrl?, model?,
 * temperature? }` with the API key in the `X-OpenAI-Key` header → an SSE stream of `token`, `schema`, `done`
 * or `error`. Bad requests are answered as 400 before the stream starts; after that every failure travels in
 * the stream, and the stream always ends. A client that goes away aborts the upstream request.
 *
 * The original Stitch's frontend posts its canvas graph instead of a schema (`originalChat.ts`): it is
 * recognised here, at the edge, and gets its proposals back as a graph; the turn itself does not know.
 *
 * The body is read in the validation worker pool (prepare.ts): parsed, checked, the original's canvas
 * converted, and the current schema checked as `POST /api/validate` would and described for the prompt, so a
 * large or hostile body never holds the event loop.
 */
import { API_KEY_HEADER } from '../../shared/protocol';
import type { ApiRouter, RouteDeps } from '../routes/context';
import { SseSession } from '../sse/session';
import { prepareChatRequest } from '../validation/check';
import { scrub } from './errors';
import { originalChat, type SendEvent } from './originalChat';
import { resolveProvider, type ProviderDefaults } from './provider';
import { runChatTurn } from './turn';

export type ChatOptions = ProviderDefaults;

export function chatRoutes(
  router: ApiRouter,
  deps: Pick<RouteDeps, 'runs' | 'log' | 'keepAliveMs' | 'validation' | 'workspace'>,
  options: ChatOptions = {},
): void {
  router.post('/api/chat', async (ctx) => {
    // Parsed, checked and described in the worker pool: only strings and small values come back.
    const request = await prepareChatRequest(ctx, deps);
    const original = request.original ? originalChat(request.original) : undefined;
    const config = resolveProvider({ apiKey: ctx.get(API_KEY_HEADER), ...request.provider }, options);

    ctx.respond = false;
    const origin = ctx.response.get('Access-Control-Allow-Origin');
    const session = new SseSession(ctx.req, ctx.res, {
      keepAliveMs: deps.keepAliveMs,
      headers: origin ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : {},
    });
    const upstream = new AbortController();
    session.onClose(() => upstream.abort());
    let id = 0;
    const send: SendEvent = (event, data) => session.send({ event, id: ++id, data });
    try {
      await runChatTurn(
        {
          message: request.message,
          current: request.current,
          history: request.history,
          schemaPath: request.schemaPath,
          schemaName: request.schemaName,
        },
        {
          config,
          runs: deps.runs,
          signal: upstream.signal,
          log: deps.log,
          emit: original ? original.emit(send) : send,
          proposals: original?.proposals,
        },
      );
    } catch (err) {
      // A bug, not an upstream failure: say so in the stream and keep the key out of the log.
      deps.log(`chat: unexpected error: ${scrub((err as Error).stack ?? String(err), config)}`);
      send('error', {
        error: 'The chat failed unexpectedly; see the server log ("Stitch: Show Server Log").',
        code: 'server',
      });
    } finally {
      session.close();
    }
  });
}
