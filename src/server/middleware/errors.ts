/**
 * The first middleware: every error becomes `{ error }` with a status that names its category (docs/server.md, "Routes").
 * Errors thrown with `httpError(status, message)` (or `ctx.throw`) keep their status and message; anything else is a bug,
 * answered with a generic 500 and logged with its stack, which never reaches the client. A method the router
 * does not route (405, with the path's methods in `Allow`) or does not know at all (501, e.g. PROPFIND) is the
 * client's mistake, not a bug: it is answered as such and not logged.
 */
import type { Middleware } from 'koa';
import { httpError } from '../httpError';

export interface ErrorHandlerOptions {
  /** Where unexpected errors are logged. */
  log: (line: string) => void;
}

/** Statuses this API uses; an http-error with another 4xx keeps its status too. */
const FALLBACK_MESSAGES: Record<number, string> = {
  400: 'the request is not valid',
  401: 'authentication required',
  403: 'forbidden',
  404: 'not found',
  405: 'method not allowed',
  409: 'the resource is not in a state that allows this',
  413: 'the request body is too large',
  422: 'the schema is not valid',
};

interface ExposedError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message?: string;
  headers?: Record<string, string>;
  /** Extra details (e.g. every schema error for a 422) copied to the response body. */
  errors?: unknown;
}

export function errorHandler(options: ErrorHandlerOptions): Middleware {
  return async function handleErrors(ctx, next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined && ctx.respond !== false) {
        throw httpError(404, `no route for ${ctx.method} ${ctx.path}; see GET /api/health and docs/server.md`);
      }
      if ((ctx.status === 405 || ctx.status === 501) && ctx.body === undefined && ctx.respond !== false)
        throw methodError(ctx.status, ctx.method, ctx.path, ctx.response.get('Allow'));
    } catch (thrown) {
      const err = (
        typeof thrown === 'object' && thrown !== null ? thrown : { message: String(thrown) }
      ) as ExposedError;
      const status = err.status ?? err.statusCode ?? 500;
      // 4xx and 501 are the client's; a 5xx is answered as itself only when it was raised on purpose with
      // `expose` (e.g. 503 "no TensorFlow.js backend can start"), otherwise it is a bug.
      const clientError =
        (((status >= 400 && status < 500) || status === 501) && err.expose !== false) ||
        (status > 500 && err.expose === true);
      if (ctx.headerSent || ctx.respond === false) {
        // A stream already started: the response cannot change any more, so the error is only logged.
        options.log(`error after the response started (${ctx.method} ${ctx.path}): ${describe(thrown)}`);
        return;
      }
      if (!clientError) options.log(`internal error in ${ctx.method} ${ctx.path}: ${describe(thrown)}`);
      ctx.status = clientError ? status : 500;
      ctx.set(clientError && err.headers ? err.headers : {});
      const body: Record<string, unknown> = {
        error: clientError
          ? err.message || FALLBACK_MESSAGES[status] || 'the request failed'
          : 'internal server error; the server log has the details',
      };
      if (clientError && err.errors !== undefined) body.errors = err.errors;
      ctx.body = body;
    }
  };
}

/** 405/501 as the router leaves them (status and `Allow`, no body), turned into `{ error }` saying what to use. */
function methodError(status: 405 | 501, method: string, path: string, allow: string): Error {
  const use = allow ? `use ${allow.split(/,\s*/).join(' or ')}` : 'see docs/server.md for the routes and their methods';
  return status === 405
    ? httpError(405, `${method} is not allowed on ${path}; ${use}`, { headers: { Allow: allow } })
    : // httpError marks 5xx as not exposed by default; a 501 here is an answer about the request, not a hidden bug.
      httpError(
        501,
        `this server does not support the ${method} method; the API uses GET, POST, PATCH and DELETE (see docs/server.md)`,
        { expose: true },
      );
}

function describe(thrown: unknown): string {
  return thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown);
}
