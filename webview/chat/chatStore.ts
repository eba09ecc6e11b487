/**
 * The chat's state without a DOM: the conversation (user and assistant messages, the assistant's text
 * growing token by token), the request in flight, errors with what to do about them, and for a proposed
 * schema, what it changes in the current one (layers added, removed, changed). Unit-tested in Node.
 */
import type { ChatViewEvent } from '../../src/shared/webviewProtocol';

export interface Proposal {
  schema: unknown;
  valid: boolean;
  errors: { path: string; message: string }[];
  diff: LayerDiff;
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
  nextRequestId: number;
  /** The request being streamed, if any (the stop button shows). */
  active: number | null;
}

export function emptyChat(): ChatState {
  return { messages: [], nextRequestId: 1, active: null };
}

/** Adds the user's message and an empty assistant message; returns the request id to send with. */
export function startRequest(state: ChatState, text: string): number {
  const requestId = state.nextRequestId++;
  state.messages.push({ role: 'user', text, requestId, streaming: false });
  state.messages.push({ role: 'assistant', text: '', requestId, streaming: true });
  state.active = requestId;
  return requestId;
}

function assistant(state: ChatState, requestId: number): ChatMessage | undefined {
  return state.messages.find((m) => m.role === 'assistant' && m.requestId === requestId);
}

/** Folds one stream event into the conversation. `current` is the schema the proposal is compared with. */
export function applyChatEvent(state: ChatState, requestId: number, event: ChatViewEvent, current: unknown): void {
  const message = assistant(state, requestId);
  if (!message) return;
  switch (event.type) {
    case 'token':
      message.text += event.content;
      break;
    case 'schema':
      message.proposal = { schema: event.proposedSchema, valid: event.valid, errors: event.errors, diff: diffLayers(current, event.proposedSchema), status: 'pending' };
      break;
    case 'done':
      message.streaming = false;
      if (state.active === requestId) state.active = null;
      break;
    case 'error':
      message.streaming = false;
      message.error = { message: event.error, code: event.code };
      if (state.active === requestId) state.active = null;
      break;
    default: {
      const unknown: never = event;
      void unknown;
    }
  }
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

export interface LayerDiff {
  added: string[];
  removed: string[];
  /** Layers present in both whose type or parameters differ, with a short description. */
  changed: { id: string; what: string }[];
  /** Other top-level sections that differ (`input`, `training`, …). */
  sections: string[];
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
const layersOf = (v: unknown): Raw[] => (Array.isArray(obj(v).layers) ? (obj(v).layers as unknown[]).map(obj) : []);

/** What a proposed schema changes compared with the current one, by layer id. */
export function diffLayers(current: unknown, proposed: unknown): LayerDiff {
  const before = new Map(layersOf(current).map((l) => [String(l.id), l]));
  const after = new Map(layersOf(proposed).map((l) => [String(l.id), l]));
  const added = [...after.keys()].filter((id) => !before.has(id));
  const removed = [...before.keys()].filter((id) => !after.has(id));
  const changed: LayerDiff['changed'] = [];
  for (const [id, next] of after) {
    const prev = before.get(id);
    if (!prev) continue;
    const keys = [...new Set([...Object.keys(prev), ...Object.keys(next)])].filter((k) => k !== 'id');
    const diffs = keys.filter((k) => JSON.stringify(prev[k]) !== JSON.stringify(next[k]))
      .map((k) => (k === 'type' ? `${String(prev[k])} → ${String(next[k])}` : `${k}: ${JSON.stringify(prev[k]) ?? '–'} → ${JSON.stringify(next[k]) ?? '–'}`));
    if (diffs.length) changed.push({ id, what: diffs.join(', ') });
  }
  const sections = ['input', 'training', 'name'].filter((k) => JSON.stringify(obj(current)[k]) !== JSON.stringify(obj(proposed)[k]));
  return { added, removed, changed, sections };
}
