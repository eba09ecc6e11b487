/**
 * Typed training events from decoded SSE messages (docs/server.md, "Event streams"), shared by every client of
 * `/api/runs/:run_id/events`.
 */
import type { TrainingEvent, TrainingEventName } from '../protocol';
import type { SseMessage } from './decoder';

const TRAINING_EVENTS: readonly TrainingEventName[] = ['state', 'metric', 'batch', 'evaluation'];

/**
 * Returns the typed event, or undefined for messages that are not training events (a client should skip
 * them: a newer server may add events). Throws when a training event's data is not JSON, since that means
 * the stream is broken rather than extended.
 */
export function toTrainingEvent(message: SseMessage): TrainingEvent | undefined {
  if (!(TRAINING_EVENTS as readonly string[]).includes(message.event)) return undefined;
  const id = Number(message.id);
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    throw new Error(`the server sent a "${message.event}" event whose data is not JSON: ${message.data.slice(0, 200)}`);
  }
  if (typeof data !== 'object' || data === null) {
    throw new Error(`the server sent a "${message.event}" event whose data is not an object`);
  }
  return { id: Number.isFinite(id) ? id : 0, event: message.event, data } as TrainingEvent;
}
