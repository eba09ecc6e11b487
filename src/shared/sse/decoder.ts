/**
 * A small, pure Server-Sent Events decoder for clients (the CLI, the extension and the webview).
 *
 * It follows the parsing rules of the HTML standard's "event stream interpretation": lines end in CR, LF
 * or CRLF; `event`, `data`, `id` and `retry` fields; comment lines start with `:`; a blank line dispatches
 * the event. Text goes in (the caller decodes bytes, e.g. with `TextDecoderStream`), messages come out, so
 * the same code runs in Node and in the browser and is tested without a network.
 */

/** One dispatched SSE message. `id` is the stream's last event id at dispatch time ('' when none was set). */
export interface SseMessage {
  event: string;
  data: string;
  id: string;
  /** Reconnection delay in milliseconds, when the server sent a `retry:` field before this message. */
  retry?: number;
}

/** Splits text chunks into lines, keeping a partial line (and a trailing CR) until the next chunk. */
export class LineDecoder {
  private buffer = '';

  /** Returns the complete lines in `chunk` (plus what was buffered before), without their terminators. */
  push(chunk: string): string[] {
    const text = this.buffer + chunk;
    const lines: string[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c !== '\n' && c !== '\r') continue;
      // A CR at the very end may be the first half of a CRLF that arrives in the next chunk.
      if (c === '\r' && i === text.length - 1) break;
      lines.push(text.slice(start, i));
      if (c === '\r' && text[i + 1] === '\n') i++;
      start = i + 1;
    }
    this.buffer = text.slice(start);
    return lines;
  }

  /** The stream ended: returns the unterminated last line, if any. */
  end(): string[] {
    const rest = this.buffer;
    this.buffer = '';
    if (rest === '') return [];
    return rest.endsWith('\r') ? [rest.slice(0, -1)] : [rest];
  }
}

/** Turns lines into SSE messages. Comments (`: keep-alive`) are reported through `onComment` if given. */
export class SseDecoder {
  private readonly lines = new LineDecoder();
  private event = '';
  private data: string[] = [];
  private hasData = false;
  private lastId = '';
  private retry: number | undefined;

  constructor(private readonly onComment?: (text: string) => void) {}

  /** Feeds a text chunk; returns the messages it completed. */
  push(chunk: string): SseMessage[] {
    return this.consume(this.lines.push(chunk));
  }

  /** The stream ended. Per the standard an event without its closing blank line is discarded. */
  end(): SseMessage[] {
    this.consume(this.lines.end());
    this.event = '';
    this.data = [];
    this.hasData = false;
    return [];
  }

  /** The id of the last event seen, to send as `Last-Event-ID` when reconnecting. */
  get lastEventId(): string {
    return this.lastId;
  }

  private consume(lines: string[]): SseMessage[] {
    const out: SseMessage[] = [];
    for (const line of lines) {
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      this.onComment?.(line.slice(1).trimStart());
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      case 'id':
        // An id containing NUL is ignored, as the standard says.
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        // Unknown fields are ignored so that servers can add fields without breaking clients.
        break;
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const event = this.event || 'message';
    const { hasData, data, retry } = this;
    this.event = '';
    this.data = [];
    this.hasData = false;
    this.retry = undefined;
    if (!hasData) return undefined;
    const message: SseMessage = { event, data: data.join('\n'), id: this.lastId };
    if (retry !== undefined) message.retry = retry;
    return message;
  }
}

/**
 * Decodes an async stream of text chunks into SSE messages: `for await (const m of decodeSse(text)) …`.
 * Breaking out of the loop returns the source iterator, which aborts the underlying request.
 */
export async function* decodeSse(
  chunks: AsyncIterable<string>,
  onComment?: (text: string) => void,
): AsyncGenerator<SseMessage> {
  const decoder = new SseDecoder(onComment);
  for await (const chunk of chunks) yield* decoder.push(chunk);
  yield* decoder.end();
}
