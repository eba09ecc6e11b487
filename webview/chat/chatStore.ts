/**
 * The chat's state without a DOM: the conversation (user and assistant messages, the assistant's text
 * growing token by token), the request in flight, errors with what to do about them, and for a proposed
 * schema, what it changes in the current one (layers added, removed, changed). Unit-tested in Node.
 */
import type { ChatStreamEvent } from '../../src/shared/protocol';
import { isObject } from '../../src/shared/isObject';
import { diffLayers, summarizeProposal, type LayerDiff, type ProposalSummary } from './proposalSummary';

export { diffLayers, type LayerDiff } from './proposalSummary';

export interface Proposal {
  /** The proposed schema; `null` when the model's block was not valid JSON even after the repair round. */
  schema: unknown;
  /** Only an object can be reviewed and applied; anything else shows its errors and no Apply. */
  applicable: boolean;
  valid: boolean;
  errors: { path: string; message: string }[];
  diff: LayerDiff;
  /** Where each layer goes and the parameter delta, computed when the proposal arrived. */
  summary: ProposalSummary;
  status: 'pending' | 'applying' | 'applied' | 'rejected' | 'dismissed' | 'failed';
}

export interface ChatMessage {
  role: 'user' | 'assistant';
  text: string;
  requestId: number;
  streaming: boolean;
  error?: { message: string; code?: string };
  proposal?: Proposal;
}

export interface ChatState {
  messages: ChatMessage[];
  /** The request being streamed, if any (the stop button shows). */
  active: number | null;
  /** The file's schema as last seen: what a proposal is compared with. */
  schema?: unknown;
}

/**
 * Request ids are unique for the page's lifetime, across conversations and clears: a reply cut off by
 * Clear can still send late tokens, and they must never land in a newer answer that reused its id.
 */
let lastRequestId = 0;

export function emptyChat(): ChatState {
  return { messages: [], active: null };
}

/** Adds the user's message and an empty assistant message; returns the request id to send with. */
export function startRequest(state: ChatState, text: string): number {
  const requestId = ++lastRequestId;
  state.messages.push({ role: 'user', text, requestId, streaming: false });
  state.messages.push({ role: 'assistant', text: '', requestId, streaming: true });
  state.active = requestId;
  return requestId;
}

function assistant(state: ChatState, requestId: number): ChatMessage | undefined {
  return state.messages.find((m) => m.role === 'assistant' && m.requestId === requestId);
}

/** What an event changed, so the view redraws no more than that: the text of one message, or the whole message. */
export type ChatChange = { message: ChatMessage; what: 'text' | 'message' } | null;

/**
 * Folds one stream event into the conversation. `current` is the schema the proposal is compared with.
 * Events for a message that is no longer streaming (stopped, cleared, or from another conversation) are
 * dropped: tokens already in flight when Stop was pressed must not appear after "*(stopped)*".
 */
export function applyChatEvent(
  state: ChatState,
  requestId: number,
  event: ChatStreamEvent,
  current: unknown,
): ChatChange {
  const message = assistant(state, requestId);
  if (!message?.streaming) return null;
  switch (event.type) {
    case 'token':
      message.text += event.content;
      return { message, what: 'text' };
    case 'schema': {
      const applicable = isObject(event.proposedSchema);
      message.proposal = {
        schema: event.proposedSchema,
        applicable,
        valid: event.valid && applicable,
        errors: event.errors,
        diff: applicable
          ? diffLayers(current, event.proposedSchema)
          : { added: [], removed: [], changed: [], sections: [] },
        summary: applicable
          ? summarizeProposal(current, event.proposedSchema)
          : { lines: [], params: { before: 0, after: 0 } },
        status: 'pending',
      };
      break;
    }
    case 'done':
      message.streaming = false;
      if (state.active === requestId) state.active = null;
      break;
    case 'error':
      message.streaming = false;
      message.error = { message: event.error, code: event.code };
      if (state.active === requestId) state.active = null;
      break;
    default:
      // A compile error when a case is missing; at run time an event from a newer sender is skipped.
      event satisfies never;
  }
  return { message, what: 'message' };
}

/** The user pressed stop: the message keeps what arrived and says it was stopped. */
export function stopRequest(state: ChatState, requestId: number): void {
  const message = assistant(state, requestId);
  if (message?.streaming) {
    message.streaming = false;
    message.text += message.text ? '\n\n*(stopped)*' : '*(stopped)*';
  }
  if (state.active === requestId) state.active = null;
}

/**
 * Clear: empties the conversation and returns the request that was streaming (the caller stops it first),
 * so that its late tokens, its proposal and its history entry cannot come back.
 */
export function clearChat(state: ChatState): number | null {
  const active = state.active;
  if (active !== null) stopRequest(state, active);
  state.messages = [];
  state.active = null;
  return active;
}

/**
 * One conversation per schema file (keyed by the file the chat is about): switching files shows that
 * file's conversation, so a proposal card is only ever shown, and applied, next to the file it was written for.
 */
export class ChatConversations {
  private readonly byFile = new Map<string, ChatState>();
  key = '';

  /** The conversation shown now. */
  get current(): ChatState {
    let state = this.byFile.get(this.key);
    if (!state) this.byFile.set(this.key, (state = emptyChat()));
    return state;
  }

  /** The conversation holding a request, whichever file is shown. */
  ofRequest(requestId: number): ChatState | undefined {
    return [...this.byFile.values()].find((s) => s.messages.some((m) => m.requestId === requestId));
  }
}

/**
 * The document changed (an edit, an undo): a proposal marked applied whose schema the document no longer
 * has is offered again (Ctrl+Z after Apply brings Apply back), and one the document now has is applied.
 * Returns the messages whose card changed.
 */
export function syncApplied(state: ChatState, current: unknown): ChatMessage[] {
  const now = canonical(current);
  const changed: ChatMessage[] = [];
  for (const m of state.messages) {
    const p = m.proposal;
    if (!p?.applicable) continue;
    const same = canonical(p.schema) === now;
    if (p.status === 'applied' && !same) p.status = 'pending';
    else if (same && (p.status === 'pending' || p.status === 'rejected' || p.status === 'failed')) p.status = 'applied';
    else continue;
    changed.push(m);
  }
  return changed;
}

/** JSON with sorted keys and without `layout` (positions are not part of what a proposal changes). */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(
      Object.keys(v)
        .filter((k) => k !== 'layout' && k !== '$schema')
        .sort()
        .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
    );
  };
  return JSON.stringify(sort(value));
}
