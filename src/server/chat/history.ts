/**
 * What the server forwards of a conversation's history: the extension keeps each schema file's history,
 * but a client may send anything, so the server keeps only well-formed messages, the most recent ones,
 * within a size budget (a long history costs tokens and pushes the schema out of a small model's context).
 */
import { MAX_HISTORY_MESSAGES, type ChatHistoryMessage } from '../../shared/protocol';

/** Most characters forwarded over all history messages; one message longer than this is cut. */
export const MAX_HISTORY_CHARS = 40_000;

/** Well-formed history messages from an untrusted body (anything else is dropped). */
export function readHistory(value: unknown): ChatHistoryMessage[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((m: unknown) => {
    const { role, content } = (m ?? {}) as { role?: unknown; content?: unknown };
    return (role === 'user' || role === 'assistant') && typeof content === 'string' ? [{ role, content }] : [];
  });
}

/** The newest messages that fit the budgets, oldest first. */
export function boundHistory(history: ChatHistoryMessage[]): ChatHistoryMessage[] {
  const kept: ChatHistoryMessage[] = [];
  let chars = 0;
  for (const message of history.slice(-MAX_HISTORY_MESSAGES).reverse()) {
    const room = MAX_HISTORY_CHARS - chars;
    if (room <= 0) break;
    const content = message.content.length > room ? `${message.content.slice(0, room)}…` : message.content;
    chars += content.length;
    kept.push({ role: message.role, content });
  }
  return kept.reverse();
}
