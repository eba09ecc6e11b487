/**
 * Reads a JSON request body with a size limit and a time limit. The size limit is enforced on the raw
 * stream as well as on `Content-Length`, so a client that lies about (or omits) the length cannot make the
 * server buffer more; a body that has not fully arrived within the time limit is answered 408 and its
 * connection closed, so slow uploads cannot hold the server's connections. A client that goes away
 * mid-upload is a 400 the request log shows, not an internal error.
 * The parsed body is in `ctx.state.body` (undefined when the request has none).
 *
 * Nothing here costs the event loop more than a chunk at a time, whatever the body's size (health must answer
 * within 50 ms, docs/reliability.md): the bytes are copied into buffers of their own as they arrive (never
 * concatenated or decoded here past INLINE_PARSE_BYTES), and those buffers are handed to the worker without
 * a copy.
 */
import type { IncomingMessage } from 'node:http';
import type { Context, Middleware } from 'koa';
import { nestingOffset } from '../../shared/schema/measure';
import { httpError } from '../httpError';

export interface JsonBodyOptions {
  /** Largest accepted body in bytes. Default 10 MB. */
  limit?: number;
  /** Time for the whole body to arrive, in ms. Default 30000. */
  timeoutMs?: number;
  /**
   * Requests whose body is left as bytes (BodyBytes) in `ctx.state.rawBody`, for a worker thread to decode
   * and parse (the schema routes: parsing a large body would hold the event loop). Default: none.
   */
  raw?: (ctx: Context) => boolean;
  /**
   * Parses bodies larger than INLINE_PARSE_BYTES off the event loop (the validation pool's worker; it may
   * take the buffers, which are then detached here). Without it every body is parsed inline.
   */
  parse?: (bytes: BodyBytes) => Promise<unknown>;
}

/**
 * A body's bytes, in order, one buffer per chunk received. Each owns its ArrayBuffer, so all of them can be
 * transferred to a worker thread.
 */
export type BodyBytes = Uint8Array[];

/** The body's text (UTF-8, as every JSON body is read); the worker calls it for large bodies. */
export function bodyText(bytes: BodyBytes): string {
  return Buffer.concat(bytes).toString('utf8');
}

export function bodySize(bytes: BodyBytes): number {
  return bytes.reduce((sum, b) => sum + b.byteLength, 0);
}

/**
 * Bodies up to this size are parsed inline: scanning and parsing 16 KB takes well under a millisecond,
 * less than a round trip to a worker. Above it (a 1 MB body costs 50–200 ms on a loaded machine, mostly the
 * depth scan and JSON.parse of numbers), the worker parses it.
 */
export const INLINE_PARSE_BYTES = 16 * 1024;

export const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

/** Deepest nesting of a JSON body (a schema needs a handful of levels; docs/schema.md caps it at 32). */
export const MAX_BODY_DEPTH = 64;

export function jsonBody(options: JsonBodyOptions = {}): Middleware {
  const limit = options.limit ?? DEFAULT_BODY_LIMIT;
  const timeoutMs = options.timeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  return async function readJsonBody(ctx, next) {
    if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'OPTIONS') {
      await next();
      return;
    }
    // A declared type that is not JSON (a form, a file upload) is refused as the original Stitch did; text/plain
    // is what a browser's fetch sends for a string body, so it is read as JSON too.
    const type = ctx.get('Content-Type');
    if (type && !ctx.is('application/json', '+json', 'text/plain') && ctx.request.length !== 0) {
      throw httpError(415, `the request body is ${type.split(';')[0]}; send JSON with Content-Type: application/json`);
    }
    const declared = Number(ctx.get('Content-Length') || 0);
    if (declared > limit) throw tooLarge(ctx.req, limit);
    const bytes = await readLimited(ctx.req, limit, timeoutMs);
    if (bytes === TOO_LARGE) throw tooLarge(ctx.req, limit);
    if (bytes === TIMED_OUT) {
      throw httpError(
        408,
        `the request body did not arrive within ${timeoutMs / 1000} s; send it faster or in a smaller request`,
        {
          headers: { Connection: 'close' },
        },
      );
    }
    if (bytes === ABORTED)
      throw httpError(400, 'the client closed the connection before the request body was complete');
    if (options.raw?.(ctx)) {
      ctx.state.rawBody = bytes;
      await next();
      return;
    }
    if (options.parse && bodySize(bytes) > INLINE_PARSE_BYTES) ctx.state.body = await options.parse(bytes);
    else ctx.state.body = parseJsonBody(bodyText(bytes));
    await next();
  };
}

