/**
 * One SSE connection: sends the headers at once, writes frames, keeps the connection alive with comments,
 * and notices when the client goes away. A closed client is normal (a tab closed, a CLI stopped), so writes
 * after that are silently dropped rather than thrown.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatComment, formatEvent, formatRetry, type SseFrame } from './format';

export interface SseSessionOptions {
  /** How often an idle stream gets a `: keep-alive` comment, in ms. Default 15000; 0 turns it off. */
  keepAliveMs?: number;
  /** Reconnection delay suggested to clients, in ms. Default 1000. */
  retryMs?: number;
  /** Extra response headers (e.g. CORS) to send with the stream. */
  headers?: Record<string, string>;
}

export class SseSession {
  private closedFlag = false;
  private readonly keepAlive: NodeJS.Timeout | undefined;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    req: IncomingMessage,
    private readonly res: ServerResponse,
    options: SseSessionOptions = {},
  ) {
    res.writeHead(200, {
      ...options.headers,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx and similar proxies buffer responses unless told otherwise, which would hold events back.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    res.write(formatRetry(options.retryMs ?? 1000));
    const keepAliveMs = options.keepAliveMs ?? 15_000;
    if (keepAliveMs > 0) {
      this.keepAlive = setInterval(() => this.write(formatComment('keep-alive')), keepAliveMs);
      this.keepAlive.unref();
    }
    const onGone = (): void => this.close();
    res.on('close', onGone);
    res.on('error', onGone);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  send(frame: SseFrame): void {
    this.write(formatEvent(frame));
  }

  /** Runs `listener` once when the session ends, whoever ended it. */
  onClose(listener: () => void): void {
    if (this.closedFlag) listener();
    else this.closeListeners.push(listener);
  }

  /** Ends the response (the stream is complete or the server is shutting down). Safe to call twice. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.keepAlive) clearInterval(this.keepAlive);
    if (!this.res.writableEnded) this.res.end();
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  private write(text: string): void {
    if (this.closedFlag || this.res.writableEnded || this.res.destroyed) return;
    this.res.write(text);
  }
}

/**
 * The id after which a reconnecting client wants events: the `Last-Event-ID` header, or the `lastEventId`
 * query parameter for clients that cannot set headers. Returns 0 (everything) when absent or not a number.
 */
export function lastEventIdOf(req: IncomingMessage, query: Record<string, unknown>): number {
  const header = req.headers['last-event-id'];
  const raw = (Array.isArray(header) ? header[0] : header) ?? query.lastEventId ?? query.last_event_id;
  const value = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isInteger(value) && value > 0 ? value : 0;
}
