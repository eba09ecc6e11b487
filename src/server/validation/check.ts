/**
 * The schema routes' entry to checking: hands the raw body (kept unparsed by the JSON body middleware for
 * these routes) to the worker pool, or checks inline when the app was created without one (tests of the
 * bare app), and turns a 4xx result back into a thrown error.
 */
import type { Context } from 'koa';
import { httpError } from '../httpError';
import { MAX_BODY_VALUES, type BodyBytes } from '../middleware/jsonBody';
import type { RouteDeps } from '../routes/context';
import type { PreparedChat } from '../chat/prepare';
import type { InferRequest } from '../routes/inferBody';
import type { ValidationPool } from './pool';
import { runValidationJob, type SchemaRoute, type ValidationJob, type ValidationResult } from './job';

type Answer<R extends SchemaRoute> = Extract<
  ValidationResult,
  { kind: R extends 'validate' ? 'response' : 'schema' | 'definition' }
>;

/** Throws the 400/413/422 of a bad body or schema, 503 when the pool is busy or the check too slow. */
export async function checkSchemaRequest<R extends SchemaRoute>(
  ctx: Context,
  deps: Pick<RouteDeps, 'workspace' | 'validation'>,
  route: R,
  body?: Record<string, unknown>,
): Promise<Answer<R>> {
  const raw: unknown = ctx.state.rawBody;
  const job: ValidationJob =
    body !== undefined
      ? { route, body, roots: deps.workspace.roots }
      : Array.isArray(raw)
        ? { route, bytes: raw as BodyBytes, roots: deps.workspace.roots }
        : { route, body: ctx.state.body as unknown, roots: deps.workspace.roots };
  const result = deps.validation ? await deps.validation.run(job) : runValidationJob(job);
  if (result.kind === 'http')
    throw httpError(result.status, result.message, result.errors ? { errors: result.errors } : {});
  return result as Answer<R>;
}

/** Checks an already-parsed `{ architecture, hyperparams }` or `{ schema }` as training would (catalog definitions). */
export async function checkSchemaBody(
  body: Record<string, unknown>,
  deps: Pick<RouteDeps, 'workspace' | 'validation'>,
): Promise<void> {
  const job: ValidationJob = { route: 'train', body, roots: deps.workspace.roots };
  const result = deps.validation ? await deps.validation.run(job) : runValidationJob(job);
  if (result.kind === 'http')
    throw httpError(result.status, result.message, result.errors ? { errors: result.errors } : {});
}

/** A `POST /api/chat` body read in the pool (chat/prepare.ts); throws its 400/413, or 503 when the pool is busy. */
export async function prepareChatRequest(
  ctx: Context,
  deps: Pick<RouteDeps, 'workspace' | 'validation'>,
): Promise<PreparedChat> {
  const result = await readInPool(ctx, deps, 'chat');
  if (result.kind !== 'chat') throw new Error(`the chat request was answered as ${result.kind}`);
  return result.chat;
}

/** A `POST /api/infer` body read and checked in the pool (routes/inferBody.ts); throws its 400, or 503. */
export async function readInferRequest(
  ctx: Context,
  deps: Pick<RouteDeps, 'workspace' | 'validation'>,
): Promise<InferRequest> {
  const result = await readInPool(ctx, deps, 'infer');
  if (result.kind !== 'infer') throw new Error(`the infer request was answered as ${result.kind}`);
  return result.request;
}

/** Runs a whole-body job on the raw body (or the parsed one, for callers that parsed it); a 4xx is thrown. */
async function readInPool(
  ctx: Context,
  deps: Pick<RouteDeps, 'workspace' | 'validation'>,
  route: 'chat' | 'infer',
): Promise<ValidationResult> {
  const raw: unknown = ctx.state.rawBody;
  const job: ValidationJob = Array.isArray(raw)
    ? { route, bytes: raw as BodyBytes, roots: deps.workspace.roots }
    : { route, body: ctx.state.body as unknown, roots: deps.workspace.roots };
  const result = deps.validation ? await deps.validation.run(job) : runValidationJob(job);
  if (result.kind === 'http') throw httpError(result.status, result.message);
  return result;
}

/**
 * Parses a JSON body in the pool (or inline without one): the JSON body middleware's parser for the routes
 * that are not read whole in the worker, so a large models body does not hold the event loop either. The
 * parsed body comes back as a structured clone, so it may hold at most MAX_BODY_VALUES values.
 */
export function poolBodyParser(pool: ValidationPool | undefined): (bytes: BodyBytes) => Promise<unknown> {
  return async (bytes) => {
    const job: ValidationJob = { route: 'parse', bytes, roots: [], maxValues: MAX_BODY_VALUES };
    const result = pool ? await pool.run(job) : runValidationJob(job);
    if (result.kind === 'http') throw httpError(result.status, result.message);
    return result.kind === 'body' ? result.body : undefined;
  };
}

/** Routes whose body the JSON middleware leaves as bytes for the worker to parse and check whole. */
const WHOLE_BODY_ROUTES: ReadonlySet<string> = new Set(['/api/validate', '/api/train', '/api/chat', '/api/infer']);

/**
 * Requests whose body the JSON middleware leaves as bytes for the worker to parse and check whole: the schema
 * routes, the chat (whose body holds a schema too) and infer (a batch of up to 1,000,000 numbers).
 */
export function isSchemaRequest(ctx: Pick<Context, 'method' | 'path'>): boolean {
  return ctx.method === 'POST' && WHOLE_BODY_ROUTES.has(ctx.path);
}
