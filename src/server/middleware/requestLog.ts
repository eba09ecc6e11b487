/** Logs one line per request (method, path, status, time) to the server log; the token never appears. */
import type { Middleware } from 'koa';

export function requestLog(log: (line: string) => void): Middleware {
  return async function logRequest(ctx, next) {
    const started = Date.now();
    try {
      await next();
    } finally {
      // Streams (SSE) set respond = false and are logged when they start, which is what a reader wants.
      log(`${ctx.method} ${ctx.path} ${ctx.respond === false ? 'stream' : ctx.status} ${Date.now() - started}ms`);
    }
  };
}
