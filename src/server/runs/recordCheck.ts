/**
 * Checks what the run store reads back from disk. A run folder may have been edited by hand, half-written
 * by a crash, or come from another version: every field of run.json is checked, a damaged field is repaired
 * to a safe value (and the repair is reported, so the store can log it), and only a record that cannot be
 * tied to its folder is refused. One damaged run must never stop the server or a route.
 */
import { isObject } from '../../shared/isObject';
import { BACKEND_NAMES, type BackendName, type RunState, type TrainingEvent } from '../../shared/protocol';
import type { RunRecord } from './store';

const STATES: readonly RunState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
/** Run ids start with their creation time: `20250101-120000-3fa9c1`. */
const STAMPED_ID = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-/;

export type CheckedRecord = { record: RunRecord; repairs: string[] } | { refused: string };

/** A RunRecord from run.json's parsed content, repaired where needed; `refused` when it is not this run's. */
export function checkRecord(raw: unknown, runId: string): CheckedRecord {
  if (!isObject(raw)) return { refused: 'run.json does not hold a JSON object' };
  if (raw.run_id !== runId)
    return { refused: `run.json names run ${JSON.stringify(raw.run_id)}, not the folder's ${runId}` };
  const repairs: string[] = [];
  const field = <T>(key: string, ok: (v: unknown) => v is T, fallback: T): T => {
    const value = raw[key];
    if (ok(value)) return value;
    repairs.push(`${key} was ${describe(value)}, now ${JSON.stringify(fallback)}`);
    return fallback;
  };
  const state = field('state', (v): v is RunState => STATES.includes(v as RunState), 'failed');
  const record: RunRecord = {
    // Fields this check does not know (added by a newer server) are kept as they are.
    ...(raw as Partial<RunRecord>),
    run_id: runId,
    name: field('name', isString, runId),
    state,
    backend: field(
      'backend',
      (v): v is BackendName | null => v === null || (BACKEND_NAMES as readonly unknown[]).includes(v),
      null,
    ),
    created_at: field('created_at', isTime, timeOfId(runId)),
    started_at: field('started_at', isTimeOrNull, null),
    finished_at: field('finished_at', isTimeOrNull, null),
    error: field('error', isStringOrNull, repairs.length > 0 && state === 'failed' ? 'run.json was damaged' : null),
    epochs_done: field('epochs_done', isCount, 0),
    epochs: field('epochs', isCount, 0),
    best_val_accuracy: field('best_val_accuracy', isNumberOrNull, null),
    test: field('test', isTestResult, null),
    model_id: field('model_id', isStringOrNull, null),
    schema_path: field('schema_path', isStringOrNull, null),
    saved: field('saved', (v): v is boolean => typeof v === 'boolean', false),
    model_name: field('model_name', isStringOrNull, null),
    params: field('params', isCount, 0),
    input_shape: field('input_shape', (v): v is number[] => Array.isArray(v) && v.every(isCount), [] as number[]),
  };
  return { record, repairs };
}

/** A stored event as the SSE stream needs it: an integer id, an event name and an object payload. */
export function isStoredEvent(value: unknown): value is TrainingEvent {
  return (
    isObject(value) &&
    Number.isSafeInteger(value.id) &&
    (value.id as number) > 0 &&
    typeof value.event === 'string' &&
    isObject(value.data)
  );
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}
function isStringOrNull(v: unknown): v is string | null {
  return v === null || typeof v === 'string';
}
function isTime(v: unknown): v is string {
  return typeof v === 'string' && !Number.isNaN(Date.parse(v));
}
function isTimeOrNull(v: unknown): v is string | null {
  return v === null || isTime(v);
}
function isNumberOrNull(v: unknown): v is number | null {
  return v === null || (typeof v === 'number' && Number.isFinite(v));
}
function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
function isTestResult(v: unknown): v is RunRecord['test'] {
  if (v === null) return true;
  return isObject(v) && typeof v.loss === 'number' && isNumberOrNull(v.accuracy) && isCount(v.samples);
}

function timeOfId(runId: string): string {
  const m = STAMPED_ID.exec(runId);
  const time = m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : NaN;
  return new Date(Number.isNaN(time) ? 0 : time).toISOString();
}

function describe(value: unknown): string {
  const text = value === undefined ? 'missing' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
