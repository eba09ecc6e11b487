/**
 * `POST /api/chat` (docs/chat.md, "The protocol"): `{ message, currentSchema, history?, schemaPath?, baseUrl?, model?,
 * temperature? }` with the API key in the `X-OpenAI-Key` header → an SSE stream of `token`, `schema`, `done`
 * or `error`. Bad requests are answered as 400 before the stream starts; after that every failure travels in
 * the stream, and the stream always ends. A client that goes away aborts the upstream request.
 *
 * The original Stitch's frontend posts its canvas graph instead of a schema (`originalChat.ts`): it is
 * recognised here, at the edge, and gets its proposals back as a graph; the turn itself does not know.
 *
 * The current schema is checked for the prompt in the validation worker pool (validation/pool.ts), as
 * `POST /api/validate` would check it, so a large or hostile schema never holds the event loop.
 */
import { API_KEY_HEADER, type ChatRequest } from '../../shared/protocol';
import { httpError } from '../httpError';
import type { ApiRouter, RouteDeps } from '../routes/context';
import { objectBody } from '../routes/context';
import { SseSession } from '../sse/session';
import { runValidationJob, type ValidationJob } from '../validation/job';
import { scrub } from './errors';
import { readHistory } from './history';
import { isOriginalChatRequest, originalChat, type SendEvent } from './originalChat';
import type { CurrentCheck } from './prompt';
import { resolveProvider, type ProviderDefaults } from './provider';
import { runChatTurn } from './turn';

/** Longest user message accepted, in characters. */
const MAX_MESSAGE_CHARS = 20_000;

export type ChatOptions = ProviderDefaults;

export function chatRoutes(
  router: ApiRouter,
  deps: Pick<RouteDeps, 'runs' | 'log' | 'keepAliveMs' | 'validation' | 'workspace'>,
  options: ChatOptions = {},
): void {
  router.post('/api/chat', async (ctx) => {
    const body = objectBody(
      ctx,
      '{ "message": "Why is my loss flat?", "currentSchema": { … } }',
    ) as Partial<ChatRequest>;
    if (typeof body.message !== 'string' || !body.message.trim()) {
      throw httpError(400, 'message: missing; send { "message": "your question", "currentSchema": { … } }');
    }
    if (body.message.length > MAX_MESSAGE_CHARS) {
      throw httpError(
        413,
        `message: ${body.message.length} characters is too long; keep it under ${MAX_MESSAGE_CHARS}`,
      );
    }
    if (body.baseUrl !== undefined && body.baseUrl !== null && body.baseUrl !== '' && !isHttpUrl(body.baseUrl)) {
      throw httpError(
        400,
        'baseUrl: expected an http(s) URL of an OpenAI-compatible API, like "http://localhost:11434/v1"',
      );
    }
    const original = isOriginalChatRequest(body) ? originalChat(body) : undefined;
    const header = ctx.get(API_KEY_HEADER);
    const config = resolveProvider(
      { apiKey: header, baseUrl: body.baseUrl, model: body.model, temperature: body.temperature },
      options,
    );
    const currentSchema = original ? original.currentSchema : body.currentSchema;
    const check = await checkCurrent(currentSchema, deps);

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
          message: body.message,
          currentSchema,
          check,
          history: readHistory(body.history),
          schemaPath: typeof body.schemaPath === 'string' ? body.schemaPath : undefined,
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

/** The validator's answer for an object schema, from the worker pool (inline in an app without one). */
async function checkCurrent(
  schema: unknown,
  deps: Pick<RouteDeps, 'validation' | 'workspace'>,
): Promise<CurrentCheck | undefined> {
  if (typeof schema !== 'object' || schema === null) return undefined; // none, or text that does not parse
  const job: ValidationJob = { route: 'validate', body: { schema }, roots: deps.workspace.roots };
  try {
    const result = deps.validation ? await deps.validation.run(job) : runValidationJob(job);
    // The worker sends the answer serialised (validation/job.ts); the current schema is capped, so it is small.
    if (result.kind === 'response') return JSON.parse(new TextDecoder().decode(result.json)) as CurrentCheck;
    return { refused: result.kind === 'http' ? result.message : 'the validator gave no answer' };
  } catch (err) {
    // The pool is busy or the check ran past its time: the chat goes on without the analysis.
    return { refused: (err as Error).message };
  }
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value.trim());
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
