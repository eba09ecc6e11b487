/**
 * A `POST /api/chat` body, read off the event loop: in the validation pool's worker (validation/job.ts, route
 * `chat`) the body is parsed and checked, the original frontend's canvas converted, and the current schema
 * checked and described for the prompt. What goes back to the event loop is a few strings and small values,
 * whatever the body held: a 10 MB body of small objects cost the loop ~300 ms of CPU when it was cloned back
 * from the worker whole and then to the worker again for the schema check (docs/reliability.md).
 */
import type { ChatHistoryMessage } from '../../shared/protocol';
import { isObject } from '../../shared/isObject';
import { graphToSchema, isOriginalGraph } from '../../shared/originalGraph';
import { httpError } from '../httpError';
import { boundHistory, readHistory } from './history';
import { describeCurrent, type CurrentCheck } from './prompt';

/** Longest user message accepted, in characters. */
export const MAX_MESSAGE_CHARS = 20_000;

/**
 * Largest canvas graph of the original frontend, as JSON. Its canvas shows a chain of a few dozen layers (a few
 * KB); the graph is parsed again on the event loop to lay out proposals like it (originalChat.ts).
 */
export const MAX_CANVAS_CHARS = 256 * 1024;

export interface PreparedChat {
  message: string;
  /** The newest well-formed history messages, within the history budgets (history.ts). */
  history: ChatHistoryMessage[];
  schemaPath?: string;
  /** The current schema's `name` (finds its last run when there is no path). */
  schemaName?: string;
  /** The provider fields as sent, when they are strings or numbers (provider.ts checks them). */
  provider: { baseUrl?: string; model?: string; temperature?: number };
  /** The current schema for the system prompt, with what the validator says about it (prompt.ts). */
  current: string;
  /** Set for a request of the original Stitch frontend (originalChat.ts). */
  original?: {
    /** Its canvas graph as JSON, or null when it sent none. */
    canvas: string | null;
    /** Errors of converting the canvas, and whether a change was requested, for the prompt note. */
    canvasErrors: { path: string; message: string }[];
    changeRequested: boolean;
  };
}

/** The validator's answer for an object schema (the validation job, as `POST /api/validate` checks it). */
export type CurrentChecker = (schema: object) => CurrentCheck;

/** The request as the chat turn needs it; throws the 400/413 of a bad body. */
export function prepareChat(body: unknown, checkCurrent: CurrentChecker): PreparedChat {
  if (!isObject(body))
    throw httpError(
      400,
      'send a JSON object in the request body, e.g. { "message": "Why is my loss flat?", "currentSchema": { … } }',
    );
  const { message, baseUrl } = body;
  if (typeof message !== 'string' || !message.trim())
    throw httpError(400, 'message: missing; send { "message": "your question", "currentSchema": { … } }');
  if (message.length > MAX_MESSAGE_CHARS)
    throw httpError(413, `message: ${message.length} characters is too long; keep it under ${MAX_MESSAGE_CHARS}`);
  if (baseUrl !== undefined && baseUrl !== null && baseUrl !== '' && !isHttpUrl(baseUrl))
    throw httpError(
      400,
      'baseUrl: expected an http(s) URL of an OpenAI-compatible API, like "http://localhost:11434/v1"',
    );

  const original = isOriginalRequest(body) ? readCanvas(body) : undefined;
  const currentSchema = original ? original.schema : body.currentSchema;
  const check = isObject(currentSchema) ? checkCurrent(currentSchema) : undefined;
  return {
    message,
    history: boundHistory(readHistory(body.history)),
    ...(typeof body.schemaPath === 'string' ? { schemaPath: body.schemaPath } : {}),
    ...(isObject(currentSchema) && typeof currentSchema.name === 'string' ? { schemaName: currentSchema.name } : {}),
    provider: {
      ...(typeof baseUrl === 'string' ? { baseUrl } : {}),
      ...(typeof body.model === 'string' ? { model: body.model } : {}),
      ...(typeof body.temperature === 'number' ? { temperature: body.temperature } : {}),
    },
    current: describeCurrent(currentSchema, check),
    ...(original ? { original: original.prepared } : {}),
  };
}

/** A request of the original frontend: a canvas graph, or no canvas and its `requestSchemaChange` flag. */
function isOriginalRequest(body: Record<string, unknown>): boolean {
  const current = body.currentSchema;
  return (
    isOriginalGraph(current) ||
    ((current === null || current === undefined) && typeof body.requestSchemaChange === 'boolean')
  );
}

function readCanvas(body: Record<string, unknown>): {
  schema: unknown;
  prepared: NonNullable<PreparedChat['original']>;
} {
  const graph = isOriginalGraph(body.currentSchema) ? body.currentSchema : undefined;
  const canvas = graph ? JSON.stringify(graph) : null;
  if (canvas !== null && canvas.length > MAX_CANVAS_CHARS)
    throw httpError(
      413,
      `currentSchema: the canvas graph is ${Math.round(canvas.length / 1024)} KB, more than the ${MAX_CANVAS_CHARS / 1024} KB a canvas may send; remove layers`,
    );
  const converted = graph ? graphToSchema(graph) : undefined;
  return {
    schema: converted?.schema ?? null,
    prepared: {
      canvas,
      // The prompt note lists 30 (originalChat.ts).
      canvasErrors: (converted?.errors ?? []).slice(0, 30),
      changeRequested: body.requestSchemaChange === true,
    },
  };
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value.trim());
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
