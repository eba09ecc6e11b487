/**
 * Reads a JSON request body with a size limit. The limit is enforced on the raw stream as well as on
 * `Content-Length`, so a client that lies about (or omits) the length cannot make the server buffer more.
 * The parsed body is in `ctx.state.body` (undefined when the request has none).
 */
import type { Middleware } from 'koa';
import { httpError } from '../httpError';

export interface JsonBodyOptions {
  /** Largest accepted body in bytes. Default 10 MB. */
  limit?: number;
}

export const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;

export function jsonBody(options: JsonBodyOptions = {}): Middleware {
  const limit = options.limit ?? DEFAULT_BODY_LIMIT;
  return async function readJsonBody(ctx, next) {
    if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'OPTIONS') return next();
    const declared = Number(ctx.get('Content-Length') || 0);
    if (declared > limit) throw tooLarge(limit);
    const text = await readLimited(ctx.req, limit);
    if (text === undefined) throw tooLarge(limit);
    if (text.trim() !== '') {
      try {
        ctx.state.body = JSON.parse(text) as unknown;
      } catch (err) {
        throw httpError(400, `the request body is not valid JSON (${(err as Error).message}); send a JSON object with Content-Type: application/json`);
      }
    }
    await next();
  };
}

function tooLarge(limit: number): Error {
  return httpError(413, `the request body is larger than the limit of ${formatBytes(limit)}; send a smaller body or start the server with a larger body limit`);
}

/** The body as text, or undefined once it passes `limit` (the rest is drained, not buffered). */
function readLimited(stream: NodeJS.ReadableStream, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    stream.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        // Keep reading and discarding: answering 413 while the client is still uploading must not reset
        // the connection, or the client sees a network error instead of the status.
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    stream.on('error', reject);
  });
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MB` : `${Math.ceil(bytes / 1024)} KB`;
}
