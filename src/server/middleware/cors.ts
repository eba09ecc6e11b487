/**
 * CORS for the origins that `hostCheck` let through (loopback pages, VS Code webviews): a browser
 * `EventSource` or `fetch` from such a page needs `Access-Control-Allow-Origin`, and a preflight `OPTIONS`
 * (which never carries the token) is answered here, before authentication.
 */
import type { Middleware } from 'koa';

export function cors(): Middleware {
  return async function allowCrossOrigin(ctx, next) {
    const origin = ctx.get('Origin');
    if (!origin) return next();
    ctx.set('Access-Control-Allow-Origin', origin);
    ctx.vary('Origin');
    if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method')) {
      ctx.set('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
      ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, Last-Event-ID');
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    await next();
  };
}