/**
 * Most values (numbers, strings, objects, arrays, each counted once) a body parsed in the worker may hold. The
 * parsed body comes back to the event loop as a structured clone, deserialised in one turn: ~0.15 µs per value
 * on the 2-core development machine, so 50,000 values cost under 10 ms, while a 10 MB body of small objects cost
 * 150 ms. A schema at its caps holds a few tens of thousands. Routes that need more read their body whole in
 * the worker (the schema routes, the chat; docs/reliability.md).
 */
export const MAX_BODY_VALUES = 50_000;

/** Whether `value` holds more than `max` values (counted without recursion, stopping at max + 1). */
export function holdsMoreValues(value: unknown, max: number): boolean {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (++count > max) return true;
    if (Array.isArray(v)) for (const item of v) stack.push(item);
    else if (typeof v === 'object' && v !== null) for (const item of Object.values(v)) stack.push(item);
  }
  return false;
}

/** A body's text → its value, or a 400 saying what is wrong; inline here and in the worker (validation/job.ts). */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  // JSON.parse takes seconds on a body of a million "[" (and stalls every request meanwhile): refuse it first.
  if (nestingOffset(text, MAX_BODY_DEPTH) !== undefined) {
    throw httpError(
      400,
      `the request body nests objects and arrays more than ${MAX_BODY_DEPTH} deep; no Stitch request needs that`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw httpError(
      400,
      `the request body is not valid JSON (${(err as Error).message}); send a JSON object with Content-Type: application/json`,
    );
  }
}

/**
 * The 413, and the rest of the upload discarded slowly. Left to Node, the rest is read as fast as it comes,
 * up to 2 MB per turn of the event loop: an 11 MB upload held the loop for 30–45 ms of CPU at a time on the
 * 2-core machine, and health waited. Closing at once would save the reading, but a client still sending
 * (fetch, undici) then sees EPIPE instead of the 413; clients stop sending once they have the answer. Clients
 * that send `Expect: 100-continue` (curl does for large bodies) get the 413 before they send anything (server.ts).
 */
function tooLarge(req: IncomingMessage, limit: number): Error {
  discardSlowly(req);
  return httpError(
    413,
    `the request body is larger than the limit of ${formatBytes(limit)}; send a smaller body or start the server with a larger body limit`,
  );
}

/** Pause between the chunks of an upload answered 413, in ms: at most a 64 KB chunk per ms (64 MB/s). */
const DISCARD_PAUSE_MS = 1;

/** Reads and drops what is left of a request body, one chunk at a time with a pause in between. */
function discardSlowly(req: IncomingMessage): void {
  // Reading it ourselves keeps Node from draining it at full speed once the answer is sent.
  req.on('data', () => {
    req.pause();
    setTimeout(() => req.resume(), DISCARD_PAUSE_MS).unref();
  });
}

const TOO_LARGE = Symbol('too large');
const TIMED_OUT = Symbol('timed out');
const ABORTED = Symbol('aborted');
type BodyRead = BodyBytes | typeof TOO_LARGE | typeof TIMED_OUT | typeof ABORTED;

/**
 * The body's bytes, or why there is none. Each chunk is copied into a buffer of its own as it arrives (the
 * socket's buffers are not ours to transfer), so no step copies the whole body at once. Nothing is allocated
 * ahead for a declared length: a client that declares 10 MB and sends nothing costs nothing.
 */
function readLimited(stream: IncomingMessage, limit: number, timeoutMs: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyRead) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => settle(TIMED_OUT), timeoutMs);
    stream.on('data', (chunk: Buffer) => {
      if (settled) return;
      // Past the limit (only possible without a declared length: Node holds a body to its Content-Length)
      // the rest is discarded as it arrives (see tooLarge).
      if (size + chunk.length > limit) {
        chunks.length = 0;
        return settle(TOO_LARGE);
      }
      chunks.push(new Uint8Array(chunk));
      size += chunk.length;
    });
    stream.on('end', () => settle(chunks));
    // 'error' here is the client resetting or abandoning the upload ("aborted", ECONNRESET): its doing,
    // not the server's, so it is answered (if anyone still listens) as a 400 and not logged as a bug.
    stream.on('error', () => settle(ABORTED));
    stream.on('close', () => settle(ABORTED));
  });
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MB`
    : `${Math.ceil(bytes / 1024)} KB`;
}
