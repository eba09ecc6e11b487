/**
 * Typed chat events from decoded SSE messages of `POST /api/chat` (docs/chat.md), for every client of the
 * chat. Unknown events (from a newer server) and unreadable data are skipped: the chat degrades rather
 * than breaking on an addition.
 */
import type { ChatEventMap, ChatStreamEvent } from '../protocol';
import type { SseMessage } from './decoder';

export function toChatEvent(message: SseMessage): ChatStreamEvent | undefined {
  let payload: unknown;
  try {
    payload = message.data ? JSON.parse(message.data) : {};
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null) return undefined;
  switch (message.event) {
    case 'token': {
      const p = payload as Partial<ChatEventMap['token']>;
      return { type: 'token', content: p.content ?? '' };
    }
    case 'schema': {
      const p = payload as Partial<ChatEventMap['schema']>;
      return { type: 'schema', ...readProposal(p) };
    }
    case 'done': {
      const p = payload as ChatEventMap['done'];
      return {
        type: 'done',
        ...(typeof p.answer === 'string' ? { answer: p.answer } : {}),
        ...(p.proposal === null
          ? { proposal: null }
          : typeof p.proposal === 'object'
            ? { proposal: readProposal(p.proposal) }
            : {}),
      };
    }
    case 'error': {
      const p = payload as Partial<ChatEventMap['error']>;
      return { type: 'error', error: p.error ?? 'the chat failed', ...(p.code ? { code: p.code } : {}) };
    }
    default:
      return undefined;
  }
}

function readProposal(p: Partial<ChatEventMap['schema']>): ChatEventMap['schema'] {
  const schema = p.proposedSchema;
  return {
    proposedSchema: typeof schema === 'object' && schema !== null && !Array.isArray(schema) ? schema : null,
    valid: p.valid === true,
    errors: Array.isArray(p.errors) ? p.errors : [],
  };
}
