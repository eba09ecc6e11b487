/**
 * SSE wire format (docs/server.md, "Event streams"): `event:`, `id:`, `data:` lines and a blank line. The only place that writes
 * the framing, so that a payload can never break it: data is serialized as one-line JSON and any line
 * break left in a field is removed (a stray newline would otherwise end the event early and let a payload
 * inject fields of its own).
 */

/** CR, LF and CRLF all end a line in an event stream. */
const LINE_BREAK = /\r\n|\r|\n/g;

export interface SseFrame {
  event: string;
  id?: number | string;
  data: unknown;
}

/** One event, ready to write. */
export function formatEvent(frame: SseFrame): string {
  let out = '';
  if (frame.event) out += `event: ${singleLine(frame.event)}\n`;
  if (frame.id !== undefined) out += `id: ${singleLine(String(frame.id))}\n`;
  // JSON.stringify escapes line breaks inside strings; a string payload is split into several data lines,
  // which clients join with "\n", so nothing is lost either way.
  const data = typeof frame.data === 'string' ? frame.data : JSON.stringify(frame.data ?? null);
  for (const line of data.split(LINE_BREAK)) out += `data: ${line}\n`;
  return out + '\n';
}

/** A comment line (clients ignore it; proxies see traffic). */
export function formatComment(text: string): string {
  return `: ${singleLine(text)}\n\n`;
}

/** Tells the client how long to wait before reconnecting. */
export function formatRetry(ms: number): string {
  return `retry: ${Math.max(0, Math.round(ms))}\n\n`;
}

function singleLine(text: string): string {
  return text.replace(LINE_BREAK, ' ');
}
