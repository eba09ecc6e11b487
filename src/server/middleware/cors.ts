/**
 * CORS for web pages on another loopback origin (any port of 127.0.0.1, localhost or [::1]): the original
 * Stitch's frontend on its dev server calls `http://127.0.0.1:8080/api/chat` directly, and a browser
 * `EventSource` or `fetch` from such a page needs `Access-Control-Allow-Origin`. A preflight `OPTIONS`
 * (which never carries the token) is answered here, before authentication.
 *
 * Only loopback origins get these headers: `hostCheck` has already refused other origins, except the
 * server's own origin when it serves remote machines, which is same-origin and needs no CORS. The
 * extension talks to the server from Node, not from its webviews, so they need none either.
 */
import type { Middleware } from 'koa';
import { isLoopbackHost } from './hostCheck';

export const ALLOWED_HEADERS = 'Authorization, Content-Type, Last-Event-ID, X-OpenAI-Key';

/** An `http(s)://` origin on a loopback host, whatever its port. */
export function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.host);
  } catch {
    return false;
  }
}

export function cors(): Middleware {
  return async function allowCrossOrigin(ctx, next) {
    const origin = ctx.get('Origin');
    if (!origin || !isLoopbackOrigin(origin)) return next();
    ctx.set('Access-Control-Allow-Origin', origin);
    ctx.vary('Origin');
    if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method')) {
      ctx.set('Access-Control-Allow-Methods', 'GET, POST, PATCH, DELETE, OPTIONS');
      ctx.set('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      ctx.set('Access-Control-Max-Age', '600');
      // Chrome's Private Network Access asks before a page reaches a more private address; loopback to
      // loopback does not need it today, and answering keeps such pages working if that changes.
      if (ctx.get('Access-Control-Request-Private-Network') === 'true')
        ctx.set('Access-Control-Allow-Private-Network', 'true');
      ctx.status = 204;
      return;
    }
    await next();
  };
}
