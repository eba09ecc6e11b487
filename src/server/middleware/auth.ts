/**
 * Bearer-token authentication (docs/server.md, "Security": every `/api/*` route). The extension starts its server with a fresh
 * random token, so other local programs and users cannot drive it. Tokens are compared in constant time.
 *
 * Every path is checked, not only those that start with `/api/`: a prefix test is one spelling
 * (`/API/runs`) away from being bypassed, and the server has nothing public to serve anyway.
 *
 * Browsers' `EventSource` cannot send headers, so GET requests may pass the token as `?access_token=` instead.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { httpError } from '../httpError';

export interface BearerAuthOptions {
  /** The required token; when undefined or empty, requests are not authenticated. */
  token?: string;
}

/** Constant-time comparison that does not leak the token's length either (both sides are hashed first). */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function bearerAuth(options: BearerAuthOptions): Middleware {
  const expected = options.token;
  return async function authenticate(ctx, next) {
    if (!expected) return next();
    const header = ctx.get('Authorization');
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const queryToken =
      ctx.method === 'GET' && typeof ctx.query.access_token === 'string' ? ctx.query.access_token : undefined;
    const given = match?.[1].trim() ?? queryToken;
    if (given === undefined) {
      throw httpError(
        401,
        'this server requires a token: send "Authorization: Bearer <token>" (the token the server was started with, or STITCH_TOKEN)',
        {
          headers: { 'WWW-Authenticate': 'Bearer realm="stitch"' },
        },
      );
    }
    if (!tokensEqual(given, expected)) {
      throw httpError(
        401,
        'the token is wrong: send the token the server was started with as "Authorization: Bearer <token>"',
        {
          headers: { 'WWW-Authenticate': 'Bearer realm="stitch", error="invalid_token"' },
        },
      );
    }
    await next();
  };
}
