/**
 * Logs one line per request (method, path, status, time) to the server log; the token never appears. It is
 * the outermost middleware, so the status is the one the client got (the error handler has already turned
 * a thrown 401/403/400 into its answer); a client that went away before the answer is marked as such.
 */
import type { Middleware } from 'koa';

export function requestLog(log: (line: string) => void): Middleware {
  return async function logRequest(ctx, next) {
    const started = Date.now();
    try {
      await next();
    } finally {
      // Streams (SSE) set respond = false and are logged when they start, which is what a reader wants.
      const status = ctx.respond === false ? 'stream' : String(ctx.status);
      const gone =
        ctx.respond !== false && ctx.req.socket.destroyed && !ctx.res.headersSent
          ? ' (client closed the connection)'
          : '';
      log(`${ctx.method} ${ctx.path} ${status} ${Date.now() - started}ms${gone}`);
    }
  };
}
